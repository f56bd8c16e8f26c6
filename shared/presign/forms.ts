import { isoTime } from '../iso-time';
import { authorize, type Caller } from './auth';
import { auditIssued, type PresignServiceDeps } from './context';
import { contentTypeFor } from './media-types';
import { checkExtension, checkUpload, requireOverwrite, urlLifetime, writeHeaders } from './rules';
import type { UploadRequest } from './uploads';

/**
 * Form fields that decide who can read the object and how it is stored and served. OSS ignores a form
 * field no condition mentions, so each is sent and pinned by an `eq` condition (docs/oss-protocol.md §3);
 * `x-oss-tagging` and `x-oss-meta-*` cannot be pinned that way and are left to the role (docs/deployment.md).
 */
const STORED_AS: Readonly<Record<string, string>> = {
  'x-oss-object-acl': 'default',
  'x-oss-storage-class': 'Standard',
  'Content-Encoding': 'identity',
  'Content-Disposition': 'attachment',
  'Cache-Control': 'no-cache',
};

export type FormRequest = Omit<UploadRequest, 'size' | 'contentMd5'> & { size?: number };

export interface FormUpload {
  key: string;
  ossPath: string;
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
  maxSize: number;
}

/**
 * PostObject fields for a browser form, pinning the key, the size range (exactly `size` when given,
 * else up to `MAX_UPLOAD_BYTES`) and the write headers.
 */
export function createForm(deps: PresignServiceDeps, caller: Caller, req: FormRequest): FormUpload {
  const key = deps.layout.artifactKey(req.namespace, req.name);
  authorize(caller, 'upload', req.namespace);
  if (req.overwrite) requireOverwrite(caller, req.namespace);
  const max = deps.config.presign.maxUploadBytes;
  if (req.size !== undefined) checkUpload(deps.config, req.name, req.size);
  else checkExtension(deps.config, req.name);
  const expiresIn = urlLifetime(deps.config, deps.usingStsCredentials(), req.expiresIn);
  const contentType = req.contentType ?? contentTypeFor(req.name);
  const fields: Record<string, string> = {
    'Content-Type': contentType,
    success_action_status: '200',
    ...writeHeaders(deps.config, req.overwrite ?? false),
    ...STORED_AS,
  };
  const range = req.size !== undefined ? { min: req.size, max: req.size } : { min: 1, max };
  const post = deps.signer.signPost({
    key,
    expiresSeconds: expiresIn,
    contentLength: range,
    fields,
    ...(req.accelerate !== undefined && { accelerate: req.accelerate }),
  });
  auditIssued(deps, caller, 'upload', 'POST', key, post.expiresAt);
  return {
    key,
    ossPath: deps.layout.ossPath(key),
    url: post.url,
    fields: post.fields,
    expiresAt: isoTime(post.expiresAt),
    maxSize: range.max,
  };
}
