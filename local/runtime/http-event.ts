/**
 * Pure translation between HTTP and FC 3.0's HTTP trigger contract: a received request becomes the exact
 * event struct FC builds, and a handler's return payload becomes the response FC would send. FC's front
 * end is written in Go, which shows in the events it delivers (see the `s invoke` template in docs/fc-runtime.md):
 * header keys in Go's canonical form, repeated values comma-joined, and no `Host` header (Go keeps it apart).
 */
import { defaultIsContentTypeBinary } from '../../shared/fc/http-app';
import type { FcHttpEvent } from '../../shared/fc/types';
import type { FcFunctionError } from './instance';

/** The parts of a received request the event is built from. */
export interface ReceivedRequest {
  method: string;
  /** The request target as sent (`/a%20b?x=1`). */
  url: string;
  httpVersion: string;
  /** Node's `rawHeaders`: name, value, name, value, … in arrival order. */
  rawHeaders: string[];
  remoteAddress: string;
  body: Buffer;
}

export interface EventMeta {
  requestId: string;
  accountId: string;
  /** Stands in for `<http-trigger-id>` (FC's domain prefix); the local runtime uses the function name. */
  domainPrefix: string;
  now: Date;
}

/** A response to write: status, headers (a value list means repeated header lines) and body. */
export interface ResponseParts {
  statusCode: number;
  headers: Array<[string, string | string[]]>;
  body: Buffer;
}

/** `content-type` → Go's `CanonicalMIMEHeaderKey`: `x-fc-trace-id` → `X-Fc-Trace-Id`. */
export function canonicalHeaderKey(name: string): string {
  // Go leaves keys with characters outside the token set untouched.
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** Thrown for a request FC's front end would refuse before invoking anything. */
export class BadRequestError extends Error {}

/** Builds the FC 3.0 HTTP trigger event for a received request. Throws {@link BadRequestError} on a malformed path. */
export function toFcHttpEvent(request: ReceivedRequest, meta: EventMeta): FcHttpEvent {
  const target = request.url.startsWith('/') ? request.url : safeUrl(request.url);
  const queryAt = target.indexOf('?');
  const rawTargetPath = queryAt >= 0 ? target.slice(0, queryAt) : target;
  const rawQuery = queryAt >= 0 ? target.slice(queryAt + 1) : '';
  // Go's URL parser refuses a `%` without two hex digits; FC answers such a request with a 400.
  if (/%(?![0-9a-fA-F]{2})/.test(rawTargetPath))
    throw new BadRequestError(`malformed percent-encoding in path ${JSON.stringify(rawTargetPath)}`);
  const rawPath = encodeLoosePath(rawTargetPath || '/');
  const path = percentDecode(rawPath);

  const headers: Record<string, string> = {};
  let host = '';
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    if (name.toLowerCase() === 'host') {
      host = value;
      continue;
    }
    const key = canonicalHeaderKey(name);
    headers[key] = headers[key] === undefined ? value : `${headers[key]},${value}`;
  }

  const queryParameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    queryParameters[key] = queryParameters[key] === undefined ? value : `${queryParameters[key]},${value}`;
  }

  const contentType = headers['Content-Type'] ?? '';
  const text =
    request.body.length === 0 ||
    (contentType !== '' && !defaultIsContentTypeBinary(contentType) && isUtf8(request.body));
  return {
    version: 'v1',
    rawPath,
    body: text ? request.body.toString('utf8') : request.body.toString('base64'),
    isBase64Encoded: !text,
    headers,
    queryParameters,
    requestContext: {
      accountId: meta.accountId,
      domainName: host,
      domainPrefix: meta.domainPrefix,
      http: {
        method: request.method.toUpperCase(),
        path,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.remoteAddress.replace(/^::ffff:/, ''),
        userAgent: headers['User-Agent'] ?? '',
      },
      requestId: meta.requestId,
      time: meta.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(meta.now.getTime()),
    },
  };
}

/**
 * The response for a handler's return payload. A JSON object with a numeric `statusCode` is an HTTP
 * result (`headers`, `body`, `isBase64Encoded`); anything else is sent as a 200 with the payload as the
 * body (JSON or text), which is FC's documented inference for such values.
 */
export function toHttpResponse(payload: Buffer): ResponseParts {
  const result = parseResult(payload);
  if (!result) {
    const json = isJson(payload);
    const type = json ? 'application/json' : isUtf8(payload) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
    return { statusCode: 200, headers: [['Content-Type', type]], body: payload };
  }
  const grouped = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    const key = name.toLowerCase();
    const entry = grouped.get(key) ?? { name: canonicalHeaderKey(name), values: [] };
    entry.values.push(...(Array.isArray(value) ? value.map(String) : [String(value)]));
    grouped.set(key, entry);
  }
  // Set-Cookie may repeat (the adapter sends extra cookies under case variants); other headers may not.
  const headers = [...grouped.entries()].map(([key, { name, values }]): [string, string | string[]] => [
    name,
    key === 'set-cookie' ? values : values.join(', '),
  ]);
  const body = result.body;
  const bytes =
    body === undefined || body === null
      ? Buffer.alloc(0)
      : typeof body === 'string'
        ? Buffer.from(body, result.isBase64Encoded === true ? 'base64' : 'utf8')
        : Buffer.from(JSON.stringify(body), 'utf8');
  return { statusCode: result.statusCode, headers, body: bytes };
}

/** The response FC sends when the function failed (threw, timed out or crashed): a 502 with FC's error payload. */
export function functionErrorResponse(error: FcFunctionError): ResponseParts {
  return {
    statusCode: 502,
    headers: [
      ['Content-Type', 'application/json'],
      ['X-Fc-Error-Type', 'UnhandledInvocationError'],
    ],
    body: Buffer.from(JSON.stringify(error), 'utf8'),
  };
}

/** An error answered by FC's front end itself (method not allowed, payload too large): `{Code, Message, RequestId}`. */
export function gatewayErrorResponse(
  statusCode: number,
  code: string,
  message: string,
  requestId: string,
): ResponseParts {
  return {
    statusCode,
    headers: [['Content-Type', 'application/json']],
    body: Buffer.from(JSON.stringify({ Code: code, Message: message, RequestId: requestId }), 'utf8'),
  };
}

interface ParsedResult {
  statusCode: number;
  headers?: Record<string, unknown>;
  body?: unknown;
  isBase64Encoded?: unknown;
}

function parseResult(payload: Buffer): ParsedResult | undefined {
  if (payload.length === 0 || payload[0] !== 0x7b /* { */) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { statusCode, headers } = value as Record<string, unknown>;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    return undefined;
  if (headers !== undefined && (typeof headers !== 'object' || headers === null)) return undefined;
  return value as ParsedResult;
}

function isJson(payload: Buffer): boolean {
  try {
    JSON.parse(payload.toString('utf8'));
    return payload.length > 0;
  } catch {
    return false;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function safeUrl(target: string): string {
  try {
    const url = new URL(target);
    return url.pathname + url.search;
  } catch {
    throw new BadRequestError(`malformed request target ${JSON.stringify(target)}`);
  }
}

/** Percent-encodes bytes a client sent unencoded (spaces, raw UTF-8) so rawPath is always URL-encoded. */
function encodeLoosePath(path: string): string {
  // Node's strict parser refuses raw non-ASCII in the request line, but a lenient one (or an absolute-form
  // target) hands such bytes over as Latin-1 characters: recover the UTF-8 bytes before encoding.
  const recovered = /[^\x00-\x7f]/.test(path) ? Buffer.from(path, 'latin1').toString('utf8') : path;
  return recovered.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (c) => encodeURIComponent(c));
}

/** Decodes every `%XX` (including `%2F`, as Go's URL.Path does); invalid UTF-8 becomes U+FFFD rather than an error. */
function percentDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    const bytes = path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
}
