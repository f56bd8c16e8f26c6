#!/usr/bin/env node
// The browser tests drive Debian's chromium (playwright-core never downloads a browser of its own). `npm test`
// installs it when it is missing and the machine allows (root, apt-get); otherwise it says what to do, and the
// browser tests name the missing binary. Plain Node on purpose: it runs before anything else is checked.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!root || !apt || process.env.CHROMIUM_PATH) {
  console.warn(
    `No Chromium at ${path}: the browser tests will fail. Install it (apt-get install chromium) or set CHROMIUM_PATH.`,
  );
  process.exit(0);
}
console.log('Installing chromium for the browser tests (apt-get)…');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
const install =
  update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env }) : update;
if (install.status !== 0)
  console.warn('Installing chromium failed; the browser tests will fail until it is installed.');
