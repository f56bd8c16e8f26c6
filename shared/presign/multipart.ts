import type { ApiAction } from '../config';
import { ValidationError } from '../errors';
import { isoTime } from '../iso-time';
import { StorageError } from '../storage/errors';
import type { UploadedPart } from '../storage/port';
import { authorize, type Caller } from './auth';
import { auditIssued, type PresignServiceDeps } from './context';
import { ApiError } from './errors';
import { partCountFor, partLength, partSizeFor, partsProblem } from './plan';
import { urlLifetime } from './rules';
import { type UploadPlan, UploadPlans } from './upload-plan';

/** Part URLs returned with a new multipart upload; more come from `signParts`. */
export const FIRST_PART_URLS = 20;
/** Most part URLs one `signParts` call returns. */
export const MAX_PART_URLS = 100;

export interface PartUrl {
  partNumber: number;
  url: string;
  size: number;
}

export interface MultipartUploadPlan {
  key: string;
  ossPath: string;
  uploadId: string;
  partSize: number;
  partCount: number;
  size: number;
  method: 'PUT';
  parts: PartUrl[];
  expiresAt: string;
}

export interface UploadStatus {
  key: string;
  ossPath: string;
  uploadId: string;
  size: number;
  partSize: number;
  partCount: number;
  uploadedBytes: number;
  parts: Array<{ partNumber: number; etag: string; size: number }>;
  missingParts: number[];
}

/** A checked upload request on its way to becoming a multipart upload. */
export interface MultipartStart {
  key: string;
  namespace: string;
  name: string;
  size: number;
  contentType: string;
  contentMd5?: string;
  overwrite?: boolean;
  accelerate?: boolean;
  expiresIn: number;
}

function alreadyExists(target: { name: string; namespace: string }): ApiError {
  return new ApiError(
    'ALREADY_EXISTS',
    `${target.name} already exists in namespace ${target.namespace}; upload again with "overwrite": true (needs the delete action) or choose another name.`,
  );
}

/**
 * Starts a multipart upload and keeps its plan in the bucket, so any instance can continue it; returns
 * the plan with the first part URLs. An upload whose plan cannot be saved is aborted at once.
 */
export async function startMultipartUpload(
  deps: PresignServiceDeps,
  caller: Caller,
  req: MultipartStart,
): Promise<MultipartUploadPlan> {
  const { oss } = deps.config;
  const partSize = partSizeFor(req.size, oss.chunkSize);
  let uploadId: string;
  try {
    uploadId = await deps.store.multipart.initiate(req.key, {
      contentType: req.contentType,
      forbidOverwrite: !req.overwrite,
      ...(oss.encryption && { encryption: oss.encryption }),
      ...(req.contentMd5 && { meta: { 'content-md5': req.contentMd5 } }),
    });
  } catch (error) {
    // OSS refuses to initiate over a taken name when overwrite is forbidden: the same 409 a single PUT gets.
    if (error instanceof StorageError && error.code === 'OSS_ALREADY_EXISTS') throw alreadyExists(req);
    throw error;
  }
  const plan: UploadPlan = {
    schemaVersion: 1,
    uploadId,
    key: req.key,
    namespace: req.namespace,
    name: req.name,
    size: req.size,
    partSize,
    partCount: partCountFor(req.size, partSize),
    contentType: req.contentType,
    overwrite: req.overwrite ?? false,
    tokenId: caller.tokenId,
    createdAt: isoTime(Date.now()),
  };
  try {
    await plansOf(deps).save(plan);
  } catch (error) {
    // Without its plan the upload can never be completed through the API: do not leave it behind.
    await deps.store.multipart.abort(req.key, uploadId).catch(() => undefined);
    throw error;
  }
  const numbers = Array.from({ length: Math.min(plan.partCount, FIRST_PART_URLS) }, (_, i) => i + 1);
  const signed = signPartUrls(deps, caller, plan, numbers, req.expiresIn, req.accelerate);
  return {
    key: req.key,
    ossPath: deps.layout.ossPath(req.key),
    uploadId,
    partSize,
    partCount: plan.partCount,
    size: req.size,
    method: 'PUT',
    parts: signed.parts,
    expiresAt: signed.expiresAt,
  };
}

/** More part URLs for an upload the caller may write to: the numbers asked for, or up to 100 missing ones. */
export async function signParts(
  deps: PresignServiceDeps,
  caller: Caller,
  uploadId: string,
  req: { partNumbers?: number[]; expiresIn?: number; accelerate?: boolean },
): Promise<{ uploadId: string; parts: PartUrl[]; expiresAt: string }> {
  const plan = await planFor(deps, caller, uploadId, 'upload');
  const expiresIn = urlLifetime(deps.config, deps.usingStsCredentials(), req.expiresIn);
  let numbers = req.partNumbers;
  if (numbers === undefined) {
    const uploaded = new Set((await listParts(deps, plan)).map((p) => p.partNumber));
    numbers = Array.from({ length: plan.partCount }, (_, i) => i + 1)
      .filter((n) => !uploaded.has(n))
      .slice(0, MAX_PART_URLS);
  }
  if (numbers.length > MAX_PART_URLS)
    throw new ApiError(
      'INVALID_REQUEST',
      `partNumbers may list at most ${MAX_PART_URLS} parts per request, got ${numbers.length}.`,
    );
  const outside = numbers.filter((n) => n < 1 || n > plan.partCount);
  if (outside.length > 0)
    throw new ApiError(
      'INVALID_REQUEST',
      `partNumbers must be between 1 and ${plan.partCount} for this upload; got ${outside.join(', ')}.`,
    );
  const unique = [...new Set(numbers)].sort((a, b) => a - b);
  return { uploadId, ...signPartUrls(deps, caller, plan, unique, expiresIn, req.accelerate) };
}

/** The parts uploaded so far, to resume an interrupted upload. */
export async function getUpload(deps: PresignServiceDeps, caller: Caller, uploadId: string): Promise<UploadStatus> {
  const plan = await planFor(deps, caller, uploadId, 'upload');
  const parts = await listParts(deps, plan);
  const have = new Set(parts.map((p) => p.partNumber));
  return {
    key: plan.key,
    ossPath: deps.layout.ossPath(plan.key),
    uploadId,
    size: plan.size,
    partSize: plan.partSize,
    partCount: plan.partCount,
    uploadedBytes: parts.reduce((sum, p) => sum + p.size, 0),
    parts: parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag, size: p.size })),
    missingParts: Array.from({ length: plan.partCount }, (_, i) => i + 1).filter((n) => !have.has(n)),
  };
}

/**
 * Completes an upload once every planned part is there with its planned size; the ETags the caller
 * reports (if any) must match what OSS holds.
 */
export async function completeUpload(
  deps: PresignServiceDeps,
  caller: Caller,
  uploadId: string,
  req: { parts?: Array<{ partNumber: number; etag: string }> },
): Promise<{ key: string; ossPath: string; etag: string; size: number }> {
  const plan = await planFor(deps, caller, uploadId, 'upload');
  const uploaded = await listParts(deps, plan);
  const problem = partsProblem(uploaded, plan.size, plan.partSize);
  if (problem)
    throw new ApiError(
      'UPLOAD_INCOMPLETE',
      `Upload ${uploadId} cannot be completed: ${problem}. Upload the missing parts (GET /v1/uploads/${uploadId} lists what arrived), then complete again.`,
    );
  const byNumber = new Map(uploaded.map((p) => [p.partNumber, p]));
  for (const claimed of req.parts ?? []) {
    const actual = byNumber.get(claimed.partNumber);
    if (!actual || actual.etag.toUpperCase() !== claimed.etag.replace(/"/g, '').toUpperCase()) {
      throw new ApiError(
        'UPLOAD_INCOMPLETE',
        `Part ${claimed.partNumber} in OSS does not have ETag ${claimed.etag}; it was overwritten or never uploaded.`,
      );
    }
  }
  let etag: string;
  try {
    ({ etag } = await deps.store.multipart.complete(
      plan.key,
      uploadId,
      uploaded.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      { forbidOverwrite: !plan.overwrite },
    ));
  } catch (error) {
    if (error instanceof StorageError && error.code === 'OSS_ALREADY_EXISTS') {
      throw alreadyExists(plan);
    }
    throw error;
  }
  await plansOf(deps)
    .remove(uploadId)
    .catch(() => undefined);
  return { key: plan.key, ossPath: deps.layout.ossPath(plan.key), etag, size: plan.size };
}

/** Aborts an upload and forgets its plan; OSS frees the parts. */
export async function abortUpload(deps: PresignServiceDeps, caller: Caller, uploadId: string): Promise<void> {
  const plan = await planFor(deps, caller, uploadId, 'upload');
  await deps.store.multipart.abort(plan.key, uploadId);
  await plansOf(deps).remove(uploadId);
  deps.audit({ event: 'upload.aborted', fields: { tokenId: caller.tokenId, key: plan.key, uploadId } });
}

function plansOf(deps: PresignServiceDeps): UploadPlans {
  return new UploadPlans(deps.store, deps.layout);
}

/** The upload's plan, once the caller is allowed `action` in its namespace; 404 when there is none. */
async function planFor(
  deps: PresignServiceDeps,
  caller: Caller,
  uploadId: string,
  action: ApiAction,
): Promise<UploadPlan> {
  let plan: UploadPlan | undefined;
  try {
    plan = await plansOf(deps).load(uploadId);
  } catch (error) {
    if (error instanceof ValidationError) throw new ApiError('UPLOAD_NOT_FOUND', error.message);
    throw error;
  }
  if (!plan)
    throw new ApiError('UPLOAD_NOT_FOUND', `Upload ${uploadId} does not exist, or was already completed or aborted.`);
  authorize(caller, action, plan.namespace);
  return plan;
}

/** The parts OSS holds; an upload OSS no longer has ends its plan too. */
async function listParts(deps: PresignServiceDeps, plan: UploadPlan): Promise<UploadedPart[]> {
  try {
    return await deps.store.multipart.listParts(plan.key, plan.uploadId);
  } catch (error) {
    if (error instanceof StorageError && error.code === 'OSS_NOT_FOUND') {
      await plansOf(deps)
        .remove(plan.uploadId)
        .catch(() => undefined);
      throw new ApiError(
        'UPLOAD_NOT_FOUND',
        `Upload ${plan.uploadId} no longer exists in OSS (aborted, completed or expired by a lifecycle rule).`,
      );
    }
    throw error;
  }
}

/** Signs one PUT per part number, each bound to its part's size, and audits each. */
function signPartUrls(
  deps: PresignServiceDeps,
  caller: Caller,
  plan: UploadPlan,
  numbers: number[],
  expiresIn: number,
  accelerate?: boolean,
): { parts: PartUrl[]; expiresAt: string } {
  let expiresAt = new Date();
  const parts = numbers.map((partNumber) => {
    const size = partLength(partNumber, plan.size, plan.partSize);
    const signed = deps.signer.signUrl({
      method: 'PUT',
      key: plan.key,
      expiresSeconds: expiresIn,
      query: [
        ['partNumber', String(partNumber)],
        ['uploadId', plan.uploadId],
      ],
      bindHeaders: { 'content-length': String(size) },
      ...(accelerate !== undefined && { accelerate }),
    });
    expiresAt = signed.expiresAt;
    auditIssued(deps, caller, 'upload', 'PUT', plan.key, signed.expiresAt, { partNumber, uploadId: plan.uploadId });
    return { partNumber, url: signed.url, size };
  });
  return { parts, expiresAt: isoTime(expiresAt) };
}
