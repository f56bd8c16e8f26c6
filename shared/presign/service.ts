import { type CatalogRecord, parseCatalogRecord } from '../catalog/record';
import type { ApiAction, Config } from '../config';
import { ValidationError } from '../errors';
import type { BucketLayout } from '../layout';
import { StorageError } from '../storage/errors';
import type { ObjectInfo, ObjectStore, ObjectSummary, UploadedPart } from '../storage/port';
import type { UrlSigner } from '../storage/url-signer';
import { authorize, type Caller } from './auth';
import { ApiError } from './errors';
import { attachmentDisposition, contentTypeFor, matchExtension } from './media-types';
import { needsMultipart, partCountFor, partLength, partSizeFor, partsProblem } from './plan';
import { type UploadPlan, UploadPlans } from './upload-plan';

/** Part URLs returned with a new multipart upload; more come from `signParts`. */
export const FIRST_PART_URLS = 20;
/** Most part URLs one `signParts` call returns. */
export const MAX_PART_URLS = 100;
/** OSS does not honour presigned URLs signed with STS credentials for longer than 12 hours. */
export const MAX_STS_URL_SECONDS = 43_200;

/** One issued URL, as written to the audit log: never the URL or its signature. */
export interface AuditEvent {
  tokenId: string;
  action: ApiAction;
  method: string;
  key: string;
  expiresAt: string;
  partNumber?: number;
  uploadId?: string;
}

export interface PresignServiceDeps {
  config: Config;
  store: ObjectStore;
  signer: UrlSigner;
  layout: BucketLayout;
  audit: (event: AuditEvent) => void;
  /** True when the signing credentials are temporary (STS), which caps URL lifetimes at 12 h. */
  usingStsCredentials: () => boolean;
}

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

export interface ArtifactSummary {
  key: string;
  ossPath: string;
  namespace: string;
  name: string;
  size: number;
  etag: string;
  lastModified: string;
  status: 'pending' | CatalogRecord['status'];
  catalogedAt?: string;
  findings?: { errors: number; warnings: number };
  entryClass?: string;
}

export type ArtifactDetail = CatalogRecord | (ArtifactSummary & { status: 'pending' });

/**
 * The operations of the presign API. Pure decisions (scopes, sizes, plans, expiry) live in small
 * modules; this class sequences them around the object store and never moves artifact bytes itself.
 */
export class PresignService {
  private readonly plans: UploadPlans;

  constructor(private readonly deps: PresignServiceDeps) {
    this.plans = new UploadPlans(deps.store, deps.layout);
  }

  /** A presigned PUT for a small file, or a multipart plan with the first part URLs for a large one. */
  async createUpload(caller: Caller, req: UploadRequest): Promise<SingleUpload | MultipartUploadPlan> {
    const key = this.artifactKey(req.namespace, req.name);
    authorize(caller, 'upload', req.namespace);
    if (req.overwrite) this.requireOverwrite(caller, req.namespace);
    this.checkUpload(req.name, req.size);
    const expiresIn = this.expiry(req.expiresIn);
    const contentType = req.contentType ?? contentTypeFor(req.name);
    const { oss } = this.deps.config;

    if (!needsMultipart(req.size, oss.chunkSize)) {
      const headers: Record<string, string> = {
        'content-type': contentType,
        ...this.writeHeaders(req.overwrite ?? false),
      };
      if (req.contentMd5) headers['content-md5'] = req.contentMd5;
      const signed = this.deps.signer.signUrl({
        method: 'PUT',
        key,
        expiresSeconds: expiresIn,
        headers,
        // V4 can bind Content-Length, so the URL cannot carry more (or fewer) bytes than declared.
        bindHeaders: { 'content-length': String(req.size) },
        ...(req.accelerate !== undefined && { accelerate: req.accelerate }),
      });
      this.audit(caller, 'upload', 'PUT', key, signed.expiresAt);
      return {
        key,
        ossPath: this.deps.layout.ossPath(key),
        method: 'PUT',
        url: signed.url,
        headers: signed.headers,
        size: req.size,
        expiresAt: signed.expiresAt.toISOString(),
      };
    }

    const partSize = partSizeFor(req.size, oss.chunkSize);
    const uploadId = await this.deps.store.multipart.initiate(key, {
      contentType,
      forbidOverwrite: !req.overwrite,
      ...(oss.encryption && { encryption: oss.encryption }),
      ...(req.contentMd5 && { meta: { 'content-md5': req.contentMd5 } }),
    });
    const plan: UploadPlan = {
      schemaVersion: 1,
      uploadId,
      key,
      namespace: req.namespace,
      name: req.name,
      size: req.size,
      partSize,
      partCount: partCountFor(req.size, partSize),
      contentType,
      overwrite: req.overwrite ?? false,
      tokenId: caller.tokenId,
      createdAt: new Date().toISOString(),
    };
    try {
      await this.plans.save(plan);
    } catch (error) {
      // Without its plan the upload can never be completed through the API: do not leave it behind.
      await this.deps.store.multipart.abort(key, uploadId).catch(() => undefined);
      throw error;
    }
    const numbers = Array.from({ length: Math.min(plan.partCount, FIRST_PART_URLS) }, (_, i) => i + 1);
    const signed = this.signPartUrls(caller, plan, numbers, expiresIn, req.accelerate);
    return {
      key,
      ossPath: this.deps.layout.ossPath(key),
      uploadId,
      partSize,
      partCount: plan.partCount,
      size: req.size,
      method: 'PUT',
      parts: signed.parts,
      expiresAt: signed.expiresAt,
    };
  }

  /** More part URLs for an upload the caller may write to. */
  async signParts(
    caller: Caller,
    uploadId: string,
    req: { partNumbers?: number[]; expiresIn?: number; accelerate?: boolean },
  ): Promise<{ uploadId: string; parts: PartUrl[]; expiresAt: string }> {
    const plan = await this.planFor(caller, uploadId, 'upload');
    const expiresIn = this.expiry(req.expiresIn);
    let numbers = req.partNumbers;
    if (numbers === undefined) {
      const uploaded = new Set((await this.listParts(plan)).map((p) => p.partNumber));
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
    const signed = this.signPartUrls(
      caller,
      plan,
      [...new Set(numbers)].sort((a, b) => a - b),
      expiresIn,
      req.accelerate,
    );
    return { uploadId, ...signed };
  }

  /** The parts uploaded so far, to resume an interrupted upload. */
  async getUpload(caller: Caller, uploadId: string): Promise<UploadStatus> {
    const plan = await this.planFor(caller, uploadId, 'upload');
    const parts = await this.listParts(plan);
    const have = new Set(parts.map((p) => p.partNumber));
    return {
      key: plan.key,
      ossPath: this.deps.layout.ossPath(plan.key),
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
  async completeUpload(
    caller: Caller,
    uploadId: string,
    req: { parts?: Array<{ partNumber: number; etag: string }> },
  ): Promise<{ key: string; ossPath: string; etag: string; size: number }> {
    const plan = await this.planFor(caller, uploadId, 'upload');
    const uploaded = await this.listParts(plan);
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
      ({ etag } = await this.deps.store.multipart.complete(
        plan.key,
        uploadId,
        uploaded.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
        { forbidOverwrite: !plan.overwrite },
      ));
    } catch (error) {
      if (error instanceof StorageError && error.code === 'OSS_ALREADY_EXISTS') {
        throw new ApiError(
          'ALREADY_EXISTS',
          `${plan.name} already exists in namespace ${plan.namespace}; upload again with "overwrite": true (needs the delete action) or choose another name.`,
        );
      }
      throw error;
    }
    await this.plans.remove(uploadId).catch(() => undefined);
    return { key: plan.key, ossPath: this.deps.layout.ossPath(plan.key), etag, size: plan.size };
  }

  /** Aborts an upload and forgets its plan; OSS frees the parts. */
  async abortUpload(caller: Caller, uploadId: string): Promise<void> {
    const plan = await this.planFor(caller, uploadId, 'upload');
    await this.deps.store.multipart.abort(plan.key, uploadId);
    await this.plans.remove(uploadId);
  }

  /** PostObject fields for a browser form, pinning the key, the size range and the write headers. */
  createForm(
    caller: Caller,
    req: Omit<UploadRequest, 'size' | 'contentMd5'> & { size?: number },
  ): { key: string; ossPath: string; url: string; fields: Record<string, string>; expiresAt: string; maxSize: number } {
    const key = this.artifactKey(req.namespace, req.name);
    authorize(caller, 'upload', req.namespace);
    if (req.overwrite) this.requireOverwrite(caller, req.namespace);
    const max = this.deps.config.presign.maxUploadBytes;
    if (req.size !== undefined) this.checkUpload(req.name, req.size);
    else this.checkExtension(req.name);
    const expiresIn = this.expiry(req.expiresIn);
    const contentType = req.contentType ?? contentTypeFor(req.name);
    const fields: Record<string, string> = {
      'Content-Type': contentType,
      success_action_status: '200',
      ...this.writeHeaders(req.overwrite ?? false),
    };
    const range = req.size !== undefined ? { min: req.size, max: req.size } : { min: 1, max };
    const post = this.deps.signer.signPost({
      key,
      expiresSeconds: expiresIn,
      contentLength: range,
      fields,
      ...(req.accelerate !== undefined && { accelerate: req.accelerate }),
    });
    this.audit(caller, 'upload', 'POST', key, post.expiresAt);
    return {
      key,
      ossPath: this.deps.layout.ossPath(key),
      url: post.url,
      fields: post.fields,
      expiresAt: post.expiresAt.toISOString(),
      maxSize: range.max,
    };
  }

  /** A presigned GET that saves the file under its own name; 404 when the artifact does not exist. */
  async createDownload(
    caller: Caller,
    req: { namespace: string; name: string; expiresIn?: number; accelerate?: boolean },
  ): Promise<{ key: string; ossPath: string; url: string; size: number; etag: string; expiresAt: string }> {
    const key = this.artifactKey(req.namespace, req.name);
    authorize(caller, 'download', req.namespace);
    const expiresIn = this.expiry(req.expiresIn);
    const info = await this.deps.store.head(key);
    if (!info) throw new ApiError('ARTIFACT_NOT_FOUND', `${req.name} does not exist in namespace ${req.namespace}.`);
    const fileName = req.name.split('/').at(-1)!;
    const signed = this.deps.signer.signUrl({
      method: 'GET',
      key,
      expiresSeconds: expiresIn,
      query: [['response-content-disposition', attachmentDisposition(fileName)]],
      ...(req.accelerate !== undefined && { accelerate: req.accelerate }),
    });
    this.audit(caller, 'download', 'GET', key, signed.expiresAt);
    return {
      key,
      ossPath: this.deps.layout.ossPath(key),
      url: signed.url,
      size: info.size,
      etag: info.etag,
      expiresAt: signed.expiresAt.toISOString(),
    };
  }

  /** One page of the namespace's artifacts with their catalog summaries. */
  async listArtifacts(
    caller: Caller,
    req: { namespace: string; cursor?: string; limit?: number },
  ): Promise<{ namespace: string; artifacts: ArtifactSummary[]; cursor?: string }> {
    const prefix = this.namespacePrefix(req.namespace);
    authorize(caller, 'list', req.namespace);
    const limit = req.limit ?? 100;
    const startAfter = req.cursor === undefined ? undefined : decodeCursor(req.cursor, prefix);
    const objects: ObjectSummary[] = [];
    for await (const page of this.deps.store.list({
      prefix,
      pageSize: Math.min(1000, limit + 1),
      ...(startAfter !== undefined && { startAfter }),
    })) {
      objects.push(...page.objects);
      if (objects.length > limit) break;
    }
    const more = objects.length > limit;
    const shown = objects.slice(0, limit).filter((o) => this.deps.layout.parseArtifactKey(o.key));
    const artifacts = await mapLimit(shown, 8, (o) => this.summarize({ ...o, meta: {} }));
    const last = objects[limit - 1];
    return { namespace: req.namespace, artifacts, ...(more && last && { cursor: encodeCursor(last.key) }) };
  }

  /** The catalog record of an artifact, or a `pending` summary while it is not (or no longer) catalogued. */
  async getArtifact(caller: Caller, namespace: string, name: string): Promise<ArtifactDetail> {
    const key = this.artifactKey(namespace, name);
    authorize(caller, 'list', namespace);
    const info = await this.deps.store.head(key);
    if (!info) throw new ApiError('ARTIFACT_NOT_FOUND', `${name} does not exist in namespace ${namespace}.`);
    const record = await this.readRecord(key);
    if (record && record.etag.toUpperCase() === info.etag.toUpperCase()) return record;
    return { ...this.baseSummary(info), status: 'pending' };
  }

  /** Deletes the artifact and its catalog record; 404 when neither exists. */
  async deleteArtifact(caller: Caller, namespace: string, name: string): Promise<void> {
    const key = this.artifactKey(namespace, name);
    authorize(caller, 'delete', namespace);
    const recordKey = this.deps.layout.catalogKeyFor(key);
    const [info, record] = await Promise.all([this.deps.store.head(key), this.deps.store.head(recordKey)]);
    if (!info && !record) throw new ApiError('ARTIFACT_NOT_FOUND', `${name} does not exist in namespace ${namespace}.`);
    // The artifact first: a record without its artifact is harmless and is removed next, while the reverse
    // would show a catalogued artifact as pending.
    const result = await this.deps.store.deleteMany([key, recordKey]);
    if (result.failed.length > 0) {
      throw new ApiError(
        'STORAGE_UNAVAILABLE',
        `Could not delete ${result.failed.map((f) => f.key).join(' and ')}: ${result.failed[0]!.message}. Try again.`,
      );
    }
  }

  private async summarize(info: ObjectInfo): Promise<ArtifactSummary> {
    const record = await this.readRecord(info.key);
    const base = this.baseSummary(info);
    if (!record || record.etag.toUpperCase() !== info.etag.toUpperCase()) return base;
    return {
      ...base,
      status: record.status,
      catalogedAt: record.catalogedAt,
      findings: {
        errors: record.findings.filter((f) => f.severity === 'error').length,
        warnings: record.findings.filter((f) => f.severity === 'warning').length,
      },
      ...(record.jar?.entryClass && { entryClass: record.jar.entryClass }),
    };
  }

  private baseSummary(info: ObjectInfo): ArtifactSummary {
    const ref = this.deps.layout.parseArtifactKey(info.key);
    return {
      key: info.key,
      ossPath: this.deps.layout.ossPath(info.key),
      namespace: ref?.namespace ?? '',
      name: ref?.name ?? info.key,
      size: info.size,
      etag: info.etag,
      lastModified: info.lastModified.toISOString(),
      status: 'pending',
    };
  }

  private async readRecord(artifactKey: string): Promise<CatalogRecord | undefined> {
    const body = await this.deps.store.getBuffer(this.deps.layout.catalogKeyFor(artifactKey));
    return body ? parseCatalogRecord(body.toString('utf8')) : undefined;
  }

  private async planFor(caller: Caller, uploadId: string, action: ApiAction): Promise<UploadPlan> {
    let plan: UploadPlan | undefined;
    try {
      plan = await this.plans.load(uploadId);
    } catch (error) {
      if (error instanceof ValidationError) throw new ApiError('UPLOAD_NOT_FOUND', error.message);
      throw error;
    }
    if (!plan)
      throw new ApiError('UPLOAD_NOT_FOUND', `Upload ${uploadId} does not exist, or was already completed or aborted.`);
    authorize(caller, action, plan.namespace);
    return plan;
  }

  private async listParts(plan: UploadPlan): Promise<UploadedPart[]> {
    try {
      return await this.deps.store.multipart.listParts(plan.key, plan.uploadId);
    } catch (error) {
      if (error instanceof StorageError && error.code === 'OSS_NOT_FOUND') {
        await this.plans.remove(plan.uploadId).catch(() => undefined);
        throw new ApiError(
          'UPLOAD_NOT_FOUND',
          `Upload ${plan.uploadId} no longer exists in OSS (aborted, completed or expired by a lifecycle rule).`,
        );
      }
      throw error;
    }
  }

  private signPartUrls(
    caller: Caller,
    plan: UploadPlan,
    numbers: number[],
    expiresIn: number,
    accelerate?: boolean,
  ): { parts: PartUrl[]; expiresAt: string } {
    let expiresAt = new Date();
    const parts = numbers.map((partNumber) => {
      const size = partLength(partNumber, plan.size, plan.partSize);
      const signed = this.deps.signer.signUrl({
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
      this.audit(caller, 'upload', 'PUT', plan.key, signed.expiresAt, { partNumber, uploadId: plan.uploadId });
      return { partNumber, url: signed.url, size };
    });
    return { parts, expiresAt: expiresAt.toISOString() };
  }

  private audit(
    caller: Caller,
    action: ApiAction,
    method: string,
    key: string,
    expiresAt: Date,
    extra: { partNumber?: number; uploadId?: string } = {},
  ): void {
    this.deps.audit({ tokenId: caller.tokenId, action, method, key, expiresAt: expiresAt.toISOString(), ...extra });
  }

  private writeHeaders(overwrite: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    if (!overwrite) h['x-oss-forbid-overwrite'] = 'true';
    const enc = this.deps.config.oss.encryption;
    if (enc) {
      h['x-oss-server-side-encryption'] = enc.algorithm;
      if (enc.kmsKeyId) h['x-oss-server-side-encryption-key-id'] = enc.kmsKeyId;
    }
    return h;
  }

  private requireOverwrite(caller: Caller, namespace: string): void {
    if (!caller.actions.includes('delete')) {
      throw new ApiError(
        'FORBIDDEN',
        `Token "${caller.tokenId}" may not overwrite: replacing an artifact needs the delete action as well as upload.`,
      );
    }
    authorize(caller, 'delete', namespace);
  }

  private checkExtension(name: string): void {
    const allowed = this.deps.config.presign.allowedExtensions;
    if (!matchExtension(name, allowed)) {
      throw new ApiError(
        'EXTENSION_NOT_ALLOWED',
        `name "${name.length > 80 ? `${name.slice(0, 80)}…` : name}" must end with one of ${allowed.join(', ')}.`,
      );
    }
  }

  private checkUpload(name: string, size: number): void {
    this.checkExtension(name);
    const max = this.deps.config.presign.maxUploadBytes;
    if (size > max)
      throw new ApiError(
        'UPLOAD_TOO_LARGE',
        `size ${size} is larger than the ${max} bytes uploads may have (MAX_UPLOAD_BYTES).`,
      );
  }

  /** The URL lifetime to use: requested or default, checked against the configured and STS limits. */
  private expiry(requested: number | undefined): number {
    const { defaultExpiresSeconds, maxExpiresSeconds } = this.deps.config.presign;
    const max = this.deps.usingStsCredentials() ? Math.min(maxExpiresSeconds, MAX_STS_URL_SECONDS) : maxExpiresSeconds;
    if (requested === undefined) return Math.min(defaultExpiresSeconds, max);
    if (requested < 1 || requested > max)
      throw new ApiError('EXPIRY_OUT_OF_RANGE', `expiresIn must be between 1 and ${max} seconds, got ${requested}.`);
    return requested;
  }

  private artifactKey(namespace: string, name: string): string {
    return this.deps.layout.artifactKey(namespace, name);
  }

  private namespacePrefix(namespace: string): string {
    return this.deps.layout.namespacePrefix(namespace);
  }
}

/** Listing cursors are opaque to clients: the last key returned, base64url-encoded. */
function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, prefix: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || !key.startsWith(prefix)) {
    throw new ApiError(
      'INVALID_REQUEST',
      'cursor is not one this API returned for this namespace; start again without it.',
    );
  }
  return key;
}

/** Maps with at most `limit` calls in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
