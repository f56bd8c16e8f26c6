import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  canonicalHeaderKey,
  functionErrorResponse,
  type ReceivedRequest,
  toFcHttpEvent,
  toHttpResponse,
} from '../../../local/runtime/http-event';
import { parseHttpEvent } from '../../../shared/fc/parse';

const meta = {
  requestId: '1-65920080-0123456789abcdef01234567',
  accountId: '1000000000000000',
  domainPrefix: 'presign-api',
  now: new Date('2024-01-01T00:00:00.123Z'),
};

function request(overrides: Partial<ReceivedRequest>): ReceivedRequest {
  return {
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    rawHeaders: ['Host', '127.0.0.1:9000', 'User-Agent', 'curl/8.5.0'],
    remoteAddress: '::ffff:127.0.0.1',
    body: Buffer.alloc(0),
    ...overrides,
  };
}

describe('toFcHttpEvent', () => {
  it('builds the documented struct: encoded rawPath, decoded path, string timeEpoch, no Host header', () => {
    const event = toFcHttpEvent(request({ url: '/v1/artifacts/team-a/%E4%B8%AD%E6%96%87%20x.jar?cursor=abc' }), meta);
    expect(event).toEqual({
      version: 'v1',
      rawPath: '/v1/artifacts/team-a/%E4%B8%AD%E6%96%87%20x.jar',
      body: '',
      isBase64Encoded: false,
      headers: { 'User-Agent': 'curl/8.5.0' },
      queryParameters: { cursor: 'abc' },
      requestContext: {
        accountId: '1000000000000000',
        domainName: '127.0.0.1:9000',
        domainPrefix: 'presign-api',
        http: {
          method: 'GET',
          path: '/v1/artifacts/team-a/中文 x.jar',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8.5.0',
        },
        requestId: meta.requestId,
        time: '2024-01-01T00:00:00Z',
        timeEpoch: '1704067200123',
      },
    });
    // The shared parser accepts what the runtime builds.
    expect(parseHttpEvent(JSON.stringify(event)).requestContext.http.path).toBe('/v1/artifacts/team-a/中文 x.jar');
  });

  it('joins repeated headers and query keys with commas, header keys in canonical form', () => {
    const event = toFcHttpEvent(
      request({
        url: '/?tag=a&tag=b&q=x%20y+z',
        rawHeaders: ['x-custom', 'one', 'X-CUSTOM', 'two', 'accept', 'text/html', 'Accept', 'application/json'],
      }),
      meta,
    );
    expect(event.headers).toEqual({ 'X-Custom': 'one,two', Accept: 'text/html,application/json' });
    expect(event.queryParameters).toEqual({ tag: 'a,b', q: 'x y z' });
  });

  it('encodes a path sent with raw UTF-8 and spaces, and decodes %2F in the decoded path', () => {
    const raw = Buffer.from('/files/中 文/a%2Fb', 'utf8').toString('latin1');
    const event = toFcHttpEvent(request({ url: raw }), meta);
    expect(event.rawPath).toBe('/files/%E4%B8%AD%20%E6%96%87/a%2Fb');
    expect(event.requestContext.http.path).toBe('/files/中 文/a/b');
  });

  it('Base64-encodes binary bodies and keeps text bodies as text', () => {
    const bytes = Buffer.from(new Uint8Array(256).map((_, i) => i));
    const binary = toFcHttpEvent(
      request({ method: 'POST', body: bytes, rawHeaders: ['Content-Type', 'application/octet-stream'] }),
      meta,
    );
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body, 'base64')).toEqual(bytes);

    const json = toFcHttpEvent(
      request({ method: 'POST', body: Buffer.from('{"名":1}'), rawHeaders: ['Content-Type', 'application/json'] }),
      meta,
    );
    expect(json).toMatchObject({ body: '{"名":1}', isBase64Encoded: false });

    // Declared as text but not valid UTF-8: only Base64 carries it intact.
    const latin1 = toFcHttpEvent(
      request({ method: 'POST', body: Buffer.from([0xff, 0xfe]), rawHeaders: ['Content-Type', 'text/plain'] }),
      meta,
    );
    expect(latin1).toMatchObject({ body: '//4=', isBase64Encoded: true });
  });

  it('refuses a path with a broken percent escape, as FC does', () => {
    expect(() => toFcHttpEvent(request({ url: '/a%zz' }), meta)).toThrow(BadRequestError);
  });
});

describe('canonicalHeaderKey', () => {
  it.each([
    ['content-type', 'Content-Type'],
    ['X-FC-TRACE-ID', 'X-Fc-Trace-Id'],
    ['idempotency-key', 'Idempotency-Key'],
    ['bad header', 'bad header'],
  ])('%s → %s', (name, canonical) => {
    expect(canonicalHeaderKey(name)).toBe(canonical);
  });
});

describe('toHttpResponse', () => {
  const payload = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('sends an HTTP result with its status, headers and text body', () => {
    const response = toHttpResponse(
      payload({
        statusCode: 201,
        headers: { 'content-type': 'application/json', 'x-a': 'b' },
        body: '{"ok":true}',
        isBase64Encoded: false,
      }),
    );
    expect(response).toEqual({
      statusCode: 201,
      headers: [
        ['Content-Type', 'application/json'],
        ['X-A', 'b'],
      ],
      body: Buffer.from('{"ok":true}'),
    });
  });

  it('decodes a Base64 body to bytes', () => {
    const bytes = Buffer.from(new Uint8Array(256).map((_, i) => 255 - i));
    expect(
      toHttpResponse(payload({ statusCode: 200, headers: {}, body: bytes.toString('base64'), isBase64Encoded: true }))
        .body,
    ).toEqual(bytes);
  });

  it('turns cookie keys of any case into repeated Set-Cookie headers', () => {
    const response = toHttpResponse(
      payload({ statusCode: 200, headers: { 'set-cookie': 'a=1', 'Set-cookie': 'b=2', vary: 'x' }, body: '' }),
    );
    expect(response.headers).toEqual([
      ['Set-Cookie', ['a=1', 'b=2']],
      ['Vary', 'x'],
    ]);
  });

  it('treats other return values as a 200 body, as FC infers', () => {
    expect(toHttpResponse(payload({ hello: 'world' }))).toEqual({
      statusCode: 200,
      headers: [['Content-Type', 'application/json']],
      body: payload({ hello: 'world' }),
    });
    expect(toHttpResponse(Buffer.from('plain text'))).toMatchObject({
      statusCode: 200,
      headers: [['Content-Type', 'text/plain; charset=utf-8']],
    });
    expect(toHttpResponse(Buffer.from([0xff, 0x00]))).toMatchObject({
      statusCode: 200,
      headers: [['Content-Type', 'application/octet-stream']],
    });
    expect(toHttpResponse(payload({ statusCode: 'oops' })).statusCode).toBe(200);
  });

  it('answers a function error with a 502 carrying FC error payload', () => {
    const response = functionErrorResponse({ errorMessage: 'boom', errorType: 'Error', stackTrace: [] });
    expect(response.statusCode).toBe(502);
    expect(response.headers).toContainEqual(['X-Fc-Error-Type', 'UnhandledInvocationError']);
    expect(JSON.parse(response.body.toString())).toEqual({ errorMessage: 'boom', errorType: 'Error', stackTrace: [] });
  });
});
