#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// Installs the project's dependencies when they are missing or older than package-lock.json, so that
// `npm start` and `npm test` work on a fresh clone with no earlier command. Plain Node on purpose:
// nothing from node_modules can be assumed to exist yet.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockFile = join(root, 'package-lock.json');
const stampFile = join(root, 'node_modules', '.deps-stamp');

function lockDigest() {
  const hash = createHash('sha256');
  hash.update(readFileSync(lockFile));
  hash.update(process.version);
  return hash.digest('hex');
}

function esbuildWorks() {
  const probe = spawnSync(process.execPath, ['-e', "require('esbuild').transformSync('let a = 1')"], {
    cwd: root,
    stdio: 'ignore',
  });
  return probe.status === 0;
}

const wanted = lockDigest();
const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (current === wanted && esbuildWorks()) process.exit(0);

console.log(current ? 'Dependencies changed: running npm ci…' : 'Installing dependencies (npm ci)…');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();
const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  console.error('npm ci failed; fix the error above and run the command again.');
  process.exit(result.status ?? 1);
}
if (!esbuildWorks()) {
  // npm can skip optional dependencies (for example with --omit=optional in a user config);
  // esbuild's native binary is one, and nothing builds without it.
  console.error(
    "esbuild's platform binary is missing after npm ci. Check that optional dependencies are not omitted (npm config get omit).",
  );
  process.exit(1);
}
writeFileSync(stampFile, `${wanted}\n`);
console.log(`Dependencies installed in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
