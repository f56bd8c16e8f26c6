/** What to send for a GetObject `Range` header. `end` is inclusive. */
export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Decides a `Range: bytes=…` request on an object of `size` bytes (docs/oss-protocol.md §4.2). OSS only honours a
 * single range. By default it keeps its legacy behaviour: any invalid or unsatisfiable range returns the
 * whole object with 200. With `x-oss-range-behavior: standard` an unsatisfiable range is 416 and an end
 * beyond the object is cut to the last byte.
 */
export function decideRange(header: string | undefined, size: number, standard: boolean): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  const invalid: RangeDecision = standard ? { kind: 'unsatisfiable' } : { kind: 'full' };
  if (m[1] === '') {
    // Suffix range: the last n bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return invalid;
    if (n > size) return standard ? { kind: 'partial', start: 0, end: size - 1 } : { kind: 'full' };
    return { kind: 'partial', start: size - n, end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] === '') {
    if (start >= size) return invalid;
    return { kind: 'partial', start, end: size - 1 };
  }
  const end = Number(m[2]);
  if (end < start) return { kind: 'full' };
  if (start >= size) return invalid;
  if (end >= size) return standard ? { kind: 'partial', start, end: size - 1 } : { kind: 'full' };
  return { kind: 'partial', start, end };
}
