export { BucketLayout, LAYOUT_AREAS, normalizeRootDirectory } from './bucket-layout';
export type { ArtifactArea, ArtifactRef, LayoutArea } from './bucket-layout';
export {
  MAX_KEY_BYTES,
  artifactNameProblem,
  assertArtifactName,
  assertNamespace,
  bucketNameProblem,
  namespaceProblem,
  quote,
  utf8Length,
} from './names';
export { formatOssUri, parseOssUri } from './oss-uri';
export type { OssLocation } from './oss-uri';
