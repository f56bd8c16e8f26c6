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
 * (the tail, then the directory), other small reads through a 64 KiB block cache; the stream is one GET
 * whose ETag must still be `info.etag`.
 */
export function artifactReader(
  store: ObjectStore,
  info: ObjectInfo,
  options: { blockSize?: number } = {},
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
      streams++;
      const object = await store.get(info.key);
      if (!object) throw new ArtifactMovedError(info.key, 'vanished');
      if (object.info.etag !== info.etag) {
        object.body.destroy();
        throw new ArtifactMovedError(info.key, 'replaced');
      }
      return object.body;
    },
  };
}
