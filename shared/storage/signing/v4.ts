// Named imports only: a namespace import makes the bundle copy every export of node:crypto at load.
import { createHash, createHmac, hash } from 'node:crypto';
import { encodePath, encodeRfc3986, type QueryPairs } from './encode';

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** What a V4 signature covers. Header names must be lowercase. */
export interface V4Request {
  method: string;
  bucket: string;
  key: string;
  headers: Readonly<Record<string, string | undefined>>;
  /** Decoded query pairs; all but `x-oss-signature` are signed. */
  query: QueryPairs;
  /** Lowercase header names listed in AdditionalHeaders, beyond the ones always signed. */
  additionalHeaders: readonly string[];
}

/** Headers V4 always signs: content-type, content-md5 and every x-oss-* header. */
function alwaysSigned(name: string): boolean {
  return name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-');
}

/**
 * The V4 canonical query: every pair but `x-oss-signature`, RFC 3986-encoded, sorted by encoded name
 * (then value), `k=v` or a bare `k` for an empty value. Also a valid URL query string.
 */
export function v4CanonicalQuery(query: V4Request['query']): string {
  // Indexes, not destructuring: every request signs one, mostly before V8 has optimised this, and each
  // destructuring walks an iterator there.
  const pairs: Array<{ k: string; v: string }> = [];
  for (let i = 0; i < query.length; i++) {
    const pair = query[i] as QueryPairs[number];
    if (pair[0] !== 'x-oss-signature') pairs.push({ k: encodeRfc3986(pair[0]), v: encodeRfc3986(pair[1]) });
  }
  pairs.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    const { k, v } = pairs[i] as { k: string; v: string };
    out += `${i > 0 ? '&' : ''}${v === '' ? k : `${k}=${v}`}`;
  }
  return out;
}

/** The V4 canonical request (docs/oss-protocol.md §2.2); `canonicalQuery` may be passed when already computed. */
export function v4CanonicalRequest(req: V4Request, canonicalQuery = v4CanonicalQuery(req.query)): string {
  const uri = encodePath(req.bucket === '' ? '/' : `/${req.bucket}/${req.key}`);
  const query = canonicalQuery;
  const extra = req.additionalHeaders;
  const names = Object.keys(req.headers)
    .filter((name) => req.headers[name] !== undefined && (alwaysSigned(name) || extra.includes(name)))
    .sort();
  let headers = '';
  for (const name of names) headers += `${name}:${req.headers[name]!.trim()}\n`;
  const payload = req.headers['x-oss-content-sha256'] ?? UNSIGNED_PAYLOAD;
  return `${req.method}\n${uri}\n${query}\n${headers}\n${req.additionalHeaders.join(';')}\n${payload}`;
}

/** `yyyymmdd/region/product/aliyun_v4_request`. */
export function v4Scope(day: string, region: string, product = 'oss'): string {
  return `${day}/${region}/${product}/aliyun_v4_request`;
}

/** The V4 string to sign for a canonical request signed at `timestamp` (ISO basic). */
export function v4StringToSign(timestamp: string, scope: string, canonicalRequest: string): string {
  return `${V4_ALGORITHM}\n${timestamp}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}

// crypto.hash (Node ≥ 20.12) hashes in one call, skipping the Hash object; signing is hot in presign-api.
// Undefined on an older Node: the bundle reads the export from the module object, so that is no error.
const oneShot = hash as typeof hash | undefined;
function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : createHash('sha256').update(text, 'utf8').digest('hex');
}

// Deriving the key costs four HMACs; a function signs many URLs per day with the same credentials.
const keyCache = new Map<string, Buffer>();
const KEY_CACHE_LIMIT = 32;

/** The V4 signing key for one day, region and product; cached. */
export function v4SigningKey(secret: string, day: string, region: string, product = 'oss'): Buffer {
  const cacheKey = `${day}\0${region}\0${product}\0${secret}`;
  let key = keyCache.get(cacheKey);
  if (key === undefined) {
    const k1 = createHmac('sha256', `aliyun_v4${secret}`).update(day).digest();
    const k2 = createHmac('sha256', k1).update(region).digest();
    const k3 = createHmac('sha256', k2).update(product).digest();
    key = createHmac('sha256', k3).update('aliyun_v4_request').digest();
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** hex(HMAC-SHA256(signingKey, stringToSign)). */
export function v4Signature(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}
