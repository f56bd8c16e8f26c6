/**
 * Reading a log batch body: the transfer encoding (gzip, deflate), then the format (NDJSON, a JSON array,
 * or text lines) into records that keep their line number, so a refusal can say exactly which line is bad.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { LogIntakeError, type RecordProblem } from './errors';
import { MESSAGE_FIELDS, READ_FIELDS } from './fields';
import { arrayObjects, type ScannedObject, scanObject, WantedFields } from './json-scan';

/** One record of a batch as sent: a JSON object (with its exact text) or a line of text. */
export type RawRecord =
  | { line: number; kind: 'object'; value: Record<string, unknown>; text: string }
  | { line: number; kind: 'text'; text: string };

/**
 * An NDJSON line read in place: a JSON object at `bytes[start, end)`, with the members normalisation
 * reads (`READ_FIELDS`) decoded and located. Nothing else of it is decoded.
 */
export interface ScannedRecord {
  line: number;
  kind: 'scanned';
  bytes: Buffer;
  start: number;
  end: number;
  scan: ScannedObject;
}

/** What reading a body yields, in body order. */
export type BodyItem = RawRecord | ScannedRecord | RecordProblem;

export type BodyFormat = 'ndjson' | 'json' | 'text';

export interface ParsedBody {
  format: BodyFormat;
  records: RawRecord[];
  problems: RecordProblem[];
}

/**
 * Undoes `Content-Encoding` (gzip as Fluent Bit's `compress gzip` and Vector's `compression = "gzip"`
 * send it, deflate, identity). The decoded size is capped at `maxBytes`, so a small gzip bomb is a 413,
 * not an out-of-memory instance.
 */
export function decodeBody(body: Uint8Array, contentEncoding: string | undefined, maxBytes: number): Buffer {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const encodings = (contentEncoding ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '' && e !== 'identity');
  let out = buffer;
  for (const encoding of encodings.reverse()) {
    if (encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'deflate') {
      throw new LogIntakeError(
        'ENCODING_UNSUPPORTED',
        `Content-Encoding "${encoding}" is not supported; send the body plain, gzip or deflate.`,
      );
    }
    try {
      out =
        encoding === 'deflate'
          ? inflateSync(out, { maxOutputLength: maxBytes })
          : gunzipSync(out, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        throw new LogIntakeError(
          'BATCH_TOO_LARGE',
          `The decoded batch is larger than ${maxBytes} bytes; send smaller batches.`,
        );
      }
      throw new LogIntakeError(
        'BODY_INVALID',
        `The body is not valid ${encoding} data (${(error as Error).message}); check Content-Encoding.`,
      );
    }
  }
  if (out.byteLength > maxBytes) {
    throw new LogIntakeError('BATCH_TOO_LARGE', `The batch is larger than ${maxBytes} bytes; send smaller batches.`);
  }
  return out;
}

/**
 * The format of a body: `?format=` when given, else from `Content-Type` (`text/plain` is text,
 * `application/x-ndjson` NDJSON), else from the first character (`[` a JSON array, `{` NDJSON, else text).
 */
export function detectFormat(text: string, contentType: string | undefined, explicit?: string | null): BodyFormat {
  if (explicit) {
    if (explicit === 'ndjson' || explicit === 'json' || explicit === 'text') return explicit;
    throw new LogIntakeError('FORMAT_UNSUPPORTED', `format "${explicit}" is not one of ndjson, json, text.`);
  }
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'text/plain') return 'text';
  if (type === 'application/msgpack' || type === 'application/x-msgpack') {
    throw new LogIntakeError(
      'FORMAT_UNSUPPORTED',
      'MessagePack is not accepted; set Fluent Bit\'s "format json" or "format json_lines".',
    );
  }
  const first = firstNonSpace(text);
  if (first === '[') return 'json';
  if (first === '{') return 'ndjson';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/json') return 'ndjson';
  return 'text';
}

/**
 * Splits a decoded body into records, collecting a problem (with its line) for each unreadable one. Every
 * record is built whole (for tools and tests; the intake reads with `readBody`).
 */
export function parseBody(bytes: Buffer, contentType: string | undefined, explicit?: string | null): ParsedBody {
  const records: RawRecord[] = [];
  const problems: RecordProblem[] = [];
  const body = readBody(bytes, contentType, explicit);
  for (const item of body.items) {
    if (!('kind' in item)) problems.push(item);
    else if (item.kind !== 'scanned') records.push(item);
    else {
      const text = item.bytes.toString('utf8', item.start, item.end);
      records.push({ line: item.line, kind: 'object', value: JSON.parse(text), text });
    }
  }
  return { format: body.format, records, problems };
}

/**
 * The streaming form of `parseBody`: the format, and the records and problems in body order, each read
 * only when asked for. NDJSON object lines are scanned in place (`ScannedRecord`), so a large batch is
 * neither decoded to one string nor built into objects; other lines are decoded one at a time.
 */
export function readBody(
  bytes: Buffer,
  contentType: string | undefined,
  explicit: string | null | undefined,
): { format: BodyFormat; items: Iterable<BodyItem> } {
  const format = bodyFormat(bytes, contentType, explicit);
  if (format === 'json') {
    // An array of objects is read in place like NDJSON lines; anything else (or anything invalid) is
    // parsed whole, which words the refusal.
    const objects = arrayObjects(bytes);
    if (objects) return { format, items: arrayItems(bytes, objects) };
    const parsed = parseJsonArray(bytes.toString('utf8'));
    return { format, items: [...parsed.records, ...parsed.problems] };
  }
  return { format, items: readLines(bytes, format === 'text') };
}

/** The format of a decoded body (`detectFormat` on its start). */
export function bodyFormat(bytes: Buffer, contentType: string | undefined, explicit: string | null | undefined) {
  return detectFormat(bytes.toString('utf8', 0, Math.min(bytes.byteLength, 4096)), contentType, explicit);
}

// A message's text is read from its bytes, only for its level (normalizeScanned): none of it is decoded here.
const WANTED = new WantedFields(READ_FIELDS, MESSAGE_FIELDS, 0);

function* arrayItems(bytes: Buffer, objects: Array<{ start: number; end: number }>): Generator<BodyItem> {
  for (const { start, end } of objects) {
    const scan = scanObject(bytes, start, end, WANTED);
    if (scan) yield { line: 1, kind: 'scanned', bytes, start, end, scan };
    else {
      // Nested deeper than the scan follows: JSON.parse reads it.
      const text = bytes.toString('utf8', start, end);
      yield { line: 1, kind: 'object', value: JSON.parse(text), text };
    }
  }
}

/**
 * The items of an NDJSON or text body (or a slice of one that starts at a line), numbered from line 1 of
 * `bytes`. `lines`, when given, holds the number of lines read so far (all of them once the items are).
 */
export function* readLines(bytes: Buffer, text: boolean, lines?: { count: number }): Generator<BodyItem> {
  let line = 0;
  let at = 0;
  while (at < bytes.byteLength) {
    let stop = bytes.indexOf(0x0a, at);
    if (stop === -1) stop = bytes.byteLength;
    line++;
    if (lines) lines.count = line;
    const start = at;
    const end = stop > start && bytes[stop - 1] === 0x0d ? stop - 1 : stop;
    at = stop + 1;
    if (!text && bytes[start] === 0x7b) {
      const scan = scanObject(bytes, start, end, WANTED);
      if (scan) {
        yield { line, kind: 'scanned', bytes, start, end, scan };
        continue;
      }
    }
    // Anything else (text, a JSON string, a line to refuse with JSON.parse's own words) as a string.
    const raw = bytes.toString('utf8', start, end);
    if (raw.length === 0 || (raw.charCodeAt(0) <= 32 && raw.trim() === '')) continue;
    if (text) {
      yield { line, kind: 'text', text: raw };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      yield { line, message: `not valid JSON: ${shortJsonError(error)}` };
      continue;
    }
    yield toRecord(value, line, raw);
  }
}

function parseJsonArray(text: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8 names the offset for most syntax errors ("… in JSON at position 25"), not for all.
    const position = /position (\d+)/.exec((error as Error).message);
    const line = position ? lineAt(text, Number(position[1])) : undefined;
    throw new LogIntakeError(
      'RECORDS_INVALID',
      `The body is not a valid JSON array${line ? ` (line ${line})` : ''}: ${shortJsonError(error)}.`,
      [{ ...(line && { line }), message: `not valid JSON: ${shortJsonError(error)}` }],
    );
  }
  if (!Array.isArray(value)) throw new LogIntakeError('BODY_INVALID', 'A body starting with "[" must be a JSON array.');
  const records: RawRecord[] = [];
  const problems: RecordProblem[] = [];
  // Collectors send the array on one line, so an element is named by its index, not a line.
  value.forEach((element, index) => {
    const r = toRecord(element, undefined, undefined, index);
    if ('message' in r) problems.push(r);
    else records.push(r);
  });
  return { format: 'json', records, problems };
}

function toRecord(
  value: unknown,
  line: number | undefined,
  text: string | undefined,
  index?: number,
): RawRecord | RecordProblem {
  const at = line ?? 1;
  if (typeof value === 'string') return { line: at, kind: 'text', text: value };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return { line: at, kind: 'object', value: value as Record<string, unknown>, text: text ?? JSON.stringify(value) };
  }
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return {
    ...(line !== undefined && { line }),
    ...(index !== undefined && { index }),
    message: `${what}, not a JSON object or string`,
  };
}

function firstNonSpace(text: string): string | undefined {
  const m = /\S/.exec(text.length > 4096 ? text.slice(0, 4096) : text);
  return m?.[0];
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function shortJsonError(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  return message.length > 120 ? `${message.slice(0, 120)}…` : message;
}
