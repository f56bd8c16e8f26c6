'use strict';
// One training instance of a built function (plain node, no TypeScript loader, no V8 flags: the cache it
// writes must match what FC's node accepts). Loads `<dir>/index.js`, answers each invocation the parent
// sends over IPC as FC would call the handler, and on `finish` writes `<dir>/app.cache` with everything
// compiled by then. See scripts/code-cache/train.ts.
// argv: <dir> <cache file> <description of the entry's state symbol>
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const [dir, cacheFile, stateKey] = process.argv.slice(2);
const fn = require(join(dir, 'index.js'));
const state = globalThis[Symbol.for(stateKey)];

process.on('message', async (message) => {
  if (message.t === 'finish') {
    if (!state) throw new Error(`${dir}/index.js is not the code-cache entry: nothing to write`);
    const cache = state.create();
    writeFileSync(cacheFile, cache);
    process.send({ t: 'written', bytes: cache.length }, () => process.exit(0));
    return;
  }
  try {
    if (message.initialize && typeof fn.initializer === 'function') await fn.initializer(message.context);
    const result = await fn.handler(Buffer.from(JSON.stringify(message.event)), message.context);
    process.send({ t: 'result', result: result ?? null });
  } catch (error) {
    process.send({ t: 'result', error: String(error?.stack ?? error) });
  }
});
process.send({ t: 'ready' });
