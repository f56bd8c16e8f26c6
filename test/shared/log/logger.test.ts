import { describe, expect, it } from 'vitest';
import { createLogger, redact, redactUrls } from '../../../shared/log';

describe('redact', () => {
  it('removes secrets by field name at any depth', () => {
    const out = redact({
      tokenId: 'ci',
      credentials: { accessKeyId: 'AKID', accessKeySecret: 's3cr3t', securityToken: 'tok-AAA' },
      headers: { Authorization: 'Bearer abc', 'x-oss-security-token': 'tok-BBB' },
      list: [{ password: 'p' }],
    });
    const text = JSON.stringify(out);
    for (const secret of ['s3cr3t', 'tok-AAA', 'Bearer abc', 'tok-BBB', '"p"']) expect(text).not.toContain(secret);
    expect(text).toContain('"tokenId":"ci"');
    expect(text).toContain('"accessKeyId":"AKID"');
  });

  it('judges a field name the same way however often and in whatever spelling it recurs', () => {
    for (let round = 0; round < 3; round++) {
      const out = redact({ Security_Token: `a${round}`, 'SECURITY-TOKEN': `b${round}`, securityTokenId: 'kept' });
      expect(out).toEqual({ Security_Token: '[redacted]', 'SECURITY-TOKEN': '[redacted]', securityTokenId: 'kept' });
    }
    // More distinct names than the remembered answers hold: the ones past the bound are still judged.
    const many = Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`field${i}`, 'v']));
    expect(redact({ ...many, Password: 'p' })).toMatchObject({ field1099: 'v', Password: '[redacted]' });
    expect(redact({ 'pass-word': 'p' })).toEqual({ 'pass-word': '[redacted]' });
  });

  it('leaves strings without a parameter as they are, and redacts the same parameter however it is cased', () => {
    expect(redactUrls('no parameters here: Signature, OSSAccessKeyId')).toBe(
      'no parameters here: Signature, OSSAccessKeyId',
    );
    expect(redactUrls('http://h/k?signature=abc&SIGNATURE=def')).toBe(
      'http://h/k?signature=[redacted]&SIGNATURE=[redacted]',
    );
  });

  it('strips signatures and key ids from presigned URLs, V1 and V4', () => {
    const v4 =
      'https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-credential=AK%2F2026&x-oss-date=1&x-oss-signature=abcdef&x-oss-security-token=T';
    const v1 = 'http://h/k?OSSAccessKeyId=AK&Expires=1&Signature=xyz%3D&security-token=T';
    expect(redactUrls(v4)).toBe(
      'https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-credential=[redacted]&x-oss-date=1&x-oss-signature=[redacted]&x-oss-security-token=[redacted]',
    );
    expect(redactUrls(v1)).toBe(
      'http://h/k?OSSAccessKeyId=[redacted]&Expires=1&Signature=[redacted]&security-token=[redacted]',
    );
  });

  it('reduces errors to name, code and message and cuts cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ a: 1, self: '[cycle]' });
    const err = Object.assign(new Error('failed at http://h/k?Signature=zzz'), { code: 'X', params: { secret: 'no' } });
    expect(redact(err)).toEqual({ name: 'Error', code: 'X', message: 'failed at http://h/k?Signature=[redacted]' });
  });
});

describe('createLogger', () => {
  it('writes one redacted JSON object per line with inherited fields, honouring the level', () => {
    const lines: string[] = [];
    const log = createLogger(
      { fn: 'presign-api' },
      { level: 'info', write: (l) => lines.push(l), now: () => new Date(0) },
    );
    log.debug('hidden');
    log.child({ requestId: 'r1' }).info('issued', { url: 'http://h/k?Signature=s', accessKeySecret: 'x' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'issued',
      fn: 'presign-api',
      requestId: 'r1',
      url: 'http://h/k?Signature=[redacted]',
      accessKeySecret: '[redacted]',
    });
  });
});
