import { isoTime } from '../iso-time';
import type { BucketLayout } from '../layout/bucket-layout';
import type { Logger } from '../log/logger';
import type { ObjectInfo, ObjectStore } from '../storage/port';
import { analyzeArtifact, artifactKindOf } from './analyze';
import type { CatalogPolicy } from './checks';
import { CATALOG_SCHEMA_VERSION, type CatalogRecord, parseCatalogRecord, statusOf } from './record';
import { buildSbom } from './sbom';
import { ArtifactMovedError, artifactReader, heldArtifactReader, readFirst } from './store-source';

/** The object tag that carries the verdict, so the OSS console shows it beside the file. */
export const STATUS_TAG = 'artifact-status';

export interface CatalogDeps {
  store: ObjectStore;
  layout: BucketLayout;
  policy: CatalogPolicy & { maxNestedBytes: number };
  logger: Logger;
  toolVersion: string;
  now?: () => Date;
  /** Receives each verdict and each removal for the audit trail (`shared/logs/audit.ts`); never does I/O. */
  audit?: { record(event: string, fields: Record<string, unknown>): void };
}

/** How one artifact is catalogued. */
export interface CatalogOptions {
  /** Epoch ms by which the reads must end; past it the verdict says the artifact timed out. */
  deadline: number;
  /** Return `deferred` (reconcile retries later) instead of writing a timeout verdict. */
  deferOnTimeout?: boolean;
  /**
   * The size the OSS event or the listing gave: a small artifact is then read whole by the first request
   * (`WHOLE_READ_MAX_BYTES`). Only a hint: the size that counts is the one read.
   */
  sizeHint?: number;
  /**
   * Work run at the same time as the record's write, after the verdict is in the audit trail: the
   * invocation's audit flush, which would otherwise cost one more round trip after the record.
   */
  alongsideRecord?: () => Promise<unknown>;
}

/** What happened to one artifact. */
export type CatalogOutcome =
  | { result: 'catalogued'; record: CatalogRecord; requests: number }
  | { result: 'unchanged' | 'ignored' | 'vanished' | 'superseded' | 'deferred' };

/** What happened to one removal event. */
export type RemoveOutcome = 'removed' | 'still-present' | 'ignored';

/**
 * The catalog's I/O: validates artifacts into records, SBOMs and tags, removes records of deleted
 * artifacts. Every operation is idempotent, so repeated and out-of-order OSS events are harmless.
 */
export class ArtifactCatalog {
  private readonly now: () => Date;

  constructor(private readonly deps: CatalogDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Validates the artifact at `key` and writes its SBOM (JARs) and tag, then its record: the record is
   * written last, so a record always means the rest is done. No work when the record already describes
   * the current ETag. `deferOnTimeout` (reconcile) returns `deferred` instead of writing a timeout verdict.
   */
  async catalog(key: string, options: CatalogOptions): Promise<CatalogOutcome> {
    const { store, layout, logger } = this.deps;
    const ref = layout.parseArtifactKey(key);
    if (!ref) return { result: 'ignored' };
    const started = performance.now();
    const recordKey = layout.catalogKeyFor(key);
    // Both reads at once: one round trip instead of two before the artifact's own reads can start (or,
    // for a small artifact read whole, before the verdict).
    const [first, existing] = await Promise.all([readFirst(store, key, options.sizeHint), this.readRecord(recordKey)]);
    if (!first) {
      logger.info('artifact vanished before it was catalogued', { key });
      return { result: 'vanished' };
    }
    const { info } = first;
    if (existing?.etag === info.etag) return { result: 'unchanged' };

    const reader = first.bytes ? heldArtifactReader(first.bytes) : artifactReader(store, info);
    let analysis: Awaited<ReturnType<typeof analyzeArtifact>>;
    try {
      analysis = await analyzeArtifact({
        name: ref.name,
        source: reader.source,
        openStream: () => reader.openStream(),
        deadline: options.deadline,
        policy: this.deps.policy,
      });
    } catch (error) {
      if (error instanceof ArtifactMovedError) {
        logger.info('artifact changed while it was read; the newer event catalogs it', { key, reason: error.reason });
        return { result: error.reason === 'vanished' ? 'vanished' : 'superseded' };
      }
      throw error;
    }
    if (options.deferOnTimeout && analysis.findings.some((f) => f.code.endsWith('_TIMEOUT')))
      return { result: 'deferred' };

    // Validation ends with the verdict; what follows is writing it down.
    const validateMs = Math.round((performance.now() - started) * 10) / 10;
    const catalogedAt = isoTime(this.now());
    const status = statusOf(analysis.findings);
    const record: CatalogRecord = {
      schemaVersion: CATALOG_SCHEMA_VERSION,
      key,
      ossPath: layout.ossPath(key),
      namespace: ref.namespace,
      name: ref.name,
      size: info.size,
      etag: info.etag,
      sha256: analysis.sha256,
      lastModified: isoTime(info.lastModified),
      catalogedAt,
      status,
      findings: analysis.findings,
      ...(analysis.jar ? { jar: analysis.jar } : {}),
    };

    // Overwritten while we read: the write for the newer version must not be replaced by this older one.
    const current = this.stillCurrent(info);
    // The documents are built while that HEAD is in flight.
    const sbom =
      artifactKindOf(ref.name) === 'jar'
        ? JSON.stringify(
            buildSbom({
              key,
              name: ref.name,
              etag: info.etag,
              analysis,
              catalogedAt,
              toolVersion: this.deps.toolVersion,
            }),
            null,
            2,
          )
        : undefined;
    const recordBody = JSON.stringify(record, null, 2);
    if (!(await current)) return { result: 'superseded' };
    // The SBOM and the tag do not depend on each other: written together, then the record, last.
    const writes: Array<Promise<unknown>> = [store.putTags(key, { [STATUS_TAG]: status })];
    if (sbom !== undefined)
      writes.push(store.put(layout.sbomKeyFor(key), sbom, { contentType: 'application/vnd.cyclonedx+json' }));
    await Promise.all(writes);
    // The verdict is in the trail before the record is written, so a flush alongside the record carries it.
    this.deps.audit?.record('artifact.judged', {
      key,
      etag: info.etag,
      sha256: analysis.sha256,
      status,
      findings: analysis.findings.map((f) => f.code),
    });
    await Promise.all([
      store.put(recordKey, recordBody, { contentType: 'application/json' }),
      options.alongsideRecord?.(),
    ]);
    logger.info('artifact catalogued', {
      key,
      etag: info.etag,
      status,
      findings: analysis.findings.map((f) => f.code),
      requests: reader.requests,
      validateMs,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
    return { result: 'catalogued', record, requests: reader.requests };
  }

  /** Deletes the record and SBOM of `key`, but only when the artifact is really gone (HEAD says absent). */
  async remove(key: string): Promise<RemoveOutcome> {
    const { store, layout, logger } = this.deps;
    if (!layout.parseArtifactKey(key)) return 'ignored';
    if (await store.head(key)) {
      logger.info('removal event for an artifact that exists again; record kept', { key });
      return 'still-present';
    }
    await store.delete(layout.sbomKeyFor(key));
    await store.delete(layout.catalogKeyFor(key));
    this.deps.audit?.record('catalog.record-removed', { key });
    logger.info('catalog record removed', { key });
    return 'removed';
  }

  private async readRecord(recordKey: string): Promise<CatalogRecord | undefined> {
    const bytes = await this.deps.store.getBuffer(recordKey);
    return bytes ? parseCatalogRecord(bytes.toString('utf8')) : undefined;
  }

  /** True when the record already describes `etag`. */
  async isCatalogued(key: string, etag: string): Promise<boolean> {
    return (await this.readRecord(this.deps.layout.catalogKeyFor(key)))?.etag === etag;
  }

  private async stillCurrent(info: ObjectInfo): Promise<boolean> {
    const now = await this.deps.store.head(info.key);
    return now?.etag === info.etag;
  }
}
