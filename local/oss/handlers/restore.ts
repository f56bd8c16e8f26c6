import { newRequestId } from '../http/context';
import type { Notifier } from '../notifications';
import { decideRestore, parseRestoreRequest } from '../restore';
import type { ObjectRecord } from '../store/types';
import { requireKey, versionParam } from './request';
import type { Handler } from './types';

/**
 * RestoreObject (`POST /<key>?restore`): 202 when a restore starts, 409 RestoreAlreadyInProgress while
 * it runs, 200 (readability extended) once it is done; 400 OperationNotSupported for Standard and IA.
 * The restore finishes after the server's restore delay; Cold Archive and Deep Cold Archive objects then
 * announce `ObjectRestore:FinishRestore`, as OSS does.
 */
export const restoreObject: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const body = (await ctx.readBody(64 * 1024)).toString('utf8');
  let status: 200 | 202 = 202;
  const updated = await state.engine.updateObject(
    bucket,
    key,
    (record) => {
      const request = parseRestoreRequest(body, record.storageClass);
      const decision = decideRestore(record, request, state.clock.now(), state.restoreTiming);
      status = decision.status;
      return { ...record, restore: decision.restore };
    },
    versionParam(ctx),
  );
  if (status === 202) state.restores.watch(bucket, updated);
  ctx.send(status);
};

/** Announces finished restores of Cold Archive and Deep Cold Archive objects when their time comes. */
export class RestoreWatcher {
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly notifier: Notifier,
    /** The server's clock: restore times are on it. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Schedules the FinishRestore event of a restore that has just started. */
  watch(bucket: string, record: ObjectRecord): void {
    const restore = record.restore;
    if (!restore || (record.storageClass !== 'ColdArchive' && record.storageClass !== 'DeepColdArchive')) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.notifier.publish({
          eventName: 'ObjectRestore:FinishRestore',
          bucket,
          key: record.key,
          eTag: record.etag,
          size: record.size,
          deltaSize: 0,
          time: new Date(restore.readyAt),
          requestId: newRequestId(),
          sourceIp: '127.0.0.1',
        });
      },
      Math.max(0, restore.readyAt - this.now()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  /** Cancels pending announcements (the server is closing). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
