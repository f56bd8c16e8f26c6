import { describe, expect, it } from 'vitest';
import { handleCatalogEvent, parseCatalogEvent } from '../../../shared/catalog/events';
import { reconcileCatalog } from '../../../shared/catalog/reconcile';
import { parseCatalogRecord } from '../../../shared/catalog/record';
import { ArtifactCatalog, type CatalogDeps } from '../../../shared/catalog/service';
import { BucketLayout } from '../../../shared/layout';
import { createLogger } from '../../../shared/log';
import { MemoryStore } from '../../../shared/storage/memory-store';
import { TEST_POLICY } from '../../support/analyze-buffer';
import { jobJar } from '../../support/jar-builder';

const BUCKET = 'flink-ws';

function setup(root = '') {
  const clock = new Date('2026-01-01T00:00:00Z');
  const store = new MemoryStore({ bucket: BUCKET, now: () => new Date(clock) });
  const layout = new BucketLayout(BUCKET, root);
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({}, { write: (l) => lines.push(JSON.parse(l)) });
  const catalog = new ArtifactCatalog({ store, layout, policy: TEST_POLICY, logger, toolVersion: 'test' });
  /** A catalog over the same store whose audit events go to `record`. */
  const auditedCatalog = (record: NonNullable<CatalogDeps['audit']>['record']) =>
    new ArtifactCatalog({ store, layout, policy: TEST_POLICY, logger, toolVersion: 'test', audit: { record } });
  const invocation = { deadline: Date.now() + 60_000, logger };
  const deps = { catalog, store, layout, bucket: BUCKET };
  const ossEvent = (eventName: string, key: string, bucket = BUCKET) =>
    parseCatalogEvent(
      JSON.stringify({
        events: [{ eventName, eventTime: '2026-01-01T00:00:00Z', oss: { bucket: { name: bucket }, object: { key } } }],
      }),
    );
  /** One invocation carrying an ObjectCreated record for each key, in order. */
  const createdEvents = (keys: string[]) =>
    parseCatalogEvent(
      JSON.stringify({
        events: keys.map((key) => ({
          eventName: 'ObjectCreated:PutObject',
          eventTime: '2026-01-01T00:00:00Z',
          oss: { bucket: { name: BUCKET }, object: { key } },
        })),
      }),
    );
  const record = async (key: string) => {
    const bytes = await store.getBuffer(layout.catalogKeyFor(key));
    return bytes && parseCatalogRecord(bytes.toString('utf8'));
  };
  return { store, layout, catalog, auditedCatalog, invocation, deps, ossEvent, createdEvents, record, lines, clock };
}

const KEY = 'artifacts/namespaces/team-a/job.jar';

describe('OSS events', () => {
  it('ObjectCreated writes SBOM, tag and record; a repeated event does no work', async () => {
    const t = setup();
    const { etag } = await t.store.put(KEY, jobJar());
    const first = await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', KEY), t.deps, t.invocation);
    expect(first).toEqual({ records: [{ eventName: 'ObjectCreated:PutObject', key: KEY, result: 'catalogued' }] });
    expect(await t.record(KEY)).toMatchObject({ etag, status: 'valid', namespace: 'team-a', name: 'job.jar' });
    expect(await t.store.getTags(KEY)).toEqual({ 'artifact-status': 'valid' });
    expect(await t.store.getBuffer(t.layout.sbomKeyFor(KEY))).toBeDefined();
    // The log line says how many reads the artifact took and how long the verdict and the whole event did.
    const done = t.lines.find((l) => l['msg'] === 'artifact catalogued');
    expect(done).toMatchObject({ key: KEY, etag, status: 'valid', requests: expect.any(Number) });
    expect(done?.['validateMs']).toBeGreaterThanOrEqual(0);
    expect(done?.['ms']).toBeGreaterThanOrEqual(done?.['validateMs'] as number);
    const before = await t.store.head(t.layout.catalogKeyFor(KEY));
    t.clock.setTime(t.clock.getTime() + 60_000);
    const again = await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', KEY), t.deps, t.invocation);
    expect(again).toMatchObject({ records: [{ result: 'unchanged' }] });
    // Nothing was rewritten: same record object, same SBOM.
    expect(await t.store.head(t.layout.catalogKeyFor(KEY))).toEqual(before);
  });

  it('an event that gives a small size: the JAR is read whole with the first request, for the same record', async () => {
    const t = setup();
    const other = 'artifacts/namespaces/team-a/same.jar';
    const jar = jobJar();
    await t.store.put(KEY, jar);
    await t.store.put(other, jar);
    const reads: string[] = [];
    const { get, head } = t.store;
    t.store.get = (key, options) => {
      if (key === KEY) reads.push(options?.range ? `get ${options.range.start}-${options.range.end ?? ''}` : 'get');
      return get.call(t.store, key, options);
    };
    t.store.head = (key) => {
      if (key === KEY) reads.push('head');
      return head.call(t.store, key);
    };
    const sized = parseCatalogEvent(
      JSON.stringify({
        events: [
          {
            eventName: 'ObjectCreated:PutObject',
            eventTime: '2026-01-01T00:00:00Z',
            oss: { bucket: { name: BUCKET }, object: { key: KEY, size: jar.length } },
          },
        ],
      }),
    );
    expect(await handleCatalogEvent(sized, t.deps, t.invocation)).toMatchObject({
      records: [{ result: 'catalogued' }],
    });
    // One read of the bytes, then the HEAD that checks the artifact was not overwritten meanwhile.
    expect(reads).toEqual(['get 0-1048575', 'head']);
    expect(t.lines.find((l) => l['msg'] === 'artifact catalogued' && l['key'] === KEY)).toMatchObject({ requests: 1 });
    // Without the size, the same bytes give the same record through the ranged reads and the stream.
    await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', other), t.deps, t.invocation);
    const { key: _a, ossPath: _b, name: _c, catalogedAt: _d, ...whole } = (await t.record(KEY))!;
    const { key: _e, ossPath: _f, name: _g, catalogedAt: _h, ...ranged } = (await t.record(other))!;
    expect(whole).toEqual(ranged);
    expect(whole.status).toBe('valid');
  });

  it('re-validates a new ETag; honours OSS_ROOT_DIRECTORY; ignores keys outside the artifact areas', async () => {
    const t = setup('team-x/');
    const key = `team-x/${KEY}`;
    await t.store.put(key, jobJar([], { mainClass: 'com.example.Missing' }));
    await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', key), t.deps, t.invocation);
    expect((await t.record(key))?.status).toBe('invalid');
    const { etag } = await t.store.put(key, jobJar());
    await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', key), t.deps, t.invocation);
    expect(await t.record(key)).toMatchObject({ etag, status: 'valid' });
    expect(await t.store.getTags(key)).toEqual({ 'artifact-status': 'valid' });
    for (const other of [KEY, 'team-x/catalog/artifacts/namespaces/team-a/job.jar.json', 'team-x/logs/a.jar']) {
      await t.store.put(other, jobJar());
      const r = await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', other), t.deps, t.invocation);
      expect(r).toMatchObject({ records: [{ result: 'ignored' }] });
    }
    const elsewhere = await handleCatalogEvent(
      t.ossEvent('ObjectCreated:PutObject', key, 'other-bucket'),
      t.deps,
      t.invocation,
    );
    expect(elsewhere).toMatchObject({ records: [{ result: 'ignored' }] });
  });

  it('decodes nothing: a key with spaces, CJK and "+" is used as OSS sent it', async () => {
    const t = setup();
    const key = 'artifacts/namespaces/team-a/my job+1 作业.jar';
    await t.store.put(key, jobJar());
    await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', key), t.deps, t.invocation);
    expect((await t.record(key))?.name).toBe('my job+1 作业.jar');
  });

  it('ObjectRemoved deletes record and SBOM only when the artifact is really gone', async () => {
    const t = setup();
    await t.store.put(KEY, jobJar());
    await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', KEY), t.deps, t.invocation);
    // Out of order: a removal event arrives while the artifact exists (uploaded again).
    const early = await handleCatalogEvent(t.ossEvent('ObjectRemoved:DeleteObject', KEY), t.deps, t.invocation);
    expect(early).toMatchObject({ records: [{ result: 'still-present' }] });
    expect(await t.record(KEY)).toBeDefined();
    await t.store.delete(KEY);
    const removed = await handleCatalogEvent(t.ossEvent('ObjectRemoved:DeleteObject', KEY), t.deps, t.invocation);
    expect(removed).toMatchObject({ records: [{ result: 'removed' }] });
    expect(await t.record(KEY)).toBeUndefined();
    expect(await t.store.getBuffer(t.layout.sbomKeyFor(KEY))).toBeUndefined();
  });

  it('an artifact that vanished is logged, not an error', async () => {
    const t = setup();
    const r = await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', KEY), t.deps, t.invocation);
    expect(r).toMatchObject({ records: [{ result: 'vanished' }] });
    expect(t.lines.some((l) => l['msg'] === 'artifact vanished before it was catalogued')).toBe(true);
  });

  it('a transient storage error fails the invocation after every record was handled, and nothing half-written stays', async () => {
    const t = setup();
    const other = 'artifacts/namespaces/team-a/other.jar';
    await t.store.put(KEY, jobJar());
    await t.store.put(other, jobJar());
    const event = t.createdEvents([KEY, other]);
    t.store.failNext('HeadObject');
    await expect(handleCatalogEvent(event, t.deps, t.invocation)).rejects.toMatchObject({ code: 'OSS_THROTTLED' });
    expect(await t.record(KEY)).toBeUndefined();
    expect((await t.record(other))?.status).toBe('valid');
    // FC's retry then completes the work.
    await handleCatalogEvent(event, t.deps, t.invocation);
    expect((await t.record(KEY))?.status).toBe('valid');
  });

  it('a corrupt JAR gets a verdict, never an exception', async () => {
    const t = setup();
    await t.store.put(KEY, Buffer.from('PK\u0003\u0004 truncated'));
    await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', KEY), t.deps, t.invocation);
    expect(await t.record(KEY)).toMatchObject({ status: 'invalid', findings: [{ code: 'JAR_NOT_ZIP' }] });
    expect(await t.store.getTags(KEY)).toEqual({ 'artifact-status': 'invalid' });
  });
});

describe('audit trail', () => {
  it('records each verdict with its findings and each record removal, and nothing for a repeated event', async () => {
    const t = setup();
    const events: Array<{ event: string; fields: Record<string, unknown> }> = [];
    const catalog = t.auditedCatalog((event, fields) => events.push({ event, fields }));
    const deps = { ...t.deps, catalog };
    const { etag } = await t.store.put(KEY, Buffer.from('PK\u0003\u0004 truncated'));
    await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', KEY), deps, t.invocation);
    await handleCatalogEvent(t.ossEvent('ObjectCreated:PutObject', KEY), deps, t.invocation);
    await t.store.delete(KEY);
    await handleCatalogEvent(t.ossEvent('ObjectRemoved:DeleteObject', KEY), deps, t.invocation);
    expect(events).toEqual([
      {
        event: 'artifact.judged',
        fields: {
          key: KEY,
          etag,
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          status: 'invalid',
          findings: ['JAR_NOT_ZIP'],
        },
      },
      { event: 'catalog.record-removed', fields: { key: KEY } },
    ]);
  });
});

describe('audit flush alongside the record', () => {
  it('the last event of an invocation flushes the trail while its record is written, verdict included', async () => {
    const t = setup();
    const recorded: string[] = [];
    const catalog = t.auditedCatalog((event, fields) => recorded.push(`${event} ${fields.key}`));
    // The record's PUT is held until the flush has started: the two must be in flight together.
    const recordKey = t.layout.catalogKeyFor(KEY);
    let releaseRecord!: () => void;
    const recordHeld = new Promise<void>((resolve) => (releaseRecord = resolve));
    const put = t.store.put.bind(t.store);
    t.store.put = async (key, body, options) => {
      if (key === recordKey) await recordHeld;
      return put(key, body, options);
    };
    const flushed: string[][] = [];
    const flushAudit = async () => {
      flushed.push([...recorded]);
      expect(await t.store.head(recordKey)).toBeUndefined(); // the record is not written yet
      releaseRecord();
    };
    const other = 'artifacts/namespaces/team-a/other.jar';
    await t.store.put(KEY, jobJar());
    await t.store.put(other, jobJar());
    const event = t.createdEvents([other, KEY]);
    const out = await handleCatalogEvent(event, { ...t.deps, catalog, flushAudit }, t.invocation);
    expect(out).toMatchObject({ records: [{ result: 'catalogued' }, { result: 'catalogued' }] });
    // Once, for the last artifact, with both verdicts in the trail.
    expect(flushed).toEqual([[`artifact.judged ${other}`, `artifact.judged ${KEY}`]]);
    expect((await t.record(KEY))?.status).toBe('valid');
  });
});

describe('parseCatalogEvent', () => {
  it('tells OSS, timer and manual reconcile events apart and refuses anything else', () => {
    expect(parseCatalogEvent('{"reconcile":true}')).toEqual({ kind: 'reconcile', restart: false });
    expect(parseCatalogEvent('{"reconcile":true,"restart":true}')).toEqual({ kind: 'reconcile', restart: true });
    expect(
      parseCatalogEvent(
        JSON.stringify({ triggerTime: '2026-01-01T03:30:00Z', triggerName: 'daily', payload: '{"reconcile":true}' }),
      ),
    ).toEqual({ kind: 'reconcile', restart: false });
    for (const bad of ['nope', '{}', '{"events":[]}', '{"reconcile":"yes"}'])
      expect(() => parseCatalogEvent(bad)).toThrow(expect.objectContaining({ code: 'EVENT_INVALID' }));
  });
});

describe('reconcile', () => {
  it('catalogs what has no current record, removes records of deleted artifacts, and resumes from its cursor', async () => {
    const t = setup();
    const keys = Array.from({ length: 6 }, (_, i) => `artifacts/namespaces/team-a/job-${i}.jar`);
    for (const key of keys) await t.store.put(key, jobJar());
    await t.store.put('sql-artifacts/namespaces/team-a/udfs/2026/udf.jar', jobJar());
    // A record whose artifact is gone, and one for an outdated ETag.
    const goneKey = 'artifacts/namespaces/team-a/gone.jar';
    await t.store.put(goneKey, jobJar());
    await t.catalog.catalog(goneKey, { deadline: Date.now() + 10_000 });
    await t.store.delete(goneKey);
    await t.catalog.catalog(keys[0]!, { deadline: Date.now() + 10_000 });
    await t.store.put(keys[0]!, jobJar([], { mainClass: 'com.example.Missing' }));

    // A budget already spent: the run stops at once and saves where it is.
    const paused = await reconcileCatalog({
      ...t.deps,
      logger: t.invocation.logger,
      deadline: Date.now() - 1,
      reserveMs: 0,
    });
    expect(paused.complete).toBe(false);
    expect(await t.store.getBuffer(t.layout.catalogStateKey('reconcile'))).toBeDefined();

    const done = await reconcileCatalog({ ...t.deps, logger: t.invocation.logger, deadline: Date.now() + 60_000 });
    expect(done.complete).toBe(true);
    expect(done.counts).toMatchObject({ catalogued: 7, removed: 1 });
    for (const key of keys.slice(1)) expect((await t.record(key))?.status).toBe('valid');
    expect((await t.record(keys[0]!))?.status).toBe('invalid');
    expect((await t.record('sql-artifacts/namespaces/team-a/udfs/2026/udf.jar'))?.status).toBe('valid');
    expect(await t.record(goneKey)).toBeUndefined();
    expect(await t.store.getBuffer(t.layout.catalogStateKey('reconcile'))).toBeUndefined();

    // Nothing left to do.
    const again = await reconcileCatalog({ ...t.deps, logger: t.invocation.logger, deadline: Date.now() + 60_000 });
    expect(again.run).toEqual({ seen: 7, catalogued: 0, removed: 0 });
  });

  it('continues after the last key a paused run handled', async () => {
    const t = setup();
    const keys = Array.from({ length: 4 }, (_, i) => `artifacts/namespaces/team-a/j${i}.jar`);
    for (const key of keys) await t.store.put(key, jobJar());
    await t.store.put(
      t.layout.catalogStateKey('reconcile'),
      JSON.stringify({
        phase: 'artifacts',
        startAfter: keys[1],
        startedAt: '2026-01-01T00:00:00Z',
        runs: 1,
        counts: { seen: 2, catalogued: 0, removed: 0 },
      }),
    );
    const r = await reconcileCatalog({ ...t.deps, logger: t.invocation.logger, deadline: Date.now() + 60_000 });
    expect(r.run.catalogued).toBe(2);
    expect(await t.record(keys[0]!)).toBeUndefined();
    expect(await t.record(keys[3]!)).toBeDefined();
  });
});
