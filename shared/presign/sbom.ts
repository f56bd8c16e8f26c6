import { parseCatalogRecord } from '../catalog/record';
import type { BucketLayout } from '../layout';
import type { ObjectStore } from '../storage/port';
import { authorize, type Caller } from './auth';
import { ApiError } from './errors';

/**
 * The CycloneDX SBOM `artifact-catalog` wrote for the artifact's current version, as stored (JSON text).
 * Same scope as reading the record (`list`). 404 `ARTIFACT_NOT_FOUND` when the artifact does not exist,
 * `SBOM_NOT_FOUND` while it is not catalogued yet, or when it is not a JAR.
 */
export async function readArtifactSbom(
  deps: { store: ObjectStore; layout: BucketLayout },
  caller: Caller,
  namespace: string,
  name: string,
): Promise<Buffer> {
  const key = deps.layout.artifactKey(namespace, name);
  authorize(caller, 'list', namespace);
  const [info, recordBytes, sbom] = await Promise.all([
    deps.store.head(key),
    deps.store.getBuffer(deps.layout.catalogKeyFor(key)),
    deps.store.getBuffer(deps.layout.sbomKeyFor(key)),
  ]);
  if (!info) throw new ApiError('ARTIFACT_NOT_FOUND', `${name} does not exist in namespace ${namespace}.`);
  const record = recordBytes && parseCatalogRecord(recordBytes.toString('utf8'));
  if (!record || record.etag.toUpperCase() !== info.etag.toUpperCase())
    throw new ApiError('SBOM_NOT_FOUND', `${name} is not catalogued yet; try again in a few seconds.`);
  if (!sbom) throw new ApiError('SBOM_NOT_FOUND', `${name} has no SBOM: only JARs get one.`);
  return sbom;
}
