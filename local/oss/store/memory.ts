import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  Backend,
  BlobPlace,
  BlobSink,
  BucketConfig,
  IndexEntry,
  LiveRecords,
  LoadedBucket,
  PartRecord,
  UploadRecord,
} from './types';

interface MemoryBlob {
  chunks: Buffer[];
  size: number;
}

/** Keeps everything in process memory: for tests, where speed matters and nothing must survive. */
export class MemoryBackend implements Backend {
  private blobs = new Map<string, MemoryBlob>();
  private staged = new Map<string, MemoryBlob>();

  async load(): Promise<LoadedBucket[]> {
    return [];
  }

  async saveBucket(_config: BucketConfig): Promise<void> {}

  async removeBucket(_name: string): Promise<void> {}

  async createSink(): Promise<BlobSink> {
    const token = randomBytes(12).toString('hex');
    const blob: MemoryBlob = { chunks: [], size: 0 };
    return {
      write: async (chunk) => {
        // Copy: the HTTP layer may reuse its buffers.
        blob.chunks.push(Buffer.from(chunk));
        blob.size += chunk.length;
      },
      finish: async () => {
        this.staged.set(token, blob);
        return token;
      },
      abort: async () => {
        this.staged.delete(token);
      },
    };
  }

  async publish(token: string, _place: BlobPlace): Promise<string> {
    const blob = this.staged.get(token);
    if (!blob) throw new Error(`no staged blob ${token}`);
    this.staged.delete(token);
    this.blobs.set(token, blob);
    return token;
  }

  async discard(token: string): Promise<void> {
    this.staged.delete(token);
  }

  async openRead(id: string, start: number, end: number): Promise<Readable> {
    const blob = this.blobs.get(id);
    if (!blob) throw Object.assign(new Error(`blob ${id} is gone`), { code: 'ENOENT' });
    // Slice lazily so that a reader never holds more than one chunk at a time beyond the stored body.
    const chunks = blob.chunks.slice();
    function* slices(): Generator<Buffer> {
      let offset = 0;
      for (const chunk of chunks) {
        const from = Math.max(start, offset);
        const to = Math.min(end + 1, offset + chunk.length);
        if (from < to) yield chunk.subarray(from - offset, to - offset);
        offset += chunk.length;
        if (offset > end) break;
      }
    }
    return Readable.from(slices(), { objectMode: false });
  }

  async removeBlob(id: string): Promise<void> {
    this.blobs.delete(id);
  }

  async stageCopy(id: string): Promise<string> {
    const blob = this.blobs.get(id);
    if (!blob) throw Object.assign(new Error(`blob ${id} is gone`), { code: 'ENOENT' });
    const token = randomBytes(12).toString('hex');
    this.staged.set(token, { chunks: blob.chunks.slice(), size: blob.size });
    return token;
  }

  async openAppend(id: string | undefined, size: number, _place: BlobPlace): Promise<{ blob: string; sink: BlobSink }> {
    const blobId = id ?? randomBytes(12).toString('hex');
    const existing = id === undefined ? undefined : this.blobs.get(id);
    const base = existing ? truncate(existing, size) : { chunks: [], size: 0 };
    const added: Buffer[] = [];
    return {
      blob: blobId,
      sink: {
        write: async (chunk) => {
          added.push(Buffer.from(chunk));
        },
        finish: async () => {
          // Readers hold their own chunk lists, so replacing the list is invisible to them.
          this.blobs.set(blobId, {
            chunks: [...base.chunks, ...added],
            size: base.size + added.reduce((s, c) => s + c.length, 0),
          });
          return blobId;
        },
        abort: async () => {},
      },
    };
  }

  async journal(_bucket: string, _entries: IndexEntry[], _live: LiveRecords): Promise<void> {}

  async saveUpload(_bucket: string, _upload: UploadRecord): Promise<void> {}

  async savePart(_bucket: string, _uploadId: string, _part: PartRecord): Promise<void> {}

  async removeUpload(_bucket: string, _uploadId: string): Promise<void> {}

  async close(): Promise<void> {}
}

function truncate(blob: MemoryBlob, size: number): MemoryBlob {
  if (blob.size <= size) return blob;
  const chunks: Buffer[] = [];
  let left = size;
  for (const chunk of blob.chunks) {
    if (left <= 0) break;
    chunks.push(chunk.length <= left ? chunk : chunk.subarray(0, left));
    left -= chunk.length;
  }
  return { chunks, size };
}
