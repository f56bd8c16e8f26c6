import { createHash } from 'node:crypto';
import { type InspectOptions, inspectJar, type JarFacts } from '../jar/inspect';
import { entryClassOf } from '../jar/manifest';
import type { RandomAccessSource } from '../jar/random-access';
import { type CatalogPolicy, checkContainer, checkJarContent, javaReleaseOf } from './checks';
import type { CatalogRecord, Finding } from './record';

/** What kind of artifact a name is, which decides the checks it gets. */
export type ArtifactKind = 'jar' | 'zip' | 'gzip' | 'other';

/** `.jar` → jar; `.zip`, `.whl`, `.egg` → zip; `.tar.gz`, `.tgz`, `.gz` → gzip; anything else (`.py`…) → other. */
export function artifactKindOf(name: string): ArtifactKind {
  const n = name.toLowerCase();
  if (n.endsWith('.jar')) return 'jar';
  if (n.endsWith('.zip') || n.endsWith('.whl') || n.endsWith('.egg')) return 'zip';
  if (n.endsWith('.tar.gz') || n.endsWith('.tgz') || n.endsWith('.gz')) return 'gzip';
  return 'other';
}

/** The outcome of validating one artifact: the parts of its catalog record that depend on its bytes. */
export interface Analysis {
  sha256: string;
  findings: Finding[];
  jar?: CatalogRecord['jar'];
  /** The inspection, for the SBOM; absent for non-ZIP artifacts. */
  facts?: JarFacts;
}

/** How to read the artifact and how long there is. */
export interface AnalyzeInput {
  name: string;
  source: RandomAccessSource;
  openStream: InspectOptions['openStream'];
  deadline: number;
  policy: CatalogPolicy & { maxNestedBytes: number };
}

/**
 * Validates one artifact: JARs get every check, other ZIP-based files the container checks, gzip files
 * their magic number, everything a SHA-256. Never throws for bad bytes; storage failures propagate.
 */
export async function analyzeArtifact(input: AnalyzeInput): Promise<Analysis> {
  const { name, source, policy } = input;
  const kind = artifactKindOf(name);
  const prefix = kind === 'jar' ? 'JAR' : 'ARCHIVE';
  if (source.size > policy.maxJarBytes)
    return {
      sha256: '',
      findings: [
        {
          severity: 'error',
          code: `${kind === 'jar' ? 'JAR' : 'ARTIFACT'}_TOO_LARGE`,
          message: `${source.size} bytes is more than CATALOG_MAX_JAR_BYTES (${policy.maxJarBytes}); it was not validated. Slim the artifact (provided scope for Flink, no bundled test data) or raise the limit`,
        },
      ],
    };
  if (source.size === 0)
    return {
      sha256: createHash('sha256').digest('hex'),
      findings: [
        {
          severity: kind === 'jar' || kind === 'zip' ? 'error' : 'warning',
          code: 'ARTIFACT_EMPTY',
          message: 'the artifact is empty (0 bytes); upload it again',
        },
      ],
    };

  if (kind === 'jar' || kind === 'zip') {
    const facts = await inspectJar(source, {
      openStream: input.openStream,
      deadline: input.deadline,
      maxNestedBytes: policy.maxNestedBytes,
      nested: kind === 'jar',
    });
    const container = checkContainer(facts, policy, prefix);
    const findings = [...container.findings];
    if (container.readable && kind === 'jar') findings.push(...checkJarContent(facts, policy));
    const analysis: Analysis = { sha256: facts.sha256 ?? '', findings, facts };
    if (kind === 'jar' && container.readable) analysis.jar = jarSummary(facts);
    return analysis;
  }

  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let read = 0;
  let timedOut = false;
  for await (const chunk of await input.openStream()) {
    hash.update(chunk);
    if (read < 2) head.push(chunk.subarray(0, 2));
    read += chunk.length;
    if (Date.now() > input.deadline) {
      timedOut = true;
      break;
    }
  }
  const findings: Finding[] = [];
  if (timedOut)
    findings.push({
      severity: 'error',
      code: 'ARTIFACT_TIMEOUT',
      message: `reading did not finish within the function's time budget (${source.size} bytes); raise the function timeout`,
    });
  const magic = Buffer.concat(head).subarray(0, 2);
  if (kind === 'gzip' && !timedOut && !(magic[0] === 0x1f && magic[1] === 0x8b))
    findings.push({
      severity: 'error',
      code: 'ARCHIVE_NOT_GZIP',
      message: 'the name says gzip (.tar.gz, .tgz, .gz) but the content does not start with the gzip signature 1f 8b',
    });
  return { sha256: timedOut ? '' : hash.digest('hex'), findings };
}

/** The `jar` part of a catalog record. */
export function jarSummary(facts: JarFacts): NonNullable<CatalogRecord['jar']> {
  const majors = [...facts.classMajors.keys()];
  const max = majors.length > 0 ? Math.max(...majors) : undefined;
  const entryClass = facts.manifest ? entryClassOf(facts.manifest) : undefined;
  const embedded = facts.embedded.map(({ groupId, artifactId, version, path }) => ({
    groupId,
    artifactId,
    version,
    path,
  }));
  return {
    manifest: facts.manifest ?? {},
    ...(entryClass ? { entryClass } : {}),
    entries: facts.entries,
    classes: facts.classes,
    ...(max !== undefined ? { maxClassVersion: { major: max, java: javaReleaseOf(max) } } : {}),
    embedded,
    nested: facts.nested.map((n) => ({
      path: n.path,
      size: n.size,
      ...(n.sha256 ? { sha256: n.sha256 } : {}),
      embedded: (n.facts?.embedded ?? []).map(({ groupId, artifactId, version, path }) => ({
        groupId,
        artifactId,
        version,
        path,
      })),
    })),
  };
}
