import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import { createLogger } from '../../../shared/log';
import { AuditTrail, auditTrailFor, STORED_MAX_BYTES } from '../../../shared/logs/audit';
import { LogKeys } from '../../../shared/logs/keys';
import { MemoryStore } from '../../../shared/storage/memory-store';

const at = new Date('2025-12-01T23:04:05.678Z');

function trail(store: MemoryStore, lines: string[] = []) {
  return new AuditTrail({
    fn: 'state-pruner',
    keys: new LogKeys('ws/'),
    put: (key, body, options) => store.put(key, body, options),
    logger: createLogger({}, { write: (l) => lines.push(l) }),
    now: () => at,
  });
}

async function objects(store: MemoryStore) {
  const out: Array<{ key: string; events: Array<Record<string, unknown>> }> = [];
  for await (const page of store.list({ prefix: 'ws/logs/' }))
    for (const o of page.objects) {
      const text = gunzipSync((await store.getBuffer(o.key))!).toString('utf8');
      out.push({
        key: o.key,
        events: text
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      });
    }
  return out;
}

describe('AuditTrail', () => {
  it("writes the events of an invocation as one gzip NDJSON object in its function's hour partition", async () => {
    const store = new MemoryStore();
    const t = trail(store);
    t.record('checkpoint.deleted', {
      namespace: 'team-a',
      key: 'flink-jobs/…/chk-7/',
      reason: 'older than the newest 3',
    });
    t.record('checkpoint.kept', { namespace: 'team-a', key: 'flink-jobs/…/chk-9/' });
    expect(t.size).toBe(2);
    const key = await t.flush('req-1');
    expect(key).toMatch(
      /^ws\/logs\/_audit\/function=state-pruner\/date=2025-12-01\/hour=23\/20251201T230405Z-[0-9a-f]{12}\.ndjson\.gz$/,
    );
    const [object] = await objects(store);
    expect(object!.events).toEqual([
      {
        ts: '2025-12-01T23:04:05.678000Z',
        function: 'state-pruner',
        requestId: 'req-1',
        event: 'checkpoint.deleted',
        namespace: 'team-a',
        key: 'flink-jobs/…/chk-7/',
        reason: 'older than the newest 3',
      },
      {
        ts: '2025-12-01T23:04:05.678000Z',
        function: 'state-pruner',
        requestId: 'req-1',
        event: 'checkpoint.kept',
        namespace: 'team-a',
        key: 'flink-jobs/…/chk-9/',
      },
    ]);
    expect(t.size).toBe(0);
  });

  it('never writes secrets, tokens or URL signatures', async () => {
    const store = new MemoryStore();
    const t = trail(store);
    t.record('url.issued', {
      url: 'https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-signature=SIGVALUE&x-oss-credential=AKID123&x-oss-security-token=STSVALUE',
      authorization: 'Bearer BEARERVALUE',
      nested: { accessKeySecret: 'SKVALUE', token: 'TOKVALUE' },
    });
    await t.flush();
    const text = JSON.stringify((await objects(store))[0]!.events);
    for (const secret of ['SIGVALUE', 'AKID123', 'STSVALUE', 'BEARERVALUE', 'SKVALUE', 'TOKVALUE'])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('stores a small object uncompressed in its gzip container and compresses a large one', async () => {
    for (const events of [2, 2000]) {
      const store = new MemoryStore();
      const t = trail(store);
      for (let i = 0; i < events; i++)
        t.record('state.deleted', { key: `flink-jobs/namespaces/a/chk-${i}/f`, size: i });
      await t.flush('req-1');
      const [listed] = (await objects(store)).map((o) => o.key);
      const body = (await store.getBuffer(listed!))!;
      const text = gunzipSync(body);
      expect(text.toString('utf8').trimEnd().split('\n')).toHaveLength(events);
      if (text.length <= STORED_MAX_BYTES) expect(body.length).toBe(text.length + 10 + 5 + 8);
      else expect(body.length).toBeLessThan(text.length / 4);
      expect(text.length <= STORED_MAX_BYTES).toBe(events === 2);
    }
  });

  it('does nothing when nothing was recorded', async () => {
    const store = new MemoryStore();
    expect(await trail(store).flush()).toBeUndefined();
    expect(await objects(store)).toEqual([]);
  });

  it('puts the events in the function log when the bucket refuses them, and does not fail the invocation', async () => {
    const store = new MemoryStore();
    const lines: string[] = [];
    const t = trail(store, lines);
    t.record('verdict', { key: 'artifacts/namespaces/a/x.jar', status: 'invalid' });
    store.failNext('PutObject');
    await expect(t.flush()).resolves.toBeUndefined();
    expect(await objects(store)).toEqual([]);
    const logged = JSON.parse(lines[0]!);
    expect(logged.level).toBe('error');
    expect(logged.events[0]).toMatchObject({ event: 'verdict', status: 'invalid' });
  });
});

describe('auditTrailFor', () => {
  const env = { OSS_BUCKET: 'flink-ws', OSS_REGION: 'cn-hangzhou', OSS_ROOT_DIRECTORY: 'ws1/' };

  it('is off when AUDIT_TRAIL=false', () => {
    const store = new MemoryStore({ bucket: 'flink-ws' });
    expect(auditTrailFor('fn', loadConfig({ ...env, AUDIT_TRAIL: 'false' }), store, createLogger())).toBeUndefined();
  });

  it("writes through the function's store under the root directory, in the function's own subtree", async () => {
    const store = new MemoryStore({ bucket: 'flink-ws' });
    const trail = auditTrailFor('state-pruner', loadConfig(env), store, createLogger());
    trail!.record('prune.run', { outcome: 'completed' });
    const key = await trail!.flush('req-1');
    expect(key).toMatch(/^ws1\/logs\/_audit\/function=state-pruner\/date=\d{4}-\d{2}-\d{2}\/hour=\d{2}\//);
    const line = JSON.parse(
      gunzipSync((await store.getBuffer(key!))!)
        .toString('utf8')
        .trim(),
    );
    expect(line).toMatchObject({
      function: 'state-pruner',
      requestId: 'req-1',
      event: 'prune.run',
      outcome: 'completed',
    });
  });
});
