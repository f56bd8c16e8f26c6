import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isManifest, loggingKind, unsafePathReason } from '../../../shared/jar/entry-kinds';

// The rules as first written, plainly: the fast versions must answer exactly the same for every name.
const reference = {
  dotDot: (name: string) => name.split('/').includes('..'),
  manifest: (name: string) => name.toUpperCase() === 'META-INF/MANIFEST.MF',
  logging: (name: string) =>
    [
      /^org\/slf4j\/impl\/StaticLoggerBinder\.class$/,
      /^META-INF\/services\/org\.slf4j\.spi\.SLF4JServiceProvider$/,
      /^org\/apache\/logging\/log4j\/core\//,
      /^org\/apache\/log4j\//,
      /^ch\/qos\/logback\//,
      /^log4j2?(-[^/]*)?\.(properties|xml|ya?ml|json)$/i,
      /^log4j2-test[^/]*$/i,
      /^logback(-[^/]*)?\.(xml|groovy)$/i,
    ].findIndex((p) => p.test(name)),
};

/** Entry names built from the pieces the rules look at, so the interesting cases come up often. */
const name = fc
  .array(
    fc.oneof(
      fc.constantFrom('..', '.', '', 'a..b', '...', 'org', 'apache', 'log4j', 'logging', 'core', 'slf4j', 'impl'),
      fc.constantFrom('ch', 'qos', 'logback', 'META-INF', 'meta-inf', 'services', 'MANIFEST.MF', 'manifest.mf'),
      fc.constantFrom('StaticLoggerBinder.class', 'org.slf4j.spi.SLF4JServiceProvider', 'log4j2.xml', 'LOG4J.yaml'),
      fc.constantFrom('log4j2-test.json', 'logback-test.groovy', 'App.class'),
      fc.constantFrom('org/apache/log4j', 'org/apache/logging/log4j/core', 'ch/qos/logback', 'org/slf4j/impl'),
      fc.string({ maxLength: 6 }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((segments) => segments.join('/'));

describe('entry kinds', () => {
  it('find ".." segments, the manifest and logging pieces exactly as the plain rules do', () => {
    const logging = (n: string) => {
      const label = loggingKind(n);
      return label === undefined ? -1 : label;
    };
    fc.assert(
      fc.property(name, (n) => {
        expect(unsafePathReason(n) === 'contains ".."').toBe(
          !n.includes('\\') && !n.startsWith('/') && !/^[A-Za-z]:/.test(n) && reference.dotDot(n),
        );
        expect(isManifest(n)).toBe(reference.manifest(n));
        expect(logging(n) === -1).toBe(reference.logging(n) === -1);
      }),
      { numRuns: 5000 },
    );
  });

  it('name the cases the rules exist for', () => {
    expect(unsafePathReason('a/../b')).toBe('contains ".."');
    expect(unsafePathReason('..')).toBe('contains ".."');
    expect(unsafePathReason('a/..b/c')).toBeUndefined();
    expect(isManifest('meta-inf/manifest.mf')).toBe(true);
    expect(loggingKind('org/apache/logging/log4j/core/Logger.class')).toMatch(/Log4j 2 core/);
    expect(loggingKind('org/apache/log4j/Logger.class')).toMatch(/Log4j 1/);
    expect(loggingKind('ch/qos/logback/classic/Logger.class')).toMatch(/Logback classes/);
    expect(loggingKind('org/slf4j/impl/StaticLoggerBinder.class')).toMatch(/SLF4J 1\.x/);
    expect(loggingKind('META-INF/services/org.slf4j.spi.SLF4JServiceProvider')).toMatch(/SLF4J 2\.x/);
    expect(loggingKind('LOG4J2.XML')).toMatch(/root-level Log4j/);
    expect(loggingKind('com/example/log4j2.xml')).toBeUndefined();
  });
});
