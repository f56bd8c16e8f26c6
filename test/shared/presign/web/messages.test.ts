import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, RateMeter } from '../../../../shared/presign/web/format';
import { apiFailure, ossFailure, parseOssError } from '../../../../shared/presign/web/messages';

/** What the artifacts page says for each refusal, from the API's JSON and OSS's XML (docs/oss-protocol.md §5). */

const ossXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${message}</Message>\n  <RequestId>5C3D9175B6FC201293AD4890</RequestId>\n  <HostId>flink-ws.oss-cn-hangzhou.aliyuncs.com</HostId>\n</Error>`;

describe('OSS errors', () => {
  it('reads the fields of an OSS error document, entities decoded', () => {
    expect(parseOssError(ossXml('InvalidArgument', 'a &lt; b &amp; c'))).toEqual({
      code: 'InvalidArgument',
      message: 'a < b & c',
      requestId: '5C3D9175B6FC201293AD4890',
    });
    expect(parseOssError('not xml')).toEqual({ code: '', message: '', requestId: '' });
  });

  it('tells an expired URL (retryable: the page signs a new one) from no permission', () => {
    const expired = ossFailure(403, ossXml('AccessDenied', 'Request has expired.'));
    expect(expired).toMatchObject({ code: 'URL_EXPIRED', retryable: true });
    const denied = ossFailure(403, ossXml('AccessDenied', 'You have no right to access this object.'));
    expect(denied).toMatchObject({ code: 'NO_PERMISSION', retryable: false });
    expect(denied.message).toBe(
      'No permission: OSS answered "You have no right to access this object." (OSS request 5C3D9175B6FC201293AD4890).',
    );
  });

  it('words an existing name, a too large file, a changed file', () => {
    expect(ossFailure(409, ossXml('FileAlreadyExists', 'x')).message).toBe(
      'A file with this name already exists; delete it first or choose another name.',
    );
    expect(ossFailure(400, ossXml('EntityTooLarge', 'x')).message).toMatch(/^File too large/);
    expect(ossFailure(400, ossXml('InvalidDigest', 'x')).code).toBe('InvalidDigest');
    expect(ossFailure(404, ossXml('NoSuchUpload', 'x')).message).toMatch(/no longer exists in OSS/);
  });

  it('treats no answer as a lost connection, 5xx as retryable, and a bare 403 as a CORS or permission problem', () => {
    expect(ossFailure(0, '')).toMatchObject({ code: 'NETWORK', retryable: true });
    expect(ossFailure(503, ossXml('ServiceUnavailable', 'busy'))).toMatchObject({ retryable: true });
    expect(ossFailure(403, '').message).toMatch(/CORS rule/);
  });
});

describe('API errors', () => {
  const body = (code: string, message: string) => ({ error: { code, message, requestId: 'req-1' } });

  it('prefixes refusals with what kind they are', () => {
    expect(apiFailure(400, body('EXTENSION_NOT_ALLOWED', 'name "a.txt" must end with one of .jar')).message).toBe(
      'Name refused: name "a.txt" must end with one of .jar',
    );
    expect(apiFailure(413, body('UPLOAD_TOO_LARGE', 'size 9 is larger than 8')).message).toBe(
      'File too large: size 9 is larger than 8',
    );
    expect(apiFailure(403, body('FORBIDDEN', 'Token "ci" may not delete')).message).toBe(
      'No permission: Token "ci" may not delete',
    );
    expect(apiFailure(401, body('UNAUTHENTICATED', 'x')).code).toBe('UNAUTHENTICATED');
  });

  it('keeps the request id of server failures and survives a body that is not the API error', () => {
    expect(apiFailure(503, body('STORAGE_UNAVAILABLE', 'x'))).toMatchObject({ retryable: true });
    expect(apiFailure(500, body('INTERNAL', 'Internal error')).message).toBe('Internal error (request req-1)');
    expect(apiFailure(502, undefined)).toMatchObject({ code: 'HTTP_502', message: 'The API answered 502.' });
  });
});

describe('formatting', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(30_000_000)).toBe('28.6 MiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatDuration(undefined)).toBe('estimating…');
    expect(formatDuration(95)).toBe('1 min 35 s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3 h 2 min');
  });

  it('measures speed over a sliding window and estimates the time left', () => {
    const meter = new RateMeter(5000);
    meter.add(0, 0);
    expect(meter.bytesPerSecond()).toBeUndefined();
    meter.add(1000, 1_000_000);
    meter.add(2000, 2_000_000);
    expect(meter.bytesPerSecond()).toBe(1_000_000);
    expect(meter.secondsLeft(10_000_000)).toBe(8);
    // Old samples leave the window: a slowdown shows within it.
    meter.add(8000, 2_600_000);
    expect(meter.bytesPerSecond()).toBeCloseTo(100_000, 0);
  });
});
