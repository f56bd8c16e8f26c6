/**
 * Percent-encoding as OSS signs it: every byte outside `A-Z a-z 0-9 - _ . ~` (RFC 3986 unreserved).
 * `encodeURIComponent` leaves `!'()*` alone, so those are added here; `URLSearchParams` would turn a
 * space into "+", which OSS would sign as a literal plus.
 */
import { compactIsoTime } from '../../iso-time';
export function encodeRfc3986(text: string): string {
  // Most names, values and keys need no escaping at all; skip the slow path for them.
  if (UNRESERVED.test(text)) return text;
  // Long values (an STS security token is ~1 KB of base64, the credential scope) repeat on every URL signed with them.
  if (text.length >= LONG_VALUE) {
    let encoded = longValues.get(text);
    if (encoded === undefined) {
      encoded = encodeURIComponent(text).replace(RESERVED_BY_3986, escapeChar);
      if (longValues.size >= 16) longValues.clear();
      longValues.set(text, encoded);
    }
    return encoded;
  }
  return encodeURIComponent(text).replace(RESERVED_BY_3986, escapeChar);
}

const LONG_VALUE = 32;
const longValues = new Map<string, string>();

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const UNRESERVED_PATH = /^[A-Za-z0-9\-_.~/]*$/;
const RESERVED_BY_3986 = /[!'()*]/g;
const escapeChar = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;

/** Encodes an object key or path for a URL: each segment with `encodeRfc3986`, "/" kept. */
export function encodePath(path: string): string {
  if (UNRESERVED_PATH.test(path)) return path;
  return path.split('/').map(encodeRfc3986).join('/');
}

/** A query as ordered name/value pairs; an empty value is a bare name (`?uploads`). Repeats are kept. */
export type QueryPairs = ReadonlyArray<readonly [name: string, value: string]>;

/** Formats pairs as a query string (without "?"), each part RFC 3986-encoded, bare names for empty values. */
export function formatQuery(pairs: QueryPairs): string {
  return pairs.map(([k, v]) => (v === '' ? encodeRfc3986(k) : `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)).join('&');
}

/** Parses a raw query string (no "?") into decoded pairs, keeping order and repeats; "+" means space. */
export function parseQuery(raw: string): Array<[string, string]> {
  if (raw === '') return [];
  return raw
    .split('&')
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      return [safeDecode(name), safeDecode(value)];
    });
}

function safeDecode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

let lastStampSecond = Number.NaN;
let lastStamp = '';

/** `20261122T013224Z`: the ISO 8601 basic format V4 signing uses (cached per second: URLs are signed in bursts). */
export function v4Timestamp(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastStampSecond) {
    lastStamp = compactIsoTime(date);
    lastStampSecond = second;
  }
  return lastStamp;
}

/** Parses `20261122T013224Z`, or returns `undefined` when malformed. */
export function parseV4Timestamp(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}
