import { OssErrors } from './errors';
import { compareKeys } from './keys';
import type { SortedKeySet } from './sorted-index';

export interface ListRequest {
  prefix: string;
  delimiter: string;
  /** Exclusive lower bound: v1 `marker`, v2 `start-after` or the continuation token's key. */
  after: string;
  maxKeys: number;
}

export interface KeyPage {
  keys: string[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts (exclusive). */
  next: string;
}

/**
 * One page of a listing, as OSS computes it: keys under `prefix` after `after`, keys sharing a
 * `delimiter`-terminated common prefix rolled into it (a common prefix counts as one entry against
 * `maxKeys`), in UTF-8 byte order.
 */
export function listPage(index: SortedKeySet, req: ListRequest): KeyPage {
  const { prefix, delimiter, after, maxKeys } = req;
  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let cursor = compareKeys(after, prefix) >= 0 ? index.seek(after, true) : index.seek(prefix);
  // A marker that is itself inside a common prefix means that whole prefix was returned already.
  if (delimiter !== '' && after.startsWith(prefix)) {
    const d = after.indexOf(delimiter, prefix.length);
    if (d !== -1) {
      const past = index.seekPastPrefix(after.slice(0, d + delimiter.length));
      if (past.chunk > cursor.chunk || (past.chunk === cursor.chunk && past.offset > cursor.offset)) cursor = past;
    }
  }
  let count = 0;
  let next = '';
  let isTruncated = false;
  for (let key = index.at(cursor); key !== undefined; key = index.at(cursor)) {
    if (!key.startsWith(prefix)) break;
    if (count === maxKeys) {
      isTruncated = true;
      break;
    }
    count++;
    const d = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    if (d !== -1) {
      const common = key.slice(0, d + delimiter.length);
      commonPrefixes.push(common);
      next = common;
      cursor = index.seekPastPrefix(common);
    } else {
      keys.push(key);
      next = key;
      index.next(cursor);
    }
  }
  return { keys, commonPrefixes, isTruncated, next };
}

/** Parses `max-keys` (1..1000, default 100) as OSS does; anything else is 400 InvalidArgument. */
export function parseMaxKeys(raw: string | undefined, name = 'max-keys', max = 1000, fallback = 100): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw OssErrors.invalidArgument(`Argument ${name} must be an integer between 1 and ${max}.`, name, raw);
  const n = Number(raw);
  if (n < 1 || n > max)
    throw OssErrors.invalidArgument(`Argument ${name} must be an integer between 1 and ${max}.`, name, raw);
  return n;
}

/**
 * ListObjectsV2 continuation tokens are opaque to clients (OSS's look like `CgJiYw--`): here the
 * base64 of the last returned key with `=` padding written as `-`, so they survive URLs untouched.
 */
export function encodeContinuationToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64').replace(/=/g, '-');
}

/** Inverse of `encodeContinuationToken`; a token we did not issue is 400 InvalidArgument. */
export function decodeContinuationToken(token: string): string {
  if (!/^[A-Za-z0-9+/]*-{0,2}$/.test(token) || token.length % 4 !== 0) {
    throw OssErrors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  }
  const key = Buffer.from(token.replace(/-/g, '='), 'base64').toString('utf8');
  if (encodeContinuationToken(key) !== token)
    throw OssErrors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  return key;
}
