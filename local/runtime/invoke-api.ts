/**
 * A local stand-in for FC 3.0's InvokeFunction API, `POST /2023-03-30/functions/{name}/invocations`, so
 * functions that fan out through the FC SDK (shared/fc/invoker) reach their peers locally. FC 2.0's
 * `POST /2016-08-15/services/{service}/functions/{name}/invocations` (the built-in `@alicloud/fc2`
 * client's call) is served too: it invokes the function `{name}`; there are no services locally.
 * Signatures are not checked: it listens on loopback only, for the functions of this stack.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { MAX_ASYNC_PAYLOAD_BYTES } from '../../shared/fc/invoker';
import { MAX_SYNC_BODY_BYTES } from './http-trigger';
import { closeServer, listen, urlOf } from './listen';
import type { Enqueue } from './oss-trigger';
import { newRequestId } from './request-id';
import type { Invoke } from './types';

export interface InvokeApiOptions {
  host: string;
  port: number;
  portVariable?: string;
  /** Maps a name from the URL to the function's name, or undefined when there is no such function. */
  resolveName: (name: string) => string | undefined;
  invoke: Invoke;
  enqueue: Enqueue;
}

export interface RunningInvokeApi {
  /** The endpoint to give the FC SDK (`http://127.0.0.1:<port>`). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const INVOCATIONS = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;
const FC2_INVOCATIONS = /^\/2016-08-15\/services\/([^/]+)\/functions\/([^/]+)\/invocations$/;

export async function startInvokeApi(options: InvokeApiOptions): Promise<RunningInvokeApi> {
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        reply(res, 500, newRequestId(), {
          Code: 'InternalError',
          Message: error instanceof Error ? error.message : String(error),
        });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const match = INVOCATIONS.exec(url.pathname);
    const fc2 = match ? undefined : FC2_INVOCATIONS.exec(url.pathname);
    const requestId = newRequestId();
    if ((!match && !fc2) || req.method !== 'POST') {
      req.resume();
      return reply(res, 404, requestId, {
        Code: 'NotFound',
        Message: `${req.method} ${url.pathname} is not an API this local endpoint serves (only POST /2023-03-30/functions/{name}/invocations and POST /2016-08-15/services/{service}/functions/{name}/invocations)`,
      });
    }
    let requested: string;
    let name: string | undefined;
    if (match) {
      requested = decodeURIComponent(match[1] as string);
      name = options.resolveName(requested);
    } else {
      // Services (and a `.qualifier` on them) do not exist in FC 3.0's model: the function name decides.
      requested = decodeURIComponent(fc2![2] as string);
      name = options.resolveName(requested);
    }
    if (name === undefined) {
      req.resume();
      return reply(res, 404, requestId, { Code: 'FunctionNotFound', Message: `function not found: ${requested}` });
    }
    const type = String(req.headers['x-fc-invocation-type'] ?? 'Sync');
    if (type !== 'Sync' && type !== 'Async') {
      req.resume();
      return reply(res, 400, requestId, {
        Code: 'InvalidArgument',
        Message: `x-fc-invocation-type must be Sync or Async, got ${type}`,
      });
    }
    const limit = type === 'Async' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_BODY_BYTES;
    const body = await readAll(req);
    if (body.length > limit) {
      return reply(res, 413, requestId, {
        Code: 'PayloadTooLarge',
        Message: `${type} invocation payload is ${body.length} bytes; at most ${limit} allowed`,
      });
    }
    if (type === 'Async') {
      const { requestId: accepted } = options.enqueue(name, body, 'api');
      res.writeHead(202, { 'X-Fc-Request-Id': accepted, 'Content-Length': 0 });
      res.end();
      return;
    }
    const result = await options.invoke(name, body, requestId);
    const headers: Record<string, string | number> = {
      'X-Fc-Request-Id': result.requestId,
      'Content-Type': 'application/octet-stream',
      'Content-Length': result.payload.length,
    };
    if (result.error) headers['X-Fc-Error-Type'] = 'UnhandledInvocationError';
    res.writeHead(200, headers);
    res.end(result.payload);
  }

  const port = await listen(server, {
    port: options.port,
    host: options.host,
    purpose: 'the local FC InvokeFunction endpoint',
    ...(options.portVariable ? { portVariable: options.portVariable } : {}),
  });
  return { url: urlOf(options.host, port), port, close: () => closeServer(server) };
}

function reply(res: ServerResponse, status: number, requestId: string, error: { Code: string; Message: string }): void {
  const body = JSON.stringify({ ...error, RequestId: requestId });
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'X-Fc-Request-Id': requestId,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
