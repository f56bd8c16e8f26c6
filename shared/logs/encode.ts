/**
 * Records of a body → stored NDJSON lines, grouped by hour. The same loop runs on the main thread and in
 * the intake's worker threads; what receives a partition's lines (a gzip stream, or chunks sent back from
 * a worker) is the caller's `LineChunks`.
 */
import type { BodyItem } from './body';
import type { RecordProblem } from './errors';
import { formatMicros, LEVEL_JSON, normalizeRecord, normalizeScanned } from './normalize';

/**
 * Output is written in chunks of this size: each write to zlib's stream costs the main thread a round
 * trip, and each chunk a worker sends back is one transfer, so chunks are large.
 */
export const CHUNK_BYTES = 1024 * 1024;

/** What every line of a batch shares: its labels, and the time of records without their own. */
export interface EncodeContext {
  /** The labels as JSON. */
  labels: string;
  /** What every line has between the message and the record (`,"labels":…,"record":`). */
  middle: Buffer;
  /** Receive time, µs since the epoch. */
  receivedUs: number;
}

/** The context of a batch with labels `labels` (as JSON) received at `receivedUs`. */
export function encodeContext(labels: string, receivedUs: number): EncodeContext {
  return { labels, middle: Buffer.from(`,"labels":${labels},"record":`, 'utf8'), receivedUs };
}

/** `writerFor` of `encodeItems`: each hour's writer in `hours`, made by `make` on first use. */
export function writersIn<W extends LineChunks>(hours: Map<number, W>, make: () => W): (hour: number) => W {
  return (hour) => {
    let writer = hours.get(hour);
    if (!writer) {
      writer = make();
      hours.set(hour, writer);
    }
    return writer;
  };
}

/** The tally of encoded items. */
export interface EncodeTally {
  /** Records written. */
  count: number;
  /** Items that were not records, with their line. */
  problems: RecordProblem[];
  /** Whether every record written carried its own time. */
  allOwnTime: boolean;
}

/**
 * Writes each record of `items` as a line into the writer of its hour (`writerFor`, made on first use),
 * collecting the items that are not records. Waits whenever a writer asks to (its chunk went out).
 */
export async function encodeItems(
  items: Iterable<BodyItem>,
  ctx: EncodeContext,
  writerFor: (hour: number) => LineChunks,
): Promise<EncodeTally> {
  const problems: RecordProblem[] = [];
  let allOwnTime = true;
  let count = 0;
  let lastHour = Number.NaN;
  let lastWriter: LineChunks | undefined;
  for (const item of items) {
    if (!('kind' in item)) {
      problems.push(item);
      continue;
    }
    // One branch per kind, no closure per record.
    const scanned = item.kind === 'scanned' ? normalizeScanned(item.scan, item.bytes, ctx.receivedUs) : undefined;
    const built = item.kind === 'scanned' ? undefined : normalizeRecord(item, ctx.labels, ctx.receivedUs);
    const tsUs = scanned ? scanned.tsUs : built!.tsUs;
    count++;
    if (!(scanned ? scanned.ownTime : built!.ownTime)) allOwnTime = false;
    const hour = Math.floor(tsUs / 3_600_000_000);
    if (hour !== lastHour) {
      lastHour = hour;
      lastWriter = writerFor(hour);
    }
    const full =
      item.kind === 'scanned' ? lastWriter!.pushScanned(scanned!, ctx.middle, item) : lastWriter!.push(built!.line);
    if (full) await full;
  }
  return { count, problems, allOwnTime };
}

/**
 * The lines of one hour partition, written into chunks of `CHUNK_BYTES`. Subclasses say where a chunk
 * comes from and where a full one goes.
 */
export abstract class LineChunks {
  /** Lines written. */
  count = 0;
  protected chunk: Buffer | undefined;
  protected length = 0;

  /** Adds one line; returns a promise to wait for when a chunk went out (the event loop turns). */
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

  /** A chunk to fill (waiting for one when the subclass says so). */
  protected abstract take(): Buffer | Promise<Buffer>;

  /** The current chunk is full (or the partition is done): its first `length` bytes go out. */
  protected abstract send(chunk: Buffer, length: number): void;

  /** A line longer than a chunk, with its newline: it goes out on its own. */
  protected abstract sendLong(line: Buffer): void;

  /** Sends the current chunk, if any, so what goes out next follows it. */
  protected sendCurrent(): void {
    const chunk = this.chunk;
    if (!chunk) return;
    this.chunk = undefined;
    this.send(chunk, this.length);
  }

  private async pushSlow(line: string, worst: number): Promise<void> {
    this.sendCurrent();
    if (worst > CHUNK_BYTES) {
      // A line longer than a chunk (up to the batch limit) goes out on its own.
      this.sendLong(Buffer.from(`${line}\n`, 'utf8'));
      await turn();
      return;
    }
    const taken = this.take();
    this.chunk = taken instanceof Promise ? await taken : taken;
    this.length = this.chunk.write(line, 0, 'utf8');
    this.chunk[this.length++] = 0x0a;
    // Let finished compressions hand their chunks back and the next queued chunk start.
    await turn();
  }
}

type ScannedLine = ReturnType<typeof normalizeScanned>;
type ScannedBytes = { bytes: Buffer; start: number; end: number };

const TS_OPEN = Buffer.from('{"ts":"');
const LEVEL_OPEN = Buffer.from('","level":');
const MESSAGE_OPEN = Buffer.from(',"message":');
// The usual levels' JSON as bytes: writing a string costs a call into the encoder.
const LEVEL_BYTES = new Map(['null', ...Object.values(LEVEL_JSON)].map((json) => [json, Buffer.from(json)]));
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
  const level = LEVEL_BYTES.get(n.levelJson);
  at = level ? copy(level, 0, level.byteLength, out, at) : at + out.write(n.levelJson, at, 'utf8');
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

/** Yields to the event loop. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
