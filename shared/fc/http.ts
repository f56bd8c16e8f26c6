/**
 * The adapter between FC 3.0 HTTP trigger events and the fetch API, in the shape of Hono's runtime
 * adapters: `createRequest(event)` → `app.fetch` → `createResult(response)`. Any app with a
 * `fetch(request, env)` method (Hono, itty, a plain function) runs as an FC handler through `handleHttp`.
 */
import { describeError } from '../errors';
import { parseHttpEvent } from './parse';
import type { FcContext, FcHandler, FcHttpEvent, FcHttpResult } from './types';

/** What `handleHttp` passes to `app.fetch` as `env`: the parsed event and the FC context. */
export interface FcHttpEnv {
  event: FcHttpEvent;
  context: FcContext;
}

/** Anything that answers fetch requests; a Hono app fits. */
export interface FetchApp {
  fetch(request: Request, env?: unknown): Response | Promise<Response>;
}

export interface HttpAdapterOptions {
  /** Decides which response bodies travel Base64-encoded; defaults to {@link defaultIsContentTypeBinary}. */
  isContentTypeBinary?: (contentType: string) => boolean;
}

const TEXT_CONTENT_TYPE =
  /^(text\/[^;]+|application\/([\w.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded|x-ndjson|yaml|x-yaml|graphql|sql)|image\/svg\+xml)\s*(;.*)?$/i;

/**
 * Whether a response with this `content-type` must be sent Base64-encoded. Text types (text/*, JSON, XML,
 * JavaScript, form data, NDJSON, YAML, SVG) are sent as text; everything else, including a missing type,
 * is binary, because Base64 is always lossless and a wrong "text" guess corrupts bytes.
 */
export function defaultIsContentTypeBinary(contentType: string): boolean {
  return !TEXT_CONTENT_TYPE.test(contentType.trim());
}

/**
 * Builds the fetch `Request` an FC HTTP event describes. The path keeps the client's encoding when
 * `rawPath` agrees with the decoded `requestContext.http.path` (so `%2F` inside a segment survives) and is
 * re-encoded from the decoded path otherwise. Multi-value headers and query parameters stay comma-joined
 * as FC delivers them; Base64 bodies are decoded to bytes, never through a string.
 */
export function createRequest(event: FcHttpEvent): Request {
  const { http } = event.requestContext;
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers)) {
    try {
      headers.append(name, sanitizeHeaderValue(value));
    } catch {
      // A name the fetch API refuses (FC passes what the client sent): drop it rather than fail the request.
    }
  }
  const url = baseUrl(headers.get('host') ?? event.requestContext.domainName, headers);
  url.pathname = requestPath(event.rawPath, http.path);
  url.search = queryString(event.queryParameters);

  const method = http.method.toUpperCase();
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD' && (event.body !== '' || event.isBase64Encoded)) {
    init.body = event.isBase64Encoded
      ? new Uint8Array(Buffer.from(event.body, 'base64'))
      : new TextEncoder().encode(event.body);
  }
  return new Request(url, init);
}

/**
 * Turns a fetch `Response` into the FC HTTP result. Bodies of binary content types and any body with a
 * `content-encoding` other than identity are Base64-encoded. Headers are flattened to one string each; a
 * second and later `set-cookie` goes under a differently-cased `Set-Cookie` key (see `setCookieKeys`),
 * because joining cookies with commas corrupts their `Expires` dates.
 */
export async function createResult(response: Response, options: HttpAdapterOptions = {}): Promise<FcHttpResult> {
  const isBinary = options.isContentTypeBinary ?? defaultIsContentTypeBinary;
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  const keys = setCookieKeys(cookies.length);
  cookies.forEach((cookie, i) => {
    headers[keys[i] as string] = cookie;
  });

  const bytes = response.body ? new Uint8Array(await response.arrayBuffer()) : new Uint8Array(0);
  const encoding = response.headers.get('content-encoding');
  const base64 =
    bytes.length > 0 &&
    ((encoding !== null && encoding.trim().toLowerCase() !== 'identity') ||
      isBinary(response.headers.get('content-type') ?? ''));
  return {
    statusCode: response.status,
    headers,
    body: base64
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
      : new TextDecoder().decode(bytes),
    isBase64Encoded: base64,
  };
}

/**
 * The header keys under which `count` cookies travel in an FC result: `set-cookie`, then case variants
 * (`Set-cookie`, `sEt-cookie`, …). FC's result headers are a string map, so repeated headers need distinct
 * keys; HTTP header names are case-insensitive, so each variant still reaches the client as `Set-Cookie`.
 */
export function setCookieKeys(count: number): string[] {
  const base = 'set-cookie';
  const letters = [...base].map((c, i) => ({ c, i })).filter(({ c }) => c !== '-');
  const keys: string[] = [];
  // Binary counting over the 9 letters gives 512 distinct spellings, far beyond any real cookie count.
  for (let n = 0; keys.length < count && n < 2 ** letters.length; n++) {
    const chars = [...base];
    letters.forEach(({ c, i }, bit) => {
      if (n & (1 << bit)) chars[i] = c.toUpperCase();
    });
    keys.push(chars.join(''));
  }
  return keys;
}

/**
 * Wraps a fetch app as an FC 3.0 handler. `app.fetch` gets `{ event, context }` as `env`. A malformed
 * event becomes a 400 and an unexpected throw a 500, both as the pack's JSON error
 * `{"error":{"code","message","requestId"}}` with a fixed message: the detail goes to `context.logger`,
 * never to the client.
 */
export function handleHttp(app: FetchApp, options: HttpAdapterOptions = {}): FcHandler {
  return async (raw: Buffer, context: FcContext): Promise<FcHttpResult> => {
    let event: FcHttpEvent;
    let request: Request;
    try {
      event = parseHttpEvent(raw);
      request = createRequest(event);
    } catch (error) {
      // Everything that can fail here depends only on the event (bad JSON, a host the URL parser refuses).
      context.logger.error(`Malformed HTTP trigger event: ${describeError(error)}`);
      return errorResult(400, 'EVENT_INVALID', 'Malformed HTTP trigger event', context.requestId);
    }
    try {
      const env: FcHttpEnv = { event, context };
      return await createResult(await app.fetch(request, env), options);
    } catch (error) {
      context.logger.error(
        `Unhandled error in ${request.method} ${event.requestContext.http.path}: ${errorDetail(error)}`,
      );
      return errorResult(500, 'INTERNAL', 'Internal server error', context.requestId);
    }
  };
}

function errorResult(statusCode: number, code: string, message: string, requestId: string): FcHttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code, message, requestId } }),
    isBase64Encoded: false,
  };
}

function errorDetail(error: unknown): string {
  // The stack repeats the message; it is what makes a 500 debuggable from the logs.
  return error instanceof Error && error.stack ? error.stack : describeError(error);
}

/**
 * The URL path for the request. `rawPath` is preferred when it decodes to the documented decoded path:
 * it keeps encodings that decoding loses (`a%2Fb` is one segment, not two).
 */
function requestPath(rawPath: string, decodedPath: string): string {
  if (rawPath !== '' && safeDecode(rawPath) === decodedPath) return normalizeEncoding(rawPath);
  return encodePath(decodedPath);
}

function safeDecode(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** Percent-encodes characters a URL path may not hold as-is, leaving existing `%XX` escapes alone. */
function normalizeEncoding(path: string): string {
  return path.replace(/%(?![0-9a-fA-F]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (c) => encodeURIComponent(c));
}

/** Encodes a decoded path segment by segment; `/` stays the separator. */
function encodePath(path: string): string {
  const encoded = path
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/%(21|24|26|27|28|29|2A|2B|2C|3B|3D|3A|40)/g, (e) => decodeURIComponent(e)),
    )
    .join('/');
  return encoded.startsWith('/') ? encoded : `/${encoded}`;
}

function queryString(parameters: Record<string, string>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) search.append(key, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * `scheme://host` of the request. The host only informs the app (routing uses the path), so one the URL
 * parser refuses — such as the documentation's `<http-trigger-id>` placeholder — becomes `localhost`
 * rather than failing the request.
 */
function baseUrl(host: string, headers: Headers): URL {
  try {
    if (host !== '') return new URL(`${protocolOf(headers, host)}://${host}`);
  } catch {
    // fall through to localhost
  }
  return new URL(`${protocolOf(headers, 'localhost')}://localhost`);
}

/** http for loopback hosts (the local runtime) unless a proxy said otherwise; FC's URLs are https. */
function protocolOf(headers: Headers, host: string): 'http' | 'https' {
  const forwarded = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (forwarded === 'http' || forwarded === 'https') return forwarded;
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\./.test(name) ? 'http' : 'https';
}

/** The fetch API rejects header values outside Latin-1; FC passes them through, so escape instead of failing. */
function sanitizeHeaderValue(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/gu, (c) => encodeURIComponent(c));
}
