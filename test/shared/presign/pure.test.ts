import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApiToken } from '../../../shared/config';
import { authenticate, authorize, tokenDigest } from '../../../shared/presign/auth';
import { check, UploadBody } from '../../../shared/presign/http/schemas';
import { attachmentDisposition, contentTypeFor, matchExtension } from '../../../shared/presign/media-types';
import { compactRanges, partCountFor, partLength, partSizeFor, partsProblem } from '../../../shared/presign/plan';

const tokens: ApiToken[] = [
  { id: 'ci', sha256: tokenDigest('ci-secret'), namespaces: ['team-a'], actions: ['upload', 'list'] },
  {
    id: 'admin',
    sha256: tokenDigest('admin-secret'),
    namespaces: '*',
    actions: ['upload', 'download', 'list', 'delete'],
  },
];

describe('authenticate', () => {
  it('finds the token by its digest and never returns the secret', () => {
    const caller = authenticate('Bearer ci-secret', tokens);
    expect(caller).toEqual({ tokenId: 'ci', namespaces: ['team-a'], actions: ['upload', 'list'] });
    expect(JSON.stringify(caller)).not.toContain('ci-secret');
  });

  it.each([
    [undefined, /Send the API token/],
    ['Basic abc', /must be "Bearer <token>"/],
    ['Bearer', /must be "Bearer <token>"/],
    ['Bearer wrong', /not known/],
    ['Bearer ci-secret extra', /must be "Bearer <token>"/],
  ])('refuses %j with 401', (header, message) => {
    expect(() => authenticate(header, tokens)).toThrowError(
      expect.objectContaining({ code: 'UNAUTHENTICATED', status: 401, message: expect.stringMatching(message) }),
    );
  });

  it('accepts the scheme in any case', () => {
    expect(authenticate('bearer admin-secret', tokens).tokenId).toBe('admin');
  });
});

describe('authorize', () => {
  const ci = authenticate('Bearer ci-secret', tokens);
  it('allows the token its actions in its namespaces only', () => {
    expect(() => authorize(ci, 'upload', 'team-a')).not.toThrow();
    expect(() => authorize(ci, 'upload', 'team-b')).toThrowError(/may not upload in namespace "team-b"/);
    expect(() => authorize(ci, 'delete', 'team-a')).toThrowError(/may not delete \(it may: upload, list\)/);
  });
});

describe('multipart plan', () => {
  it('never needs more than 10,000 parts and never goes below the chunk size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 * 5 * 1024 ** 3 }),
        fc.integer({ min: 100 * 1024, max: 1024 ** 3 }),
        (size, chunk) => {
          const partSize = partSizeFor(size, chunk);
          expect(partSize).toBeGreaterThanOrEqual(chunk);
          expect(partSize % 1024).toBe(0);
          const count = partCountFor(size, partSize);
          expect(count).toBeLessThanOrEqual(10_000);
          let total = 0;
          for (const n of [1, count]) expect(partLength(n, size, partSize)).toBeGreaterThan(0);
          total = partSize * (count - 1) + partLength(count, size, partSize);
          expect(total).toBe(size);
        },
      ),
    );
  });

  it('raises the part size for a 200 GiB file with 10 MiB chunks', () => {
    const size = 200 * 1024 ** 3;
    const partSize = partSizeFor(size, 10 * 1024 ** 2);
    expect(partSize).toBe(Math.ceil(size / 10_000 / 1024) * 1024);
    expect(partCountFor(size, partSize)).toBeLessThanOrEqual(10_000);
  });

  it('explains what is missing or wrong', () => {
    const size = 25;
    expect(
      partsProblem(
        [
          { partNumber: 1, size: 10 },
          { partNumber: 2, size: 10 },
          { partNumber: 3, size: 5 },
        ],
        size,
        10,
      ),
    ).toBeUndefined();
    expect(partsProblem([{ partNumber: 2, size: 10 }], size, 10)).toBe('missing part(s) 1, 3');
    expect(
      partsProblem(
        [
          { partNumber: 1, size: 9 },
          { partNumber: 2, size: 10 },
          { partNumber: 3, size: 5 },
          { partNumber: 4, size: 1 },
        ],
        size,
        10,
      ),
    ).toBe('part 1 has 9 bytes, expected 10; unexpected part(s) 4 beyond the planned 3');
    expect(compactRanges([5, 1, 2, 3, 9, 10])).toBe('1-3, 5, 9-10');
  });
});

describe('media types and file names', () => {
  it('matches the longest allowed extension, case-insensitively', () => {
    expect(matchExtension('lib.TAR.GZ', ['.gz', '.tar.gz'])).toBe('.tar.gz');
    expect(matchExtension('.jar', ['.jar'])).toBeUndefined();
    expect(matchExtension('job.jar.exe', ['.jar'])).toBeUndefined();
    expect(contentTypeFor('x/job.JAR')).toBe('application/java-archive');
    expect(contentTypeFor('unknown.bin')).toBe('application/octet-stream');
  });

  it('names downloads safely for every file name', () => {
    expect(attachmentDisposition('job 1.jar')).toBe(`attachment; filename="job 1.jar"; filename*=UTF-8''job%201.jar`);
    expect(attachmentDisposition('作业"x".jar')).toBe(
      `attachment; filename="___x_.jar"; filename*=UTF-8''%E4%BD%9C%E4%B8%9A%22x%22.jar`,
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (name) => {
        const header = attachmentDisposition(name);
        expect(header).toMatch(/^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%!\-._~]*$/);
        expect(header.match(/"/g)).toHaveLength(2);
      }),
    );
  });
});

describe('request schema messages', () => {
  it.each([
    [{}, 'namespace is required; name is required; size is required.'],
    [{ namespace: 'a', name: 'b', size: 0 }, 'size must be greater than 0.'],
    [{ namespace: 'a', name: 'b', size: -3 }, 'size must be greater than 0.'],
    [{ namespace: 'a', name: 'b', size: 1.5 }, 'size must be a whole number of bytes.'],
    [{ namespace: 'a', name: 'b', size: '5' }, 'size must be a number.'],
    [
      { namespace: 'a', name: 'b', size: 5, extra: true },
      'unknown field "extra"; allowed: namespace, name, size, contentType, contentMd5, overwrite, accelerate, expiresIn.',
    ],
    [
      { namespace: 'a', name: 'b', size: 5, contentMd5: 'abc' },
      'contentMd5 must be the base64 MD5 of the file (24 characters ending in "==").',
    ],
    [{ namespace: 'a', name: 'b', size: 5, expiresIn: 0 }, 'expiresIn must be greater than 0.'],
    [
      { namespace: 'a', name: 'b', size: 5, contentType: 'not a type' },
      'contentType must be a media type such as application/java-archive.',
    ],
  ])('%j → %s', (input, message) => {
    expect(check(UploadBody, input)).toEqual({ ok: false, message });
  });
});
