import { type CatalogRecord, parseCatalogRecord } from '../catalog/record';
import { isoTime } from '../iso-time';
import type { ObjectInfo, ObjectSummary } from '../storage/port';
import { authorize, type Caller } from './auth';
import type { PresignServiceDeps } from './context';
import { ApiError } from './errors';

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

/** One page of the namespace's artifacts with their catalog summaries. */
export async function listArtifacts(
  deps: PresignServiceDeps,
  caller: Caller,
  req: { namespace: string; cursor?: string; limit?: number },
): Promise<{ namespace: string; artifacts: ArtifactSummary[]; cursor?: string }> {
  const prefix = deps.layout.namespacePrefix(req.namespace);
  authorize(caller, 'list', req.namespace);
  const limit = req.limit ?? 100;
  const startAfter = req.cursor === undefined ? undefined : decodeCursor(req.cursor, prefix);
  const objects: ObjectSummary[] = [];
  for await (const page of deps.store.list({
    prefix,
    pageSize: Math.min(1000, limit + 1),
    ...(startAfter !== undefined && { startAfter }),
  })) {
    objects.push(...page.objects);
    if (objects.length > limit) break;
  }
  const more = objects.length > limit;
  const shown = objects.slice(0, limit).filter((o) => deps.layout.parseArtifactKey(o.key));
  const artifacts = await mapLimit(shown, 8, (o) => summarize(deps, { ...o, meta: {} }));
  const last = objects[limit - 1];
  return { namespace: req.namespace, artifacts, ...(more && last && { cursor: encodeCursor(last.key) }) };
}

/** The catalog record of an artifact, or a `pending` summary while it is not (or no longer) catalogued. */
export async function getArtifact(
  deps: PresignServiceDeps,
  caller: Caller,
  namespace: string,
  name: string,
): Promise<ArtifactDetail> {
  const key = deps.layout.artifactKey(namespace, name);
  authorize(caller, 'list', namespace);
  const info = await deps.store.head(key);
  if (!info) throw new ApiError('ARTIFACT_NOT_FOUND', `${name} does not exist in namespace ${namespace}.`);
  const record = await readRecord(deps, key);
  if (record && record.etag.toUpperCase() === info.etag.toUpperCase()) return record;
  return { ...baseSummary(deps, info), status: 'pending' };
}

/** Deletes the artifact and its catalog record; 404 when neither exists. */
export async function deleteArtifact(
  deps: PresignServiceDeps,
  caller: Caller,
  namespace: string,
  name: string,
): Promise<void> {
  const key = deps.layout.artifactKey(namespace, name);
  authorize(caller, 'delete', namespace);
  const recordKey = deps.layout.catalogKeyFor(key);
  const [info, record] = await Promise.all([deps.store.head(key), deps.store.head(recordKey)]);
  if (!info && !record) throw new ApiError('ARTIFACT_NOT_FOUND', `${name} does not exist in namespace ${namespace}.`);
  // The artifact first: a record without its artifact is harmless and is removed next, while the reverse
  // would show a catalogued artifact as pending.
  const result = await deps.store.deleteMany([key, recordKey]);
  if (result.failed.length > 0) {
    throw new ApiError(
      'STORAGE_UNAVAILABLE',
      `Could not delete ${result.failed.map((f) => f.key).join(' and ')}: ${result.failed[0]!.message}. Try again.`,
    );
  }
  deps.audit({
    event: 'artifact.deleted',
    fields: { tokenId: caller.tokenId, key, ...(info && { etag: info.etag, size: info.size }) },
  });
}

/** The artifact's summary with the catalog's verdict, when the record describes this very object. */
async function summarize(deps: PresignServiceDeps, info: ObjectInfo): Promise<ArtifactSummary> {
  const record = await readRecord(deps, info.key);
  const base = baseSummary(deps, info);
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

function baseSummary(deps: PresignServiceDeps, info: ObjectInfo): ArtifactSummary {
  const ref = deps.layout.parseArtifactKey(info.key);
  return {
    key: info.key,
    ossPath: deps.layout.ossPath(info.key),
    namespace: ref?.namespace ?? '',
    name: ref?.name ?? info.key,
    size: info.size,
    etag: info.etag,
    lastModified: isoTime(info.lastModified),
    status: 'pending',
  };
}

async function readRecord(deps: PresignServiceDeps, artifactKey: string): Promise<CatalogRecord | undefined> {
  const body = await deps.store.getBuffer(deps.layout.catalogKeyFor(artifactKey));
  return body ? parseCatalogRecord(body.toString('utf8')) : undefined;
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
