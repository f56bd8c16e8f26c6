import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors';
import { LogKeys, partitionOf } from '../../../shared/logs/keys';
import { parseLabels } from '../../../shared/logs/labels';

describe('LogKeys', () => {
  const keys = new LogKeys('');
  const p = partitionOf('team-a', '3f2a1b9c-0d4e-4f5a-8b6c-7d8e9f0a1b2c', Date.parse('2025-12-01T07:59:59.999Z'));

  it('lays shipped logs out in Hive partitions under logs/_shipped/', () => {
    expect(keys.objectKey(p, 'k-abc')).toBe(
      'logs/_shipped/namespace=team-a/deployment=3f2a1b9c-0d4e-4f5a-8b6c-7d8e9f0a1b2c/date=2025-12-01/hour=07/k-abc.ndjson.gz',
    );
    expect(new LogKeys('tenant/').shippedPrefix()).toBe('tenant/logs/_shipped/');
  });

  it("never produces a key in the platform's logs/<namespace>/ folders", () => {
    for (const key of [
      keys.objectKey(p, 'x'),
      keys.intentKey(keys.objectKey(p, 'm-1')),
      keys.auditKey('presign-api', 0, 'x'),
    ]) {
      const first = key.split('/')[1]!;
      expect(first.startsWith('_')).toBe(true);
    }
  });

  it('parses its own object keys and nothing else', () => {
    expect(keys.parseObjectKey(keys.objectKey(p, 'h-1'))).toEqual({ partition: p, name: 'h-1' });
    expect(keys.parseObjectKey(keys.intentKey(keys.objectKey(p, 'm-1')))).toBeUndefined();
    expect(keys.parseObjectKey('logs/team-a/dep/job/taskmanager.log')).toBeUndefined();
  });

  it("keeps intents outside the partitions, with the merged object's path", () => {
    expect(keys.intentKey(keys.objectKey(p, 'm-1'))).toBe(
      'logs/_shipped/_compaction/namespace=team-a/deployment=3f2a1b9c-0d4e-4f5a-8b6c-7d8e9f0a1b2c/date=2025-12-01/hour=07/m-1.json',
    );
  });

  it('puts the audit trail of each function in its own subtree', () => {
    expect(keys.auditKey('presign-api', Date.parse('2025-12-01T23:00:00Z'), 'n')).toBe(
      'logs/_audit/function=presign-api/date=2025-12-01/hour=23/n.ndjson.gz',
    );
  });
});

describe('parseLabels', () => {
  const q = (s: string) => new URLSearchParams(s);

  it('reads namespace, deployment, job and source', () => {
    expect(parseLabels(q('namespace=team-a&deployment=d1&job=j1&source=taskmanager'))).toEqual({
      namespace: 'team-a',
      deployment: 'd1',
      job: 'j1',
      source: 'taskmanager',
    });
  });

  it('refuses missing or unsafe labels, naming the field', () => {
    const cases: Array<[string, string]> = [
      ['deployment=d1', 'namespace'],
      ['namespace=team-a', 'deployment'],
      ['namespace=Team_A&deployment=d1', 'namespace'],
      ['namespace=team-a&deployment=../x', 'deployment'],
      ['namespace=team-a&deployment=a%3Db', 'deployment'],
      ['namespace=team-a&deployment=d&job=a/b', 'job'],
    ];
    for (const [query, field] of cases) {
      try {
        parseLabels(q(query));
        expect.unreachable(query);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe(field);
      }
    }
  });
});
