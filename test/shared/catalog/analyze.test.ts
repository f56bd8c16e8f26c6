import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../../shared/catalog/record';
import { analyzeBuffer, codes } from '../../support/analyze-buffer';
import { buildZip, classFile, jobJar, manifest, pom, type ZipEntrySpec } from '../../support/jar-builder';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('a clean job JAR', () => {
  it('is valid, with its manifest, entry class, counts, class version and coordinates in the record', async () => {
    const jar = jobJar();
    const a = await analyzeBuffer('job.jar', jar);
    expect(a.findings).toEqual([]);
    expect(statusOf(a.findings)).toBe('valid');
    expect(a.sha256).toBe(sha(jar));
    expect(a.jar).toMatchObject({
      entryClass: 'com.example.Job',
      entries: 4,
      classes: 2,
      maxClassVersion: { major: 55, java: 11 },
      embedded: [{ groupId: 'com.example', artifactId: 'job', version: '1.0.0' }],
    });
    expect(a.jar?.manifest['Manifest-Version']).toBe('1.0');
  });

  it('reads class headers across chunk boundaries: stored and deflated, with and without data descriptors', async () => {
    // Distinct versions per layout, so each header must have been read for its version to show up.
    const jar = buildZip([
      { name: 'META-INF/MANIFEST.MF', data: manifest({ 'Main-Class': 'a.Deflated' }) },
      { name: 'a/Deflated.class', data: classFile(52, 3000), method: 'deflate' },
      { name: 'a/Stored.class', data: classFile(53, 100), method: 'store' },
      { name: 'a/DeflatedDescriptor.class', data: classFile(54, 5000), method: 'deflate', dataDescriptor: true },
      { name: 'a/StoredDescriptor.class', data: classFile(55, 50), method: 'store', dataDescriptor: true },
      // A long name and extra fields (the JAR marker 0xCAFE, an extended timestamp) move where the data starts.
      {
        name: `a/${'x'.repeat(300)}.class`,
        data: classFile(50, 900),
        extra: Buffer.from([0xfe, 0xca, 0, 0, 0x55, 0x54, 5, 0, 1, 0x10, 0x20, 0x30, 0x40]),
      },
    ]);
    for (const chunk of [1, 2, 5, 13, 31, 64, 4096]) {
      const a = await analyzeBuffer('job.jar', jar, { maxJava: 21 }, { chunk });
      expect(a.findings).toEqual([]);
      expect(a.facts?.corruptEntries.count).toBe(0);
      expect([...(a.facts?.classMajors.keys() ?? [])].sort()).toEqual([50, 52, 53, 54, 55]);
      expect(a.sha256).toBe(sha(jar));
    }
  });

  it('reads the same facts whatever the chunking of the stream', async () => {
    const jar = jobJar();
    for (const chunk of [1, 3, 30, 64 * 1024]) {
      const a = await analyzeBuffer('job.jar', jar, {}, { chunk });
      expect(a.findings).toEqual([]);
      expect(a.jar?.maxClassVersion?.major).toBe(55);
    }
  });
});

describe('container checks', () => {
  it('JAR_NOT_ZIP for bytes that are not a ZIP', async () => {
    expect(codes(await analyzeBuffer('job.jar', Buffer.from('hello, not a zip at all')))).toEqual(['JAR_NOT_ZIP']);
  });

  it('JAR_CORRUPT for a truncated JAR and a central directory pointing elsewhere', async () => {
    const jar = jobJar();
    expect(codes(await analyzeBuffer('job.jar', jar.subarray(0, jar.length - 30)))).toEqual(['JAR_NOT_ZIP']);
    const cut = Buffer.concat([jar.subarray(0, 40), jar.subarray(jar.length - 200)]);
    expect(codes(await analyzeBuffer('job.jar', cut))).toContain('JAR_CORRUPT');
    const moved = Buffer.from(jar);
    moved.writeUInt32LE(moved.readUInt32LE(moved.length - 6) + 3, moved.length - 6);
    expect(codes(await analyzeBuffer('job.jar', moved))).toEqual(['JAR_CORRUPT']);
  });

  it('JAR_UNSAFE_PATH for "..", absolute and backslash names, not for ordinary ones', async () => {
    for (const name of ['../evil.sh', '/etc/passwd', 'a\\..\\b.txt', 'C:/x.txt', 'a/../../b']) {
      const a = await analyzeBuffer('job.jar', jobJar([{ name, data: 'x' }]));
      expect(codes(a)).toEqual(['JAR_UNSAFE_PATH']);
      expect(a.findings[0]?.message).toContain(name);
    }
    expect(codes(await analyzeBuffer('job.jar', jobJar([{ name: 'a/..b/c..d.txt', data: 'x' }])))).toEqual([]);
  });

  it('JAR_ENCRYPTED for an entry flagged encrypted', async () => {
    expect(codes(await analyzeBuffer('job.jar', jobJar([{ name: 'secret.txt', data: 'x', encrypted: true }])))).toEqual(
      ['JAR_ENCRYPTED'],
    );
  });

  it('JAR_ZIP_BOMB by total declared size and by the ratio of one entry', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024);
    const a = await analyzeBuffer('job.jar', jobJar([{ name: 'zeros.bin', data: big }]));
    expect(codes(a)).toEqual(['JAR_ZIP_BOMB']);
    expect(a.findings[0]?.message).toContain('zeros.bin');
    expect(
      codes(
        await analyzeBuffer('job.jar', jobJar([{ name: 'zeros.bin', data: big }]), { maxCompressionRatio: 10_000 }),
      ),
    ).toEqual([]);
    const declared = jobJar([{ name: 'x.bin', data: 'x', method: 'store', declaredSize: 1 }]);
    expect(codes(await analyzeBuffer('job.jar', declared, { maxUncompressedBytes: 100 }))).toEqual(['JAR_ZIP_BOMB']);
  });

  it('JAR_TOO_LARGE over CATALOG_MAX_JAR_BYTES, without reading it', async () => {
    const jar = jobJar();
    expect(codes(await analyzeBuffer('job.jar', jar, { maxJarBytes: jar.length - 1 }))).toEqual(['JAR_TOO_LARGE']);
    expect(codes(await analyzeBuffer('job.jar', jar, { maxJarBytes: jar.length }))).toEqual([]);
  });

  it('JAR_DUPLICATE_ENTRY (warning) when a name occurs twice', async () => {
    const a = await analyzeBuffer(
      'job.jar',
      jobJar([
        { name: 'a.txt', data: '1' },
        { name: 'a.txt', data: '2' },
      ]),
    );
    expect(codes(a)).toEqual(['JAR_DUPLICATE_ENTRY']);
    expect(statusOf(a.findings)).toBe('warning');
  });

  it('JAR_TIMEOUT when the deadline has passed', async () => {
    const a = await analyzeBuffer('job.jar', jobJar(), {}, { deadline: Date.now() - 1 });
    expect(codes(a)).toEqual(['JAR_TIMEOUT']);
    expect(statusOf(a.findings)).toBe('invalid');
  });
});

describe('manifest and entry class', () => {
  it('JAR_NO_MANIFEST (warning) without META-INF/MANIFEST.MF', async () => {
    const jar = buildZip([{ name: 'com/example/Job.class', data: classFile(52) }]);
    expect(codes(await analyzeBuffer('job.jar', jar))).toEqual(['JAR_NO_MANIFEST']);
  });

  it('JAR_NO_ENTRY_CLASS (warning) when the manifest names no class', async () => {
    const jar = buildZip([{ name: 'META-INF/MANIFEST.MF', data: manifest() }]);
    expect(codes(await analyzeBuffer('job.jar', jar))).toEqual(['JAR_NO_ENTRY_CLASS']);
  });

  it('JAR_ENTRY_CLASS_MISSING (error) when the named class is not there; program-class wins over Main-Class', async () => {
    expect(codes(await analyzeBuffer('job.jar', jobJar([], { mainClass: 'com.example.Nope' })))).toEqual([
      'JAR_ENTRY_CLASS_MISSING',
    ]);
    const jar = buildZip([
      { name: 'META-INF/MANIFEST.MF', data: manifest({ 'program-class': 'a.Prog', 'Main-Class': 'a.Main' }) },
      { name: 'a/Main.class', data: classFile(52) },
    ]);
    const a = await analyzeBuffer('job.jar', jar);
    expect(codes(a)).toEqual(['JAR_ENTRY_CLASS_MISSING']);
    expect(a.findings[0]?.message).toContain('a.Prog');
  });

  it('reads a wrapped (continued) manifest line', async () => {
    const text = 'Manifest-Version: 1.0\r\nMain-Class: com.example.very.long.pa\r\n ckage.Job\r\n\r\n';
    const jar = buildZip([
      { name: 'META-INF/MANIFEST.MF', data: text },
      { name: 'com/example/very/long/package/Job.class', data: classFile(52) },
    ]);
    const a = await analyzeBuffer('job.jar', jar);
    expect(a.findings).toEqual([]);
    expect(a.jar?.entryClass).toBe('com.example.very.long.package.Job');
  });
});

describe('class versions', () => {
  it('JAR_CLASS_VERSION for a class newer than CATALOG_MAX_JAVA, reading deflated and stored classes', async () => {
    for (const method of ['store', 'deflate'] as const) {
      const a = await analyzeBuffer('job.jar', jobJar([{ name: 'x/New.class', data: classFile(61, 500), method }]));
      expect(codes(a)).toEqual(['JAR_CLASS_VERSION']);
      expect(a.findings[0]?.message).toContain('Java 17');
      expect(a.findings[0]?.message).toContain('x/New.class');
      expect(a.jar?.maxClassVersion).toEqual({ major: 61, java: 17 });
    }
  });

  it('accepts the same class when CATALOG_MAX_JAVA allows it', async () => {
    const jar = jobJar([{ name: 'x/New.class', data: classFile(61) }]);
    expect(codes(await analyzeBuffer('job.jar', jar, { maxJava: 17 }))).toEqual([]);
  });

  it('ignores META-INF/versions/** and module-info.class', async () => {
    const jar = jobJar([
      { name: 'META-INF/versions/17/x/New.class', data: classFile(61) },
      { name: 'module-info.class', data: classFile(61) },
      { name: 'META-INF/versions/21/module-info.class', data: classFile(65) },
    ]);
    const a = await analyzeBuffer('job.jar', jar);
    expect(codes(a)).toEqual([]);
    expect(a.jar?.maxClassVersion?.major).toBe(55);
  });
});

describe('dependency hygiene', () => {
  const fat = (extra: ZipEntrySpec[]) => jobJar([pom('com.google.guava', 'guava', '32.1.0-jre'), ...extra]);

  it('JAR_SIGNATURE_FILES in a JAR that bundles other libraries, not in a plain signed JAR', async () => {
    for (const name of ['META-INF/BC.SF', 'META-INF/BC.RSA', 'META-INF/x.DSA', 'META-INF/y.EC']) {
      expect(codes(await analyzeBuffer('job.jar', fat([{ name, data: 'sig' }])))).toEqual(['JAR_SIGNATURE_FILES']);
    }
    expect(codes(await analyzeBuffer('job.jar', jobJar([{ name: 'META-INF/BC.SF', data: 'sig' }])))).toEqual([]);
  });

  it('JAR_FLINK_BUNDLED (warning) for Flink runtime modules or classes; connectors are fine', async () => {
    expect(
      codes(await analyzeBuffer('job.jar', fat([pom('org.apache.flink', 'flink-streaming-java', '1.17.2')]))),
    ).toEqual(['JAR_FLINK_BUNDLED']);
    expect(
      codes(
        await analyzeBuffer(
          'job.jar',
          jobJar([{ name: 'org/apache/flink/api/common/Foo.class', data: classFile(52) }]),
        ),
      ),
    ).toEqual(['JAR_FLINK_BUNDLED']);
    expect(
      codes(await analyzeBuffer('job.jar', fat([pom('org.apache.flink', 'flink-connector-kafka', '3.0.1-1.17')]))),
    ).toEqual([]);
  });

  it('JAR_FLINK_VERSION_MISMATCH (error) when bundled Flink differs from CATALOG_FLINK_VERSION', async () => {
    const jar = fat([pom('org.apache.flink', 'flink-core', '1.15.4')]);
    expect(codes(await analyzeBuffer('job.jar', jar, { flinkVersion: '1.17.2' }))).toEqual([
      'JAR_FLINK_BUNDLED',
      'JAR_FLINK_VERSION_MISMATCH',
    ]);
    expect(codes(await analyzeBuffer('job.jar', jar, { flinkVersion: '1.15' }))).toEqual(['JAR_FLINK_BUNDLED']);
  });

  it('JAR_SCALA_2_11 and JAR_SCALA_MIXED', async () => {
    expect(
      codes(await analyzeBuffer('job.jar', fat([pom('org.apache.flink', 'flink-connector-kafka_2.11', '1.14.6')]))),
    ).toEqual(['JAR_SCALA_2_11']);
    const mixed = fat([
      pom('com.typesafe.akka', 'akka-actor_2.12', '2.6.20'),
      pom('org.json4s', 'json4s-core_2.13', '4.0.6'),
    ]);
    expect(codes(await analyzeBuffer('job.jar', mixed))).toEqual(['JAR_SCALA_MIXED']);
    expect(codes(await analyzeBuffer('job.jar', fat([pom('com.typesafe.akka', 'akka-actor_2.12', '2.6.20')])))).toEqual(
      [],
    );
  });

  it('JAR_LOGGING_BUNDLED (warning) for bindings, logging classes and root configuration', async () => {
    for (const name of [
      'org/slf4j/impl/StaticLoggerBinder.class',
      'META-INF/services/org.slf4j.spi.SLF4JServiceProvider',
      'org/apache/logging/log4j/core/Logger.class',
      'ch/qos/logback/classic/Logger.class',
      'log4j2.xml',
      'log4j.properties',
      'logback.xml',
    ]) {
      expect(codes(await analyzeBuffer('job.jar', jobJar([{ name, data: classFile(52) }])))).toEqual([
        'JAR_LOGGING_BUNDLED',
      ]);
    }
    expect(codes(await analyzeBuffer('job.jar', jobJar([{ name: 'conf/log4j2.xml', data: 'x' }])))).toEqual([]);
  });

  it('JAR_VULNERABLE_LIBRARY with the CVE ids, only inside the affected ranges', async () => {
    const cases: Array<[string, string, string, string[]]> = [
      ['org.apache.logging.log4j', 'log4j-core', '2.14.1', ['CVE-2021-44228', 'CVE-2021-45046', 'CVE-2021-45105']],
      ['org.apache.logging.log4j', 'log4j-core', '2.0-beta9', ['CVE-2021-44228', 'CVE-2021-45046', 'CVE-2021-45105']],
      ['org.apache.logging.log4j', 'log4j-core', '2.15.0', ['CVE-2021-45046', 'CVE-2021-45105']],
      ['org.apache.logging.log4j', 'log4j-core', '2.16.0', ['CVE-2021-45105']],
      ['org.apache.logging.log4j', 'log4j-core', '2.17.1', []],
      ['org.apache.logging.log4j', 'log4j-core', '2.0-beta8', []],
      ['org.apache.logging.log4j', 'log4j-core', '2.12.4', []],
      ['com.alibaba', 'fastjson', '1.2.68', ['CVE-2022-25845']],
      ['com.alibaba', 'fastjson', '1.2.83', []],
      ['org.apache.commons', 'commons-text', '1.9', ['CVE-2022-42889']],
    ];
    for (const [g, art, v, cves] of cases) {
      const a = await analyzeBuffer('job.jar', jobJar([pom(g, art, v)]));
      const vuln = a.findings.filter((f) => f.code === 'JAR_VULNERABLE_LIBRARY');
      expect(
        vuln.flatMap((f) => f.cves ?? []),
        `${art} ${v}`,
      ).toEqual(cves);
      if (cves.length > 0) expect(vuln[0]?.severity).toBe('error');
    }
  });
});

describe('nested lib/*.jar', () => {
  it('inspects them one level deep, naming the nested path, and lists their coordinates and hashes', async () => {
    const inner = buildZip([
      pom('org.apache.logging.log4j', 'log4j-core', '2.14.1'),
      { name: 'org/x/New.class', data: classFile(61) },
    ]);
    const a = await analyzeBuffer('job.jar', jobJar([{ name: 'lib/inner.jar', data: inner, method: 'deflate' }]));
    expect(codes(a)).toEqual(['JAR_CLASS_VERSION', 'JAR_VULNERABLE_LIBRARY']);
    for (const f of a.findings) expect(f.message).toContain('lib/inner.jar');
    expect(a.findings.find((f) => f.code === 'JAR_CLASS_VERSION')?.path).toBe('lib/inner.jar');
    expect(a.jar?.nested).toEqual([
      {
        path: 'lib/inner.jar',
        size: inner.length,
        sha256: sha(inner),
        embedded: [
          {
            groupId: 'org.apache.logging.log4j',
            artifactId: 'log4j-core',
            version: '2.14.1',
            path: 'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties',
          },
        ],
      },
    ]);
  });

  it('finds the entry class in a nested JAR and reports a corrupt nested JAR', async () => {
    const inner = buildZip([{ name: 'com/example/Job2.class', data: classFile(52) }]);
    const jar = jobJar([{ name: 'lib/inner.jar', data: inner, method: 'store' }], { mainClass: 'com.example.Job2' });
    expect(codes(await analyzeBuffer('job.jar', jar))).toEqual([]);
    const broken = jobJar([{ name: 'lib/broken.jar', data: 'not a jar', method: 'store' }]);
    const a = await analyzeBuffer('job.jar', broken);
    expect(codes(a)).toEqual(['JAR_NOT_ZIP']);
    expect(a.findings[0]?.path).toBe('lib/broken.jar');
  });

  it('JAR_NESTED_SKIPPED (info) for a nested JAR over the size inspected', async () => {
    const inner = buildZip([{ name: 'a.txt', data: 'x'.repeat(5000) }]);
    const a = await analyzeBuffer('job.jar', jobJar([{ name: 'lib/big.jar', data: inner }]), { maxNestedBytes: 100 });
    expect(codes(a)).toEqual(['JAR_NESTED_SKIPPED']);
    expect(statusOf(a.findings)).toBe('valid');
  });
});

describe('other artifacts', () => {
  it('wheels and zips must be valid ZIPs; gzip files must start with the gzip signature; .py gets a hash', async () => {
    const zip = buildZip([{ name: 'pkg/__init__.py', data: 'x = 1' }]);
    expect(codes(await analyzeBuffer('pkg-1.0-py3-none-any.whl', zip))).toEqual([]);
    expect(codes(await analyzeBuffer('deps.zip', Buffer.from('nope')))).toEqual(['ARCHIVE_NOT_ZIP']);
    expect(codes(await analyzeBuffer('deps.tar.gz', gzipSync('x')))).toEqual([]);
    expect(codes(await analyzeBuffer('deps.tgz', Buffer.from('plain text')))).toEqual(['ARCHIVE_NOT_GZIP']);
    const py = Buffer.from('print("hi")\n');
    const a = await analyzeBuffer('job.py', py);
    expect(a).toEqual({ sha256: sha(py), findings: [] });
    expect(codes(await analyzeBuffer('job.py', Buffer.alloc(0)))).toEqual(['ARTIFACT_EMPTY']);
  });
});
