import { etagFromMd5 } from '../etag';
import type { RequestContext } from '../http/context';
import type { Committed } from '../store/engine';
import type { ObjectRecord, StagedBlob } from '../store/types';
import type { ObjectAttrs } from './object-attrs';
import type { ServerState } from './types';

/**
 * Commits a staged body as a Normal object (PutObject, PostObject): ETag from its MD5, CRC-64, the
 * request's attributes; then announces it under `eventName`.
 */
export async function commitNormalObject(
  ctx: RequestContext,
  state: ServerState,
  eventName: string,
  target: { bucket: string; key: string; forbidOverwrite: boolean },
  staged: StagedBlob,
  attrs: ObjectAttrs,
): Promise<{ committed: Committed; etag: string }> {
  const etag = etagFromMd5(staged.md5);
  const committed = await state.engine.putObject(
    target.bucket,
    target.key,
    staged,
    {
      ...attrs,
      size: staged.size,
      etag,
      contentMd5: staged.md5.toString('base64'),
      crc64: staged.crc64,
      lastModified: state.clock.nowSeconds(),
      type: 'Normal',
    },
    { forbidOverwrite: target.forbidOverwrite },
  );
  notifyCreated(ctx, state, eventName, target.bucket, committed);
  return { committed, etag };
}

/** Announces a committed write to subscribers (after it is durable). */
export function notifyCreated(
  ctx: RequestContext,
  state: ServerState,
  eventName: string,
  bucket: string,
  committed: Committed,
  position?: number,
): void {
  state.notifier.publish({
    eventName,
    bucket,
    key: committed.record.key,
    eTag: committed.record.etag,
    size: committed.record.size,
    deltaSize: committed.record.size - (committed.previous?.size ?? 0),
    ...(position !== undefined ? { position } : {}),
    ...(committed.record.versionId !== undefined ? { versionId: committed.record.versionId } : {}),
    time: new Date(committed.record.lastModified),
    requestId: ctx.requestId,
    sourceIp: sourceIp(ctx),
  });
}

/** Announces a deletion (DeleteObject, DeleteMultipleObjects). */
export function notifyRemoved(
  ctx: RequestContext,
  state: ServerState,
  eventName: string,
  bucket: string,
  removed: ObjectRecord,
): void {
  state.notifier.publish({
    eventName,
    bucket,
    key: removed.key,
    eTag: removed.etag,
    size: removed.size,
    deltaSize: -removed.size,
    ...(removed.versionId !== undefined ? { versionId: removed.versionId } : {}),
    time: new Date(),
    requestId: ctx.requestId,
    sourceIp: sourceIp(ctx),
  });
}

function sourceIp(ctx: RequestContext): string {
  return (ctx.req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}
