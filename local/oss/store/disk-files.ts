import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobSink } from './types';

/** Size of the write batches of bodies, snapshots and read streams. */
export const WRITE_BUFFER = 1 << 20;

/**
 * A sink writing sequentially from `position`, in 1 MiB batches, fsynced on finish. One batch may be in
 * flight while the next is filled and hashed, so disk writes overlap the CPU work of the upload.
 */
export function bufferedSink(
  handle: FileHandle,
  position: number,
  done: () => Promise<string>,
  cleanup: () => Promise<void>,
): BlobSink {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let offset = position;
  let closed = false;
  let inFlight: Promise<void> = Promise.resolve();
  const writeAll = async (chunks: Buffer[], bytes: number, at: number) => {
    let written = 0;
    while (written < bytes) {
      const slice = written === 0 ? chunks : [Buffer.concat(chunks).subarray(written)];
      const { bytesWritten } = await handle.writev(slice, at + written);
      written += bytesWritten;
    }
  };
  const flush = async () => {
    // Wait for the previous batch first: at most one write is outstanding, so memory stays bounded.
    await inFlight;
    if (pendingBytes === 0) return;
    const chunks = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    const at = offset;
    offset += bytes;
    inFlight = writeAll(chunks, bytes, at);
    // Marked as handled here; the failure surfaces at the next await of `inFlight`.
    inFlight.catch(() => undefined);
  };
  return {
    async write(chunk) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= WRITE_BUFFER) await flush();
    },
    async finish() {
      await flush();
      await inFlight;
      await handle.datasync();
      closed = true;
      await handle.close();
      return done();
    },
    async abort() {
      await inFlight.catch(() => undefined);
      if (!closed) {
        closed = true;
        await handle.close().catch(() => undefined);
      }
      await cleanup();
    },
  };
}

/** Writes a small file so that readers see the old or the new content, never a mix. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await fsyncDir(join(path, '..'));
}

/** Makes a rename or file creation in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}
