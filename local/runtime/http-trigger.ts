/**
 * Serves one function's HTTP trigger on its own port, as FC serves it on its own URL: each request becomes
 * the FC 3.0 HTTP event, is invoked synchronously, and the handler's result becomes the response.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  BadRequestError,
  functionErrorResponse,
  gatewayErrorResponse,
  type ResponseParts,
  toFcHttpEvent,
  toHttpResponse,
} from './http-event';
import { closeServer, listen, urlOf } from './listen';
import { newRequestId } from './request-id';
import type { FunctionSpec, HttpTriggerSpec } from './s-yaml';
import type { Invoke } from './types';

/** FC's limit for a synchronous request body (docs/fc-runtime.md §7). */
export const MAX_SYNC_BODY_BYTES = 32 * 1024 * 1024;

export interface HttpTriggerOptions {
  spec: FunctionSpec;
  trigger: HttpTriggerSpec;
  accountId: string;
  host: string;
  port: number;
  portVariable?: string;
  invoke: Invoke;
  /** Called with a line for requests that fail before reaching the function. */
  log: (message: string) => void;
}

export interface RunningHttpTrigger {
  functionName: string;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the listener; rejects with `PORT_IN_USE` (naming port and variable) when the port is taken. */
export async function startHttpTrigger(options: HttpTriggerOptions): Promise<RunningHttpTrigger> {
  const { spec, trigger } = options;
  const allowed = new Set(trigger.methods);
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      options.log(`${spec.name}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent)
        send(
          res,
          gatewayErrorResponse(500, 'InternalError', 'The local runtime failed to handle the request', ''),
          false,
        );
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const method = (req.method ?? 'GET').toUpperCase();
    const head = method === 'HEAD';
    if (!allowed.has(method)) {
      req.resume();
      const message = `Method ${method} is not allowed by HTTP trigger ${trigger.name} of ${spec.name} (allowed: ${trigger.methods.join(', ')})`;
      return send(res, gatewayErrorResponse(405, 'MethodNotAllowed', message, requestId), head, requestId);
    }
    const body = await readBody(req, MAX_SYNC_BODY_BYTES);
    if (body === undefined) {
      return send(
        res,
        gatewayErrorResponse(413, 'PayloadTooLarge', `Request body exceeds ${MAX_SYNC_BODY_BYTES} bytes`, requestId),
        head,
        requestId,
      );
    }
    let event: ReturnType<typeof toFcHttpEvent>;
    try {
      event = toFcHttpEvent(
        {
          method,
          url: req.url ?? '/',
          httpVersion: req.httpVersion,
          rawHeaders: req.rawHeaders,
          remoteAddress: req.socket.remoteAddress ?? '',
          body,
        },
        { requestId, accountId: options.accountId, domainPrefix: spec.name, now: new Date() },
      );
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      return send(res, gatewayErrorResponse(400, 'InvalidArgument', error.message, requestId), head, requestId);
    }
    const result = await options.invoke(spec.name, Buffer.from(JSON.stringify(event), 'utf8'), requestId);
    send(res, result.error ? functionErrorResponse(result.error) : toHttpResponse(result.payload), head, requestId);
  }

  const port = await listen(server, {
    port: options.port,
    host: options.host,
    purpose: `HTTP trigger of ${spec.name}`,
    ...(options.portVariable ? { portVariable: options.portVariable } : {}),
  });
  return { functionName: spec.name, url: urlOf(options.host, port), port, close: () => closeServer(server) };
}

function send(res: ServerResponse, parts: ResponseParts, head: boolean, requestId?: string): void {
  for (const [name, value] of parts.headers) {
    try {
      res.setHeader(name, value);
    } catch {
      // A header value Node refuses (control characters): FC would drop it as well rather than fail the response.
    }
  }
  if (requestId) res.setHeader('X-Fc-Request-Id', requestId);
  res.statusCode = parts.statusCode;
  // Hop-by-hop framing is Node's job; a content-length from the function could disagree with the body.
  res.removeHeader('Transfer-Encoding');
  const bodiless = parts.statusCode === 204 || parts.statusCode === 304 || parts.statusCode < 200;
  if (bodiless) res.removeHeader('Content-Length');
  else
    res.setHeader('Content-Length', head ? (res.getHeader('Content-Length') ?? parts.body.length) : parts.body.length);
  res.end(head || bodiless ? undefined : parts.body);
}

/** The whole body, or undefined when it exceeds `limit` (the rest is discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
