import { isoTime } from '../iso-time';

/** Field names whose values are secrets wherever they appear (compared lowercase, without - and _). */
const SECRET_FIELDS = new Set([
  'accesskeysecret',
  'securitytoken',
  'xosssecuritytoken',
  'authorization',
  'signature',
  'xosssignature',
  'password',
  'secret',
  'token',
  'bearer',
  'ststoken',
  'policy',
]);

/** Query parameters that make a URL usable by whoever holds it. */
const URL_SECRETS =
  /([?&](?:x-oss-signature|Signature|security-token|x-oss-security-token|x-oss-credential|OSSAccessKeyId)=)[^&\s"]*/gi;

export const REDACTED = '[redacted]';

/**
 * Whether a field of this name holds a secret. The answers are kept: records repeat the same few names,
 * and a first request (in V8's interpreter) would otherwise lowercase and rewrite each name every time.
 */
function isSecretField(name: string): boolean {
  let secret = secretFieldNames.get(name);
  if (secret === undefined) {
    secret = SECRET_FIELDS.has(name.toLowerCase().replace(/[-_]/g, ''));
    // Bounded: a logged object whose keys come from input must not grow the map for ever.
    if (secretFieldNames.size < 1024) secretFieldNames.set(name, secret);
  }
  return secret;
}
const secretFieldNames = new Map<string, boolean>();

/** Removes signatures, tokens and key ids from any URL inside a string. */
export function redactUrls(text: string): string {
  // Every secret parameter ends in "="; most logged strings have none and skip the pattern.
  return text.includes('=') ? text.replace(URL_SECRETS, `$1${REDACTED}`) : text;
}

/**
 * A deep copy of `value` safe to log: secret fields replaced, URL signatures stripped, errors reduced
 * to name, code and message. Cycles are cut.
 */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactUrls(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, ...(code !== undefined && { code }), message: redactUrls(value.message) };
  }
  if (value instanceof Date) return isoTime(value);
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretField(k) ? REDACTED : redact(v, seen);
  return out;
}
