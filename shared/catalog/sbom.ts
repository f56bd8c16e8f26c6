import { createHash } from 'node:crypto';
import type { Analysis } from './analyze';

/** A CycloneDX 1.5 JSON document, as far as this pack writes it. */
export interface CycloneDxBom {
  bomFormat: 'CycloneDX';
  specVersion: '1.5';
  serialNumber: string;
  version: number;
  metadata: Record<string, unknown>;
  components: Array<Record<string, unknown>>;
  dependencies: Array<{ ref: string; dependsOn: string[] }>;
}

/** Package URL of a Maven module (`pkg:maven/group/artifact@version`), with the parts percent-encoded. */
export function mavenPurl(m: { groupId: string; artifactId: string; version: string }): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%2F/g, '/');
  return `pkg:maven/${enc(m.groupId)}/${enc(m.artifactId)}@${enc(m.version)}`;
}

/**
 * The SBOM of a validated JAR (CycloneDX 1.5): the JAR itself as the main component with its SHA-256,
 * every embedded Maven module as a library with its purl, and each nested `lib/*.jar` with its hash and
 * the modules inside it. The serial number derives from the artifact's key and ETag, so the same upload
 * always yields the same document.
 */
export function buildSbom(input: {
  key: string;
  name: string;
  etag: string;
  analysis: Analysis;
  catalogedAt: string;
  toolVersion: string;
}): CycloneDxBom {
  const { analysis } = input;
  const digest = createHash('sha256').update(`${input.key}\n${input.etag}`).digest('hex');
  const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-${((Number.parseInt(digest[16] as string, 16) & 3) | 8).toString(16)}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  const mainRef = `artifact:${input.key}`;
  const hashes = (sha256: string | undefined) => (sha256 ? [{ alg: 'SHA-256', content: sha256 }] : []);

  const components: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  const mainDeps: string[] = [];
  const library = (m: { groupId: string; artifactId: string; version: string; path?: string }, into: string[]) => {
    const purl = mavenPurl(m);
    into.push(purl);
    if (seen.has(purl)) return;
    seen.add(purl);
    components.push({
      type: 'library',
      'bom-ref': purl,
      group: m.groupId,
      name: m.artifactId,
      version: m.version,
      purl,
      ...(m.path ? { properties: [{ name: 'flink-artifacts:path', value: m.path }] } : {}),
    });
  };
  const jar = analysis.jar;
  for (const m of jar?.embedded ?? []) library(m, mainDeps);
  const dependencies: CycloneDxBom['dependencies'] = [];
  for (const n of jar?.nested ?? []) {
    const ref = `nested:${n.path}`;
    mainDeps.push(ref);
    const inner: string[] = [];
    for (const m of n.embedded) library(m, inner);
    components.push({
      type: 'library',
      'bom-ref': ref,
      name: n.path.slice(n.path.lastIndexOf('/') + 1),
      hashes: hashes(n.sha256),
      properties: [{ name: 'flink-artifacts:path', value: n.path }],
    });
    dependencies.push({ ref, dependsOn: [...new Set(inner)] });
  }
  dependencies.unshift({ ref: mainRef, dependsOn: [...new Set(mainDeps)] });
  for (const c of components)
    if (!dependencies.some((d) => d.ref === c['bom-ref']))
      dependencies.push({ ref: c['bom-ref'] as string, dependsOn: [] });

  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${uuid}`,
    version: 1,
    metadata: {
      timestamp: input.catalogedAt,
      tools: {
        components: [
          { type: 'application', name: 'flink-artifact-lifecycle artifact-catalog', version: input.toolVersion },
        ],
      },
      component: {
        type: 'application',
        'bom-ref': mainRef,
        name: input.name,
        hashes: hashes(analysis.sha256),
        properties: [
          { name: 'flink-artifacts:key', value: input.key },
          { name: 'flink-artifacts:etag', value: input.etag },
          ...(jar?.entryClass ? [{ name: 'flink-artifacts:entryClass', value: jar.entryClass }] : []),
        ],
      },
    },
    components,
    dependencies,
  };
}
