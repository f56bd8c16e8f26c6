/** How the checks look at an entry name (docs/artifact-catalog.md §2). Pure string rules, no I/O. */

/** Why a name could escape the extraction directory, or `undefined` when it cannot. */
export function unsafePathReason(name: string): string | undefined {
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/')) return 'is absolute';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (hasDotDotSegment(name)) return 'contains ".."';
  if (name.includes('\0')) return 'contains a NUL character';
  return undefined;
}

/** Whether a `/`-separated segment of `name` is `..` (without splitting: this runs for every entry). */
function hasDotDotSegment(name: string): boolean {
  for (let at = name.indexOf('..'); at !== -1; at = name.indexOf('..', at + 1)) {
    if ((at === 0 || name.charCodeAt(at - 1) === 0x2f) && (at + 2 === name.length || name.charCodeAt(at + 2) === 0x2f))
      return true;
  }
  return false;
}

/** A class whose header the version check reads: not multi-release variants, not `module-info`. */
export function isCheckedClass(name: string): boolean {
  return (
    name.endsWith('.class') &&
    !name.startsWith('META-INF/versions/') &&
    name !== 'module-info.class' &&
    !name.endsWith('/module-info.class')
  );
}

export function isManifest(name: string): boolean {
  return name.length === MANIFEST.length && name.toUpperCase() === MANIFEST;
}

const MANIFEST = 'META-INF/MANIFEST.MF';

/** `META-INF/maven/<groupId>/<artifactId>/pom.properties`, written by Maven for each packaged module. */
export function isPomProperties(name: string): boolean {
  return /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(name);
}

/** A JAR Flink puts on the user class path: `lib/…/*.jar` inside the job JAR. */
export function isNestedLibrary(name: string): boolean {
  return name.startsWith('lib/') && name.toLowerCase().endsWith('.jar') && name.length > 'lib/.jar'.length;
}

/** Signature files of a signed JAR: `META-INF/*.SF`, `*.RSA`, `*.DSA`, `*.EC`. */
export function isSignatureFile(name: string): boolean {
  return /^META-INF\/[^/]+\.(SF|RSA|DSA|EC)$/i.test(name);
}

const LOGGING_RULES: Array<[RegExp, string]> = [
  [/^org\/slf4j\/impl\/StaticLoggerBinder\.class$/, 'an SLF4J 1.x binding (org/slf4j/impl/StaticLoggerBinder)'],
  [/^META-INF\/services\/org\.slf4j\.spi\.SLF4JServiceProvider$/, 'an SLF4J 2.x provider (META-INF/services)'],
  [/^org\/apache\/logging\/log4j\/core\//, 'Log4j 2 core classes (org/apache/logging/log4j/core/)'],
  [/^org\/apache\/log4j\//, 'Log4j 1 classes (org/apache/log4j/)'],
  [/^ch\/qos\/logback\//, 'Logback classes (ch/qos/logback/)'],
  [/^log4j2?(-[^/]*)?\.(properties|xml|ya?ml|json)$/i, 'a root-level Log4j configuration'],
  [/^log4j2-test[^/]*$/i, 'a root-level Log4j configuration'],
  [/^logback(-[^/]*)?\.(xml|groovy)$/i, 'a root-level Logback configuration'],
];

/** What logging piece an entry is, when it is one Flink already provides. */
export function loggingKind(name: string): string | undefined {
  // Every rule names a root-level file or something under org/, ch/ or META-INF/services/: the other
  // entries (nearly all of a JAR) are answered without running eight patterns.
  if (name.includes('/') && !LOGGING_ROOTS.some((root) => name.startsWith(root))) return undefined;
  for (const [pattern, label] of LOGGING_RULES) if (pattern.test(name)) return label;
  return undefined;
}

const LOGGING_ROOTS = ['org/slf4j/', 'org/apache/log', 'ch/qos/', 'META-INF/services/'];

/** Flink's own API and runtime packages (never connectors, which a job must bundle). */
export function isFlinkRuntimeClass(name: string): boolean {
  return /^org\/apache\/flink\/(api|streaming\/api|runtime|configuration|core|table\/planner)\/.+\.class$/.test(name);
}
