import { OssErrors } from './errors';

/** A decoded PostObject policy (docs/oss-protocol.md §3). */
export interface PostPolicyDocument {
  expiration: Date;
  conditions: unknown[];
}

/** Inclusive size bounds from `content-length-range` conditions (intersected when there are several). */
export interface LengthRange {
  min: number;
  max: number;
}

/** Decodes the base64 JSON policy and checks its shape and expiry. */
export function decodePostPolicy(policyBase64: string, now: Date): PostPolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8'));
  } catch {
    throw OssErrors.invalidPolicy('Invalid JSON.');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw OssErrors.invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') throw OssErrors.invalidPolicy('Policy missing expiration.');
  const expiresAt = new Date(expiration);
  if (Number.isNaN(expiresAt.getTime())) throw OssErrors.invalidPolicy('Invalid expiration.');
  if (!Array.isArray(conditions)) throw OssErrors.invalidPolicy('Policy missing conditions.');
  if (now.getTime() > expiresAt.getTime()) throw OssErrors.accessDenied('Invalid according to Policy: Policy expired.');
  return { expiration: expiresAt, conditions };
}

/**
 * Checks every condition except the body size against the form (`fields`: lowercase names; `bucket` is
 * the bucket posted to) and returns the size bounds the upload must then respect. A failed condition is
 * OSS's 403 AccessDenied naming it.
 */
export function checkPostConditions(
  policy: PostPolicyDocument,
  fields: ReadonlyMap<string, string>,
  bucket: string,
): LengthRange {
  const range: LengthRange = { min: 0, max: Number.MAX_SAFE_INTEGER };
  const fieldValue = (name: string): string | undefined => (name === 'bucket' ? bucket : fields.get(name));
  // OSS refuses a condition on a field the form does not carry (EC 0006-00000226) rather than reading it as empty.
  const present = (name: string, condition: unknown): string => {
    const value = fieldValue(name);
    if (value === undefined)
      throw OssErrors.accessDenied(
        `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)} (the form has no field ${name})`,
      );
    return value;
  };
  const fail = (condition: unknown) =>
    OssErrors.accessDenied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
  const fieldName = (ref: unknown, condition: unknown): string => {
    if (typeof ref !== 'string' || !ref.startsWith('$'))
      throw OssErrors.invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
    return ref.slice(1).toLowerCase();
  };
  for (const condition of policy.conditions) {
    if (condition !== null && typeof condition === 'object' && !Array.isArray(condition)) {
      const entries = Object.entries(condition as Record<string, unknown>);
      if (entries.length !== 1 || typeof entries[0]![1] !== 'string')
        throw OssErrors.invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
      const [name, expected] = entries[0] as [string, string];
      if (fieldValue(name.toLowerCase()) !== expected) throw fail(condition);
      continue;
    }
    if (!Array.isArray(condition) || condition.length !== 3 || typeof condition[0] !== 'string') {
      throw OssErrors.invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
    }
    const [op, a, b] = condition as [string, unknown, unknown];
    switch (op.toLowerCase()) {
      case 'eq': {
        if (typeof b !== 'string') throw OssErrors.invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
        if (present(fieldName(a, condition), condition) !== b) throw fail(condition);
        break;
      }
      case 'starts-with': {
        if (typeof b !== 'string') throw OssErrors.invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
        if (!present(fieldName(a, condition), condition).startsWith(b)) throw fail(condition);
        break;
      }
      case 'in':
      case 'not-in': {
        if (!Array.isArray(b) || b.some((v) => typeof v !== 'string'))
          throw OssErrors.invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
        // `not-in` on a field the form does not carry passes: an absent value is in no list ([unverified] on OSS).
        const name = fieldName(a, condition);
        const value = op.toLowerCase() === 'in' ? present(name, condition) : fieldValue(name);
        const listed = value !== undefined && (b as string[]).includes(value);
        if (op.toLowerCase() === 'in' ? !listed : listed) throw fail(condition);
        break;
      }
      case 'content-length-range': {
        const min = Number(a);
        const max = Number(b);
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
          throw OssErrors.invalidPolicy(`Invalid content-length-range ${JSON.stringify(condition)}.`);
        }
        range.min = Math.max(range.min, min);
        range.max = Math.min(range.max, max);
        break;
      }
      default:
        throw OssErrors.invalidPolicy(`Unknown condition ${JSON.stringify(op)}.`);
    }
  }
  return range;
}
