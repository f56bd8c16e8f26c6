import { lookup as dnsLookup } from 'node:dns';
import { Agent } from 'node:http';
import OSS from 'ali-oss';
import {
  mintTemporaryCredentials,
  type OssServerOptions,
  type RunningOssServer,
  startOssServer,
} from '../../../local/oss';

export const ROOT = { accessKeyId: 'test-access-key', accessKeySecret: 'test secret +/=' };
export const BUCKET = 'test-bucket';

/** Keys that exercise encoding: spaces, CJK, "+", "%", "#" and the characters encodeURIComponent keeps. */
export const AWKWARD_KEYS = [
  'plain.txt',
  'dir/sub dir/a b.txt',
  '中文/文件名.txt',
  'plus+sign=eq.txt',
  'per%cent%2F.txt',
  'hash#tag?.txt',
  "mix 中+%#!'()*~.bin",
];

/** An in-memory server on an ephemeral port with one bucket. */
export function startTestServer(extra: Partial<OssServerOptions> = {}): Promise<RunningOssServer> {
  return startOssServer({ port: 0, accessKeys: [ROOT], buckets: [BUCKET], ...extra });
}

/** Resolves `*.localhost` and `*.oss.test` to loopback, which glibc does not do for `*.localhost`. */
export const loopbackAgent = new Agent({
  keepAlive: true,
  lookup: ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    if (hostname.endsWith('.localhost') || hostname.endsWith('.oss.test')) {
      const all = (options as { all?: boolean }).all;
      if (all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
      return;
    }
    dnsLookup(hostname, options, callback as never);
  }) as never,
});

export type Addressing = 'sld' | 'ip' | 'ip-sld' | 'virtual-host';

export interface ClientOptions {
  v4?: boolean;
  sts?: boolean;
  addressing?: Addressing;
  bucket?: string;
}

// @types/ali-oss lags behind ali-oss 6.23 (no tagging, V4 helpers, loose result shapes), so tests use
// the client through this loose view; the calls themselves are ali-oss's own.
type Loose = (...args: any[]) => Promise<any>;
export interface AliOss {
  put: Loose;
  putStream: Loose;
  get: Loose;
  head: Loose;
  getObjectMeta: Loose;
  delete: Loose;
  deleteMulti: Loose;
  copy: Loose;
  putMeta: Loose;
  append: Loose;
  list: Loose;
  listV2: Loose;
  listBuckets: Loose;
  putBucket: Loose;
  deleteBucket: Loose;
  getBucketInfo: Loose;
  getBucketLocation: Loose;
  putBucketACL: Loose;
  getBucketACL: Loose;
  putBucketCORS: Loose;
  getBucketCORS: Loose;
  deleteBucketCORS: Loose;
  putBucketLifecycle: Loose;
  getBucketLifecycle: Loose;
  deleteBucketLifecycle: Loose;
  putACL: Loose;
  getACL: Loose;
  putObjectTagging: Loose;
  getObjectTagging: Loose;
  deleteObjectTagging: Loose;
  initMultipartUpload: Loose;
  uploadPart: Loose;
  uploadPartCopy: Loose;
  completeMultipartUpload: Loose;
  listParts: Loose;
  listUploads: Loose;
  abortMultipartUpload: Loose;
  multipartUpload: Loose;
  restore: Loose;
  putBucketVersioning: Loose;
  getBucketVersioning: Loose;
  getBucketVersions: Loose;
  signatureUrlV4: Loose;
  signatureUrl(name: string, options?: any): string;
  calculatePostSignature(policy: object): { OSSAccessKeyId: string; Signature: string; policy: string };
  signPostObjectPolicyV4(policy: object, date: Date): string;
}

/** A real ali-oss client pointed at the server as the docs recommend (or another addressing style). */
export function aliClient(server: RunningOssServer, options: ClientOptions = {}): AliOss {
  const creds = options.sts ? mintTemporaryCredentials(ROOT, 3600) : undefined;
  const addressing = options.addressing ?? 'sld';
  const endpoint =
    addressing === 'ip' || addressing === 'ip-sld'
      ? `http://127.0.0.1:${server.port}`
      : `http://localhost:${server.port}`;
  return new OSS({
    endpoint,
    region: 'oss-cn-hangzhou',
    accessKeyId: creds?.accessKeyId ?? ROOT.accessKeyId,
    accessKeySecret: creds?.accessKeySecret ?? ROOT.accessKeySecret,
    ...(creds ? { stsToken: creds.securityToken } : {}),
    bucket: options.bucket ?? BUCKET,
    authorizationV4: options.v4 ?? false,
    timeout: 20_000,
    ...({ sldEnable: addressing === 'sld' || addressing === 'ip-sld', agent: loopbackAgent, retryMax: 0 } as object),
  } as OSS.Options) as unknown as AliOss;
}

/** The error an ali-oss call rejects with. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code?: string; status?: number; name?: string; message: string; requestId?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; status?: number; message: string };
  }
  throw new Error('expected the call to fail');
}

/** `<Code>` of an OSS error document. */
export function xmlField(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(body)?.[1];
}

/** Deterministic pseudo-random bytes (fast to generate, incompressible enough for tests). */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Sends a request signed with V1 header auth, exactly as given (for requests ali-oss will not make). */
export async function signedFetch(
  server: RunningOssServer,
  method: string,
  key: string,
  options: {
    query?: Array<[string, string]>;
    headers?: Record<string, string>;
    body?: Buffer | string;
    bucket?: string;
  } = {},
): Promise<Response> {
  const { v1Signature, v1StringToSign, encodePath, formatQuery } = await import('../../../shared/storage/signing');
  const bucket = options.bucket ?? BUCKET;
  const headers: Record<string, string> = { 'x-oss-date': new Date().toUTCString(), ...options.headers };
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const query = options.query ?? [];
  const sts = v1StringToSign({ method, bucket, key, headers: lower, query, date: lower['x-oss-date']! });
  headers.authorization = `OSS ${ROOT.accessKeyId}:${v1Signature(ROOT.accessKeySecret, sts)}`;
  const qs = query.length > 0 ? `?${formatQuery(query)}` : '';
  return fetch(`${server.url}/${bucket}/${encodePath(key)}${qs}`, {
    method,
    headers,
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? Buffer.from(options.body) : Buffer.from(options.body) }
      : {}),
  });
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * Many small PUTs, fast: V1-signed plain HTTP over keep-alive connections (ali-oss's per-request cost
 * would dominate a test that only needs the keys to exist).
 */
export async function putMany(
  server: RunningOssServer,
  keys: readonly string[],
  concurrency = 32,
  bucket = BUCKET,
): Promise<void> {
  const { v1Signature, v1StringToSign, encodePath } = await import('../../../shared/storage/signing');
  const { request } = await import('node:http');
  const queue = [...keys];
  const putOne = (key: string) =>
    new Promise<void>((resolve, reject) => {
      const date = new Date().toUTCString();
      const signature = v1Signature(
        ROOT.accessKeySecret,
        v1StringToSign({ method: 'PUT', bucket, key, headers: { 'x-oss-date': date }, query: [], date }),
      );
      const body = Buffer.from(key);
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'PUT',
          path: `/${bucket}/${encodePath(key)}`,
          agent: keepAlive,
          headers: {
            'x-oss-date': date,
            authorization: `OSS ${ROOT.accessKeyId}:${signature}`,
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${key}: ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) await putOne(key);
    }),
  );
}
