import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors';
import {
  artifactNameProblem,
  assertArtifactName,
  assertNamespace,
  BucketLayout,
  formatOssUri,
  namespaceProblem,
  parseOssUri,
  utf8Length,
} from '../../../shared/layout';

// Name material: the characters real artifact names use, plus the ones that attack paths.
const nameChar = fc.constantFrom(...'abcXYZ019-_.+ %#@()中文ü/'.split(''));
const anyName = fc.string({ unit: nameChar, minLength: 1, maxLength: 40 });
const namespace = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/);
const root = fc.constantFrom('', 'ws', 'team/a', '中文/根');

describe('artifact keys', () => {
  it('never leave the namespace prefix for any valid namespace and name', () => {
    fc.assert(
      fc.property(root, namespace, anyName, (rootDir, ns, name) => {
        fc.pre(artifactNameProblem(name) === undefined);
        const layout = new BucketLayout('bkt', rootDir);
        const key = layout.artifactKey(ns, name);
        const prefix = layout.namespacePrefix(ns);
        expect(key.startsWith(prefix)).toBe(true);
        const segments = key.slice(prefix.length).split('/');
        expect(segments.every((s) => s !== '' && s !== '.' && s !== '..')).toBe(true);
        expect(layout.parseArtifactKey(key)).toEqual({ area: 'artifacts', namespace: ns, name });
        const catalogKey = layout.catalogKeyFor(key);
        expect(catalogKey.startsWith(layout.areaPrefix('catalog'))).toBe(true);
        expect(layout.artifactKeyForCatalogKey(catalogKey)).toBe(key);
        expect(layout.areaOf(key)).toBe('artifacts');
      }),
      { numRuns: 1000 },
    );
  });

  it('reject every name that carries a path attack, whatever surrounds it', () => {
    const attack = fc.constantFrom(
      '..',
      '../x',
      'x/..',
      'a/../b',
      '/x',
      'x\\y',
      'a\u0000b',
      'a\nb',
      'a\u007fb',
      'a\u0085b',
      'a//b',
      'x/',
      './x',
      'a/./b',
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '-'), maxLength: 5 }),
        attack,
        fc.string({ unit: fc.constantFrom('a', 'b', '-'), maxLength: 5 }),
        (before, bad, after) => {
          const name = `${before}${bad}${after}`;
          // Some combinations form a harmless name again ("x..y"): only check those that still contain the attack.
          const harmless = artifactNameProblem(name) === undefined;
          if (harmless) {
            expect(name.split('/').some((s) => s === '..' || s === '.')).toBe(false);
            return;
          }
          expect(() => assertArtifactName(name)).toThrowError(ValidationError);
          expect(() => new BucketLayout('bkt').artifactKey('team-a', name)).toThrowError(/^name /);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['..', 'contains a ".." path segment'],
    ['a/../b', 'contains a ".." path segment'],
    ['/etc/passwd', 'starts with "/"'],
    ['a\\b.jar', 'contains "\\"; use "/" to separate folders'],
    ['job\u0000.jar', 'contains a control character'],
    ['a//b.jar', 'contains an empty path segment ("//")'],
    ['lib/', 'ends with "/"; it must name a file, not a folder'],
    [' job.jar', 'starts or ends with white space'],
    ['', 'is empty'],
    ['\ud800x.jar', 'is not valid Unicode (lone surrogate)'],
  ])('explains why %j is refused', (name, reason) => {
    expect(artifactNameProblem(name)).toBe(reason);
  });

  it.each([
    [0x202e, 'U+202E (RIGHT-TO-LEFT OVERRIDE)'],
    [0x202a, 'U+202A (LEFT-TO-RIGHT EMBEDDING)'],
    [0x2066, 'U+2066 (LEFT-TO-RIGHT ISOLATE)'],
    [0x2069, 'U+2069 (POP DIRECTIONAL ISOLATE)'],
    [0x200e, 'U+200E (LEFT-TO-RIGHT MARK)'],
    [0x200f, 'U+200F (RIGHT-TO-LEFT MARK)'],
    [0x061c, 'U+061C (ARABIC LETTER MARK)'],
    [0x2028, 'U+2028 (LINE SEPARATOR)'],
    [0x2029, 'U+2029 (PARAGRAPH SEPARATOR)'],
    [0x200b, 'U+200B (ZERO WIDTH SPACE)'],
    [0xfeff, 'U+FEFF (ZERO WIDTH NO-BREAK SPACE)'],
    [0x00ad, 'U+00AD (SOFT HYPHEN)'],
    [0xe0001, 'U+E0001'],
  ])('refuses the invisible or direction-changing code point %i, naming it', (cp, named) => {
    const name = `invoice${String.fromCodePoint(cp)}gpj.jar`;
    expect(artifactNameProblem(name)).toBe(`contains the invisible or direction-changing character ${named}`);
    expect(() => new BucketLayout('bkt', '').artifactKey('ns', name)).toThrowError(named);
  });

  it('refuses a bidi control or invisible format character wherever it sits in a name', () => {
    const invisible = fc.constantFrom(
      ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c],
      ...[0x2028, 0x2029, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x00ad, 0x180e, 0x0600, 0xfff9],
    );
    fc.assert(
      fc.property(anyName, fc.nat(), invisible, (name, at, cp) => {
        const i = at % (name.length + 1);
        const problem = artifactNameProblem(`${name.slice(0, i)}${String.fromCodePoint(cp)}${name.slice(i)}`);
        expect(problem).toContain(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
      }),
      { numRuns: 300 },
    );
  });

  it('still accepts letters, marks and symbols of other scripts', () => {
    for (const name of ['中文/作业.jar', 'ü-é-ñ.jar', 'עברית.jar', 'العربية.jar', 'हिन्दी.jar', 'emoji-🚀.jar'])
      expect(artifactNameProblem(name)).toBeUndefined();
  });

  it('refuses names whose key or catalog key would exceed 1023 bytes', () => {
    const layout = new BucketLayout('bkt', 'root');
    const fits = 'a'.repeat(1023 - utf8Length(layout.catalogKeyFor(layout.artifactKey('ns', 'a'))) + 1);
    expect(utf8Length(layout.catalogKeyFor(layout.artifactKey('ns', fits)))).toBe(1023);
    expect(() => layout.artifactKey('ns', `${fits}b`)).toThrowError(/too long: its keys would be 1024 bytes/);
    // Multi-byte characters count in bytes, not characters.
    expect(() => layout.artifactKey('ns', '中'.repeat(340))).toThrowError(/too long/);
  });

  it('keeps sql-artifacts apart from artifacts', () => {
    const layout = new BucketLayout('bkt');
    const key = layout.artifactKey('team-a', 'udfs/x.jar', 'sql-artifacts');
    expect(key).toBe('sql-artifacts/namespaces/team-a/udfs/x.jar');
    expect(layout.parseArtifactKey(key)).toEqual({ area: 'sql-artifacts', namespace: 'team-a', name: 'udfs/x.jar' });
  });

  it('does not parse keys of another root or area', () => {
    const layout = new BucketLayout('bkt', 'ws');
    expect(layout.parseArtifactKey('artifacts/namespaces/a/x.jar')).toBeUndefined();
    expect(layout.parseArtifactKey('ws/flink-jobs/namespaces/a/x')).toBeUndefined();
    expect(layout.parseArtifactKey('ws/artifacts/namespaces/a/')).toBeUndefined();
    expect(layout.parseArtifactKey('ws/artifacts/namespaces/A/x.jar')).toBeUndefined();
    expect(layout.artifactKeyForCatalogKey('ws/catalog/artifacts/namespaces/a/x.jar')).toBeUndefined();
  });
});

describe('namespaces', () => {
  it('accept exactly the DNS-label names Realtime Compute uses', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'ab9-A_ ./\\'.split('')), minLength: 0, maxLength: 70 }),
        (ns) => {
          const valid = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(ns);
          expect(namespaceProblem(ns) === undefined).toBe(valid);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('say what is wrong', () => {
    expect(() => assertNamespace('..')).toThrowError('namespace ".." contains a ".." path segment');
    expect(() => assertNamespace('a/b')).toThrowError(/single path segment/);
    expect(() => assertNamespace('Team')).toThrowError(/lowercase letters/);
  });
});

describe('other areas', () => {
  const layout = new BucketLayout('bkt', 'ws/');

  it('derives each area under the root', () => {
    expect(layout.checkpointsPrefix('ns', 'dep-1')).toBe('ws/flink-jobs/namespaces/ns/deployments/dep-1/checkpoints/');
    expect(layout.checkpointsPrefix()).toBe('ws/flink-jobs/');
    expect(layout.savepointsPrefix('ns', 'dep-1')).toBe('ws/flink-savepoints/namespaces/ns/deployments/dep-1/');
    expect(layout.sessionClustersPrefix('ns', 'sc')).toBe('ws/flink-sessionclusters/namespaces/ns/sessionclusters/sc/');
    expect(layout.planPrefix()).toBe('ws/plan/');
    expect(layout.logsPrefix('ns', 'dep', 'job')).toBe('ws/logs/ns/dep/job/');
    expect(layout.reportKey('state-pruner', new Date('2026-11-22T10:00:00Z'), 'run-1')).toBe(
      'ws/logs/_reports/state-pruner/2026/11/22/run-1.json',
    );
    expect(layout.ossPath('ws/plan/x')).toBe('oss://bkt/ws/plan/x');
  });

  it('refuses segments that would escape', () => {
    expect(() => layout.checkpointsPrefix('ns', '../x')).toThrowError(/deployment/);
    expect(() => layout.logsPrefix('ns', 'a/b')).toThrowError(/contains "\/"/);
  });

  it('classifies keys by area', () => {
    expect(layout.areaOf('ws/flink-jobs/namespaces/a')).toBe('flink-jobs');
    expect(layout.areaOf('ws/flink-jobsX/a')).toBeUndefined();
    expect(layout.areaOf('other/artifacts/x')).toBeUndefined();
  });
});

describe('oss:// URIs', () => {
  it('round-trip bucket and key', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/),
        fc.string({ maxLength: 30 }),
        (bucket, key) => {
          expect(parseOssUri(formatOssUri(bucket, key))).toEqual({ bucket, key });
        },
      ),
    );
  });

  it('understands the bucket.endpoint form Flink configs use', () => {
    expect(parseOssUri('oss://bkt.oss-cn-hangzhou-internal.aliyuncs.com/flink-jobs/x/_metadata')).toEqual({
      bucket: 'bkt',
      endpoint: 'oss-cn-hangzhou-internal.aliyuncs.com',
      key: 'flink-jobs/x/_metadata',
    });
  });

  it.each([
    ['s3://bkt/key', /must start with "oss:\/\/"/],
    ['oss:///key', /bucket is missing/],
    ['oss://B/key', /bucket "B"/],
    ['oss://bkt.bad host/key', /not a host name/],
  ])('rejects %s', (uri, message) => {
    expect(() => parseOssUri(uri)).toThrowError(message);
  });
});
