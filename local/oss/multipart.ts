import { MAX_PARTS, MIN_PART_SIZE } from '../../shared/storage/limits';
import { OssErrors } from './errors';
import { normalizeEtag } from './etag';
import type { PartRecord } from './store/types';

/** A part named in a CompleteMultipartUpload body. */
export interface RequestedPart {
  partNumber: number;
  etag: string;
}

/**
 * Checks a CompleteMultipartUpload part list against the uploaded parts and returns the parts to join,
 * in order (docs/oss-protocol.md §4.8): part numbers strictly ascending (400 InvalidPartOrder); each part uploaded
 * with that ETag, quotes ignored (400 InvalidPart); every part but the last at least 100 KB (400
 * EntityTooSmall). Pure.
 */
export function selectParts(
  uploaded: ReadonlyMap<number, PartRecord>,
  requested: readonly RequestedPart[],
): PartRecord[] {
  if (requested.length === 0) throw OssErrors.malformedXml();
  for (let i = 1; i < requested.length; i++) {
    if (requested[i]!.partNumber <= requested[i - 1]!.partNumber) throw OssErrors.invalidPartOrder();
  }
  const parts = requested.map((r) => {
    const part = uploaded.get(r.partNumber);
    if (!part || normalizeEtag(r.etag) !== part.etag) throw OssErrors.invalidPart();
    return part;
  });
  for (let i = 0; i < parts.length - 1; i++) {
    // OSS's minimum for every part but the last is 100 KB, not S3's 5 MB (docs/oss-protocol.md §0 fact 8).
    if (parts[i]!.size < MIN_PART_SIZE) throw OssErrors.entityTooSmall('0042-00000213');
  }
  return parts;
}

/** Parses `partNumber`: an integer 1..10000, else OSS's 400 InvalidArgument naming it. */
export function parsePartNumber(raw: string | undefined): number {
  if (raw === undefined || !/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PARTS) {
    throw OssErrors.invalidArgument(
      `Part number must be an integer between 1 and ${MAX_PARTS}, inclusive.`,
      'PartNumber',
      raw ?? '',
    );
  }
  return Number(raw);
}
