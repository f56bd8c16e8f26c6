import { MAX_SINGLE_PUT_BYTES } from '../../../shared/storage/limits';
import { OssErrors } from '../errors';
import type { RequestContext } from '../http/context';
import { keyProblem, urlEncodeListValue } from '../keys';

/** The target's key, or OSS's 400 InvalidObjectName. */
export function requireKey(ctx: RequestContext): string {
  const key = ctx.target!.key;
  const problem = keyProblem(key);
  if (problem) throw problem;
  return key;
}

/** Decodes a Content-MD5 header (base64 of 16 bytes); anything else is 400 InvalidDigest. */
export function expectedMd5(header: string | undefined): Buffer | undefined {
  if (header === undefined) return undefined;
  const bytes = Buffer.from(header.trim(), 'base64');
  if (bytes.length !== 16 || bytes.toString('base64') !== header.trim()) throw OssErrors.invalidDigest();
  return bytes;
}

/** A body-carrying PUT needs Content-Length or chunked encoding (411 otherwise) and at most 5 GiB. */
export function requireLength(ctx: RequestContext): void {
  const length = ctx.headers['content-length'];
  const chunked = /chunked/i.test(ctx.headers['transfer-encoding'] ?? '');
  if (length === undefined && !chunked) throw OssErrors.missingContentLength();
  // With chunked encoding the chunks decide the length; a Content-Length sent alongside is ignored.
  if (length !== undefined && !chunked && Number(length) > MAX_SINGLE_PUT_BYTES) throw OssErrors.entityTooLarge();
}

/** `x-oss-forbid-overwrite: true`. */
export const forbidsOverwrite = (ctx: RequestContext): boolean =>
  (ctx.headers['x-oss-forbid-overwrite'] ?? '').toLowerCase() === 'true';

/** How a listing writes keys and prefixes: as they are, or with `encoding-type=url` percent-encoded. */
export function listEncoder(ctx: RequestContext): (text: string) => string {
  const type = ctx.param('encoding-type');
  if (type === undefined || type === '') return (t) => t;
  if (type !== 'url')
    throw OssErrors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  return urlEncodeListValue;
}

/** The `versionId` query parameter: which version an object operation means (undefined: the current one). */
export function versionParam(ctx: RequestContext): string | undefined {
  const value = ctx.param('versionId');
  if (value === undefined) return undefined;
  if (value === '') throw OssErrors.invalidArgument('Invalid version id specified', 'versionId', value);
  return value;
}

/** Parses `x-oss-copy-source: /bucket/url-encoded-key[?versionId=…]`. */
export function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const bad = () =>
    OssErrors.invalidArgument(
      'Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.',
      'x-oss-copy-source',
      value,
    );
  const [path, query] = value.split('?') as [string, string | undefined];
  const m = /^\/?([^/]+)\/(.+)$/.exec(path);
  if (!m) throw bad();
  try {
    const key = decodeURIComponent(m[2]!);
    const problem = keyProblem(key);
    if (problem) throw problem;
    const versionId = query === undefined ? undefined : new URLSearchParams(query).get('versionId');
    return {
      bucket: decodeURIComponent(m[1]!),
      key,
      ...(versionId !== undefined && versionId !== null && versionId !== '' ? { versionId } : {}),
    };
  } catch (error) {
    if (error instanceof URIError) throw bad();
    throw error;
  }
}
