import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';
import { codeCacheVersionWarning, RUNTIME_NODE_MAJOR } from '../../scripts/code-cache/train';

describe('codeCacheVersionWarning', () => {
  it('is silent on the runtime’s major version, whatever the minor', () => {
    expect(codeCacheVersionWarning('v20.11.0')).toBeUndefined();
    expect(codeCacheVersionWarning('v20.20.2')).toBeUndefined();
  });

  it('warns on any other version, naming it and the runtime', () => {
    for (const version of ['v22.12.0', 'v18.20.4']) {
      const warning = codeCacheVersionWarning(version);
      expect(warning).toContain(`Node ${version}`);
      expect(warning).toContain('nodejs20');
    }
  });

  it('knows the runtime every function of s.yaml declares', () => {
    const runtimes = [...readFileSync(join(ROOT, 's.yaml'), 'utf8').matchAll(/runtime:\s*(\S+)/g)].map((m) => m[1]);
    expect(runtimes.length).toBeGreaterThan(0);
    expect(new Set(runtimes)).toEqual(new Set([`nodejs${RUNTIME_NODE_MAJOR}`]));
  });
});
