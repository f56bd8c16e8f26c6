import { PackError } from '../errors';
import { cachedSource, type RandomAccessSource } from '../jar/random-access';
import type { ObjectInfo, ObjectStore } from '../storage/port';

/** The artifact disappeared or was replaced while it was being read; the newer event takes over. */
export class ArtifactMovedError extends PackError {
  constructor(
    readonly key: string,
    readonly reason: 'vanished' | 'replaced',
  ) {
    super(
      reason === 'vanished' ? 'ARTIFACT_VANISHED' : 'ARTIFACT_REPLACED',
      `${key} was ${reason === 'vanished' ? 'deleted' : 'overwritten'} while it was being read`,
    );
  }
}

/** Reads of one artifact version: ranged GETs through a block cache, and one whole-object stream. */
export interface ArtifactReader {
  source: RandomAccessSource & { readonly requests: number };
  openStream(): Promise<AsyncIterable<Buffer>>;
  /** Requests made so far: ranged GETs plus the streaming GET. */
  readonly requests: number;
}

/**
 * Reads the artifact version `info` describes. The central directory comes in one or two ranged GETs
 * (the tail, then the directory), other small reads through a 64 KiB block cache. The sequential pass
 * reads ranged windows of `windowBytes` (8 MiB), the next one requested while the current one is
 * processed: one long GET lets the HTTP client buffer far ahead of the consumer, windows keep memory flat
 * whatever the object's size (docs/artifact-catalog.md §5). Every window must still carry `info.etag`.
 */
export function artifactReader(
  store: ObjectStore,
  info: ObjectInfo,
  options: { blockSize?: number; windowBytes?: number } = {},
): ArtifactReader {
  let streams = 0;
  const source = cachedSource(
    info.size,
    async (start, end) => {
      const bytes = await store.getBuffer(info.key, { range: { start, end } });
      if (!bytes) throw new ArtifactMovedError(info.key, 'vanished');
      return bytes;
    },
    { blockSize: options.blockSize ?? 64 * 1024, blocks: 8 },
  );
  return {
    source,
    get requests() {
      return source.requests + streams;
    },
    async openStream() {
      return windows(store, info, options.windowBytes ?? WINDOW_BYTES, () => streams++);
    },
  };
}

const WINDOW_BYTES = 8 * 1024 * 1024;

async function readWindow(store: ObjectStore, info: ObjectInfo, start: number, end: number): Promise<Buffer[]> {
  let object: Awaited<ReturnType<ObjectStore['get']>>;
  try {
    object = await store.get(info.key, { range: { start, end } });
  } catch (error) {
    // A range past the end of a shorter replacement fails; say what really happened.
    const now = await store.head(info.key);
    if (now?.etag !== info.etag) throw new ArtifactMovedError(info.key, now ? 'replaced' : 'vanished');
    throw error;
  }
  if (!object) throw new ArtifactMovedError(info.key, 'vanished');
  if (object.info.etag !== info.etag) {
    object.body.destroy();
    throw new ArtifactMovedError(info.key, 'replaced');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return chunks;
}

/** The object from start to end as a sequence of ranged windows, one read ahead. */
async function* windows(
  store: ObjectStore,
  info: ObjectInfo,
  size: number,
  onRequest: () => void,
): AsyncGenerator<Buffer> {
  if (info.size === 0) return;
  const fetch = (start: number) => {
    onRequest();
    const pending = readWindow(store, info, start, Math.min(info.size, start + size) - 1);
    pending.catch(() => undefined);
    return pending;
  };
  let next = fetch(0);
  for (let start = 0; start < info.size; start += size) {
    const current = await next;
    if (start + size < info.size) next = fetch(start + size);
    yield* current;
  }
}
