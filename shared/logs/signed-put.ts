/**
 * A PutObject over plain `node:http(s)` with a short-lived signed URL: what the audit trail of a function
 * that otherwise never talks to OSS (presign-api only signs) uses, so its first request does not pay for
 * loading the ali-oss SDK (~150 ms, docs/fc-runtime.md). Retries 5xx, throttling and network failures.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { OssConfig } from '../config';
import type { CredentialsProvider } from '../storage/credentials';
import { objectUrl, serviceEndpoint } from '../storage/endpoints';
import { StorageError, type StorageErrorCode } from '../storage/errors';
import type { PutOptions } from '../storage/port';
import { backoffDelay, DEFAULT_RETRY } from '../storage/retry';
import { presignQueryString } from '../storage/signing/presign';
import type { PutObject } from './audit';

/** A `PutObject` for the functions' own endpoint (`OSS_ENDPOINT` or the region's internal one). */
export function signedPut(oss: OssConfig, credentials: CredentialsProvider, timeoutMs = 10_000): PutObject {
  const base = serviceEndpoint(oss);
  return async (key, body, options) => {
    const headers = putHeaders(options);
    for (let attempt = 1; ; attempt++) {
      const query = presignQueryString({
        method: 'PUT',
        bucket: oss.bucket,
        key,
        credentials: credentials(),
        region: oss.region,
        version: oss.signatureVersion,
        now: new Date(),
        expiresSeconds: 300,
        headers,
      });
      try {
        return await send(objectUrl(base, oss.bucket, key, query), headers, body, timeoutMs, key);
      } catch (error) {
        const e = error as StorageError;
        if (!e.retryable || attempt >= DEFAULT_RETRY.attempts) throw e;
        await new Promise((r) => setTimeout(r, backoffDelay(attempt - 1, DEFAULT_RETRY)));
      }
    }
  };
}

function putHeaders(o: PutOptions): Record<string, string> {
  const h: Record<string, string> = { 'content-type': o.contentType ?? 'application/octet-stream' };
  if (o.forbidOverwrite) h['x-oss-forbid-overwrite'] = 'true';
  if (o.encryption) {
    h['x-oss-server-side-encryption'] = o.encryption.algorithm;
    if (o.encryption.kmsKeyId) h['x-oss-server-side-encryption-key-id'] = o.encryption.kmsKeyId;
  }
  for (const [name, value] of Object.entries(o.meta ?? {})) h[`x-oss-meta-${name.toLowerCase()}`] = value;
  return h;
}

function send(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs: number,
  key: string,
): Promise<{ etag: string }> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'PUT',
      headers: { ...headers, 'content-length': String(body.byteLength) },
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) =>
      reject(
        new StorageError('OSS_NETWORK', `PutObject ${key} failed: ${error.message}`, { operation: 'PutObject', key }),
      ),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (error) =>
        reject(
          new StorageError('OSS_NETWORK', `PutObject ${key} failed: ${error.message}`, { operation: 'PutObject', key }),
        ),
      );
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve({ etag: String(res.headers.etag ?? '').replace(/^"|"$/g, '') });
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        const ossCode = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
        const requestId = res.headers['x-oss-request-id'];
        const code: StorageErrorCode =
          ossCode === 'FileAlreadyExists'
            ? 'OSS_ALREADY_EXISTS'
            : status === 503 || ossCode === 'SlowDown'
              ? 'OSS_THROTTLED'
              : status >= 500
                ? 'OSS_UNAVAILABLE'
                : status === 403
                  ? 'OSS_ACCESS_DENIED'
                  : 'OSS_REQUEST_FAILED';
        reject(
          new StorageError(code, `PutObject ${key} failed: ${status} ${ossCode ?? ''}`.trim(), {
            operation: 'PutObject',
            key,
            status,
            ...(ossCode && { ossCode }),
            ...(typeof requestId === 'string' && { requestId }),
          }),
        );
      });
    });
    req.end(body);
  });
}
