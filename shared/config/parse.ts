/**
 * Parsers for environment variable values. Each returns the parsed value or throws a `ParseProblem`
 * whose message says what was expected; the config loader turns problems into one report.
 */

export class ParseProblem extends Error {}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** `true/false`, `1/0`, `yes/no`, `on/off`, any case. */
export function parseBoolean(raw: string): boolean {
  const v = raw.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ParseProblem(`expected true or false, got "${raw}"`);
}

/** A whole number in decimal, optionally bounded. */
export function parseInteger(raw: string, bounds: { min?: number; max?: number } = {}): number {
  if (!/^-?\d+$/.test(raw)) throw new ParseProblem(`expected a whole number, got "${raw}"`);
  const n = Number(raw);
  checkBounds(n, bounds, String);
  return n;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * A byte size: `10485760`, `10MiB`, `100 KiB`, `5GB`. KB/MB/GB are binary (1024-based), as OSS
 * itself counts them (its "100 KB" minimum part size is 102400 bytes).
 */
export function parseByteSize(raw: string, bounds: { min?: number; max?: number } = {}): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new ParseProblem(`expected a size such as 10485760, 100KiB, 10MiB or 5GiB, got "${raw}"`);
  }
  const bytes = Math.round(Number(m[1]) * unit);
  checkBounds(bytes, bounds, formatByteSize);
  return bytes;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration: `90s`, `15m`, `1h`, `1h30m`, `7d`, `2w`; a bare number is seconds. Returns milliseconds. */
export function parseDuration(raw: string, bounds: { min?: number; max?: number } = {}): number {
  const text = raw.trim().toLowerCase();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
      throw new ParseProblem(`expected a duration such as 90s, 15m, 1h, 7d or 1h30m, got "${raw}"`);
    }
    ms = parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
  }
  checkBounds(ms, bounds, formatDuration);
  return ms;
}

/** One of a fixed set of values, matched without regard to case; returns the canonical spelling. */
export function parseChoice<const T extends string>(raw: string, choices: readonly T[]): T {
  const found = choices.find((c) => c.toLowerCase() === raw.toLowerCase());
  if (found === undefined) throw new ParseProblem(`expected one of ${choices.join(', ')}, got "${raw}"`);
  return found;
}

/** JSON text; the message of a syntax error is kept, the text itself is not echoed (it may hold secrets). */
export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new ParseProblem(`is not valid JSON (${(error as Error).message})`);
  }
}

/** Comma-separated list, trimmed, empty items dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function checkBounds(n: number, { min, max }: { min?: number; max?: number }, show: (n: number) => string): void {
  if (min !== undefined && n < min) throw new ParseProblem(`must be at least ${show(min)}, got ${show(n)}`);
  if (max !== undefined && n > max) throw new ParseProblem(`must be at most ${show(max)}, got ${show(n)}`);
}

/** `10485760` → `10 MiB`; exact units only, otherwise bytes. */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [
    ['TiB', 1024 ** 4],
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** `3600000` → `1h`; the largest exact unit. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['w', 604_800_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
