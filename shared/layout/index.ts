export type { ArtifactArea, ArtifactRef, LayoutArea } from './bucket-layout';
export { BucketLayout, LAYOUT_AREAS, normalizeRootDirectory } from './bucket-layout';
export {
  artifactNameProblem,
  assertArtifactName,
  assertNamespace,
  bucketNameProblem,
  MAX_KEY_BYTES,
  namespaceProblem,
  quote,
  utf8Length,
} from './names';
export type { OssLocation } from './oss-uri';
export { formatOssUri, parseOssUri } from './oss-uri';
