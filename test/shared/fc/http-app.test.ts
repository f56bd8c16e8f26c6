import { describe, expect, it } from 'vitest';
import { defaultIsContentTypeBinary, requestFromEvent, resultFromResponse } from '../../../shared/fc/http-app';
import { parseHttpEvent } from '../../../shared/fc/parse';

describe('defaultIsContentTypeBinary', () => {
  it.each([
    ['text/html; charset=utf-8', false],
    ['application/json', false],
    ['application/problem+json', false],
    ['application/xml', false],
    ['application/x-ndjson', false],
    ['image/svg+xml', false],
    ['application/javascript', false],
    ['application/octet-stream', true],
    ['application/java-archive', true],
    ['image/png', true],
    ['application/gzip', true],
    ['', true],
  ])('%s → binary %s', (type, binary) => {
    expect(defaultIsContentTypeBinary(type)).toBe(binary);
  });
});

describe('requestFromEvent', () => {
  it('lower-cases headers, decodes a Base64 body to bytes and keeps repeated query values joined', () => {
    const bytes = Buffer.from([0, 255, 1, 254]);
    const request = requestFromEvent(
      parseHttpEvent(
        JSON.stringify({
          rawPath: '/files/%E4%B8%AD',
          body: bytes.toString('base64'),
          isBase64Encoded: true,
          headers: { 'X-Multi': 'one,two' },
          queryParameters: { tag: 'x,y' },
          requestContext: { http: { method: 'put', path: '/files/中' } },
        }),
      ),
      '1-r',
    );
    expect(request).toMatchObject({
      method: 'PUT',
      path: '/files/中',
      headers: { 'x-multi': 'one,two' },
      requestId: '1-r',
    });
    expect(request.query.get('tag')).toBe('x,y');
    expect(Buffer.from(request.body)).toEqual(bytes);
  });
});

describe('resultFromResponse', () => {
  it('sends JSON as text and bytes as Base64', () => {
    expect(resultFromResponse({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' })).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{}',
      isBase64Encoded: false,
    });
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const binary = resultFromResponse({ status: 200, headers: { 'content-type': 'image/png' }, body: bytes });
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body, 'base64')).toEqual(Buffer.from(bytes));
    expect(resultFromResponse({ status: 204, headers: {} })).toMatchObject({ statusCode: 204, body: '' });
  });
});
