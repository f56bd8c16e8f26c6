import { StorageError } from './errors';
import type { ObjectTags, RestoreState, StorageClass } from './port';

const STORAGE_CLASSES: readonly StorageClass[] = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'];

/** True for the classes whose objects must be restored before they can be read. */
export function isArchiveClass(storageClass: StorageClass): boolean {
  return storageClass === 'Archive' || storageClass === 'ColdArchive' || storageClass === 'DeepColdArchive';
}

/** True when OSS refuses to GET the object: archived, and not (or no longer) restored. */
export function awaitsRestore(storageClass: StorageClass, restore: RestoreState | undefined, now: Date): boolean {
  return isArchiveClass(storageClass) && !(restore && !restore.ongoing && restore.expiresAt > now);
}

/**
 * The storage class OSS names in `x-oss-storage-class` or a listing's `<StorageClass>`, in any case
 * (listings may say `STANDARD`); `Standard` when absent or unknown.
 */
export function parseStorageClass(value: string | undefined): StorageClass {
  const lower = value?.toLowerCase();
  return STORAGE_CLASSES.find((c) => c.toLowerCase() === lower) ?? 'Standard';
}

/**
 * Parses `x-oss-restore`: `ongoing-request="true"` while a restore runs, then
 * `ongoing-request="false", expiry-date="<HTTP date>"` until the restored copy expires.
 */
export function parseRestoreHeader(value: string | undefined): RestoreState | undefined {
  if (!value) return undefined;
  const ongoing = /ongoing-request\s*=\s*"?(true|false)"?/i.exec(value)?.[1]?.toLowerCase();
  if (ongoing === 'true') return { ongoing: true };
  if (ongoing !== 'false') return undefined;
  const expiry = /expiry-date\s*=\s*"([^"]*)"/i.exec(value)?.[1];
  const expiresAt = expiry ? new Date(expiry) : undefined;
  return expiresAt && !Number.isNaN(expiresAt.getTime()) ? { ongoing: false, expiresAt } : undefined;
}

/**
 * Refuses a key that cannot be addressed in a URL path: HTTP clients resolve `.` and `..` segments away
 * before sending, so OSS would see (and check the signature of) another key.
 */
export function checkObjectKey(operation: string, key: string): void {
  if (key.split('/').some((segment) => segment === '.' || segment === '..'))
    throw new StorageError(
      'OSS_INVALID_REQUEST',
      `${operation} ${JSON.stringify(key)} refused: a key with a "." or ".." segment cannot be addressed over HTTP`,
      { operation, key },
    );
}

/** Listings carry their prefix in the query, every other keyed operation its key in the URL path. */
export function checkAddressable(operation: string, key: string | undefined): void {
  if (key !== undefined && operation !== 'ListObjectsV2' && operation !== 'ListMultipartUploads')
    checkObjectKey(operation, key);
}

const TAG_TEXT = /^[A-Za-z0-9 +\-=._:/]+$/;

/**
 * Refuses a tag set OSS (or the ali-oss client, which checks before sending) would refuse: more than 10
 * tags, keys over 128 or values over 256 characters, empty keys or values, other characters.
 */
export function checkTags(key: string, tags: ObjectTags): void {
  const entries = Object.entries(tags);
  const refuse = (why: string) =>
    new StorageError('OSS_INVALID_REQUEST', `PutObjectTagging ${JSON.stringify(key)} refused: ${why}`, {
      operation: 'PutObjectTagging',
      key,
    });
  if (entries.length > 10) throw refuse(`${entries.length} tags, at most 10 are allowed`);
  for (const [name, value] of entries) {
    if (typeof value !== 'string' || !TAG_TEXT.test(name) || !TAG_TEXT.test(value))
      throw refuse(
        `tag ${JSON.stringify(name)}: keys and values are non-empty letters, digits, spaces and + - = . _ : /`,
      );
    if (name.length > 128) throw refuse(`tag key ${JSON.stringify(name)} is longer than 128 characters`);
    if (value.length > 256) throw refuse(`the value of tag ${JSON.stringify(name)} is longer than 256 characters`);
  }
}
