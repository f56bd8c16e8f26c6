/**
 * A parsed batch → the objects that store it: records normalised, grouped by the hour partition of their
 * time, each group one gzip NDJSON object with a name that is the same when the batch is sent again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createGzip, type Gzip, gzipSync } from 'node:zlib';
import { readBody } from './body';
import { LogIntakeError, type RecordProblem } from './errors';
import { type LogKeys, type ObjectKind, type Partition, partitionOf } from './keys';
import type { LogLabels } from './labels';
import { formatMicros, labelsJson, normalizeRecord, normalizeScanned } from './normalize';

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
  // What every line has between the message and the record.
  const middle = Buffer.from(`,"labels":${labels},"record":`, 'utf8');
  const receivedUs = o.receivedAt.getTime() * 1000;
  const groups = new Map<number, PartitionWriter>();
  const chunks = new ChunkPool();
  const problems: RecordProblem[] = [];
  let allOwnTime = true;
  let count = 0;
  let lastHour = Number.NaN;
  let lastGroup: PartitionWriter | undefined;
  try {
    for (const item of readBody(o.body, o.contentType, o.format).items) {
      if (!('kind' in item)) {
        problems.push(item);
        continue;
      }
      // One branch per kind, no closure per record.
      const scanned = item.kind === 'scanned' ? normalizeScanned(item.scan, receivedUs) : undefined;
      const built = item.kind === 'scanned' ? undefined : normalizeRecord(item, labels, receivedUs);
      const tsUs = scanned ? scanned.tsUs : built!.tsUs;
      count++;
      if (!(scanned ? scanned.ownTime : built!.ownTime)) allOwnTime = false;
      const hour = Math.floor(tsUs / 3_600_000_000);
      if (hour !== lastHour) {
        lastHour = hour;
        lastGroup = groups.get(hour);
        if (!lastGroup) {
          lastGroup = new PartitionWriter(chunks);
          groups.set(hour, lastGroup);
        }
      }
      const full =
        item.kind === 'scanned' ? lastGroup!.pushScanned(scanned!, middle, item) : lastGroup!.push(built!.line);
      if (full) await full;
    }
    if (problems.length > 0 && !o.partial) throw refusal(problems, count);
    const fingerprint = createHash('sha256').update(labels).update('\0').update(o.body).digest('hex');
    const { kind, name } = objectName(o, allOwnTime && count > 0, fingerprint);
    const hours = [...groups].sort((a, b) => a[0] - b[0]);
    const bodies = await Promise.all(hours.map(([, writer]) => writer.finish()));
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

/**
 * Output is written and compressed in chunks of this size: each write to zlib's stream costs the main
 * thread a round trip, so chunks are large.
 */
const CHUNK_BYTES = 1024 * 1024;

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
class PartitionWriter {
  count = 0;
  private chunk: Buffer | undefined;
  private length = 0;
  private gzip: Gzip | undefined;
  private compressed: Promise<Buffer> | undefined;

  constructor(private readonly pool: ChunkPool) {}

  /** Adds one line; returns a promise to wait for when a chunk went to compression (the event loop turns). */
  push(line: string): Promise<void> | undefined {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const worst = line.length * 3 + 1;
    this.count++;
    if (this.chunk && this.length + worst <= this.chunk.byteLength) {
      this.length += this.chunk.write(line, this.length, 'utf8');
      this.chunk[this.length++] = 0x0a;
      return undefined;
    }
    return this.pushSlow(line, worst);
  }

  /**
   * Adds a scanned NDJSON object's line: `head`, the message's JSON moved from the record's bytes, `middle`
   * (labels), then the record's bytes without the message member: bytes copied, not decoded and encoded.
   */
  pushScanned(n: ScannedLine, middle: Buffer, r: ScannedBytes): Promise<void> | undefined {
    const worst = HEAD_BYTES + (n.levelJson.length + n.messageJson.length) * 3 + middle.byteLength + (r.end - r.start);
    if (!this.chunk || this.length + worst > this.chunk.byteLength) {
      const bytes = Buffer.allocUnsafe(worst);
      const end = writeScanned(bytes, 0, n, middle, r);
      return this.push(bytes.toString('utf8', 0, end - 1));
    }
    this.count++;
    this.length = writeScanned(this.chunk, this.length, n, middle, r);
    return undefined;
  }

  private async pushSlow(line: string, worst: number): Promise<void> {
    if (this.chunk) this.send();
    if (worst > CHUNK_BYTES) {
      // A line longer than a chunk (up to the batch limit) goes to zlib on its own.
      this.stream().write(Buffer.from(`${line}\n`, 'utf8'));
      await turn();
      return;
    }
    const taken = this.pool.take();
    this.chunk = taken instanceof Promise ? await taken : taken;
    this.length = this.chunk.write(line, 0, 'utf8');
    this.chunk[this.length++] = 0x0a;
    // Let finished compressions hand their chunks back and the next queued chunk start.
    await turn();
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
    if (this.chunk) this.send();
    this.gzip.end();
    return this.compressed!;
  }

  /** Stops compressing (a refused or failed batch); chunks lent to zlib are not reused. */
  abandon(): void {
    this.gzip?.destroy();
    this.drop();
  }

  private drop(): void {
    if (this.chunk) this.pool.give(this.chunk);
    this.chunk = undefined;
  }

  private send(): void {
    const chunk = this.chunk!;
    this.chunk = undefined;
    this.pool.inFlight++;
    this.stream().write(chunk.subarray(0, this.length), () => this.pool.done(chunk));
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

type ScannedLine = ReturnType<typeof normalizeScanned>;
type ScannedBytes = { bytes: Buffer; start: number; end: number };

const TS_OPEN = Buffer.from('{"ts":"');
const LEVEL_OPEN = Buffer.from('","level":');
const MESSAGE_OPEN = Buffer.from(',"message":');
// The fixed parts of a line, its time (27 bytes), the closing brace and the newline.
const HEAD_BYTES = TS_OPEN.byteLength + 27 + LEVEL_OPEN.byteLength + MESSAGE_OPEN.byteLength + 2;

/**
 * Writes a scanned object's line and its newline at `at`; returns where it ends. Nothing of it becomes a
 * string: the time is written digit by digit under its second's cached text, the rest is copied.
 */
function writeScanned(out: Buffer, at: number, n: ScannedLine, middle: Buffer, r: ScannedBytes): number {
  at = copy(TS_OPEN, 0, TS_OPEN.byteLength, out, at);
  at = writeMicros(out, at, n.tsUs);
  at = copy(LEVEL_OPEN, 0, LEVEL_OPEN.byteLength, out, at);
  at += out.write(n.levelJson, at, 'utf8');
  at = copy(MESSAGE_OPEN, 0, MESSAGE_OPEN.byteLength, out, at);
  const m = n.message;
  if (m) {
    at = copy(r.bytes, m.valueStart, m.valueEnd, out, at);
    at = copy(middle, 0, middle.byteLength, out, at);
    at = copy(r.bytes, r.start, m.cutStart, out, at);
    at = copy(r.bytes, m.cutEnd, r.end, out, at);
  } else {
    at += out.write(n.messageJson, at, 'utf8');
    at = copy(middle, 0, middle.byteLength, out, at);
    at = copy(r.bytes, r.start, r.end, out, at);
  }
  out[at++] = 0x7d; // }
  out[at++] = 0x0a;
  return at;
}

/** `formatMicros(us)` written as bytes at `at`: `2026-12-01T23:01:47.123456Z`. */
function writeMicros(out: Buffer, at: number, us: number): number {
  const second = Math.floor(us / 1_000_000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedSecondText = Buffer.from(formatMicros(second * 1_000_000).slice(0, 20), 'latin1');
  }
  at = copy(cachedSecondText, 0, cachedSecondText.byteLength, out, at);
  let fraction = (us - second * 1_000_000) | 0;
  for (let i = 5; i >= 0; i--) {
    out[at + i] = 0x30 + (fraction % 10);
    fraction = (fraction / 10) | 0;
  }
  out[at + 6] = 0x5a; // Z
  return at + 7;
}

let cachedSecond = Number.NaN;
let cachedSecondText = Buffer.alloc(0);

/**
 * Copies `from[start, end)` to `to` at `at`. `Buffer#copy` allocates a view per call, so runs shorter than
 * about 40 bytes (measured) are copied faster byte by byte.
 */
function copy(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  if (end - start > 40) return at + from.copy(to, at, start, end);
  for (let i = start; i < end; i++) to[at++] = from[i]!;
  return at;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
