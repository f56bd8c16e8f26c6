/**
 * A line-based body cut into slices that start at a line, each encoded on its own (in a worker thread, or
 * in place when a worker fails): the lines of one hour come back as uncompressed chunks, in body order.
 */
import { readLines } from './body';
import { CHUNK_BYTES, type EncodeTally, encodeContext, encodeItems, LineChunks, writersIn } from './encode';

/** What a worker is asked: one slice of an NDJSON or text body. */
export interface SliceJob {
  bytes: Uint8Array;
  text: boolean;
  labels: string;
  receivedUs: number;
}

/** One slice, encoded: line numbers of its problems count from its own first line. */
export interface EncodedSlice extends EncodeTally {
  /** Lines in the slice. */
  lines: number;
  /** Each hour's lines, in slice order. */
  hours: Array<{ hour: number; count: number; chunks: Uint8Array[] }>;
  /** Hands the chunks back for reuse once they are compressed (never while zlib may still read them). */
  release?: () => void;
}

/** Encodes slices of a body elsewhere (worker threads); `size` of them at once. */
export interface SliceEncoder {
  readonly size: number;
  encode(job: SliceJob): Promise<EncodedSlice>;
}

/**
 * Cuts `body` into `parts` slices of about equal size, the first `firstShare` of the whole, each ending
 * after a newline (the last at the end); fewer when the body has fewer lines.
 */
export function sliceLines(body: Buffer, parts: number, firstShare = 1 / parts): Buffer[] {
  const slices: Buffer[] = [];
  const rest = (1 - firstShare) / Math.max(1, parts - 1);
  let start = 0;
  for (let i = 1; i < parts && start < body.byteLength; i++) {
    const target = Math.floor(body.byteLength * (firstShare + rest * (i - 1)));
    const newline = body.indexOf(0x0a, Math.max(start, target));
    if (newline === -1) break;
    slices.push(body.subarray(start, newline + 1));
    start = newline + 1;
  }
  if (start < body.byteLength || slices.length === 0) slices.push(body.subarray(start));
  return slices;
}

/**
 * Encodes one slice in this thread, each hour's lines into chunks that are their own memory (transferable),
 * taken from `spare` when it has some.
 */
export async function encodeSlice(job: SliceJob, spare: ArrayBuffer[] = []): Promise<EncodedSlice> {
  const bytes = Buffer.isBuffer(job.bytes)
    ? job.bytes
    : Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const hours = new Map<number, CollectedLines>();
  const lines = { count: 0 };
  const tally = await encodeItems(
    readLines(bytes, job.text, lines),
    encodeContext(job.labels, job.receivedUs),
    writersIn(hours, () => new CollectedLines(spare)),
  );
  return {
    ...tally,
    lines: lines.count,
    hours: [...hours].map(([hour, writer]) => ({ hour, count: writer.count, chunks: writer.finish() })),
  };
}

/** The ArrayBuffers of a slice's chunks: what a worker transfers instead of copying. */
export function transferablesOf(slice: EncodedSlice): ArrayBuffer[] {
  return slice.hours.flatMap((h) => h.chunks.map((c) => c.buffer as ArrayBuffer));
}

/** Lines kept in fresh chunks (each its own ArrayBuffer), handed over whole at the end. */
class CollectedLines extends LineChunks {
  private readonly chunks: Uint8Array[] = [];

  constructor(private readonly spare: ArrayBuffer[]) {
    super();
  }

  finish(): Uint8Array[] {
    this.sendCurrent();
    return this.chunks;
  }

  protected take(): Buffer {
    // Memory touched before: fresh pages cost more to write than the lines cost to encode.
    const reused = this.spare.pop();
    return reused ? Buffer.from(reused) : Buffer.allocUnsafeSlow(CHUNK_BYTES);
  }

  protected send(chunk: Buffer, length: number): void {
    this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, length));
  }

  protected sendLong(line: Buffer): void {
    // Its own ArrayBuffer, so it transfers like a chunk.
    const own = new Uint8Array(new ArrayBuffer(line.byteLength));
    own.set(line);
    this.chunks.push(own);
  }
}
