import { OssErrors } from './errors';
import type { ObjectRecord, RestoreRecord } from './store/types';
import { children, parseXml, text } from './xml';

/** Storage classes whose objects must be restored before they can be read (docs/local-oss-server.md "Restore"). */
export const COLD_CLASSES = ['Archive', 'ColdArchive', 'DeepColdArchive'];
/** Restore tiers per class; the first is the default when the request names none. */
const TIERS: Record<string, string[]> = {
  ColdArchive: ['Standard', 'Expedited', 'Bulk'],
  DeepColdArchive: ['Standard', 'Expedited'],
};
/** How many days a restored copy may be kept readable, per class. */
const MAX_DAYS: Record<string, number> = { Archive: 7, ColdArchive: 365, DeepColdArchive: 365 };

/** How fast restores run on the local server: `delayMs` until a restore is done, `dayMs` per `Days` of readability. */
export interface RestoreTiming {
  delayMs: number;
  dayMs: number;
}

export type RestoreState =
  | { kind: 'not-needed' }
  | { kind: 'frozen' }
  | { kind: 'ongoing' }
  | { kind: 'restored'; expiresAt: number };

/** Where an object stands at `now`: readable without restore, frozen, being restored, or restored until when. */
export function restoreState(record: Pick<ObjectRecord, 'storageClass' | 'restore'>, now: number): RestoreState {
  if (!COLD_CLASSES.includes(record.storageClass)) return { kind: 'not-needed' };
  const r = record.restore;
  if (!r || now >= r.expiresAt) return { kind: 'frozen' };
  if (now < r.readyAt) return { kind: 'ongoing' };
  return { kind: 'restored', expiresAt: r.expiresAt };
}

/** The `x-oss-restore` header and the listings' `<RestoreInfo>`: absent unless a restore is running or done. */
export function restoreInfo(record: Pick<ObjectRecord, 'storageClass' | 'restore'>, now: number): string | undefined {
  const state = restoreState(record, now);
  if (state.kind === 'ongoing') return 'ongoing-request="true"';
  if (state.kind === 'restored')
    return `ongoing-request="false", expiry-date="${new Date(state.expiresAt).toUTCString()}"`;
  return undefined;
}

/** Refuses to read the body of a cold object that is not restored: 403 InvalidObjectState. */
export function requireReadable(record: Pick<ObjectRecord, 'storageClass' | 'restore'>, now: number): void {
  const state = restoreState(record, now);
  if (state.kind === 'frozen' || state.kind === 'ongoing') throw OssErrors.invalidObjectState();
}

/** A parsed `RestoreRequest` body (ali-oss sends `Days`, and `JobParameters/Tier` for the cold classes). */
export interface RestoreRequest {
  days: number;
  tier: string | undefined;
}

/** Parses a RestoreObject body for an object of `storageClass`; an empty body means one day. */
export function parseRestoreRequest(body: string, storageClass: string): RestoreRequest {
  if (!COLD_CLASSES.includes(storageClass)) throw OssErrors.operationNotSupported();
  const tiers = TIERS[storageClass];
  if (body.trim() === '') return { days: 1, tier: tiers?.[0] };
  const root = parseXml(body).RestoreRequest;
  if (root === undefined) throw OssErrors.malformedXml();
  const rawDays = text(root, 'Days')?.trim() ?? '1';
  const days = Number(rawDays);
  const max = MAX_DAYS[storageClass]!;
  if (!/^\d+$/.test(rawDays) || days < 1 || days > max)
    throw OssErrors.invalidArgument(`The Days must be between 1 and ${max}.`, 'Days', rawDays);
  const job = children(root, 'JobParameters')[0];
  const rawTier = job === undefined ? undefined : text(job, 'Tier')?.trim();
  if (rawTier === undefined) return { days, tier: tiers?.[0] };
  if (!tiers?.includes(rawTier)) throw OssErrors.invalidArgument('The Tier is invalid.', 'Tier', rawTier);
  return { days, tier: rawTier };
}

/**
 * What a RestoreObject request does to an object at `now`: start a restore (202), refuse one that is
 * running (409 RestoreAlreadyInProgress), or extend a finished one by the requested days (200).
 */
export function decideRestore(
  record: Pick<ObjectRecord, 'storageClass' | 'restore'>,
  request: RestoreRequest,
  now: number,
  timing: RestoreTiming,
): { status: 200 | 202; restore: RestoreRecord } {
  const state = restoreState(record, now);
  if (state.kind === 'ongoing') throw OssErrors.restoreAlreadyInProgress();
  if (state.kind === 'restored')
    return {
      status: 200,
      restore: { ...record.restore!, days: request.days, expiresAt: now + request.days * timing.dayMs },
    };
  const readyAt = now + timing.delayMs;
  return {
    status: 202,
    restore: {
      readyAt,
      expiresAt: readyAt + request.days * timing.dayMs,
      days: request.days,
      ...(request.tier !== undefined ? { tier: request.tier } : {}),
    },
  };
}
