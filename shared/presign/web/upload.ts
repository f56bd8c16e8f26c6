/**
 * Uploads one file straight to OSS through presigned URLs: a single PUT for small files, parts in parallel
 * for large ones. The multipart plan is saved in localStorage so that, after a reload or a lost connection,
 * picking the same file again sends only the parts OSS does not have (`GET /v1/uploads/{id}`).
 */
import type { ApiClient, MultipartPlan, PartUrl, SingleUpload, UploadStatus } from './api';
import { RateMeter } from './format';
import { networkLost, ossFailure, PageError } from './messages';

/** Parts sent at once: enough to fill a link, few enough for a browser's six connections per host. */
export const PARALLEL_PARTS = 4;
const MAX_ATTEMPTS = 5;
const SAVED_KEY = 'flink-artifacts.uploads';

export interface UploadTarget {
  namespace: string;
  name: string;
  accelerate: boolean;
}

export interface Progress {
  done: number;
  total: number;
  bytesPerSecond: number | undefined;
  secondsLeft: number | undefined;
}

/** A multipart upload the page started, as remembered across reloads. */
export interface SavedUpload {
  uploadId: string;
  namespace: string;
  name: string;
  size: number;
  lastModified: number;
  partSize: number;
  partCount: number;
  startedAt: string;
}

/** The unfinished uploads this browser remembers. */
export function savedUploads(): SavedUpload[] {
  try {
    const value = JSON.parse(localStorage.getItem(SAVED_KEY) ?? '[]') as unknown;
    return Array.isArray(value) ? (value as SavedUpload[]) : [];
  } catch {
    return [];
  }
}

/** Forgets one remembered upload. */
export function forgetUpload(uploadId: string): void {
  localStorage.setItem(SAVED_KEY, JSON.stringify(savedUploads().filter((u) => u.uploadId !== uploadId)));
}

function remember(upload: SavedUpload): void {
  localStorage.setItem(
    SAVED_KEY,
    JSON.stringify([...savedUploads().filter((u) => u.uploadId !== upload.uploadId), upload]),
  );
}

/** The remembered upload this file continues, if any: same namespace, name, size and modification time. */
export function findSaved(target: UploadTarget, file: File): SavedUpload | undefined {
  return savedUploads().find(
    (u) =>
      u.namespace === target.namespace &&
      u.name === target.name &&
      u.size === file.size &&
      u.lastModified === file.lastModified,
  );
}

export interface UploadEvents {
  progress(p: Progress): void;
  /** A passing condition the user should know about (retrying, waiting for the network, resuming). */
  notice(message: string): void;
}

/** One file on its way to OSS. `run()` resolves when OSS has it; `cancel()` stops and aborts it. */
export class Upload {
  private readonly controller = new AbortController();
  private readonly inFlight = new Map<number, number>();
  private readonly meter = new RateMeter();
  private doneBytes = 0;
  private saved: SavedUpload | undefined;
  ossPath = '';

  constructor(
    private readonly api: ApiClient,
    readonly file: File,
    readonly target: UploadTarget,
    private readonly events: UploadEvents,
  ) {}

  /** Uploads (or resumes) the file; rejects with a PageError, or an AbortError after `cancel()`. */
  async run(): Promise<void> {
    const saved = findSaved(this.target, this.file);
    if (saved) {
      this.saved = saved;
      try {
        await this.resume(saved);
        return;
      } catch (error) {
        if (!(error instanceof PageError && (error.code === 'UPLOAD_NOT_FOUND' || error.code === 'NoSuchUpload')))
          throw error;
        forgetUpload(saved.uploadId);
        this.saved = undefined;
        this.events.notice('The earlier upload of this file no longer exists; starting again.');
        this.doneBytes = 0;
      }
    }
    const plan = await this.api.call<SingleUpload | MultipartPlan>('POST', '/v1/uploads', {
      namespace: this.target.namespace,
      name: this.target.name,
      size: this.file.size,
      ...(this.target.accelerate && { accelerate: true }),
    });
    this.ossPath = plan.ossPath;
    if ('uploadId' in plan) {
      this.saved = {
        uploadId: plan.uploadId,
        namespace: this.target.namespace,
        name: this.target.name,
        size: this.file.size,
        lastModified: this.file.lastModified,
        partSize: plan.partSize,
        partCount: plan.partCount,
        startedAt: new Date().toISOString(),
      };
      remember(this.saved);
      const all = Array.from({ length: plan.partCount }, (_, i) => i + 1);
      await this.sendParts(this.saved, all, new Map(), plan.parts, Date.parse(plan.expiresAt));
    } else {
      await this.single(plan);
    }
  }

  /** Stops every transfer; a multipart upload is aborted in OSS and forgotten. */
  async cancel(): Promise<void> {
    this.controller.abort();
    if (this.saved) {
      forgetUpload(this.saved.uploadId);
      await this.api.call('DELETE', `/v1/uploads/${encodeURIComponent(this.saved.uploadId)}`).catch(() => undefined);
    }
  }

  private async resume(saved: SavedUpload): Promise<void> {
    const status = await this.api.call<UploadStatus>('GET', `/v1/uploads/${encodeURIComponent(saved.uploadId)}`);
    const etags = new Map(status.parts.map((p) => [p.partNumber, p.etag]));
    this.doneBytes = status.uploadedBytes;
    this.events.notice(
      `Resuming: ${status.parts.length} of ${status.partCount} parts are already in OSS; sending the ${status.missingParts.length} missing.`,
    );
    await this.sendParts(saved, status.missingParts, etags, [], 0);
  }

  private async single(plan: SingleUpload): Promise<void> {
    let current = plan;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.put(0, current.url, this.file, current.headers);
        this.doneBytes = this.file.size;
        this.report();
        return;
      } catch (error) {
        await this.beforeRetry(error, attempt);
        if (error instanceof PageError && error.code === 'URL_EXPIRED') {
          current = await this.api.call<SingleUpload>('POST', '/v1/uploads', {
            namespace: this.target.namespace,
            name: this.target.name,
            size: this.file.size,
            ...(this.target.accelerate && { accelerate: true }),
          });
        }
      }
    }
  }

  private async sendParts(
    saved: SavedUpload,
    missing: number[],
    etags: Map<number, string>,
    firstUrls: PartUrl[],
    firstExpiry: number,
  ): Promise<void> {
    const urls = new Map<number, { url: string; expires: number }>();
    for (const p of firstUrls) urls.set(p.partNumber, { url: p.url, expires: firstExpiry });
    const queue = [...missing];
    const pending = new Set(missing);
    let signing: Promise<void> | undefined;
    const signFrom = async (n: number) => {
      // One request signs this part and the next ones still waiting, up to the API's 100 per call.
      const wanted = [n, ...queue.filter((q) => q !== n)].slice(0, 100);
      const signed = await this.api.call<{ parts: PartUrl[]; expiresAt: string }>(
        'POST',
        `/v1/uploads/${encodeURIComponent(saved.uploadId)}/parts`,
        { partNumbers: wanted, ...(this.target.accelerate && { accelerate: true }) },
      );
      const expires = Date.parse(signed.expiresAt);
      for (const p of signed.parts) urls.set(p.partNumber, { url: p.url, expires });
    };
    const urlFor = async (n: number): Promise<string> => {
      for (;;) {
        const known = urls.get(n);
        if (known && known.expires - Date.now() > 30_000) return known.url;
        signing ??= signFrom(n).finally(() => {
          signing = undefined;
        });
        await signing;
        const fresh = urls.get(n);
        if (fresh && fresh.expires - Date.now() > 30_000) return fresh.url;
        urls.delete(n);
      }
    };
    const worker = async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
        const start = (n - 1) * saved.partSize;
        const blob = this.file.slice(start, Math.min(start + saved.partSize, this.file.size));
        for (let attempt = 1; ; attempt++) {
          try {
            const etag = await this.put(n, await urlFor(n), blob, {});
            etags.set(n, etag);
            pending.delete(n);
            this.doneBytes += blob.size;
            this.report();
            break;
          } catch (error) {
            await this.beforeRetry(error, attempt);
            if (error instanceof PageError && error.code === 'URL_EXPIRED') urls.delete(n);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, queue.length) }, worker));
    if (pending.size > 0) throw new PageError('UPLOAD_INCOMPLETE', `${pending.size} parts were not sent.`);
    this.events.notice('All parts sent; OSS is assembling the file…');
    const parts = [...etags].sort((a, b) => a[0] - b[0]).map(([partNumber, etag]) => ({ partNumber, etag }));
    const done = await this.api.call<{ ossPath: string }>(
      'POST',
      `/v1/uploads/${encodeURIComponent(saved.uploadId)}/complete`,
      { parts },
    );
    this.ossPath = done.ossPath;
    forgetUpload(saved.uploadId);
  }

  /** Waits before another attempt, or rethrows when the error is final, the user cancelled, or attempts ran out. */
  private async beforeRetry(error: unknown, attempt: number): Promise<void> {
    const signal = this.controller.signal;
    if (signal.aborted) throw new DOMException('Upload cancelled', 'AbortError');
    if (!(error instanceof PageError) || !error.retryable) throw error;
    if (!navigator.onLine) {
      this.events.notice('Connection lost: the upload continues when the network is back.');
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          removeEventListener('online', done);
          signal.removeEventListener('abort', done);
          if (signal.aborted) reject(new DOMException('Upload cancelled', 'AbortError'));
          else resolve();
        };
        addEventListener('online', done);
        signal.addEventListener('abort', done);
      });
      this.events.notice('Connection back: continuing the upload.');
      return;
    }
    if (attempt >= MAX_ATTEMPTS) throw error;
    if (error.code !== 'URL_EXPIRED') this.events.notice(`${error.message} Retrying (attempt ${attempt + 1}).`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(8000, 500 * 2 ** attempt)));
  }

  private report(): void {
    let done = this.doneBytes;
    for (const loaded of this.inFlight.values()) done += loaded;
    this.meter.add(performance.now(), done);
    this.events.progress({
      done,
      total: this.file.size,
      bytesPerSecond: this.meter.bytesPerSecond(),
      secondsLeft: this.meter.secondsLeft(this.file.size),
    });
  }

  /** PUTs `body` to a presigned URL with XHR (fetch cannot report upload progress); resolves to the ETag. */
  private put(slot: number, url: string, body: Blob, headers: Record<string, string>): Promise<string> {
    const signal = this.controller.signal;
    return new Promise<string>((resolve, reject) => {
      if (signal.aborted) return reject(new DOMException('Upload cancelled', 'AbortError'));
      const xhr = new XMLHttpRequest();
      const finish = () => {
        this.inFlight.delete(slot);
        signal.removeEventListener('abort', abort);
      };
      const abort = () => xhr.abort();
      signal.addEventListener('abort', abort);
      xhr.open('PUT', url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => {
        this.inFlight.set(slot, e.loaded);
        this.report();
      };
      xhr.onload = () => {
        finish();
        if (xhr.status >= 200 && xhr.status < 300) resolve((xhr.getResponseHeader('etag') ?? '').replace(/"/g, ''));
        else reject(ossFailure(xhr.status, xhr.responseText));
      };
      xhr.onerror = () => {
        finish();
        reject(networkLost('uploading'));
      };
      xhr.onabort = () => {
        finish();
        reject(new DOMException('Upload cancelled', 'AbortError'));
      };
      xhr.send(body);
    });
  }
}
