/**
 * FC 3.0 HTTP events straight into the pack's `HttpRequest` and back, without fetch `Request`/`Response`:
 * on Node 20 the first fetch primitive compiles undici (~50 ms), a cost a cold-starting JSON API should
 * not pay. `./runtime`'s `httpHandler` puts these around an `HttpApp`.
 */
import type { HttpRequest, HttpResponse } from '../http/types';
import type { FcHttpEvent } from './events';
import type { FcHttpResult } from './types';

const TEXT_CONTENT_TYPE =
  /^(text\/[^;]+|application\/([\w.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded|x-ndjson|yaml|x-yaml|graphql|sql)|image\/svg\+xml)\s*(;.*)?$/i;

/**
 * Whether a body with this `content-type` must travel Base64-encoded. Text types (text/*, JSON, XML,
 * JavaScript, form data, NDJSON, YAML, SVG) travel as text; everything else, including a missing type,
 * is binary, because Base64 is always lossless and a wrong "text" guess corrupts bytes.
 */
export function defaultIsContentTypeBinary(contentType: string): boolean {
  return !TEXT_CONTENT_TYPE.test(contentType.trim());
}

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
