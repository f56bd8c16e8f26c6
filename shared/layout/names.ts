import { ValidationError } from '../errors';

/** OSS refuses keys longer than this many UTF-8 bytes. */
export const MAX_KEY_BYTES = 1023;

const NAMESPACE_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const BUCKET_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
// C0 controls, DEL and C1 controls: invisible in consoles and logs, and refused by many tools.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
// Invisible format characters (category Cf: bidi controls U+202A–U+202E, U+2066–U+2069, U+200E/U+200F,
// U+061C, zero-width U+200B–U+200D, U+FEFF, soft hyphen U+00AD…) and the line/paragraph separators: they
// make a name display as something it is not, in consoles, logs and a download's file name.
const INVISIBLE_RE = /[\p{Cf}\u2028\u2029]/u;
const INVISIBLE_NAMES: Record<string, string> = {
  '00AD': 'SOFT HYPHEN',
  '061C': 'ARABIC LETTER MARK',
  '200B': 'ZERO WIDTH SPACE',
  '200C': 'ZERO WIDTH NON-JOINER',
  '200D': 'ZERO WIDTH JOINER',
  '200E': 'LEFT-TO-RIGHT MARK',
  '200F': 'RIGHT-TO-LEFT MARK',
  '2028': 'LINE SEPARATOR',
  '2029': 'PARAGRAPH SEPARATOR',
  '202A': 'LEFT-TO-RIGHT EMBEDDING',
  '202B': 'RIGHT-TO-LEFT EMBEDDING',
  '202C': 'POP DIRECTIONAL FORMATTING',
  '202D': 'LEFT-TO-RIGHT OVERRIDE',
  '202E': 'RIGHT-TO-LEFT OVERRIDE',
  '2060': 'WORD JOINER',
  '2066': 'LEFT-TO-RIGHT ISOLATE',
  '2067': 'RIGHT-TO-LEFT ISOLATE',
  '2068': 'FIRST STRONG ISOLATE',
  '2069': 'POP DIRECTIONAL ISOLATE',
  FEFF: 'ZERO WIDTH NO-BREAK SPACE',
};
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Number of bytes `text` takes in UTF-8, the unit OSS counts key lengths in. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Reason a namespace is unacceptable, or `undefined` when it is valid. */
export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length === 0) return 'is empty';
  const shared = pathProblem(namespace);
  if (shared) return shared;
  if (namespace.includes('/')) return 'contains "/"; a namespace is a single path segment';
  if (!NAMESPACE_RE.test(namespace)) {
    return 'must be 1–63 lowercase letters, digits or "-", starting and ending with a letter or digit (as Realtime Compute namespaces are)';
  }
  return undefined;
}

/**
 * Reason an artifact name is unacceptable, or `undefined` when it is valid. A name may hold folders
 * (`udfs/x.jar`), but every segment must be a real name: no empty, "." or ".." segment can move the key
 * out of its namespace.
 */
export function artifactNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  const shared = pathProblem(name);
  if (shared) return shared;
  if (name.startsWith('/')) return 'starts with "/"';
  if (name.endsWith('/')) return 'ends with "/"; it must name a file, not a folder';
  if (name.trim() !== name) return 'starts or ends with white space';
  for (const segment of name.split('/')) {
    if (segment === '') return 'contains an empty path segment ("//")';
    if (segment === '.' || segment === '..') return `contains a "${segment}" path segment`;
  }
  return undefined;
}

/** Checks shared by every user-supplied path part. */
function pathProblem(text: string): string | undefined {
  if (CONTROL_RE.test(text)) return 'contains a control character';
  if (LONE_SURROGATE_RE.test(text)) return 'is not valid Unicode (lone surrogate)';
  const invisible = INVISIBLE_RE.exec(text)?.[0];
  if (invisible) return `contains the invisible or direction-changing character ${describeCodePoint(invisible)}`;
  if (text.includes('\\')) return 'contains "\\"; use "/" to separate folders';
  if (text.split('/').includes('..')) return 'contains a ".." path segment';
  if (utf8Length(text) > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes in UTF-8`;
  return undefined;
}

/** `U+202E (RIGHT-TO-LEFT OVERRIDE)`: the code point, and its Unicode name when it is a well-known one. */
function describeCodePoint(char: string): string {
  const hex = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  const name = INVISIBLE_NAMES[hex];
  return name ? `U+${hex} (${name})` : `U+${hex}`;
}

/** Reason a bucket name is unacceptable (OSS naming rules), or `undefined`. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (!BUCKET_RE.test(bucket)) {
    return 'must be 3–63 lowercase letters, digits or "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Quotes a user value for an error message, shortened so a huge value cannot flood a response or log. */
export function quote(value: string, max = 80): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(shown);
}

/** Throws `NAMESPACE_INVALID` naming the reason when `namespace` is not valid. */
export function assertNamespace(namespace: string, field = 'namespace'): void {
  const problem = namespaceProblem(namespace);
  if (problem) throw new ValidationError('NAMESPACE_INVALID', field, `${field} ${quote(namespace)} ${problem}`);
}

/** Throws `NAME_INVALID` naming the reason when `name` is not a valid artifact name. */
export function assertArtifactName(name: string, field = 'name'): void {
  const problem = artifactNameProblem(name);
  if (problem) throw new ValidationError('NAME_INVALID', field, `${field} ${quote(name)} ${problem}`);
}
