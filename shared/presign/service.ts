import { deleteArtifact, getArtifact, listArtifacts } from './artifacts';
import type { Caller } from './auth';
import type { PresignServiceDeps } from './context';
import { createDownload, type DownloadRequest } from './downloads';
import { createForm, type FormRequest } from './forms';
import { abortUpload, completeUpload, getUpload, signParts } from './multipart';
import { createUpload, type UploadRequest } from './uploads';

export type { ArtifactDetail, ArtifactSummary } from './artifacts';
export type { DeletionEvent, IssuedUrlEvent, PresignAudit, PresignServiceDeps } from './context';
export type { Download, DownloadRequest } from './downloads';
export type { FormRequest, FormUpload } from './forms';
export type { MultipartUploadPlan, PartUrl, UploadStatus } from './multipart';
export { FIRST_PART_URLS, MAX_PART_URLS } from './multipart';
export type { SingleUpload, UploadRequest } from './uploads';

/**
 * The operations of the presign API, one module each (uploads, multipart, forms, downloads, artifacts)
 * over the same dependencies. Pure decisions (scopes, sizes, plans, lifetimes) live in small modules;
 * nothing here moves artifact bytes.
 */
export class PresignService {
  constructor(private readonly deps: PresignServiceDeps) {}

  createUpload(caller: Caller, req: UploadRequest) {
    return createUpload(this.deps, caller, req);
  }

  signParts(caller: Caller, uploadId: string, req: Parameters<typeof signParts>[3]) {
    return signParts(this.deps, caller, uploadId, req);
  }

  getUpload(caller: Caller, uploadId: string) {
    return getUpload(this.deps, caller, uploadId);
  }

  completeUpload(caller: Caller, uploadId: string, req: Parameters<typeof completeUpload>[3]) {
    return completeUpload(this.deps, caller, uploadId, req);
  }

  abortUpload(caller: Caller, uploadId: string) {
    return abortUpload(this.deps, caller, uploadId);
  }

  createForm(caller: Caller, req: FormRequest) {
    return createForm(this.deps, caller, req);
  }

  createDownload(caller: Caller, req: DownloadRequest) {
    return createDownload(this.deps, caller, req);
  }

  listArtifacts(caller: Caller, req: Parameters<typeof listArtifacts>[2]) {
    return listArtifacts(this.deps, caller, req);
  }

  getArtifact(caller: Caller, namespace: string, name: string) {
    return getArtifact(this.deps, caller, namespace, name);
  }

  deleteArtifact(caller: Caller, namespace: string, name: string) {
    return deleteArtifact(this.deps, caller, namespace, name);
  }
}
