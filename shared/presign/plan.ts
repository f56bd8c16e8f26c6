import { MAX_PARTS, MIN_PART_SIZE } from '../storage/limits';

/**
 * The part size for an upload: the configured chunk size, raised (to a whole KiB) when the file would
 * otherwise need more than 10,000 parts.
 */
export function partSizeFor(size: number, chunkSize: number): number {
  const needed = Math.ceil(size / MAX_PARTS);
  const partSize = Math.max(chunkSize, MIN_PART_SIZE, needed);
  return Math.ceil(partSize / 1024) * 1024;
}

/** True when the upload is larger than one part and goes through multipart. */
export function needsMultipart(size: number, chunkSize: number): boolean {
  return size > chunkSize;
}

/** Number of parts of an upload. */
export function partCountFor(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/** Byte length of one part: the part size, except the last, which holds the rest. */
export function partLength(partNumber: number, size: number, partSize: number): number {
  const count = partCountFor(size, partSize);
  if (partNumber < 1 || partNumber > count) throw new RangeError(`part ${partNumber} is outside 1..${count}`);
  return partNumber < count ? partSize : size - partSize * (count - 1);
}

/** What is wrong with a set of uploaded parts against the plan, or `undefined` when it is complete. */
export function partsProblem(
  uploaded: ReadonlyArray<{ partNumber: number; size: number }>,
  size: number,
  partSize: number,
): string | undefined {
  const count = partCountFor(size, partSize);
  const byNumber = new Map(uploaded.map((p) => [p.partNumber, p]));
  const missing: number[] = [];
  const wrong: string[] = [];
  for (let n = 1; n <= count; n++) {
    const part = byNumber.get(n);
    if (!part) missing.push(n);
    else if (part.size !== partLength(n, size, partSize))
      wrong.push(`part ${n} has ${part.size} bytes, expected ${partLength(n, size, partSize)}`);
  }
  const extra = uploaded.filter((p) => p.partNumber > count).map((p) => p.partNumber);
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing part(s) ${compactRanges(missing)}`);
  if (wrong.length > 0)
    problems.push(wrong.slice(0, 5).join('; ') + (wrong.length > 5 ? `; and ${wrong.length - 5} more` : ''));
  if (extra.length > 0) problems.push(`unexpected part(s) ${compactRanges(extra)} beyond the planned ${count}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** `[1,2,3,5]` → `1-3, 5`. */
export function compactRanges(numbers: readonly number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}
