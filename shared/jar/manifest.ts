/**
 * Main attributes of a JAR manifest (`META-INF/MANIFEST.MF`): `Name: value` lines up to the first blank
 * line, a line starting with one space continuing the previous value (the 72-byte wrapping of the JAR
 * specification). Unreadable lines are skipped: a manifest is evidence, not something to reject here.
 */
export function parseManifest(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    if (line === '') break;
    if (line.startsWith(' ')) {
      if (last !== undefined) attributes[last] += line.slice(1);
      continue;
    }
    const colon = line.indexOf(': ');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    last = line.slice(0, colon);
    attributes[last] = line.slice(colon + 2);
  }
  return attributes;
}

/**
 * The class Flink starts when no entry class is given: `program-class` first, then `Main-Class`
 * (docs/artifact-catalog.md §2). Attribute names are matched without regard to case, like the JDK does.
 */
export function entryClassOf(manifest: Record<string, string>): string | undefined {
  const find = (name: string) =>
    Object.entries(manifest)
      .find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
      ?.trim();
  const value = find('program-class') || find('Main-Class');
  return value === '' ? undefined : value;
}

/** Coordinates from a Maven `pom.properties` (`groupId=…`, `artifactId=…`, `version=…`). */
export function parsePomProperties(text: string): { groupId: string; artifactId: string; version: string } | undefined {
  const props: Record<string, string> = {};
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m) props[m[1] as string] = (m[2] as string).trim();
  }
  const { groupId, artifactId, version } = props;
  if (!groupId || !artifactId || !version) return undefined;
  return { groupId, artifactId, version };
}
