import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Stateless temporary credentials, in the shape STS AssumeRole returns and FC hands functions as
 * `context.credentials`. Everything is derived by HMAC from the root secret, so any process that knows
 * the root key pair can mint keys (the local FC runtime does, in another process) and the OSS server can
 * check them without shared state.
 *
 * Token: base64url(JSON claims) + "." + base64url(HMAC-SHA256(root secret, claims)). The claims name the
 * root key, the temporary key id and the expiry. The temporary secret is an HMAC of the temporary key id
 * and expiry under the root secret, so it is never carried anywhere.
 */

export interface RootKey {
  accessKeyId: string;
  accessKeySecret: string;
}

export interface TemporaryCredentials {
  /** Starts with `STS.` like real temporary keys. */
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** ISO 8601, e.g. `2026-11-22T13:00:00Z`, like STS's `Expiration`. */
  expiration: string;
}

interface Claims {
  v: 1;
  /** Root access key id. */
  r: string;
  /** Temporary access key id. */
  a: string;
  /** Expiry, seconds since the epoch. */
  e: number;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function tokenMac(rootSecret: string, claims: string): Buffer {
  return createHmac('sha256', rootSecret).update(`local-oss-sts-token\n${claims}`).digest();
}

function temporarySecret(rootSecret: string, accessKeyId: string, expiry: number): string {
  return createHmac('sha256', rootSecret)
    .update(`local-oss-sts-secret\n${accessKeyId}\n${expiry}`)
    .digest('base64url')
    .slice(0, 30);
}

/** Mints temporary credentials valid for `ttlSeconds` from `now` under `root`. Pure apart from a random key id. */
export function mintTemporaryCredentials(
  root: RootKey,
  ttlSeconds: number,
  now: Date = new Date(),
): TemporaryCredentials {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive number');
  const expiry = Math.floor(now.getTime() / 1000) + Math.floor(ttlSeconds);
  const accessKeyId = `STS.${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
  const claims = b64url(JSON.stringify({ v: 1, r: root.accessKeyId, a: accessKeyId, e: expiry } satisfies Claims));
  return {
    accessKeyId,
    accessKeySecret: temporarySecret(root.accessKeySecret, accessKeyId, expiry),
    securityToken: `${claims}.${b64url(tokenMac(root.accessKeySecret, claims))}`,
    expiration: new Date(expiry * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export type TemporaryKeyCheck =
  | { ok: true; accessKeySecret: string; rootAccessKeyId: string; expiresAt: Date }
  | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Checks that `securityToken` was minted by one of `roots` for `accessKeyId` and has not expired, and
 * returns the temporary secret to verify the request's signature with.
 */
export function checkTemporaryCredentials(
  accessKeyId: string,
  securityToken: string,
  roots: readonly RootKey[],
  now: Date = new Date(),
): TemporaryKeyCheck {
  const dot = securityToken.indexOf('.');
  if (dot <= 0) return { ok: false, reason: 'invalid' };
  const claimsText = securityToken.slice(0, dot);
  let claims: Partial<Claims>;
  try {
    claims = JSON.parse(Buffer.from(claimsText, 'base64url').toString('utf8')) as Partial<Claims>;
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (
    claims === null ||
    typeof claims !== 'object' ||
    claims.v !== 1 ||
    typeof claims.r !== 'string' ||
    typeof claims.a !== 'string' ||
    typeof claims.e !== 'number'
  ) {
    return { ok: false, reason: 'invalid' };
  }
  const root = roots.find((k) => k.accessKeyId === claims.r);
  if (!root) return { ok: false, reason: 'invalid' };
  const given = Buffer.from(securityToken.slice(dot + 1), 'base64url');
  const expected = tokenMac(root.accessKeySecret, claimsText);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  if (claims.a !== accessKeyId) return { ok: false, reason: 'invalid' };
  if (now.getTime() >= claims.e * 1000) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    accessKeySecret: temporarySecret(root.accessKeySecret, claims.a, claims.e),
    rootAccessKeyId: root.accessKeyId,
    expiresAt: new Date(claims.e * 1000),
  };
}
