import { ValidationError } from '../errors';
import { isoTime } from '../iso-time';
import { artifactNameProblem, assertArtifactName, assertNamespace, MAX_KEY_BYTES, quote, utf8Length } from './names';
import { formatOssUri } from './oss-uri';

/**
 * The top-level folders of a Realtime Compute workspace bucket
 * (docs/flink-layout.md §5.1), plus `catalog/`, which this pack owns.
 */
export const LAYOUT_AREAS = [
  'artifacts',
  'sql-artifacts',
  'catalog',
  'flink-jobs',
  'flink-savepoints',
  'flink-sessionclusters',
  'plan',
  'logs',
] as const;

export type LayoutArea = (typeof LAYOUT_AREAS)[number];

/** Artifact areas the catalog watches and the API serves; both use `<area>/namespaces/<ns>/<name>`. */
export type ArtifactArea = 'artifacts' | 'sql-artifacts';

/** An artifact key taken apart. */
export interface ArtifactRef {
  area: ArtifactArea;
  namespace: string;
  name: string;
}

const CATALOG_SUFFIX = '.json';

/**
 * Normalises `OSS_ROOT_DIRECTORY`: no leading "/", exactly one trailing "/", or "" for the bucket root.
 * Throws `ROOT_DIRECTORY_INVALID` when a segment is unsafe.
 */
export function normalizeRootDirectory(raw: string): string {
  const trimmed = raw.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  const problem = artifactNameProblem(trimmed);
  if (problem) {
    throw new ValidationError(
      'ROOT_DIRECTORY_INVALID',
      'OSS_ROOT_DIRECTORY',
      `root directory ${quote(raw)} ${problem}`,
    );
  }
  return `${trimmed}/`;
}

/**
 * Every key of the workspace bucket layout under an optional root directory. All keys the pack reads
 * or writes are derived here, so no other module concatenates paths.
 */
export class BucketLayout {
  /** "" or a prefix ending in "/". */
  readonly root: string;

  constructor(
    readonly bucket: string,
    rootDirectory = '',
  ) {
    this.root = normalizeRootDirectory(rootDirectory);
  }

  /** `<root><area>/`: the prefix of one top-level area. */
  areaPrefix(area: LayoutArea): string {
    return `${this.root}${area}/`;
  }

  /** `<root><area>/namespaces/<namespace>/`. */
  namespacePrefix(namespace: string, area: ArtifactArea = 'artifacts'): string {
    assertNamespace(namespace);
    return `${this.areaPrefix(area)}namespaces/${namespace}/`;
  }

  /**
   * `<root>artifacts/namespaces/<namespace>/<name>`. Throws `NAMESPACE_INVALID` / `NAME_INVALID` with the
   * reason, including when the key, or the catalog record key derived from it, would exceed what OSS allows.
   */
  artifactKey(namespace: string, name: string, area: ArtifactArea = 'artifacts'): string {
    assertArtifactName(name);
    const key = `${this.namespacePrefix(namespace, area)}${name}`;
    const longest = Math.max(utf8Length(key), utf8Length(this.catalogKeyFor(key)));
    if (longest > MAX_KEY_BYTES) {
      throw new ValidationError(
        'NAME_INVALID',
        'name',
        `name ${quote(name)} is too long: its keys would be ${longest} bytes in UTF-8, OSS allows ${MAX_KEY_BYTES}`,
      );
    }
    return key;
  }

  /** `oss://<bucket>/<key>`. */
  ossPath(key: string): string {
    return formatOssUri(this.bucket, key);
  }

  /**
   * Takes an artifact key apart, or returns `undefined` when the key is not a valid artifact key of this
   * layout (another area, another root, a folder marker, or an unsafe name).
   */
  parseArtifactKey(key: string): ArtifactRef | undefined {
    if (!key.startsWith(this.root)) return undefined;
    const rest = key.slice(this.root.length);
    const m = /^(artifacts|sql-artifacts)\/namespaces\/([^/]+)\/(.+)$/.exec(rest);
    if (!m) return undefined;
    const [, area, namespace, name] = m as unknown as [string, ArtifactArea, string, string];
    try {
      assertNamespace(namespace);
      assertArtifactName(name);
    } catch {
      return undefined;
    }
    return { area, namespace, name };
  }

  /** `<root>catalog/<artifact key relative to root>.json`: where the catalog record of an artifact lives. */
  catalogKeyFor(artifactKey: string): string {
    if (!artifactKey.startsWith(this.root)) {
      throw new ValidationError(
        'KEY_OUTSIDE_ROOT',
        'key',
        `key ${quote(artifactKey)} is not under root ${quote(this.root)}`,
      );
    }
    return `${this.areaPrefix('catalog')}${artifactKey.slice(this.root.length)}${CATALOG_SUFFIX}`;
  }

  /** Inverse of `catalogKeyFor`, or `undefined` for a key that is not a catalog record. */
  artifactKeyForCatalogKey(catalogKey: string): string | undefined {
    const prefix = this.areaPrefix('catalog');
    if (!catalogKey.startsWith(prefix) || !catalogKey.endsWith(CATALOG_SUFFIX)) return undefined;
    const artifactKey = `${this.root}${catalogKey.slice(prefix.length, -CATALOG_SUFFIX.length)}`;
    return this.parseArtifactKey(artifactKey) ? artifactKey : undefined;
  }

  /**
   * `<root>catalog/_sbom/<artifact key relative to root>.cdx.json`: the CycloneDX SBOM of a JAR. Kept in
   * its own subtree so it can never be mistaken for the record of an artifact named `….cdx`.
   */
  sbomKeyFor(artifactKey: string): string {
    const record = this.catalogKeyFor(artifactKey);
    const prefix = this.areaPrefix('catalog');
    return `${prefix}_sbom/${record.slice(prefix.length, -CATALOG_SUFFIX.length)}.cdx.json`;
  }

  /** `<root>catalog/_state/<name>.json`: progress a catalog task keeps between runs (the reconcile cursor). */
  catalogStateKey(name: string): string {
    assertSegment(name, 'state');
    return `${this.areaPrefix('catalog')}_state/${name}.json`;
  }

  /**
   * `<root>catalog/_uploads/<uploadId>.json`: the plan of a multipart upload the API started, kept until
   * it is completed or aborted. `_uploads` cannot clash with artifact records (`catalog/artifacts/…`).
   */
  uploadPlanKey(uploadId: string): string {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(uploadId) || uploadId.startsWith('.')) {
      throw new ValidationError(
        'UPLOAD_ID_INVALID',
        'uploadId',
        `upload id ${quote(uploadId)} is not an OSS upload id`,
      );
    }
    return `${this.areaPrefix('catalog')}_uploads/${uploadId}.json`;
  }

  /** The area a key belongs to, or `undefined` for keys outside the root or outside every known area. */
  areaOf(key: string): LayoutArea | undefined {
    if (!key.startsWith(this.root)) return undefined;
    const first = key.slice(this.root.length).split('/', 1)[0];
    return LAYOUT_AREAS.find((a) => a === first && key.length > this.root.length + a.length);
  }

  /** `<root>flink-jobs/namespaces/<ns>/deployments/<deploymentId>/checkpoints/`, or a shorter prefix when parts are omitted. */
  checkpointsPrefix(namespace?: string, deploymentId?: string): string {
    return this.deploymentPrefix('flink-jobs', namespace, deploymentId, 'checkpoints/');
  }

  /** `<root>flink-savepoints/namespaces/<ns>/deployments/<deploymentId>/`, or a shorter prefix when parts are omitted. */
  savepointsPrefix(namespace?: string, deploymentId?: string): string {
    return this.deploymentPrefix('flink-savepoints', namespace, deploymentId, '');
  }

  /** `<root>flink-sessionclusters/namespaces/<ns>/sessionclusters/<name>/`, or a shorter prefix. */
  sessionClustersPrefix(namespace?: string, clusterName?: string): string {
    let prefix = this.areaPrefix('flink-sessionclusters');
    if (namespace === undefined) return prefix;
    assertNamespace(namespace);
    prefix += `namespaces/${namespace}/sessionclusters/`;
    if (clusterName === undefined) return prefix;
    assertSegment(clusterName, 'sessionCluster');
    return `${prefix}${clusterName}/`;
  }

  /** `<root>plan/`. */
  planPrefix(): string {
    return this.areaPrefix('plan');
  }

  /**
   * `<root>logs/<namespace>/<deploymentId>/[<jobId>/]`, the layout Realtime Compute's OSS log appender
   * uses (docs/flink-layout.md §5.2), or a shorter prefix when parts are omitted.
   */
  logsPrefix(namespace?: string, deploymentId?: string, jobId?: string): string {
    let prefix = this.areaPrefix('logs');
    if (namespace === undefined) return prefix;
    assertNamespace(namespace);
    prefix += `${namespace}/`;
    if (deploymentId === undefined) return prefix;
    assertSegment(deploymentId, 'deployment');
    prefix += `${deploymentId}/`;
    if (jobId === undefined) return prefix;
    assertSegment(jobId, 'job');
    return `${prefix}${jobId}/`;
  }

  /**
   * `<root>logs/_reports/<tool>/<yyyy>/<mm>/<dd>/<runId>.json`: where a tool that changes the bucket
   * writes what it did. `_reports` cannot clash with a namespace (namespaces cannot start with "_").
   */
  reportKey(tool: string, at: Date, runId: string): string {
    assertSegment(tool, 'tool');
    assertSegment(runId, 'runId');
    const iso = isoTime(at);
    return `${this.areaPrefix('logs')}_reports/${tool}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${runId}.json`;
  }

  private deploymentPrefix(
    area: LayoutArea,
    namespace: string | undefined,
    deploymentId: string | undefined,
    tail: string,
  ): string {
    let prefix = this.areaPrefix(area);
    if (namespace === undefined) return prefix;
    assertNamespace(namespace);
    prefix += `namespaces/${namespace}/deployments/`;
    if (deploymentId === undefined) return prefix;
    assertSegment(deploymentId, 'deployment');
    return `${prefix}${deploymentId}/${tail}`;
  }
}

/** A single path segment supplied by a caller (deployment id, job id, run id). */
function assertSegment(value: string, field: string): void {
  const problem = artifactNameProblem(value) ?? (value.includes('/') ? 'contains "/"' : undefined);
  if (problem) throw new ValidationError('SEGMENT_INVALID', field, `${field} ${quote(value)} ${problem}`);
}
