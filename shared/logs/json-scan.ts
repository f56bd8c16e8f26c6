/**
 * Reading an NDJSON log line without building it: the line's UTF-8 bytes are checked as strictly as
 * `JSON.parse` checks a JSON object (and as strictly as a UTF-8 decoder), and only the few top-level
 * members normalisation reads are decoded, with where each member is so it can be moved out of the
 * record. Log records carry nested objects (Fluent Bit's `kubernetes`, Vector's metadata) that the intake
 * stores as sent and never looks into: decoding every line to a string and building every object was most
 * of the intake's cost.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Containers nested deeper than this are left to `JSON.parse` (the scan recurses). */
const MAX_DEPTH = 200;

/** Where a top-level member is: the bytes to cut to drop it (with one adjacent comma), and its value. */
export interface MemberSpan {
  cutStart: number;
  cutEnd: number;
  valueStart: number;
  valueEnd: number;
  /** The value is a string with an escape in it (its bytes are not its text). */
  escaped: boolean;
}

/** A scanned object: its wanted members decoded, and where the located ones are. */
export interface ScannedObject {
  /**
   * The wanted members, decoded; a located member's string holds only its first `locatedPrefix`
   * characters when the fields say so (its whole value is at its span).
   */
  values: Record<string, unknown>;
  spans: Record<string, MemberSpan>;
}

/**
 * Field names to decode (and of those, the ones to locate), kept as bytes by length so a key is compared
 * without decoding it.
 */
export class WantedFields {
  private readonly byLength: Array<Array<{ name: string; bytes: Buffer }>> = [];
  readonly located: ReadonlySet<string>;

  /**
   * `names` are decoded, `located` are also located; a located string is decoded only up to its first
   * `locatedPrefix` UTF-16 units (all of it by default).
   */
  constructor(
    names: Iterable<string>,
    located: Iterable<string>,
    readonly locatedPrefix = Number.POSITIVE_INFINITY,
  ) {
    for (const name of names) {
      const bytes = Buffer.from(name, 'utf8');
      const same = this.byLength[bytes.byteLength] ?? [];
      same.push({ name, bytes });
      this.byLength[bytes.byteLength] = same;
    }
    this.located = new Set(located);
  }

  /** The wanted name the key `bytes[start, end)` (no escapes) spells, if any. */
  match(bytes: Buffer, start: number, end: number): string | undefined {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return undefined;
    outer: for (const c of candidates) {
      for (let i = 0; i < c.bytes.byteLength; i++) if (c.bytes[i] !== bytes[start + i]) continue outer;
      return c.name;
    }
    return undefined;
  }

  /** Whether a decoded key is wanted. */
  has(name: string): boolean {
    const bytes = Buffer.from(name, 'utf8');
    return this.match(bytes, 0, bytes.byteLength) !== undefined;
  }
}

// Set by scanString: whether the string just scanned has an escape (then it is decoded by JSON.parse).
let sawEscape = false;

/**
 * The wanted top-level members of the JSON object in `bytes[start, end)`, decoded as `JSON.parse` would
 * (the last of a repeated key wins), or `undefined` when the bytes are not a JSON object in valid UTF-8
 * this scan accepts. `undefined` only means "decode the line and ask `JSON.parse`", which then has the
 * final word, so the scan never needs to be more lenient than it. A newline or the end of `bytes` follows
 * `end`, and every token stops there.
 */
export function scanObject(bytes: Buffer, start: number, end: number, wanted: WantedFields): ScannedObject | undefined {
  let i = skipSpace(bytes, start, end);
  if (bytes[i] !== OPEN_BRACE) return undefined;
  const values: Record<string, unknown> = {};
  const spans: Record<string, MemberSpan> = {};
  i = skipSpace(bytes, i + 1, end);
  if (bytes[i] === CLOSE_BRACE) i++;
  else {
    let previousComma = -1;
    for (;;) {
      if (bytes[i] !== QUOTE) return undefined;
      const keyStart = i;
      i = scanString(bytes, i);
      if (i < 0) return undefined;
      const keyEnd = i;
      const name = sawEscape
        ? wantedEscaped(bytes, keyStart, keyEnd, wanted)
        : wanted.match(bytes, keyStart + 1, keyEnd - 1);
      i = skipSpace(bytes, i, end);
      if (bytes[i] !== COLON) return undefined;
      const valueStart = skipSpace(bytes, i + 1, end);
      const valueEnd = scanValue(bytes, valueStart, end, 1);
      if (valueEnd < 0) return undefined;
      const valueEscaped = sawEscape; // of the value when it is a string
      i = skipSpace(bytes, valueEnd, end);
      const c = bytes[i];
      if (c !== COMMA && c !== CLOSE_BRACE) return undefined;
      if (name !== undefined) {
        const located = wanted.located.has(name);
        values[name] =
          located && bytes[valueStart] === QUOTE
            ? stringPrefix(bytes, valueStart, valueEnd, valueEscaped, wanted.locatedPrefix)
            : decodeValue(bytes, valueStart, valueEnd, valueEscaped);
        if (located) {
          const escaped = valueEscaped && bytes[valueStart] === QUOTE;
          spans[name] =
            c === COMMA
              ? { cutStart: keyStart, cutEnd: i + 1, valueStart, valueEnd, escaped }
              : previousComma >= 0
                ? { cutStart: previousComma, cutEnd: valueEnd, valueStart, valueEnd, escaped }
                : { cutStart: keyStart, cutEnd: valueEnd, valueStart, valueEnd, escaped };
        }
      }
      if (c === CLOSE_BRACE) {
        i++;
        break;
      }
      previousComma = i;
      i = skipSpace(bytes, i + 1, end);
    }
  }
  return skipSpace(bytes, i, end) === end ? { values, spans } : undefined;
}

/**
 * The objects of a JSON array body (Fluent Bit's `format json`) as `bytes[start, end)` ranges, or
 * `undefined` when the body is not an array of objects this scan accepts (then `JSON.parse` decides).
 */
export function arrayObjects(bytes: Buffer): Array<{ start: number; end: number }> | undefined {
  const end = bytes.byteLength;
  let i = skipSpace(bytes, 0, end);
  if (bytes[i] !== OPEN_BRACKET) return undefined;
  const objects: Array<{ start: number; end: number }> = [];
  i = skipSpace(bytes, i + 1, end);
  if (bytes[i] === CLOSE_BRACKET) i++;
  else {
    for (;;) {
      if (bytes[i] !== OPEN_BRACE) return undefined;
      const objectEnd = scanValue(bytes, i, end, 1);
      if (objectEnd < 0) return undefined;
      objects.push({ start: i, end: objectEnd });
      i = skipSpace(bytes, objectEnd, end);
      const c = bytes[i];
      if (c === COMMA) i = skipSpace(bytes, i + 1, end);
      else if (c === CLOSE_BRACKET) {
        i++;
        break;
      } else return undefined;
    }
  }
  return skipSpace(bytes, i, end) === end ? objects : undefined;
}

function wantedEscaped(bytes: Buffer, start: number, end: number, wanted: WantedFields): string | undefined {
  const name = JSON.parse(bytes.toString('utf8', start, end)) as string;
  return wanted.has(name) ? name : undefined;
}

function skipSpace(bytes: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
  }
  return end;
}

/** The index after the JSON value starting at `i`, or -1. */
function scanValue(bytes: Buffer, i: number, end: number, depth: number): number {
  const c = bytes[i];
  if (c === QUOTE) return scanString(bytes, i);
  if (c === OPEN_BRACE) {
    if (depth > MAX_DEPTH) return -1;
    i = skipSpace(bytes, i + 1, end);
    if (bytes[i] === CLOSE_BRACE) return i + 1;
    for (;;) {
      if (bytes[i] !== QUOTE) return -1;
      i = scanString(bytes, i);
      if (i < 0) return -1;
      i = skipSpace(bytes, i, end);
      if (bytes[i] !== COLON) return -1;
      i = scanValue(bytes, skipSpace(bytes, i + 1, end), end, depth + 1);
      if (i < 0) return -1;
      i = skipSpace(bytes, i, end);
      const d = bytes[i];
      if (d === COMMA) i = skipSpace(bytes, i + 1, end);
      else return d === CLOSE_BRACE ? i + 1 : -1;
    }
  }
  if (c === OPEN_BRACKET) {
    if (depth > MAX_DEPTH) return -1;
    i = skipSpace(bytes, i + 1, end);
    if (bytes[i] === CLOSE_BRACKET) return i + 1;
    for (;;) {
      i = scanValue(bytes, i, end, depth + 1);
      if (i < 0) return -1;
      i = skipSpace(bytes, i, end);
      const d = bytes[i];
      if (d === COMMA) i = skipSpace(bytes, i + 1, end);
      else return d === CLOSE_BRACKET ? i + 1 : -1;
    }
  }
  // true, false, null
  if (c === 0x74) return bytes[i + 1] === 0x72 && bytes[i + 2] === 0x75 && bytes[i + 3] === 0x65 ? i + 4 : -1;
  if (c === 0x66)
    return bytes[i + 1] === 0x61 && bytes[i + 2] === 0x6c && bytes[i + 3] === 0x73 && bytes[i + 4] === 0x65
      ? i + 5
      : -1;
  if (c === 0x6e) return bytes[i + 1] === 0x75 && bytes[i + 2] === 0x6c && bytes[i + 3] === 0x6c ? i + 4 : -1;
  return scanNumber(bytes, i);
}

/** The index after the JSON string opening at `i` (a quote), or -1. Sets `sawEscape`. */
function scanString(bytes: Buffer, i: number): number {
  let j = i + 1;
  sawEscape = false;
  for (;;) {
    const c = bytes[j];
    if (c === undefined) return -1;
    if (c === QUOTE) return j + 1;
    if (c >= 0x20 && c < 0x80) {
      if (c !== BACKSLASH) {
        j++;
        continue;
      }
      sawEscape = true;
      const e = bytes[j + 1];
      if (e === 0x75) {
        if (!(isHex(bytes[j + 2]) && isHex(bytes[j + 3]) && isHex(bytes[j + 4]) && isHex(bytes[j + 5]))) return -1;
        j += 6;
      } else if (
        e === QUOTE ||
        e === BACKSLASH ||
        e === SLASH ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      ) {
        j += 2;
      } else {
        return -1;
      }
      continue;
    }
    if (c < 0x20) return -1; // control characters must be escaped (a newline ends the line: unterminated)
    j = utf8SequenceEnd(bytes, j, c);
    if (j < 0) return -1;
  }
}

/** The index after the well-formed UTF-8 sequence led by `c` at `j`, or -1 (what a decoder would replace). */
function utf8SequenceEnd(bytes: Buffer, j: number, c: number): number {
  let n: number;
  let low = 0x80;
  let high = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 1;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 2;
    if (c === 0xe0) low = 0xa0;
    else if (c === 0xed) high = 0x9f; // no UTF-16 surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 3;
    if (c === 0xf0) low = 0x90;
    else if (c === 0xf4) high = 0x8f;
  } else return -1;
  const second = bytes[j + 1];
  if (second === undefined || second < low || second > high) return -1;
  for (let k = 2; k <= n; k++) {
    const b = bytes[j + k];
    if (b === undefined || b < 0x80 || b > 0xbf) return -1;
  }
  return j + n + 1;
}

/** The index after the JSON number at `i`: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, or -1. */
function scanNumber(bytes: Buffer, i: number): number {
  let j = i;
  if (bytes[j] === MINUS) j++;
  const first = bytes[j];
  if (first === 0x30) j++;
  else if (first !== undefined && first >= 0x31 && first <= 0x39) j = digits(bytes, j + 1);
  else return -1;
  if (bytes[j] === DOT) {
    if (!isDigit(bytes[j + 1])) return -1;
    j = digits(bytes, j + 1);
  }
  const e = bytes[j];
  if (e === 0x65 || e === 0x45) {
    j++;
    const sign = bytes[j];
    if (sign === PLUS || sign === MINUS) j++;
    if (!isDigit(bytes[j])) return -1;
    j = digits(bytes, j);
  }
  return j;
}

function digits(bytes: Buffer, j: number): number {
  while (isDigit(bytes[j])) j++;
  return j;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
}

/**
 * The first `units` UTF-16 units of the JSON string `bytes[start, end)`. Without escapes, 4 bytes per
 * unit always hold them (a sequence a cut splits decodes past them), so a long value is not decoded whole.
 */
function stringPrefix(bytes: Buffer, start: number, end: number, escaped: boolean, units: number): string {
  if (units === 0) return '';
  const text = escaped
    ? (decodeValue(bytes, start, end, true) as string)
    : bytes.toString('utf8', start + 1, Math.min(end - 1, start + 1 + 4 * units));
  return text.length > units ? text.slice(0, units) : text;
}

/** A scanned JSON value, as `JSON.parse` gives it. */
function decodeValue(bytes: Buffer, start: number, end: number, escaped: boolean): unknown {
  const c = bytes[start]!;
  if (c === QUOTE && !escaped) return bytes.toString('utf8', start + 1, end - 1);
  if (c === MINUS || isDigit(c)) return numberAt(bytes, start, end);
  return JSON.parse(bytes.toString('utf8', start, end));
}

/** 10^0 … 10^22: every one exact in a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The scanned JSON number `bytes[start, end)`, as `Number()` reads it. Without an exponent and with its
 * digits below 2^53 (epoch times, counts) it is computed here: the digits and the power of ten are then
 * exact doubles, so their quotient is the correctly rounded value, which is what `Number()` gives.
 * Anything else goes to `Number()`.
 */
function numberAt(bytes: Buffer, start: number, end: number): number {
  let i = start;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c === DOT) fraction = 0;
    else if (c >= 0x30 && c <= 0x39) {
      // Exact while below 2^53; past it, it never comes back below (checked after the loop).
      mantissa = mantissa * 10 + (c - 0x30);
      if (fraction >= 0) fraction++;
    } else break; // an exponent
  }
  // JSON numbers are a subset of what Number() reads, with the same rounding.
  if (i < end || mantissa >= 2 ** 53 || fraction > 22) return Number(bytes.toString('latin1', start, end));
  const value = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction]! : mantissa;
  return negative ? -value : value;
}
