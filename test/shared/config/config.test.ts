import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../shared/config';
import { parseByteSize, parseDuration } from '../../../shared/config/parse';

const minimal = { OSS_BUCKET: 'flink-ws', OSS_REGION: 'cn-hangzhou' };

function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.fromEntries((error as ConfigError).problems.map((p) => [p.variable, p.reason]));
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(minimal);
    expect(c.oss).toMatchObject({
      bucket: 'flink-ws',
      region: 'cn-hangzhou',
      secure: true,
      internal: false,
      accelerate: false,
      rootDirectory: '',
      encryption: undefined,
      chunkSize: 10 * 1024 * 1024,
      signatureVersion: 'v4',
    });
    expect(c.catalog.maxJava).toBe(11);
    expect(c.prune).toMatchObject({
      dryRun: true,
      keepCheckpoints: 3,
      inactiveAfterMs: 7 * 86_400_000,
      incompleteGraceMs: 3_600_000,
      sharedMinAgeMs: 86_400_000,
      savepointsMaxCount: 10,
      savepointsMaxAgeMs: 30 * 86_400_000,
    });
    expect(c.api.tokens).toEqual([]);
    expect(Object.isFrozen(c.oss)).toBe(true);
  });

  it('reads LOGS_INTAKE_THREADS: one thread unless set, at most 16', () => {
    expect(loadConfig(minimal).logs.intakeThreads).toBe(1);
    expect(loadConfig({ ...minimal, LOGS_INTAKE_THREADS: '2' }).logs.intakeThreads).toBe(2);
    for (const bad of ['0', '17', '1.5', 'two'])
      expect(problemsOf({ ...minimal, LOGS_INTAKE_THREADS: bad })).toHaveProperty('LOGS_INTAKE_THREADS');
  });

  it('accepts the oss- prefixed region and normalises the root directory', () => {
    const c = loadConfig({ ...minimal, OSS_REGION: 'oss-cn-shanghai', OSS_ROOT_DIRECTORY: '/team/ws' });
    expect(c.oss.region).toBe('cn-shanghai');
    expect(c.oss.rootDirectory).toBe('team/ws/');
  });

  it('uses the internal endpoint by default when running in the bucket region on FC', () => {
    expect(loadConfig({ ...minimal, FC_REGION: 'cn-hangzhou' }).oss.internal).toBe(true);
    expect(loadConfig({ ...minimal, FC_REGION: 'cn-beijing' }).oss.internal).toBe(false);
    expect(loadConfig({ ...minimal, FC_REGION: 'cn-hangzhou', OSS_INTERNAL: 'false' }).oss.internal).toBe(false);
  });

  it('reports every bad variable in one error', () => {
    const problems = problemsOf({
      OSS_REGION: 'Hangzhou!',
      OSS_CHUNK_SIZE: '10KiB',
      OSS_SIGNATURE_VERSION: 'v2',
      OSS_ENCRYPT: 'DES',
      OSS_SECURE: 'maybe',
      PRUNE_KEEP_CHECKPOINTS: '0',
      PRUNE_INACTIVE_AFTER: 'a week',
      OSS_ROOT_DIRECTORY: 'a/../b',
      OSS_PUBLIC_ENDPOINT: 'https://cdn.example.com/path',
    });
    expect(Object.keys(problems).sort()).toEqual(
      [
        'OSS_BUCKET',
        'OSS_REGION',
        'OSS_CHUNK_SIZE',
        'OSS_SIGNATURE_VERSION',
        'OSS_ENCRYPT',
        'OSS_SECURE',
        'PRUNE_KEEP_CHECKPOINTS',
        'PRUNE_INACTIVE_AFTER',
        'OSS_ROOT_DIRECTORY',
        'OSS_PUBLIC_ENDPOINT',
      ].sort(),
    );
    expect(problems.OSS_BUCKET).toMatch(/is required/);
    expect(problems.OSS_CHUNK_SIZE).toBe('must be at least 100 KiB, got 10 KiB');
    expect(problems.OSS_SIGNATURE_VERSION).toMatch(/one of v4, v1/);
    expect(problems.OSS_ROOT_DIRECTORY).toMatch(/\.\./);
  });

  it('lists each problem in the error message, one per line', () => {
    expect(() => loadConfig({ OSS_BUCKET: 'UPPER' })).toThrowError(
      /Invalid configuration \(2 problems\):\n {2}- OSS_BUCKET .*\n {2}- OSS_REGION is required/,
    );
  });

  it('never echoes a secret in an error', () => {
    const secret = 'super-secret-value-123';
    try {
      loadConfig({ ...minimal, ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret, OSS_CHUNK_SIZE: 'x' });
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(secret);
      expect((error as ConfigError).problems.map((p) => p.variable)).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');
    }
  });

  it('prefers the ALIBABA_CLOUD_* credentials over OSS_ACCESS_KEY_*', () => {
    const c = loadConfig({
      ...minimal,
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.a',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's1',
      ALIBABA_CLOUD_SECURITY_TOKEN: 't1',
      OSS_ACCESS_KEY_ID: 'b',
      OSS_ACCESS_KEY_SECRET: 's2',
    });
    expect(c.envCredentials).toEqual({ accessKeyId: 'STS.a', accessKeySecret: 's1', securityToken: 't1' });
    expect(loadConfig({ ...minimal, OSS_ACCESS_KEY_ID: 'b', OSS_ACCESS_KEY_SECRET: 's2' }).envCredentials).toEqual({
      accessKeyId: 'b',
      accessKeySecret: 's2',
    });
  });

  it('requires OSS_ENCRYPT=KMS for a KMS key id', () => {
    expect(problemsOf({ ...minimal, OSS_KMS_KEY_ID: 'k' }).OSS_KMS_KEY_ID).toMatch(/not KMS/);
    expect(loadConfig({ ...minimal, OSS_ENCRYPT: 'kms', OSS_KMS_KEY_ID: 'k' }).oss.encryption).toEqual({
      algorithm: 'KMS',
      kmsKeyId: 'k',
    });
  });

  it('parses endpoints with and without a scheme', () => {
    const c = loadConfig({
      ...minimal,
      OSS_ENDPOINT: 'oss-cn-hangzhou-internal.aliyuncs.com',
      OSS_PUBLIC_ENDPOINT: 'http://files.example.com:8080',
    });
    expect(c.oss.endpoint).toEqual({ protocol: 'https:', host: 'oss-cn-hangzhou-internal.aliyuncs.com' });
    expect(c.oss.publicEndpoint).toEqual({ protocol: 'http:', host: 'files.example.com:8080' });
  });
});

describe('API_TOKENS', () => {
  const digest = 'a'.repeat(64);

  it('parses scoped tokens and expands "*"', () => {
    const c = loadConfig({
      ...minimal,
      API_TOKENS: JSON.stringify([
        { id: 'ci', sha256: digest.toUpperCase(), namespaces: ['team-a'], actions: ['upload', 'list'] },
        { id: 'admin', sha256: 'b'.repeat(64), namespaces: '*', actions: '*' },
      ]),
    });
    expect(c.api.tokens).toEqual([
      { id: 'ci', sha256: digest, namespaces: ['team-a'], actions: ['upload', 'list'] },
      {
        id: 'admin',
        sha256: 'b'.repeat(64),
        namespaces: '*',
        actions: ['upload', 'download', 'list', 'delete', 'logs:write'],
      },
    ]);
  });

  it('names every problem of every entry', () => {
    const reason = problemsOf({
      ...minimal,
      API_TOKENS: JSON.stringify([
        { id: 'x', sha256: 'nothex', namespaces: ['Bad NS'], actions: ['fly'] },
        { id: 'x', sha256: digest, namespaces: '*', actions: '*', extra: 1 },
      ]),
    }).API_TOKENS;
    expect(reason).toMatch(/entry 0: sha256 must be the 64-hex-digit/);
    expect(reason).toMatch(/entry 0: namespaces "Bad NS"/);
    expect(reason).toMatch(/entry 0: unknown action\(s\) fly/);
    expect(reason).toMatch(/entry 1 has unknown field\(s\) extra/);
    expect(reason).toMatch(/entry 1: id "x" is used twice/);
  });

  it('rejects text that is not JSON without echoing it', () => {
    expect(problemsOf({ ...minimal, API_TOKENS: '[{id: secret}' }).API_TOKENS).toMatch(/^is not valid JSON/);
  });
});

describe('value parsers', () => {
  it.each([
    ['10485760', 10485760],
    ['100KiB', 102400],
    ['100 KB', 102400],
    ['10MiB', 10485760],
    ['1.5GiB', 1610612736],
  ])('parseByteSize(%s) = %d', (raw, bytes) => expect(parseByteSize(raw)).toBe(bytes));

  it.each([
    ['90', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['250ms', 250],
  ])('parseDuration(%s) = %d ms', (raw, ms) => expect(parseDuration(raw)).toBe(ms));

  it.each(['', 'h', '1x', '1h 30m', '-5s', '1.5h'])('parseDuration rejects %j', (raw) =>
    expect(() => parseDuration(raw)).toThrow(/expected a duration/),
  );
});
