/**
 * The lean HTTP adapter: FC 3.0 HTTP events straight into the pack's `HttpRequest` and back, without
 * fetch `Request`/`Response`. On Node 20 the first fetch primitive compiles undici (~50 ms), a cost a
 * cold-starting JSON API should not pay; `handleHttp` (fetch) stays for apps that need the fetch API.
 */
import { describeError } from '../errors';
import type { HttpApp, HttpRequest, HttpResponse } from '../http/types';
import { defaultIsContentTypeBinary } from './http';
import { parseHttpEvent } from './parse';
import type { FcContext, FcHandler, FcHttpEvent, FcHttpResult } from './types';

/** The `HttpRequest` an FC HTTP event describes: decoded path, lower-case headers, body bytes. */
export function requestFromEvent(event: FcHttpEvent, requestId?: string): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers)) headers[name.toLowerCase()] = value;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(event.queryParameters)) query.append(name, value);
  const http = event.requestContext.http;
  return {
    method: http.method.toUpperCase(),
    path: http.path || '/',
    query,
    headers,
    body: event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8'),
    ...(requestId && { requestId }),
    ...(http.sourceIp && { sourceIp: http.sourceIp }),
  };
}

/** The FC result for an `HttpResponse`: text bodies as text, anything binary Base64-encoded. */
export function resultFromResponse(response: HttpResponse): FcHttpResult {
  const body = response.body ?? '';
  const type = response.headers['content-type'] ?? '';
  if (typeof body === 'string' && !defaultIsContentTypeBinary(type || 'text/plain')) {
    return { statusCode: response.status, headers: response.headers, body, isBase64Encoded: false };
  }
  const bytes =
    typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return {
    statusCode: response.status,
    headers: response.headers,
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  };
}

/**
 * Wraps an `HttpApp` as an FC 3.0 handler. A malformed event is a 400; a throw that escapes the app a
 * 500 with a fixed message (the detail goes to the log, never to the client).
 */
export function handleHttpApp(app: HttpApp): FcHandler {
  return async (raw: Buffer, context: FcContext): Promise<FcHttpResult> => {
    let request: HttpRequest;
    try {
      request = requestFromEvent(parseHttpEvent(raw), context.requestId);
    } catch (error) {
      context.logger.error(`Malformed HTTP trigger event: ${describeError(error)}`);
      return jsonError(400, 'EVENT_INVALID', 'Malformed HTTP trigger event', context.requestId);
    }
    try {
      return resultFromResponse(await app.handle(request));
    } catch (error) {
      context.logger.error(
        `Unhandled error in ${request.method} ${request.path}: ${error instanceof Error && error.stack ? error.stack : describeError(error)}`,
      );
      return jsonError(500, 'INTERNAL', 'Internal server error', context.requestId);
    }
  };
}

function jsonError(statusCode: number, code: string, message: string, requestId: string): FcHttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code, message, requestId } }),
    isBase64Encoded: false,
  };
}
