/**
 * Percent-encoding as OSS signs it: every byte outside `A-Z a-z 0-9 - _ . ~` (RFC 3986 unreserved).
 * `encodeURIComponent` leaves `!'()*` alone, so those are added here; `URLSearchParams` would turn a
 * space into "+", which OSS would sign as a literal plus.
 */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Encodes an object key or path for a URL: each segment with `encodeRfc3986`, "/" kept. */
export function encodePath(path: string): string {
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
  return raw.split('&').filter(Boolean).map((part) => {
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

/** `20261122T013224Z`: the ISO 8601 basic format V4 signing uses. */
export function v4Timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Parses `20261122T013224Z`, or returns `undefined` when malformed. */
export function parseV4Timestamp(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}
