/**
 * A small benchmark harness: each `bench/<name>.bench.ts` default-exports a `Benchmark`; `npm run bench`
 * runs them (all, or those named on the command line), prints a table of figures and writes
 * `bench/results/<name>.json`. Figures are measured, never asserted: targets live in the README.
 */

/** One measured figure. `better` says which direction is an improvement, for readers of the JSON. */
export interface Metric {
  value: number;
  unit: string;
  better?: 'higher' | 'lower';
  /** What the figure is, in a few words. */
  label?: string;
}

export interface BenchContext {
  /** Progress for long benchmarks, printed as it happens. */
  log(message: string): void;
  /** True when `--quick` was given: use smaller sizes, for a smoke run. */
  quick: boolean;
}

export interface BenchOutcome {
  metrics: Record<string, Metric>;
  /** Facts a reader needs to interpret the figures (sizes, machine, what was compared). */
  notes?: string[];
  /** Further structured results, written to the JSON as they are (a per-route table, say). */
  [detail: string]: unknown;
}

export interface Benchmark {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchOutcome>;
}

/** Identity helper that gives a benchmark file its type. */
export function defineBenchmark(benchmark: Benchmark): Benchmark {
  return benchmark;
}

/** Median and percentiles of a list of samples. */
export function summarize(samples: number[]): {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
} {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}
