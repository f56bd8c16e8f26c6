import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';

const STUB = join(ROOT, 'scripts/build-stubs/lazy-zlib.cjs');

/** Runs `body` in a fresh node, with `z` the stand-in; prints what it returns as JSON. */
function fresh(body: string): unknown {
  const script = `const z = require(${JSON.stringify(STUB)});
const zlibLoaded = () => process.moduleLoadList.includes('NativeModule zlib');
process.stdout.write(JSON.stringify((() => { ${body} })()));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('the lazy zlib yauzl is bundled with', () => {
  it('answers yauzl’s load-time test without loading zlib', () => {
    expect(fresh(`return { crc32: typeof z.crc32, loaded: zlibLoaded() };`)).toEqual({
      crc32: 'function',
      loaded: false,
    });
  });

  it('loads zlib at the first use of a member and then gives the real ones', () => {
    const out = fresh(`
      const sum = z.crc32(Buffer.from('123456789'));
      const afterCrc = zlibLoaded();
      return { sum, afterCrc, inflate: typeof z.createInflateRaw, same: z.constants === require('node:zlib').constants };`);
    expect(out).toEqual({ sum: crc32(Buffer.from('123456789')), afterCrc: true, inflate: 'function', same: true });
  });
});
