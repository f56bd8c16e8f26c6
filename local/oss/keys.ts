import { MAX_KEY_BYTES, utf8Length } from '../../shared/layout';
import { encodeRfc3986 } from '../../shared/storage/signing';
import { type OssError, OssErrors } from './errors';

// A key must be valid Unicode to have a UTF-8 form at all.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Orders keys by their UTF-8 bytes, as OSS lists them. JavaScript compares UTF-16 code units, which
 * agrees with UTF-8 byte order except between surrogates (characters above U+FFFF) and U+E000–U+FFFF;
 * those two ranges are swapped back here.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/** Why OSS would refuse `key` as an object name, or undefined (docs/oss-protocol.md §5 InvalidObjectName). */
export function keyProblem(key: string): OssError | undefined {
  if (key.length === 0) return OssErrors.invalidObjectName('The specified object is not valid.');
  if (LONE_SURROGATE.test(key)) return OssErrors.invalidObjectName('The specified object is not valid.');
  if (utf8Length(key) > MAX_KEY_BYTES)
    return OssErrors.invalidObjectName('The Length of Object name must be less than 1024.');
  if (key.startsWith('/') || key.startsWith('\\'))
    return OssErrors.invalidObjectName('Object name can not start with / or \\.');
  return undefined;
}

/** `encoding-type=url` as SDKs decode it: every byte outside `A-Za-z0-9-_.~` as %XX, never "+" (§4.7). */
export function urlEncodeListValue(text: string): string {
  return encodeRfc3986(text);
}
