import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  createRequest,
  createResult,
  defaultIsContentTypeBinary,
  type FcHttpEnv,
  handleHttp,
  setCookieKeys,
} from '../../../shared/fc/http';
import { parseHttpEvent } from '../../../shared/fc/parse';
import type { FcContext, FcHttpEvent, FcHttpResult } from '../../../shared/fc/types';

const docEvent = (): FcHttpEvent =>
  parseHttpEvent(readFileSync(new URL('./fixtures/http-event.json', import.meta.url)));

/** An event as the local runtime or FC would build it for a request. */
function event(overrides: {
  method?: string;
  rawPath?: string;
  path?: string;
  body?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}): FcHttpEvent {
  const base = docEvent();
  return {
    ...base,
    rawPath: overrides.rawPath ?? base.rawPath,
    body: overrides.body ?? '',
    isBase64Encoded: overrides.isBase64Encoded ?? false,
    headers: overrides.headers ?? {},
    queryParameters: overrides.query ?? {},
    requestContext: {
      ...base.requestContext,
      domainName: 'abc.cn-hangzhou.fcapp.run',
      http: {
        ...base.requestContext.http,
        method: overrides.method ?? 'GET',
        path: overrides.path ?? base.requestContext.http.path,
      },
    },
  };
}

function context(): FcContext & { lines: string[] } {
  const lines: string[] = [];
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push(`[${level}] ${args.join(' ')}`);
  return {
    lines,
    requestId: '1-64f6cd87-abcdef0123456789abcdef01',
    function: { name: 'fn', handler: 'index.handler', memory: 512, timeout: 3 },
    service: { logProject: '', logStore: '', qualifier: 'LATEST', versionId: '' },
    region: 'cn-hangzhou',
    accountId: '1234',
    logger: { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR'), log: log('INFO') },
  };
}

const allBytes = () => new Uint8Array(256).map((_, i) => i);

describe('createRequest', () => {
  it('builds the documented event into a Request: host, path, comma-joined headers and query kept as delivered', () => {
    const request = createRequest(docEvent());
    expect(request.method).toBe('GET');
    // The documented domainName is a placeholder no URL accepts: the adapter falls back to localhost.
    expect(request.url).toBe('http://localhost/example?parameter1=value1&parameter2=value1%2Cvalue2');
    expect(request.headers.get('header2')).toBe('value1,value2');
    expect(new URL(request.url).searchParams.get('parameter2')).toBe('value1,value2');
  });

  it('prefers the Host header over domainName, and uses http for loopback hosts', () => {
    expect(createRequest(event({})).url).toBe('https://abc.cn-hangzhou.fcapp.run/example');
    const request = createRequest(event({ headers: { Host: '127.0.0.1:9000' } }));
    expect(request.url).toBe('http://127.0.0.1:9000/example');
    expect(createRequest(event({ headers: { Host: 'api.example.com', 'X-Forwarded-Proto': 'http' } })).url).toBe(
      'http://api.example.com/example',
    );
  });

  it('keeps a percent-encoded slash inside a segment when rawPath agrees with the decoded path', () => {
    const request = createRequest(
      event({ rawPath: '/v1/artifacts/team-a/dir%2Fjob%20v1.jar', path: '/v1/artifacts/team-a/dir/job v1.jar' }),
    );
    expect(new URL(request.url).pathname).toBe('/v1/artifacts/team-a/dir%2Fjob%20v1.jar');
  });

  it('re-encodes a CJK path from the decoded path', () => {
    const request = createRequest(event({ rawPath: '', path: '/files/中文 名.jar' }));
    const { pathname } = new URL(request.url);
    expect(pathname).toBe('/files/%E4%B8%AD%E6%96%87%20%E5%90%8D.jar');
    expect(decodeURIComponent(pathname)).toBe('/files/中文 名.jar');
  });

  it('uses an encoded CJK rawPath as-is', () => {
    const request = createRequest(event({ rawPath: '/files/%E4%B8%AD%E6%96%87.txt', path: '/files/中文.txt' }));
    expect(new URL(request.url).pathname).toBe('/files/%E4%B8%AD%E6%96%87.txt');
  });

  it('falls back to the decoded path when rawPath disagrees with it', () => {
    const request = createRequest(event({ rawPath: '/something-else', path: '/a b/@c' }));
    expect(new URL(request.url).pathname).toBe('/a%20b/@c');
  });

  it('decodes a Base64 body to the exact bytes', async () => {
    const bytes = allBytes();
    const request = createRequest(
      event({ method: 'POST', body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true }),
    );
    expect(new Uint8Array(await request.arrayBuffer())).toEqual(bytes);
  });

  it('encodes a text body as UTF-8', async () => {
    const request = createRequest(
      event({ method: 'PUT', body: '{"名":"值"}', headers: { 'Content-Type': 'application/json' } }),
    );
    expect(await request.text()).toBe('{"名":"值"}');
    expect(request.headers.get('content-type')).toBe('application/json');
  });

  it('gives GET requests no body even when the event has one', () => {
    expect(createRequest(event({ method: 'GET', body: 'ignored' })).body).toBeNull();
  });

  it('escapes header values the fetch API would refuse instead of failing', () => {
    const request = createRequest(event({ headers: { 'X-Name': '中文', 'Bad Header': 'x' } }));
    expect(request.headers.get('x-name')).toBe('%E4%B8%AD%E6%96%87');
    expect([...request.headers.keys()]).toEqual(['x-name']);
  });
});

describe('createResult', () => {
  it('sends JSON as text', async () => {
    const result = await createResult(Response.json({ ok: true }, { status: 201 }));
    expect(result).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
  });

  it('Base64-encodes binary content types, round-tripping every byte', async () => {
    const result = await createResult(new Response(allBytes(), { headers: { 'content-type': 'image/png' } }));
    expect(result.isBase64Encoded).toBe(true);
    expect(new Uint8Array(Buffer.from(result.body, 'base64'))).toEqual(allBytes());
  });

  it('Base64-encodes a compressed text body', async () => {
    const gzip = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    const result = await createResult(
      new Response(gzip, { headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' } }),
    );
    expect(result.isBase64Encoded).toBe(true);
    expect(Buffer.from(result.body, 'base64')).toEqual(Buffer.from(gzip));
  });

  it('joins repeated headers with commas and gives each cookie its own key', async () => {
    const headers = new Headers();
    headers.append('vary', 'origin');
    headers.append('vary', 'accept-encoding');
    headers.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT');
    headers.append('set-cookie', 'b=2');
    headers.append('set-cookie', 'c=3');
    const result = await createResult(new Response('x', { headers }));
    expect(result.headers['vary']).toBe('origin, accept-encoding');
    const cookieEntries = Object.entries(result.headers).filter(([k]) => k.toLowerCase() === 'set-cookie');
    expect(cookieEntries.map(([, v]) => v)).toEqual(['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2', 'c=3']);
    expect(new Set(cookieEntries.map(([k]) => k)).size).toBe(3);
  });

  it('sends an empty body for a bodiless response', async () => {
    expect(await createResult(new Response(null, { status: 204 }))).toEqual({
      statusCode: 204,
      headers: {},
      body: '',
      isBase64Encoded: false,
    });
  });
});

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

describe('setCookieKeys', () => {
  it('gives distinct keys that all mean Set-Cookie', () => {
    const keys = setCookieKeys(20);
    expect(keys[0]).toBe('set-cookie');
    expect(new Set(keys).size).toBe(20);
    expect(keys.every((k) => k.toLowerCase() === 'set-cookie')).toBe(true);
  });
});

describe('handleHttp', () => {
  const raw = (e: FcHttpEvent) => Buffer.from(JSON.stringify(e));

  it('runs a Hono app end to end and hands it the event and context as env', async () => {
    const app = new Hono<{ Bindings: FcHttpEnv }>();
    app.post('/upload/:name', async (c) =>
      c.json({
        name: c.req.param('name'),
        size: (await c.req.arrayBuffer()).byteLength,
        requestId: c.env.context.requestId,
        sourceIp: c.env.event.requestContext.http.sourceIp,
      }),
    );
    const handler = handleHttp(app);
    const e = event({
      method: 'POST',
      rawPath: '/upload/%E4%B8%AD.bin',
      path: '/upload/中.bin',
      body: Buffer.from(allBytes()).toString('base64'),
      isBase64Encoded: true,
    });
    const result = (await handler(raw(e), context())) as FcHttpResult;
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      name: '中.bin',
      size: 256,
      requestId: '1-64f6cd87-abcdef0123456789abcdef01',
      sourceIp: '11.11.11.**',
    });
  });

  it('round-trips a binary body through an echo app', async () => {
    const handler = handleHttp({
      fetch: async (req) =>
        new Response(await req.arrayBuffer(), { headers: { 'content-type': 'application/octet-stream' } }),
    });
    const body = Buffer.from(allBytes()).toString('base64');
    const result = (await handler(
      raw(event({ method: 'POST', body, isBase64Encoded: true })),
      context(),
    )) as FcHttpResult;
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: true, body });
  });

  it('answers a malformed event with a 400 JSON error and logs why', async () => {
    const ctx = context();
    const result = (await handleHttp({ fetch: () => new Response('unreachable') })(
      Buffer.from('{"rawPath":1}'),
      ctx,
    )) as FcHttpResult;
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'EVENT_INVALID', message: 'Malformed HTTP trigger event', requestId: ctx.requestId },
    });
    expect(ctx.lines.join('\n')).toContain('rawPath must be a non-empty string');
  });

  it('turns an unexpected throw into a 500 without leaking the detail, which goes to the log', async () => {
    const ctx = context();
    const handler = handleHttp({
      fetch: () => {
        throw new Error('database password is hunter2');
      },
    });
    const result = (await handler(raw(docEvent()), ctx)) as FcHttpResult;
    expect(result.statusCode).toBe(500);
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'INTERNAL', message: 'Internal server error', requestId: ctx.requestId },
    });
    expect(result.body).not.toContain('hunter2');
    expect(ctx.lines.some((l) => l.startsWith('[ERROR]') && l.includes('hunter2') && l.includes('GET /example'))).toBe(
      true,
    );
  });
});
