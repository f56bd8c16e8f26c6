import { PackError } from '../errors';
import { bufferSource, cachedSource, type RandomAccessSource } from '../jar/random-access';
import { StorageError } from '../storage/errors';
import type { ObjectInfo, ObjectStore } from '../storage/port';
import { readStream } from '../storage/read-stream';

/**
 * Artifacts of at most this size (as the event or listing says) are read whole by the first request,
 * in place of a HEAD: then no request is left before the verdict, instead of a ranged read of the central
 * directory and a streaming read a round trip later. Memory stays small either way.
 */
export const WHOLE_READ_MAX_BYTES = 1024 * 1024;

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

/** What the first request learnt: the artifact's current version and, when it was read whole, its bytes. */
export interface FirstRead {
  info: ObjectInfo;
  /** The whole artifact, when it is at most `WHOLE_READ_MAX_BYTES`; the reads then need no request. */
  bytes?: Buffer;
}

/**
 * The first request for the artifact at `key`: a read of its first `WHOLE_READ_MAX_BYTES` when `sizeHint`
 * (the size an event or listing gave) is within that, else a HEAD. `undefined` when it does not exist.
 * A hint gone stale costs nothing more: an object now larger comes back without `bytes`, and an empty or
 * archived one (no byte can be read) gets the HEAD instead.
 */
export async function readFirst(store: ObjectStore, key: string, sizeHint?: number): Promise<FirstRead | undefined> {
  const byHead = async () => {
    const info = await store.head(key);
    return info && { info };
  };
  if (sizeHint === undefined || sizeHint <= 0 || sizeHint > WHOLE_READ_MAX_BYTES) return byHead();
  let object: Awaited<ReturnType<ObjectStore['get']>>;
  try {
    object = await store.get(key, { range: { start: 0, end: WHOLE_READ_MAX_BYTES - 1 } });
  } catch (error) {
    if (error instanceof StorageError && (error.code === 'OSS_INVALID_RANGE' || error.code === 'OSS_OBJECT_ARCHIVED'))
      return byHead();
    throw error;
  }
  if (!object) return undefined;
  // Read to the end even when unused: dropping a response half-read would close its kept-alive connection.
  const bytes = await readStream(object.body);
  return bytes.length === object.info.size ? { info: object.info, bytes } : { info: object.info };
}

/** Reads of an artifact already in memory (`FirstRead.bytes`): the one request was the first read. */
export function heldArtifactReader(bytes: Buffer): ArtifactReader {
  const source = Object.assign(bufferSource(bytes), { requests: 0 });
  return {
    source,
    requests: 1,
    async openStream() {
      return (async function* () {
        yield bytes;
      })();
    },
  };
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
