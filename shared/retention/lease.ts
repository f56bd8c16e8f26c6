/**
 * A lease so that two pruning runs never delete at the same time (docs/state-pruner.md §5.3). A run
 * creates `<dir><slot>.json` with forbid-overwrite, where the slot is the current time divided by the
 * lease length, then looks at the neighbouring slots: a live lease there means another run, and this
 * one steps back. Two runs may both step back; they can never both go on. A crashed run's lease stops
 * being live at its `expiresAt`, and belongs to a slot later runs do not use.
 */

import { isoTime } from '../iso-time';
import { StorageError } from '../storage/errors';
import type { ObjectStore } from '../storage/port';

export interface Lease {
  key: string;
  holder: string;
  expiresAt: number;
  release(): Promise<void>;
}

export interface LeaseOptions {
  /** Folder of the lease objects, ending in "/". */
  dir: string;
  holder: string;
  ttlMs: number;
  now: number;
}

export type LeaseResult = { acquired: true; lease: Lease } | { acquired: false; heldBy: string; expiresAt: number };

/** Tries to take the lease; never waits. */
export async function acquireLease(store: ObjectStore, options: LeaseOptions): Promise<LeaseResult> {
  const slot = Math.floor(options.now / options.ttlMs);
  const key = `${options.dir}${slot}.json`;
  const expiresAt = options.now + options.ttlMs;
  const body = JSON.stringify({ holder: options.holder, acquiredAt: isoTime(options.now), expiresAt });
  try {
    await store.put(key, body, { forbidOverwrite: true, contentType: 'application/json' });
  } catch (error) {
    // A write whose answer was lost (a reset, a 5xx after the fact, a retry that then found the key
    // taken) may have landed: what the key holds says whose lease it is. Read as another run's, a lease
    // of our own would be left behind to block every run until it expires.
    const found = await readLease(store, key).catch(() => undefined);
    if (found?.holder !== options.holder) {
      if (!(error instanceof StorageError && error.code === 'OSS_ALREADY_EXISTS')) throw error;
      return { acquired: false, heldBy: found?.holder ?? 'unknown', expiresAt: found?.expiresAt ?? expiresAt };
    }
  }
  const lease: Lease = {
    key,
    holder: options.holder,
    expiresAt,
    release: () => store.delete(key),
  };
  let live: { holder: string; expiresAt: number } | undefined;
  try {
    for (const neighbour of [slot - 1, slot + 1]) {
      const other = await readLease(store, `${options.dir}${neighbour}.json`);
      if (other && other.expiresAt > options.now) {
        live = other;
        break;
      }
    }
  } catch (error) {
    // The neighbours could not be read, so this run does not go on: its lease must not stay behind and
    // block the next runs until it expires.
    await lease.release().catch(() => undefined);
    throw error;
  }
  if (live) {
    await lease.release();
    return { acquired: false, heldBy: live.holder, expiresAt: live.expiresAt };
  }
  return { acquired: true, lease };
}

async function readLease(store: ObjectStore, key: string): Promise<{ holder: string; expiresAt: number } | undefined> {
  const body = await store.getBuffer(key);
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { holder?: unknown; expiresAt?: unknown };
    return {
      holder: typeof parsed.holder === 'string' ? parsed.holder : 'unknown',
      // A lease that cannot be read is taken as live: wrongly waiting is safe, wrongly deleting is not.
      expiresAt: typeof parsed.expiresAt === 'number' ? parsed.expiresAt : Number.POSITIVE_INFINITY,
    };
  } catch {
    return { holder: 'unknown', expiresAt: Number.POSITIVE_INFINITY };
  }
}
