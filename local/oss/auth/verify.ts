import { timingSafeEqual } from 'node:crypto';
import {
  encodeRfc3986,
  V1_SUBRESOURCES,
  v1Signature,
  v1StringToSign,
  v4CanonicalRequest,
  v4Scope,
  v4Signature,
  v4SigningKey,
  v4StringToSign,
} from '../../../shared/storage/signing';
import type { Target } from '../addressing';
import { OssErrors } from '../errors';
import { checkTemporaryCredentials, type RootKey } from '../sts';
import type { AuthClaim, SignedRequest } from './claim';

/** Who made an authenticated request. */
export interface Principal {
  accessKeyId: string;
  /** True for STS keys. */
  temporary: boolean;
}

export interface VerifyContext {
  keys: readonly RootKey[];
  /** Bare region id the server signs for. */
  region: string;
  now: Date;
}

/** Allowed distance between a request's own time and the server clock (OSS: 15 minutes). */
const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * Verifies a claim against each reading of the request's address and returns the one the signature
 * covers (docs/oss-protocol.md §7: the signature always covers `/bucket/key`). Checks come in OSS's order:
 * time and expiry first, then the key, then the signature. Anonymous requests take the first reading;
 * whether they may proceed is an ACL decision made later.
 */
export function verifyRequest(
  claim: AuthClaim,
  req: SignedRequest,
  targets: readonly Target[],
  ctx: VerifyContext,
): { target: Target; principal: Principal | undefined } {
  if (claim.kind === 'anonymous') return { target: targets[0]!, principal: undefined };
  checkTime(claim, ctx.now);
  if (claim.kind === 'v4') {
    if (claim.region !== ctx.region) {
      throw OssErrors.invalidArgument(
        `Invalid signing region in Authorization header: expected ${ctx.region}.`,
        'region',
        claim.region,
        '0002-00000206',
      );
    }
    if (claim.product !== 'oss')
      throw OssErrors.invalidArgument('Invalid signing product in Authorization header.', 'product', claim.product);
    if (claim.day !== claim.timestamp.slice(0, 8)) {
      throw OssErrors.invalidArgument(
        'Invalid signing date in Authorization header.',
        'date',
        claim.day,
        '0002-00000205',
      );
    }
  }
  const secret = resolveSecret(claim, ctx);
  const principal: Principal = { accessKeyId: claim.accessKeyId, temporary: claim.accessKeyId.startsWith('STS.') };
  let firstFailure: ReadonlyArray<readonly [string, string]> | undefined;
  for (const target of targets) {
    const attempt = claim.kind === 'v1' ? checkV1(claim, req, target, secret) : checkV4(claim, req, target, secret);
    if (attempt.ok) return { target, principal };
    firstFailure ??= attempt.details;
  }
  throw OssErrors.signatureDoesNotMatch(firstFailure ?? [], claim.kind === 'v4' ? '0002-00000228' : '0002-00000027');
}

function checkTime(claim: Exclude<AuthClaim, { kind: 'anonymous' }>, now: Date): void {
  if (claim.form === 'query') {
    const expiresAt = claim.kind === 'v1' ? claim.time : new Date(claim.time.getTime() + claim.expiresSeconds! * 1000);
    if (now.getTime() > expiresAt.getTime())
      throw OssErrors.requestExpired(expiresAt, now, claim.kind === 'v1' ? '0002-00000069' : '0002-00000236');
    if (claim.kind === 'v4' && claim.time.getTime() - now.getTime() > MAX_SKEW_MS) {
      throw OssErrors.accessDenied(
        'Request is not valid yet: x-oss-date is in the future.',
        [['ServerTime', now.toISOString()]],
        '0002-00000233',
      );
    }
    return;
  }
  if (Math.abs(now.getTime() - claim.time.getTime()) > MAX_SKEW_MS) {
    throw OssErrors.requestTimeTooSkewed(claim.kind === 'v1' ? claim.date : claim.timestamp, now);
  }
}

function resolveSecret(claim: Exclude<AuthClaim, { kind: 'anonymous' }>, ctx: VerifyContext): string {
  if (claim.accessKeyId.startsWith('STS.')) {
    if (!claim.securityToken) throw OssErrors.invalidAccessKeyId(claim.accessKeyId);
    const check = checkTemporaryCredentials(claim.accessKeyId, claim.securityToken, ctx.keys, ctx.now);
    if (!check.ok) {
      throw check.reason === 'expired'
        ? OssErrors.securityTokenExpired(claim.securityToken)
        : OssErrors.invalidSecurityToken(claim.securityToken);
    }
    return check.accessKeySecret;
  }
  const key = ctx.keys.find((k) => k.accessKeyId === claim.accessKeyId);
  if (!key) throw OssErrors.invalidAccessKeyId(claim.accessKeyId);
  return key.accessKeySecret;
}

type Attempt = { ok: true } | { ok: false; details: Array<[string, string]> };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bytesOf(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function checkV1(
  claim: Extract<AuthClaim, { kind: 'v1' }>,
  req: SignedRequest,
  target: Target,
  secret: string,
): Attempt {
  const stringToSign = v1StringToSign({
    method: req.method,
    bucket: target.bucket,
    key: target.key,
    headers: req.headers,
    query: req.query,
    date: claim.date,
  });
  if (same(v1Signature(secret, stringToSign), claim.signature)) return { ok: true };
  return {
    ok: false,
    details: [
      ['StringToSign', stringToSign],
      ['SignatureProvided', claim.signature],
      ['StringToSignBytes', bytesOf(stringToSign)],
      ['OSSAccessKeyId', claim.accessKeyId],
    ],
  };
}

function checkV4(
  claim: Extract<AuthClaim, { kind: 'v4' }>,
  req: SignedRequest,
  target: Target,
  secret: string,
): Attempt {
  const canonical = v4CanonicalRequest({
    method: req.method,
    bucket: target.bucket,
    key: target.key,
    headers: req.headers,
    query: req.query,
    additionalHeaders: claim.additionalHeaders,
  });
  const scope = v4Scope(claim.day, claim.region, claim.product);
  const signingKey = v4SigningKey(secret, claim.day, claim.region, claim.product);
  let firstStringToSign: string | undefined;
  for (const variant of canonicalVariants(canonical, req)) {
    const stringToSign = v4StringToSign(claim.timestamp, scope, variant);
    firstStringToSign ??= stringToSign;
    if (same(v4Signature(signingKey, stringToSign), claim.signature)) return { ok: true };
  }
  return {
    ok: false,
    details: [
      ['CanonicalRequest', canonical],
      ['StringToSign', firstStringToSign!],
      ['SignatureProvided', claim.signature],
      ['StringToSignBytes', bytesOf(firstStringToSign!)],
      ['OSSAccessKeyId', claim.accessKeyId],
    ],
  };
}

/**
 * The canonical request as OSS defines it first (an empty value signs as a bare name), then, only when
 * the wire carried `name=` with an empty value, the two forms ali-oss 6.23 signs such parameters in:
 * it builds the canonical query with `qs` from its `query` object, so `{prefix: ''}` signs `prefix=` and
 * `{prefix: undefined}` is left out, while `subres` values (always sub-resource names such as `uploads`)
 * sign bare. Accepting those keeps ordinary ali-oss calls like `list({prefix: ''})` working.
 */
function* canonicalVariants(canonical: string, req: SignedRequest): Generator<string> {
  yield canonical;
  const loose = req.query.filter(
    ([k, v]) => v === '' && req.emptyWithEquals.has(k) && !V1_SUBRESOURCES.has(k) && k !== 'x-oss-signature',
  );
  if (loose.length === 0) return;
  const looseNames = new Set(loose.map(([k]) => k));
  const first = canonical.indexOf('\n');
  const second = canonical.indexOf('\n', first + 1);
  const third = canonical.indexOf('\n', second + 1);
  const head = canonical.slice(0, second + 1);
  const tail = canonical.slice(third);
  yield head + canonicalQuery(req.query, (k) => (looseNames.has(k) ? 'equals' : 'bare')) + tail;
  yield head + canonicalQuery(req.query, (k) => (looseNames.has(k) ? 'drop' : 'bare')) + tail;
}

function canonicalQuery(
  query: SignedRequest['query'],
  emptyForm: (name: string) => 'bare' | 'equals' | 'drop',
): string {
  const items: Array<[string, string, string]> = [];
  for (const [k, v] of query) {
    if (k === 'x-oss-signature') continue;
    const ek = encodeRfc3986(k);
    const ev = encodeRfc3986(v);
    if (v !== '') items.push([ek, ev, `${ek}=${ev}`]);
    else {
      const form = emptyForm(k);
      if (form !== 'drop') items.push([ek, '', form === 'equals' ? `${ek}=` : ek]);
    }
  }
  items.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return items.map(([, , text]) => text).join('&');
}
