import { isoTime } from '../iso-time';
import { authorize, type Caller } from './auth';
import { auditIssued, type PresignServiceDeps } from './context';
import { contentTypeFor } from './media-types';
import { type MultipartUploadPlan, startMultipartUpload } from './multipart';
import { needsMultipart } from './plan';
import { checkUpload, requireOverwrite, urlLifetime, writeHeaders } from './rules';

export interface UploadRequest {
  namespace: string;
  name: string;
  size: number;
  contentType?: string;
  contentMd5?: string;
  overwrite?: boolean;
  accelerate?: boolean;
  expiresIn?: number;
}

export interface SingleUpload {
  key: string;
  ossPath: string;
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  size: number;
  expiresAt: string;
}

/**
 * The serving headers an artifact is stored with. OSS's V4 signs only the headers a request carries, so
 * it cannot bind a header's absence: the API decides a value for each one instead.
 */
export const SERVING_HEADERS: Readonly<Record<string, string>> = {
  'content-encoding': 'identity',
  'content-disposition': 'attachment',
  'cache-control': 'no-cache',
};

/** A presigned PUT for a small file, or a multipart plan with the first part URLs for a large one. */
export async function createUpload(
  deps: PresignServiceDeps,
  caller: Caller,
  req: UploadRequest,
): Promise<SingleUpload | MultipartUploadPlan> {
  const key = deps.layout.artifactKey(req.namespace, req.name);
  authorize(caller, 'upload', req.namespace);
  if (req.overwrite) requireOverwrite(caller, req.namespace);
  checkUpload(deps.config, req.name, req.size);
  const expiresIn = urlLifetime(deps.config, deps.usingStsCredentials(), req.expiresIn);
  const contentType = req.contentType ?? contentTypeFor(req.name);
  if (needsMultipart(req.size, deps.config.oss.chunkSize))
    return startMultipartUpload(deps, caller, { ...req, key, contentType, expiresIn });

  const headers: Record<string, string> = {
    'content-type': contentType,
    ...writeHeaders(deps.config, req.overwrite ?? false),
  };
  if (req.contentMd5) headers['content-md5'] = req.contentMd5;
  // V4 binds these too, so a client cannot add `Content-Encoding: gzip` (served on every download) or
  // other serving headers to the stored object; V1 signs none of them (README, "What a URL binds").
  if (deps.signer.canBindHeaders) Object.assign(headers, SERVING_HEADERS);
  const signed = deps.signer.signUrl({
    method: 'PUT',
    key,
    expiresSeconds: expiresIn,
    headers,
    // V4 can bind Content-Length, so the URL cannot carry more (or fewer) bytes than declared.
    bindHeaders: { 'content-length': String(req.size) },
    ...(req.accelerate !== undefined && { accelerate: req.accelerate }),
  });
  auditIssued(deps, caller, 'upload', 'PUT', key, signed.expiresAt);
  return {
    key,
    ossPath: deps.layout.ossPath(key),
    method: 'PUT',
    url: signed.url,
    headers: signed.headers,
    size: req.size,
    expiresAt: isoTime(signed.expiresAt),
  };
}
