/**
 * A parsed batch → the objects that store it: records normalised, grouped by the hour partition of their
 * time, each group one gzip NDJSON object with a name that is the same when the batch is sent again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createGzip, type Gzip, gzipSync } from 'node:zlib';
import { bodyFormat, readBody, readLines } from './body';
import { CHUNK_BYTES, encodeContext, encodeItems, LineChunks, writersIn } from './encode';
import { LogIntakeError, type RecordProblem } from './errors';
import { type LogKeys, type ObjectKind, type Partition, partitionOf } from './keys';
import type { LogLabels } from './labels';
import { labelsJson } from './normalize';
import { type EncodedSlice, encodeSlice, type SliceEncoder, sliceLines } from './slices';

/** zlib level 1: the fastest that still compresses log text ~10×; compaction recompresses smaller later. */
export const INTAKE_GZIP_LEVEL = 1;

export interface BatchObject {
  partition: Partition;
  key: string;
  /** gzip NDJSON, one normalised record per line. */
  body: Buffer;
  records: number;
}

export interface PreparedBatch {
  objects: BatchObject[];
  /** Records stored. */
  accepted: number;
  /** Records refused (partial acceptance), with their line. */
  rejected: RecordProblem[];
  /** How the object names were chosen. */
  kind: ObjectKind;
  /**
   * SHA-256 of labels and decoded body: stored with each object, so a retry that finds the name taken can
   * tell its own batch (success) from another batch that reused the key (conflict).
   */
  fingerprint: string;
}

export interface PrepareOptions {
  labels: LogLabels;
  /** The decoded body. */
  body: Buffer;
  contentType?: string | undefined;
  /** `?format=`; detected when absent. */
  format?: string | null | undefined;
  /** Store the readable records when some are not (else refuse the batch). */
  partial?: boolean;
  receivedAt: Date;
  keys: LogKeys;
  idempotencyKey?: string;
  /** Worker threads that encode slices of a large NDJSON or text body alongside this thread. */
  threads?: SliceEncoder | undefined;
}

/**
 * Builds the objects of a batch. Names are deterministic whenever a resend can be recognised: from the
 * `Idempotency-Key` (scoped by namespace and deployment, so tenants cannot collide), or, when every record
 * carries its own time (Fluent Bit, Vector), from the content itself. Otherwise the name is random.
 *
 * Normalised lines go into a few reused chunks, and each full chunk is compressed on the libuv threadpool
 * while the next is parsed: the whole output never exists uncompressed, and no large buffer is freshly
 * allocated (first touches of fresh memory cost more than parsing on Function Compute's VMs).
 */
export async function prepareBatch(o: PrepareOptions): Promise<PreparedBatch> {
  const labels = labelsJson(o.labels);
  const ctx = encodeContext(labels, o.receivedAt.getTime() * 1000);
  const groups = new Map<number, PartitionWriter>();
  const chunks = new ChunkPool();
  const writerFor = writersIn(groups, () => new PartitionWriter(chunks));
  try {
    const format = bodyFormat(o.body, o.contentType, o.format);
    const text = format === 'text';
    const threads = o.threads;
    // A JSON array is one value: it is read here whole. Lines can be cut anywhere between them.
    const slices =
      threads && threads.size > 0 && format !== 'json' && o.body.byteLength >= PARALLEL_MIN_BYTES
        ? sliceLines(o.body, threads.size + 1, MAIN_SHARE / (threads.size + MAIN_SHARE))
        : [o.body];
    const elsewhere = slices.slice(1).map((bytes) => {
      const job = { bytes, text, labels, receivedUs: ctx.receivedUs };
      // A failed worker costs time, not the batch: its slice is encoded here.
      return threads!.encode(job).catch(() => encodeSlice(job));
    });
    // Awaited below; if this thread's slice throws first, a later failure there is nobody's to crash on.
    for (const pending of elsewhere) pending.catch(() => {});
    const lines = { count: 0 };
    const items =
      slices.length === 1 ? readBody(o.body, o.contentType, format).items : readLines(slices[0]!, text, lines);
    const own = await encodeItems(items, ctx, writerFor);
    // Hashed while the workers finish their slices.
    const fingerprint = createHash('sha256').update(labels).update('\0').update(o.body).digest('hex');
    const { problems } = own;
    let { count, allOwnTime } = own;
    let lineOffset = lines.count;
    const received: EncodedSlice[] = [];
    for (const pending of elsewhere) {
      const slice = await pending;
      received.push(slice);
      for (const p of slice.problems) problems.push(p.line === undefined ? p : { ...p, line: p.line + lineOffset });
      lineOffset += slice.lines;
      count += slice.count;
      allOwnTime &&= slice.allOwnTime;
      for (const h of slice.hours) writerFor(h.hour).append(h.chunks, h.count);
    }
    if (problems.length > 0 && !o.partial) throw refusal(problems, count);
    const { kind, name } = objectName(o, allOwnTime && count > 0, fingerprint);
    const hours = [...groups].sort((a, b) => a[0] - b[0]);
    const bodies = await Promise.all(hours.map(([, writer]) => writer.finish()));
    for (const slice of received) slice.release?.();
    const objects = hours.map(([hour, writer], i): BatchObject => {
      const partition = partitionOf(o.labels.namespace, o.labels.deployment, hour * 3_600_000);
      return { partition, key: o.keys.objectKey(partition, name), body: bodies[i]!, records: writer.count };
    });
    return { objects, accepted: count, rejected: problems, kind, fingerprint };
  } finally {
    for (const writer of groups.values()) writer.abandon();
    chunks.close();
  }
}

/** Below this, a batch is encoded on the main thread alone: a worker's round trip would cost more. */
const PARALLEL_MIN_BYTES = 2 * 1024 * 1024;

/**
 * The main thread's slice, against one worker's 1: it also hashes the body and feeds zlib, so it takes
 * less.
 */
const MAIN_SHARE = 0.85;

/** Chunks a batch allocates before it waits for zlib to hand one back: parsing runs ahead of compression. */
const POOLED_CHUNKS = 4;

/** Chunks kept between batches of an instance, so a batch's chunks are memory already touched. */
const spare: Buffer[] = [];

/**
 * The chunks of one batch, reused once zlib has consumed them. Past `POOLED_CHUNKS`, a new chunk is
 * allocated only when none is being compressed (so waiting could never end); otherwise `take` waits.
 */
class ChunkPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: Array<(chunk: Buffer) => void> = [];
  private allocated = 0;
  inFlight = 0;

  take(): Buffer | Promise<Buffer> {
    const chunk = this.free.pop();
    if (chunk) return chunk;
    if (this.allocated < POOLED_CHUNKS || this.inFlight === 0) {
      this.allocated++;
      return spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The batch is over: its free chunks serve the instance's next batches. */
  close(): void {
    while (this.free.length > 0 && spare.length < POOLED_CHUNKS) spare.push(this.free.pop()!);
  }

  /** A chunk zlib has consumed. */
  done(chunk: Buffer): void {
    this.inFlight--;
    this.give(chunk);
  }

  /** A chunk back for reuse. */
  give(chunk: Buffer): void {
    const next = this.waiting.shift();
    if (next) next(chunk);
    else this.free.push(chunk);
  }
}

/**
 * The gzip NDJSON object of one hour partition, written line by line. Its first full chunk starts a gzip
 * stream (level 1, on the threadpool); a partition that never fills a chunk is compressed once at the end,
 * so a batch spread over many hours does not hold a zlib stream per hour.
 */
class PartitionWriter extends LineChunks {
  private gzip: Gzip | undefined;
  private compressed: Promise<Buffer> | undefined;

  constructor(private readonly pool: ChunkPool) {
    super();
  }

  /** Lines a worker encoded, after the lines written so far. */
  append(chunks: Uint8Array[], count: number): void {
    this.sendCurrent();
    this.count += count;
    const gzip = this.stream();
    for (const chunk of chunks) gzip.write(chunk);
  }

  /** The compressed object. */
  async finish(): Promise<Buffer> {
    if (!this.gzip) {
      const body = gzipSync(this.chunk ? this.chunk.subarray(0, this.length) : Buffer.alloc(0), {
        level: INTAKE_GZIP_LEVEL,
      });
      this.drop();
      return body;
    }
    this.sendCurrent();
    this.gzip.end();
    return this.compressed!;
  }

  /** Stops compressing (a refused or failed batch); chunks lent to zlib are not reused. */
  abandon(): void {
    this.gzip?.destroy();
    this.drop();
  }

  protected take(): Buffer | Promise<Buffer> {
    return this.pool.take();
  }

  protected send(chunk: Buffer, length: number): void {
    this.pool.inFlight++;
    this.stream().write(chunk.subarray(0, length), () => this.pool.done(chunk));
  }

  protected sendLong(line: Buffer): void {
    this.stream().write(line);
  }

  private drop(): void {
    if (this.chunk) this.pool.give(this.chunk);
    this.chunk = undefined;
  }

  private stream(): Gzip {
    if (!this.gzip) {
      const gzip = createGzip({ level: INTAKE_GZIP_LEVEL, chunkSize: 64 * 1024 });
      const out: Buffer[] = [];
      gzip.on('data', (b: Buffer) => out.push(b));
      this.compressed = new Promise((resolve, reject) => {
        gzip.on('end', () => resolve(Buffer.concat(out)));
        gzip.on('error', reject);
      });
      this.compressed.catch(() => {}); // read by finish(); an abandoned stream's error is nobody's
      this.gzip = gzip;
    }
    return this.gzip;
  }
}

/** Most bad lines listed in an error; the count says how many there were. */
const MAX_LISTED_PROBLEMS = 20;

function refusal(problems: RecordProblem[], good: number): LogIntakeError {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  const where = listed.map((p) => `${p.line !== undefined ? `line ${p.line}` : `element ${p.index}`}: ${p.message}`);
  return new LogIntakeError(
    'RECORDS_INVALID',
    `${problems.length} of ${problems.length + good} records cannot be read, so nothing was stored ` +
      `(add ?partial=true to store the others): ${where.join('; ')}${problems.length > listed.length ? '; …' : ''}`,
    listed,
  );
}

function objectName(o: PrepareOptions, allOwnTime: boolean, fingerprint: string): { kind: ObjectKind; name: string } {
  if (o.idempotencyKey !== undefined) {
    const h = createHash('sha256')
      .update(`key\0${o.labels.namespace}\0${o.labels.deployment}\0${o.idempotencyKey}`)
      .digest('hex');
    return { kind: 'k', name: `k-${h.slice(0, 40)}` };
  }
  if (allOwnTime) return { kind: 'h', name: `h-${fingerprint.slice(0, 40)}` };
  return { kind: 'r', name: `r-${randomUUID().replaceAll('-', '')}` };
}
