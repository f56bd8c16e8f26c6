import type { EmbeddedModule, JarFacts } from '../jar/inspect';
import { entryClassOf } from '../jar/manifest';
import type { Finding } from './record';
import { type VulnerableLibrary, vulnerabilitiesOf } from './vulnerabilities';

/** What the checks compare against; from `CATALOG_*` variables. */
export interface CatalogPolicy {
  /** Newest Java release classes may target (`CATALOG_MAX_JAVA`). */
  maxJava: number;
  /** Flink version of the target runtime (`CATALOG_FLINK_VERSION`); bundled runtime modules must match it. */
  flinkVersion?: string;
  /** Largest artifact validated (`CATALOG_MAX_JAR_BYTES`). */
  maxJarBytes: number;
  /** Sum of declared uncompressed sizes above which a ZIP counts as a bomb (`CATALOG_MAX_UNCOMPRESSED_BYTES`). */
  maxUncompressedBytes: number;
  /** Compression ratio of one entry (of ≥ 1 MiB) above which a ZIP counts as a bomb (`CATALOG_MAX_COMPRESSION_RATIO`). */
  maxCompressionRatio: number;
}

/** Class-file major version → Java release: 52 is Java 8, 55 Java 11, 61 Java 17, 65 Java 21. */
export function javaReleaseOf(major: number): number {
  return major - 44;
}

const list = (s: { count: number; examples: string[] }) =>
  `${s.examples.join(', ')}${s.count > s.examples.length ? ` and ${s.count - s.examples.length} more` : ''}`;

function finding(severity: Finding['severity'], code: string, message: string, path?: string): Finding {
  return path === undefined ? { severity, code, message } : { severity, code, message: `${path}: ${message}`, path };
}

/**
 * Findings about the ZIP container itself: readable, complete, safe to extract. `prefix` is `JAR` for
 * JARs and `ARCHIVE` for other ZIP-based artifacts (wheels, eggs, zips). Returns whether the content
 * could be read, so content checks run only on complete facts.
 */
export function checkContainer(
  facts: JarFacts,
  policy: CatalogPolicy,
  prefix: 'JAR' | 'ARCHIVE',
  path?: string,
): { findings: Finding[]; readable: boolean } {
  const out: Finding[] = [];
  const add = (severity: Finding['severity'], code: string, message: string) =>
    out.push(finding(severity, `${prefix}_${code}`, message, path));
  if (facts.timedOut) {
    add(
      'error',
      'TIMEOUT',
      `validation did not finish within the function's time budget (${facts.size} bytes); the artifact is not validated. Raise the function timeout, or keep artifacts under CATALOG_MAX_JAR_BYTES`,
    );
    return { findings: out, readable: false };
  }
  if (facts.directory === 'not-zip') {
    add(
      'error',
      'NOT_ZIP',
      'not a ZIP file: no end-of-central-directory record. Upload the built archive itself, not a renamed or partial file',
    );
    return { findings: out, readable: false };
  }
  if (facts.directory === 'strong-encryption') {
    add('error', 'ENCRYPTED', 'uses strong encryption, which the JVM cannot read; build it without encryption');
    return { findings: out, readable: false };
  }
  if (facts.directory === 'corrupt' || facts.truncated) {
    add(
      'error',
      'CORRUPT',
      `the ZIP structure is corrupt or truncated (${facts.truncated ? 'fewer bytes than the object size' : facts.directoryMessage}); rebuild it and upload again`,
    );
    return { findings: out, readable: false };
  }
  if (facts.corruptEntries.count > 0)
    add(
      'error',
      'CORRUPT',
      `${facts.corruptEntries.count} entries cannot be read (${list(facts.corruptEntries)}); rebuild it and upload again`,
    );
  if (facts.unsafePaths.count > 0)
    add(
      'error',
      'UNSAFE_PATH',
      `${facts.unsafePaths.count} entries would be written outside the extraction directory: ${list(facts.unsafePaths)}. Rebuild with relative, forward-slash entry names`,
    );
  if (facts.encrypted.count > 0)
    add(
      'error',
      'ENCRYPTED',
      `${facts.encrypted.count} encrypted entries, which the JVM cannot read: ${list(facts.encrypted)}`,
    );
  if (facts.unsupportedMethods.count > 0)
    add(
      'error',
      'UNSUPPORTED_COMPRESSION',
      `${facts.unsupportedMethods.count} entries use a compression method other than stored or deflate: ${list(facts.unsupportedMethods)}`,
    );
  if (facts.declaredUncompressed > policy.maxUncompressedBytes)
    add(
      'error',
      'ZIP_BOMB',
      `declares ${facts.declaredUncompressed} bytes uncompressed, more than CATALOG_MAX_UNCOMPRESSED_BYTES (${policy.maxUncompressedBytes})`,
    );
  else if (facts.maxRatio && facts.maxRatio.ratio > policy.maxCompressionRatio)
    add(
      'error',
      'ZIP_BOMB',
      `entry ${facts.maxRatio.name} expands ${Math.round(facts.maxRatio.ratio)}× (to ${facts.maxRatio.uncompressed} bytes), more than CATALOG_MAX_COMPRESSION_RATIO (${policy.maxCompressionRatio})`,
    );
  if (facts.duplicates.count > 0)
    add(
      'warning',
      'DUPLICATE_ENTRY',
      `${facts.duplicates.count} entry names occur more than once (${list(facts.duplicates)}); which copy the JVM loads is undefined. Fix the shade/assembly merge rules`,
    );
  return { findings: out, readable: true };
}

const FLINK_RUNTIME_MODULE =
  /^flink-(core|runtime|java|streaming-java|streaming-scala|clients|scala|annotations|metrics-core|rpc-[a-z-]+|table-(api-java|api-java-bridge|api-scala|api-scala-bridge|api-bridge-base|planner|planner-loader|runtime|common))(_2\.1\d)?$/;

/** Every module embedded in the JAR and in its inspected `lib/*.jar`, with where it was found. */
function allModules(facts: JarFacts): Array<EmbeddedModule & { where: string; nested?: string }> {
  const out: Array<EmbeddedModule & { where: string; nested?: string }> = facts.embedded.map((m) => ({
    ...m,
    where: m.path,
  }));
  for (const n of facts.nested)
    for (const m of n.facts?.embedded ?? []) out.push({ ...m, where: `${n.path}!/${m.path}`, nested: n.path });
  return out;
}

const majorMinor = (v: string) => v.split(/[.-]/).slice(0, 2).join('.');

/**
 * Findings about a readable JAR's content: what Flink needs from a job JAR (docs/artifact-catalog.md
 * §2–§4). Nested `lib/*.jar` get the content checks that apply to a library, their findings naming the path.
 */
export function checkJarContent(
  facts: JarFacts,
  policy: CatalogPolicy,
  vulnerable?: readonly VulnerableLibrary[],
): Finding[] {
  const out: Finding[] = [];
  const modules = allModules(facts);

  if (!facts.manifestPresent)
    out.push(
      finding(
        'warning',
        'JAR_NO_MANIFEST',
        'no META-INF/MANIFEST.MF: Flink cannot find an entry class, so every deployment must name one',
      ),
    );
  else {
    const entryClass = entryClassOf(facts.manifest ?? {});
    if (!entryClass)
      out.push(
        finding(
          'warning',
          'JAR_NO_ENTRY_CLASS',
          'the manifest has neither program-class nor Main-Class: every deployment must name its entry class. Set Main-Class in the build (maven-shade ManifestResourceTransformer, or jar.manifest in Gradle)',
        ),
      );
    else {
      const classFile = `${entryClass.replace(/\./g, '/')}.class`;
      const found = facts.names.has(classFile) || facts.nested.some((n) => n.facts?.names.has(classFile));
      if (!found)
        out.push(
          finding(
            'error',
            'JAR_ENTRY_CLASS_MISSING',
            `the manifest names entry class ${entryClass}, but ${classFile} is not in the JAR: Flink fails with "entry point class not found". Fix the class name or include the class`,
          ),
        );
    }
  }

  if (facts.signatureFiles.length > 0 && (modules.length > 1 || facts.nested.length > 0))
    out.push(
      finding(
        'error',
        'JAR_SIGNATURE_FILES',
        `signature files ${facts.signatureFiles.join(', ')} were copied into a JAR that bundles other libraries: the JVM rejects it with "Invalid signature file digest". Exclude META-INF/*.SF, *.DSA, *.RSA and *.EC in the shade filters`,
      ),
    );

  const flinkModules = modules.filter(
    (m) => m.groupId === 'org.apache.flink' && FLINK_RUNTIME_MODULE.test(m.artifactId),
  );
  if (flinkModules.length > 0 || facts.flinkClasses.count > 0) {
    const what =
      flinkModules.length > 0
        ? flinkModules.map((m) => `${m.artifactId}:${m.version}`).join(', ')
        : `${facts.flinkClasses.count} classes of Flink's runtime packages (${list(facts.flinkClasses)})`;
    out.push(
      finding(
        'warning',
        'JAR_FLINK_BUNDLED',
        `bundles Flink's own runtime (${what}); the cluster provides it, and copies built for another version break with NoSuchMethodError or ClassCastException. Give Flink dependencies <scope>provided</scope>`,
      ),
    );
    if (policy.flinkVersion) {
      const target = majorMinor(policy.flinkVersion);
      const off = flinkModules.filter((m) => majorMinor(m.version) !== target);
      if (off.length > 0)
        out.push(
          finding(
            'error',
            'JAR_FLINK_VERSION_MISMATCH',
            `bundles Flink modules of another version than the runtime's ${policy.flinkVersion}: ${off.map((m) => `${m.artifactId}:${m.version}`).join(', ')}. Mark them provided, or build against ${policy.flinkVersion}`,
          ),
        );
    }
  }

  const scala211 = modules.filter((m) => m.groupId === 'org.apache.flink' && m.artifactId.endsWith('_2.11'));
  if (scala211.length > 0)
    out.push(
      finding(
        'error',
        'JAR_SCALA_2_11',
        `bundles Flink modules built for Scala 2.11 (${scala211.map((m) => `${m.artifactId}:${m.version}`).join(', ')}); Flink 1.15 and later support only Scala 2.12. Use the _2.12 or suffix-free artifacts`,
      ),
    );
  const suffixes = new Map<string, string>();
  for (const m of modules) {
    const s = /_(2\.1\d)$/.exec(m.artifactId)?.[1];
    if (s && !suffixes.has(s)) suffixes.set(s, `${m.groupId}:${m.artifactId}`);
  }
  if (suffixes.size > 1)
    out.push(
      finding(
        'error',
        'JAR_SCALA_MIXED',
        `mixes Scala binary versions (${[...suffixes].map(([s, m]) => `${s} in ${m}`).join(', ')}); classes of different Scala versions are not compatible. Align every _2.1x dependency on one version`,
      ),
    );

  for (const m of modules) {
    const hits = vulnerabilitiesOf(m, vulnerable);
    if (hits.length > 0)
      out.push({
        ...finding(
          'error',
          'JAR_VULNERABLE_LIBRARY',
          `embeds ${m.groupId}:${m.artifactId}:${m.version} (${m.where}), affected by ${hits.map((h) => `${h.cve} (${h.summary})`).join('; ')}. Upgrade to ${hits[0]?.fixedIn ?? 'a fixed version'}`,
          m.nested,
        ),
        cves: hits.map((h) => h.cve),
      });
  }

  out.push(...libraryFindings(facts, policy));
  for (const n of facts.nested) {
    if (n.skipped) {
      out.push(finding('info', 'JAR_NESTED_SKIPPED', `not inspected: ${n.skipped}`, n.path));
      continue;
    }
    if (!n.facts) continue;
    const container = checkContainer(n.facts, policy, 'JAR', n.path);
    out.push(...container.findings);
    if (container.readable) out.push(...libraryFindings(n.facts, policy, n.path));
  }
  return out;
}

/** Checks that apply to any code on the class path: class versions and logging. */
function libraryFindings(facts: JarFacts, policy: CatalogPolicy, path?: string): Finding[] {
  const out: Finding[] = [];
  const tooNew = [...facts.classMajors]
    .filter(([major]) => javaReleaseOf(major) > policy.maxJava)
    .sort(([a], [b]) => b - a);
  if (tooNew.length > 0) {
    const count = tooNew.reduce((n, [, s]) => n + s.count, 0);
    const [major, s] = tooNew[0] as [number, { count: number; examples: string[] }];
    out.push(
      finding(
        'error',
        'JAR_CLASS_VERSION',
        `${count} classes target a Java newer than ${policy.maxJava} (CATALOG_MAX_JAVA), up to Java ${javaReleaseOf(major)} (class version ${major}), e.g. ${s.examples.slice(0, 3).join(', ')}: the runtime fails with UnsupportedClassVersionError. Compile with --release ${policy.maxJava}, or upgrade the dependency's runtime`,
        path,
      ),
    );
  }
  if (facts.logging.size > 0)
    out.push(
      finding(
        'warning',
        'JAR_LOGGING_BUNDLED',
        `bundles logging that Flink already provides: ${[...facts.logging].map(([k, v]) => `${k} (${v})`).join('; ')}. These are loaded parent-first, so they are dead weight or cause "multiple SLF4J bindings" and lost logs; exclude them from the fat JAR`,
        path,
      ),
    );
  return out;
}
