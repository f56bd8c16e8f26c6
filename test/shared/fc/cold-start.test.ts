import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../shared/config';
import { loadConfigAtColdStart } from '../../../shared/fc/cold-start';

describe('loadConfigAtColdStart', () => {
  afterEach(() => vi.restoreAllMocks());

  it('returns the configuration the environment describes', () => {
    const config = loadConfigAtColdStart('fn', { OSS_BUCKET: 'flink-ws', OSS_REGION: 'cn-hangzhou' });
    expect(config.oss.bucket).toBe('flink-ws');
  });

  it('logs every bad variable under the function name, then throws the ConfigError', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    expect(() => loadConfigAtColdStart('catalog', { OSS_REGION: 'cn-hangzhou', OSS_SECURE: 'maybe' })).toThrow(
      ConfigError,
    );
    const logged = lines.join('');
    expect(logged).toContain('"fn":"catalog"');
    expect(logged).toContain('invalid configuration');
    expect(logged).toContain('OSS_BUCKET');
    expect(logged).toContain('OSS_SECURE');
  });
});
