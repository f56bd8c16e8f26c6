import { isoTime } from '../iso-time';
import { authorize, type Caller } from './auth';
import { auditIssued, type PresignServiceDeps } from './context';
import { ApiError } from './errors';
import { attachmentDisposition } from './media-types';
import { urlLifetime } from './rules';

export interface DownloadRequest {
  namespace: string;
  name: string;
  expiresIn?: number;
  accelerate?: boolean;
}

export interface Download {
  key: string;
  ossPath: string;
  url: string;
  size: number;
  etag: string;
  expiresAt: string;
}

/** A presigned GET that saves the file under its own name; 404 when the artifact does not exist. */
export async function createDownload(
  deps: PresignServiceDeps,
  caller: Caller,
  req: DownloadRequest,
): Promise<Download> {
  const key = deps.layout.artifactKey(req.namespace, req.name);
  authorize(caller, 'download', req.namespace);
  const expiresIn = urlLifetime(deps.config, deps.usingStsCredentials(), req.expiresIn);
  const info = await deps.store.head(key);
  if (!info) throw new ApiError('ARTIFACT_NOT_FOUND', `${req.name} does not exist in namespace ${req.namespace}.`);
  const fileName = req.name.split('/').at(-1)!;
  const signed = deps.signer.signUrl({
    method: 'GET',
    key,
    expiresSeconds: expiresIn,
    query: [['response-content-disposition', attachmentDisposition(fileName)]],
    ...(req.accelerate !== undefined && { accelerate: req.accelerate }),
  });
  auditIssued(deps, caller, 'download', 'GET', key, signed.expiresAt);
  return {
    key,
    ossPath: deps.layout.ossPath(key),
    url: signed.url,
    size: info.size,
    etag: info.etag,
    expiresAt: isoTime(signed.expiresAt),
  };
}
