/** `npm run bench [-- name… | --quick]`: runs the benchmarks in bench/*.bench.ts. */
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, BenchOutcome } from './harness';

const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const all: Benchmark[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Benchmark };
    all.push(mod.default);
  }
  const unknown = wanted.filter((w) => !all.some((b) => b.name === w));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${all.map((b) => b.name).join(', ') || 'none'}`);
    process.exit(2);
  }
  const selected = wanted.length > 0 ? all.filter((b) => wanted.includes(b.name)) : all;
  await mkdir(join(here, 'results'), { recursive: true });
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
  };
  for (const bench of selected) {
    console.log(`\n▶ ${bench.name}: ${bench.description}`);
    const started = Date.now();
    const outcome: BenchOutcome = await bench.run({ quick, log: (m) => console.log(`  … ${m}`) });
    printTable(outcome);
    const result = {
      name: bench.name,
      description: bench.description,
      at: new Date().toISOString(),
      quick,
      machine,
      seconds: (Date.now() - started) / 1000,
      ...outcome,
    };
    await writeFile(join(here, 'results', `${bench.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`  → bench/results/${bench.name}.json`);
  }
}

function printTable(outcome: BenchOutcome): void {
  const rows = Object.entries(outcome.metrics);
  const width = Math.max(...rows.map(([k]) => k.length), 6);
  for (const [key, m] of rows) {
    const value = Number.isInteger(m.value) ? String(m.value) : m.value.toFixed(m.value < 10 ? 3 : 1);
    console.log(`  ${key.padEnd(width)}  ${value.padStart(12)} ${m.unit}${m.label ? `  (${m.label})` : ''}`);
  }
  for (const note of outcome.notes ?? []) console.log(`  note: ${note}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
