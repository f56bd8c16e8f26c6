import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../shared/config';
import { toStorageError } from '../../../../shared/storage/errors';
import { OssHttpClient, OssResponseError } from '../../../../shared/storage/oss-http/client';

/** A plain HTTP server whose answers each test scripts; requests are numbered per socket. */
let server: Server | undefined;
async function serve(
  answer: (req: IncomingMessage, res: ServerResponse, nthOnSocket: number, socket: Socket) => void,
): Promise<number> {
  const counts = new WeakMap<Socket, number>();
  server = createServer((req, res) => {
    const n = (counts.get(req.socket) ?? 0) + 1;
    counts.set(req.socket, n);
    req.resume();
    req.on('end', () => answer(req, res, n, req.socket));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

function client(port: number, timeoutMs?: number): OssHttpClient {
  const config = loadConfig({
    OSS_BUCKET: 'bkt',
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: `http://127.0.0.1:${port}`,
    OSS_PATH_STYLE: 'true',
  });
  return new OssHttpClient({
    config: config.oss,
    credentials: () => ({ accessKeyId: 'AK', accessKeySecret: 'SK', securityToken: 'TOKEN' }),
    ...(timeoutMs !== undefined && { timeoutMs }),
  });
}

describe('OssHttpClient', () => {
  it('connects to the address the endpoint name resolves to, naming the host in Host', async () => {
    let seen: IncomingMessage | undefined;
    const port = await serve((req, res) => {
      seen = req;
      res.writeHead(200).end();
    });
    const config = loadConfig({
      OSS_BUCKET: 'bkt',
      OSS_REGION: 'cn-hangzhou',
      OSS_ENDPOINT: `http://oss-cn-hangzhou-internal.aliyuncs.com:${port}`,
    });
    const asked: string[] = [];
    const named = new OssHttpClient({
      config: config.oss,
      credentials: () => ({ accessKeyId: 'AK', accessKeySecret: 'SK' }),
      resolve4: async (hostname) => {
        asked.push(hostname);
        return [{ address: '127.0.0.1', ttl: 60 }];
      },
    });
    await named.request({ method: 'HEAD', key: 'a.jar' });
    await named.request({ method: 'HEAD', key: 'b.jar' });
    // With a port the endpoint is a custom domain (the bucket is implied by the host, as for a virtual host).
    expect(asked).toEqual(['oss-cn-hangzhou-internal.aliyuncs.com']); // resolved once, the address kept
    expect(seen?.headers.host).toBe(`oss-cn-hangzhou-internal.aliyuncs.com:${port}`);
    expect(seen?.url).toBe('/b.jar');
  });

  it('connects by name when the name does not resolve', async () => {
    const port = await serve((_req, res) => res.writeHead(200).end());
    const config = loadConfig({
      OSS_BUCKET: 'bkt',
      OSS_REGION: 'cn-hangzhou',
      OSS_ENDPOINT: `http://no-such-host.invalid:${port}`,
      OSS_PATH_STYLE: 'true',
    });
    // The client then asks Node's own lookup, which fails for this name as it would have anyway.
    const byName = new OssHttpClient({
      config: config.oss,
      credentials: () => ({ accessKeyId: 'AK', accessKeySecret: 'SK' }),
      resolve4: async () => {
        throw Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });
      },
    });
    await expect(byName.request({ method: 'HEAD', key: 'a.jar' })).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('signs in header form with the security token and addresses the bucket in the path', async () => {
    let seen: IncomingMessage | undefined;
    const port = await serve((req, res) => {
      seen = req;
      res.writeHead(200, { etag: '"AB"' }).end('body');
    });
    const reply = await client(port).request({ method: 'GET', key: 'dir/a b.jar', query: [['uploads', '']] });
    expect(reply).toMatchObject({ status: 200, headers: { etag: '"AB"' } });
    expect(reply.body.toString()).toBe('body');
    expect(seen?.url).toBe('/bkt/dir/a%20b.jar?uploads');
    expect(seen?.headers.authorization).toMatch(
      /^OSS4-HMAC-SHA256 Credential=AK\/\d{8}\/cn-hangzhou\/oss\/aliyun_v4_request,Signature=[0-9a-f]{64}$/,
    );
    expect(seen?.headers).toMatchObject({
      'x-oss-security-token': 'TOKEN',
      'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-oss-date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
    });
  });

  it("reads OSS's code, message and request id from an error document, or from x-oss-err on a HEAD", async () => {
    const doc =
      '<?xml version="1.0"?><Error><Code>NoSuchUpload</Code><Message>gone</Message><RequestId>R1</RequestId></Error>';
    const port = await serve((req, res) => {
      if (req.method === 'HEAD')
        res
          .writeHead(503, { 'x-oss-err': Buffer.from(doc.replace('NoSuchUpload', 'SlowDown')).toString('base64') })
          .end();
      else res.writeHead(404, { 'content-type': 'application/xml' }).end(doc);
    });
    const get = await client(port)
      .request({ method: 'GET', key: 'k' })
      .catch((e: unknown) => e);
    expect(get).toBeInstanceOf(OssResponseError);
    expect(get).toMatchObject({ status: 404, code: 'NoSuchUpload', requestId: 'R1', message: 'gone' });
    const head = await client(port)
      .request({ method: 'HEAD', key: 'k' })
      .catch((e: unknown) => e);
    expect(toStorageError(head, 'HeadObject', 'k')).toMatchObject({
      code: 'OSS_THROTTLED',
      details: { ossCode: 'SlowDown' },
    });
  });

  it('sends a request again once when the kept-alive socket it went out on was closed by the server', async () => {
    const port = await serve((_req, res, nth, socket) => {
      // The second request on a socket finds it closed, as when an idle connection timed out at the server.
      if (nth > 1) socket.destroy();
      else res.writeHead(200, { 'content-length': '2' }).end('ok');
    });
    const c = client(port);
    expect((await c.request({ method: 'PUT', key: 'a', body: Buffer.from('1') })).status).toBe(200);
    expect((await c.request({ method: 'PUT', key: 'b', body: Buffer.from('2') })).status).toBe(200);
    // A streamed body cannot be sent twice: that failure is the caller's to handle.
    await expect(c.request({ method: 'PUT', key: 'c', body: Readable.from([Buffer.from('3')]) })).rejects.toMatchObject(
      {
        code: 'ECONNRESET',
      },
    );
  });

  it('gives up on a silent server after the timeout, as a network failure', async () => {
    const port = await serve(() => undefined);
    const error = await client(port, 200)
      .request({ method: 'GET', key: 'k' })
      .catch((e: unknown) => e);
    expect(toStorageError(error, 'GetObject', 'k')).toMatchObject({ code: 'OSS_NETWORK', retryable: true });
  });
});
