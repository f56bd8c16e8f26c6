import { describe, expect, it } from 'vitest';
import { type CatalogRecord, type Finding, parseCatalogRecord, statusOf } from '../../../shared/catalog/record';

const warning: Finding = { severity: 'warning', code: 'JAR_FLINK_BUNDLED', message: 'bundles Flink' };
const error: Finding = { severity: 'error', code: 'JAR_NOT_ZIP', message: 'not a zip' };
const info: Finding = { severity: 'info', code: 'JAR_NOTE', message: 'note' };

describe('statusOf', () => {
  it('is invalid with any error, warning with any warning, else valid', () => {
    expect(statusOf([])).toBe('valid');
    expect(statusOf([info])).toBe('valid');
    expect(statusOf([info, warning])).toBe('warning');
    expect(statusOf([warning, error, info])).toBe('invalid');
    expect(statusOf([error])).toBe('invalid');
  });
});

describe('parseCatalogRecord', () => {
  const record: CatalogRecord = {
    schemaVersion: 1,
    key: 'artifacts/namespaces/team-a/job.jar',
    ossPath: 'oss://bkt/artifacts/namespaces/team-a/job.jar',
    namespace: 'team-a',
    name: 'job.jar',
    size: 10,
    etag: '0123456789ABCDEF0123456789ABCDEF',
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    lastModified: '2026-01-01T00:00:00.000Z',
    catalogedAt: '2026-01-01T00:00:01.000Z',
    status: 'warning',
    findings: [warning],
    jar: {
      manifest: { 'Main-Class': 'com.example.Job' },
      entryClass: 'com.example.Job',
      entries: 3,
      classes: 2,
      embedded: [],
    },
  };
  const text = (value: unknown) => JSON.stringify(value);

  it('reads a record of this schema version', () => {
    expect(parseCatalogRecord(text(record))).toEqual(record);
    const { jar: _jar, ...withoutJar } = record;
    expect(parseCatalogRecord(text({ ...withoutJar, status: 'valid', findings: [] }))).toMatchObject({
      status: 'valid',
      findings: [],
    });
  });

  it('refuses what is not JSON, or not an object', () => {
    for (const bad of ['', '{', 'not json', '{"schemaVersion":1,', 'null', '42', '"record"', 'true'])
      expect(parseCatalogRecord(bad), bad).toBeUndefined();
  });

  it('refuses another schema version', () => {
    for (const schemaVersion of [0, 2, '1', undefined])
      expect(parseCatalogRecord(text({ ...record, schemaVersion })), String(schemaVersion)).toBeUndefined();
  });

  it('refuses a record missing its key, ETag, status or findings, or with an unknown status', () => {
    for (const field of ['key', 'etag', 'status', 'findings'] as const) {
      const { [field]: _gone, ...rest } = record;
      expect(parseCatalogRecord(text(rest)), `without ${field}`).toBeUndefined();
    }
    expect(parseCatalogRecord(text({ ...record, key: 42 }))).toBeUndefined();
    expect(parseCatalogRecord(text({ ...record, etag: null }))).toBeUndefined();
    expect(parseCatalogRecord(text({ ...record, status: 'pending' }))).toBeUndefined();
    expect(parseCatalogRecord(text({ ...record, findings: {} }))).toBeUndefined();
    expect(parseCatalogRecord(text([record]))).toBeUndefined();
  });
});
