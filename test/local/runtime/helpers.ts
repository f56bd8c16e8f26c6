import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunction } from '../../../scripts/build';

export const STACK_DIR = fileURLToPath(new URL('../../fixtures/stack/', import.meta.url));
const FUNCTIONS_DIR = fileURLToPath(new URL('../../fixtures/functions/', import.meta.url));

/** A temp directory with the named fixture functions bundled for real into `<dist>/<name>/index.js`. */
export async function bundleFixtures(
  names: string[],
): Promise<{ root: string; dist: string; out: string; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'fc-runtime-test-'));
  const dist = join(root, 'dist');
  await Promise.all(
    names.map((name) => bundleFunction(`fixture-${name}`, join(FUNCTIONS_DIR, name, 'index.ts'), join(dist, name))),
  );
  return { root, dist, out: join(root, 'out'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** JSON files in `dir` whose names start with `prefix`. */
export function readRecords(dir: string, prefix: string): unknown[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown);
}

/** PIDs of live processes whose command line mentions `needle` (Linux /proc; empty elsewhere). */
export function processesMentioning(needle: string): number[] {
  if (!existsSync('/proc')) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
