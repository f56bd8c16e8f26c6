import type { Credentials } from '../../config';
import { encodeRfc3986, formatQuery, type QueryPairs, v4Timestamp } from './encode';
import { v1Signature, v1StringToSign } from './v1';
import {
  V4_ALGORITHM,
  v4CanonicalQuery,
  v4CanonicalRequest,
  v4Scope,
  v4Signature,
  v4SigningKey,
  v4StringToSign,
} from './v4';

export interface PresignRequest {
  method: string;
  bucket: string;
  key: string;
  credentials: Credentials;
  /** Bare region id (`cn-hangzhou`), used by V4. */
  region: string;
  version: 'v1' | 'v4';
  now: Date;
  expiresSeconds: number;
  /** Lowercase headers the client must send exactly (content-type, content-md5, x-oss-*…). */
  headers?: Readonly<Record<string, string>>;
  /** Further signed query parameters (response-*, uploadId, partNumber…). */
  query?: QueryPairs;
  /** V4 only: lowercase names of other headers bound by the signature, such as `content-length`. */
  additionalHeaders?: readonly string[];
}

/**
 * Signs a request for a URL and returns the encoded query string, signature included, ready to follow
 * "?". Under V4 it is the canonical query itself plus the signature, so nothing is encoded twice.
 */
export function presignQueryString(req: PresignRequest): string {
  if (req.version === 'v1') return formatQuery(presignQuery(req));
  const { canonicalQuery, signature } = signV4Query(req);
  return `${canonicalQuery}&x-oss-signature=${signature}`;
}

/**
 * Signs a request for a URL and returns the whole query, signature included, in the order OSS and
 * ali-oss produce it. Pure: no clock, no network, nothing shared is changed.
 */
export function presignQuery(req: PresignRequest): Array<[string, string]> {
  const headers = req.headers ?? {};
  const extra = (req.query ?? []).map(([k, v]): [string, string] => [k, v]);
  if (req.version === 'v1') {
    const expires = String(Math.floor(req.now.getTime() / 1000) + req.expiresSeconds);
    const query: Array<[string, string]> = [...extra];
    if (req.credentials.securityToken) query.push(['security-token', req.credentials.securityToken]);
    const signature = v1Signature(
      req.credentials.accessKeySecret,
      v1StringToSign({ method: req.method, bucket: req.bucket, key: req.key, headers, query, date: expires }),
    );
    return [['OSSAccessKeyId', req.credentials.accessKeyId], ['Expires', expires], ['Signature', signature], ...query];
  }
  const { query, signature } = signV4Query(req);
  query.push(['x-oss-signature', signature]);
  return query;
}

/**
 * The canonical query when the request's own parameters all sort before the `x-oss-*` ones (partNumber,
 * uploadId, response-*): those few are sorted, the signing parameters are emitted in their known order.
 * Same result as `v4CanonicalQuery`, without building and sorting the whole list per URL.
 */
function fastCanonicalQuery(signing: ReadonlyArray<[string, string]>, extra: ReadonlyArray<[string, string]>): string {
  const ordered = [...signing].sort(([a], [b]) => (a < b ? -1 : 1));
  let out = '';
  if (extra.length > 0) out = v4CanonicalQuery(extra);
  for (const [k, v] of ordered) out += `${out === '' ? '' : '&'}${k}=${encodeRfc3986(v)}`;
  return out;
}

function signV4Query(req: PresignRequest): {
  query: Array<[string, string]>;
  canonicalQuery: string;
  signature: string;
} {
  const headers = req.headers ?? {};
  const extra = (req.query ?? []).map(([k, v]): [string, string] => [k, v]);
  const timestamp = v4Timestamp(req.now);
  const day = timestamp.slice(0, 8);
  const scope = v4Scope(day, req.region);
  const additional =
    req.additionalHeaders && req.additionalHeaders.length > 0 ? [...new Set(req.additionalHeaders)].sort() : [];
  // A header listed as signed but absent would make a URL no client can ever use.
  const unsigned = additional.filter((name) => headers[name] === undefined);
  if (unsigned.length > 0)
    throw new TypeError(`additionalHeaders ${unsigned.join(', ')} need a value in headers to be signed`);
  const query: Array<[string, string]> = [
    ['x-oss-signature-version', V4_ALGORITHM],
    ['x-oss-credential', `${req.credentials.accessKeyId}/${scope}`],
    ['x-oss-date', timestamp],
    ['x-oss-expires', String(req.expiresSeconds)],
  ];
  if (additional.length > 0) query.push(['x-oss-additional-headers', additional.join(';')]);
  if (req.credentials.securityToken) query.push(['x-oss-security-token', req.credentials.securityToken]);
  query.push(...extra);
  const canonicalQuery =
    extra.length === 0 || extra.every(([k]) => k < 'x-oss-')
      ? fastCanonicalQuery(query.slice(0, query.length - extra.length), extra)
      : v4CanonicalQuery(query);
  const canonical = v4CanonicalRequest(
    { method: req.method, bucket: req.bucket, key: req.key, headers, query, additionalHeaders: additional },
    canonicalQuery,
  );
  const key = v4SigningKey(req.credentials.accessKeySecret, day, req.region);
  return { query, canonicalQuery, signature: v4Signature(key, v4StringToSign(timestamp, scope, canonical)) };
}
