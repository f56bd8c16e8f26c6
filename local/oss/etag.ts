import { createHash } from 'node:crypto';

/**
 * ETags are stored unquoted and uppercase (the form OSS events carry) and quoted on the wire
 * (docs/oss-protocol.md §4: `"` + UPPER(hex MD5) + `"`).
 */

/** Uppercase hex of an MD5 digest: the ETag of a simple upload. */
export function etagFromMd5(md5: Buffer): string {
  return md5.toString('hex').toUpperCase();
}

/** `"ETAG"`, as OSS sends it in headers and XML. */
export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** Strips the quotes and whitespace a client may send around an ETag, for comparison. */
export function normalizeEtag(text: string): string {
  return text.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toUpperCase();
}

/**
 * The ETag of a completed multipart upload as OSS computes it (docs/oss-protocol.md §0 fact 9, §4.8): MD5 over the
 * concatenated UPPERCASE hex MD5s of the parts, as ASCII text, then `-<part count>`. Not the S3 formula.
 */
export function multipartEtag(partEtags: readonly string[]): string {
  const hash = createHash('md5');
  for (const etag of partEtags) hash.update(etag.toUpperCase(), 'ascii');
  return `${hash.digest('hex').toUpperCase()}-${partEtags.length}`;
}
