/**
 * OSS's limits, defined once (docs/oss-protocol.md §2.3, §4.1, §4.5, §4.8). Configuration, the presign API,
 * the stores and the local OSS server import them from here.
 */

/** Smallest part of a multipart upload, except the last: OSS refuses to complete with EntityTooSmall. */
export const MIN_PART_SIZE = 100 * 1024;
/** Largest part of a multipart upload. */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
/** Most parts of one multipart upload; part numbers run from 1 to this. */
export const MAX_PARTS = 10_000;
/** OSS's single-request body limit: one PutObject, PostObject, AppendObject or UploadPart carries at most 5 GiB. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
/** Largest object a multipart upload can assemble: `MAX_PARTS` parts of `MAX_PART_SIZE`. */
export const MAX_MULTIPART_OBJECT_BYTES = MAX_PARTS * MAX_PART_SIZE;
/** Longest lifetime of a presigned V4 URL: 7 days. */
export const MAX_PRESIGN_SECONDS = 604_800;
/** Longest OSS honours a presigned URL signed with temporary (STS) credentials: 12 hours. */
export const MAX_STS_PRESIGN_SECONDS = 43_200;
/** Most keys one DeleteMultipleObjects request may name. */
export const DELETE_BATCH_SIZE = 1000;
