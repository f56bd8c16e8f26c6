import { normalizeEtag } from './etag';

/** The conditional headers of a request (or their `x-oss-copy-source-` twins for CopyObject). */
export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

export type PreconditionOutcome =
  | { kind: 'proceed' }
  | { kind: 'not-modified'; condition: 'If-None-Match' | 'If-Modified-Since' }
  | { kind: 'failed'; condition: 'If-Match' | 'If-Unmodified-Since' };

/**
 * Evaluates conditional headers against an object (RFC 7232 §6 order, as OSS applies it): a failing
 * If-Match or If-Unmodified-Since is 412; a matching If-None-Match or an unchanged If-Modified-Since is
 * 304. Dates have one-second resolution, like Last-Modified; an unparsable date is ignored.
 */
export function evaluatePreconditions(p: Preconditions, etag: string, lastModifiedMs: number): PreconditionOutcome {
  const modifiedSec = Math.floor(lastModifiedMs / 1000);
  if (p.ifMatch !== undefined) {
    if (!etagListMatches(p.ifMatch, etag)) return { kind: 'failed', condition: 'If-Match' };
  } else if (p.ifUnmodifiedSince !== undefined) {
    const since = parseHttpDate(p.ifUnmodifiedSince);
    if (since !== undefined && modifiedSec > since) return { kind: 'failed', condition: 'If-Unmodified-Since' };
  }
  if (p.ifNoneMatch !== undefined) {
    if (etagListMatches(p.ifNoneMatch, etag)) return { kind: 'not-modified', condition: 'If-None-Match' };
  } else if (p.ifModifiedSince !== undefined) {
    const since = parseHttpDate(p.ifModifiedSince);
    if (since !== undefined && modifiedSec <= since) return { kind: 'not-modified', condition: 'If-Modified-Since' };
  }
  return { kind: 'proceed' };
}

function etagListMatches(list: string, etag: string): boolean {
  const want = normalizeEtag(etag);
  return list.split(',').some((item) => item.trim() === '*' || normalizeEtag(item) === want);
}

/** Seconds since the epoch of an HTTP date, or undefined. */
function parseHttpDate(text: string): number | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
