/**
 * A lean OSS client on `node:http`/`node:https`: signs each request with the pack's own V4 or V1 signer
 * (header form, docs/oss-protocol.md §1.1, §2.1), keeps connections alive, and turns OSS error documents into
 * errors shaped like ali-oss's (`status`, `code`, `requestId`), so `toStorageError` classifies both alike.
 * It exists for cold starts: ali-oss and its HTTP stack cost hundreds of milliseconds to load and warm up,
 * this costs a few.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';
import type { OssConfig } from '../../config';
import type { CredentialsProvider } from '../credentials';
import { serviceEndpoint, type UrlBase } from '../endpoints';
import { readStream } from '../read-stream';
import { encodePath, formatQuery, type QueryPairs, v4Timestamp } from '../signing/encode';
import { v1Signature, v1StringToSign } from '../signing/v1';
import {
  UNSIGNED_PAYLOAD,
  V4_ALGORITHM,
  v4CanonicalRequest,
  v4Scope,
  v4Signature,
  v4SigningKey,
  v4StringToSign,
} from '../signing/v4';
import { ConnectAddress, type Resolve4 } from './connect-address';
import { child, parseXml, textOf } from './xml';

/** One OSS request: the object key ("" for the bucket), query pairs, lowercase headers, an optional body. */
export interface OssCall {
  method: string;
  key: string;
  query?: QueryPairs;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
}

/** An answer with its body read into memory. */
export interface OssReply {
  status: number;
  /** Lowercase names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** An answer whose body is still on the wire. */
export interface OssStreamReply {
  status: number;
  headers: Record<string, string>;
  body: IncomingMessage;
}

/** An OSS error answer (status ≥ 300), with OSS's `Code`, `Message` and request id. */
export class OssResponseError extends Error {
  override readonly name = 'OssResponseError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly requestId: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A request that got no answer in time. `toStorageError` counts it as a network failure. */
export class OssTimeoutError extends Error {
  override readonly name = 'ResponseTimeoutError';
  readonly code = 'ETIMEDOUT';
}

export interface OssHttpClientOptions {
  config: OssConfig;
  credentials: CredentialsProvider;
  /** Socket inactivity limit per request, in ms (default 60 000). */
  timeoutMs?: number;
  /** How the endpoint's host name is resolved to the address connected to (default: the system's DNS). */
  resolve4?: Resolve4;
}

// Error documents are small; a misbehaving proxy's page is not read whole.
const MAX_ERROR_BODY = 64 * 1024;

/** Codes OSS gives bodiless (HEAD) error answers, so they read like the rest. */
const CODE_BY_STATUS: Record<number, string> = {
  304: 'NotModified',
  400: 'BadRequest',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  409: 'Conflict',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  429: 'Throttling',
  503: 'ServiceUnavailable',
};

export class OssHttpClient {
  readonly bucket: string;
  private readonly base: UrlBase;
  private readonly hostname: string;
  private readonly port: number | undefined;
  private readonly timeoutMs: number;
  private transport: Promise<{ request: typeof import('node:http').request; agent: Agent }> | undefined;
  private readonly address: ConnectAddress;

  constructor(private readonly options: OssHttpClientOptions) {
    this.bucket = options.config.bucket;
    this.base = serviceEndpoint(options.config);
    const host = this.base.style === 'virtual-hosted' ? `${this.bucket}.${this.base.host}` : this.base.host;
    const url = new URL(`${this.base.protocol}//${host}`);
    // An IPv6 literal's brackets go: the socket wants the bare address.
    const name = url.hostname;
    this.hostname = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
    this.port = url.port === '' ? undefined : Number(url.port);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.address = new ConnectAddress(this.hostname, options.resolve4 ? { resolve4: options.resolve4 } : {});
  }

  /** Sends a request and reads the whole answer; an OSS error answer rejects with `OssResponseError`. */
  async request(call: OssCall): Promise<OssReply> {
    const res = await this.send(call);
    const body = await readStream(res);
    if (res.statusCode! >= 300) throw errorFrom(res, body, call.method);
    return { status: res.statusCode!, headers: flatHeaders(res), body };
  }

  /** Sends a request and hands back the answer's body as a stream (GetObject). */
  async stream(call: OssCall): Promise<OssStreamReply> {
    const res = await this.send(call);
    if (res.statusCode! >= 300) throw errorFrom(res, await readStream(res, MAX_ERROR_BODY), call.method);
    return { status: res.statusCode!, headers: flatHeaders(res), body: res };
  }

  private async send(call: OssCall, replay = true): Promise<IncomingMessage> {
    const { request, agent } = await this.loadTransport();
    const address = await this.address.get();
    const query = call.query ?? [];
    const headers = this.sign(call, query);
    const search = query.length > 0 ? `?${formatQuery(query)}` : '';
    const key = encodePath(call.key);
    const path = this.base.style === 'path' ? `/${this.bucket}/${key}` : `/${key}`;
    // Connected by address (connect-address.ts), the request still names its host: in Host, which also
    // carries the bucket of a virtual-hosted request, and in TLS's server name and certificate check.
    if (this.address.isSubstitute(address))
      headers.host = this.port === undefined ? this.hostname : `${this.hostname}:${this.port}`;
    const options: RequestOptions & { servername?: string } = {
      method: call.method,
      hostname: address,
      ...(this.port !== undefined && { port: this.port }),
      // Given, so the agent does not work it out from Host with `net.isIP` (the test connect-address.ts
      // avoids); only TLS uses it.
      servername: this.base.protocol === 'https:' ? this.hostname : '',
      path: `${path}${search}`,
      headers,
      agent,
    };
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req: ClientRequest = request(options, resolve);
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new OssTimeoutError(`${call.method} got no answer within ${this.timeoutMs} ms`)),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server already closed fails at once; a replayable request goes again once.
        if (replay && req.reusedSocket && error.code === 'ECONNRESET' && !isStream(call.body)) {
          this.send(call, false).then(resolve, reject);
          return;
        }
        reject(error);
      });
      const body = call.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (error) => req.destroy(error));
        body.pipe(req);
      }
    });
  }

  /** The headers of a signed request: the caller's, the date, the security token, `authorization`. */
  private sign(call: OssCall, query: QueryPairs): Record<string, string> {
    const credentials = this.options.credentials();
    const now = new Date();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(call.headers ?? {})) headers[name.toLowerCase()] = value;
    if (Buffer.isBuffer(call.body)) headers['content-length'] = String(call.body.length);
    else if (call.body === undefined && (call.method === 'PUT' || call.method === 'POST'))
      headers['content-length'] = '0';
    if (credentials.securityToken) headers['x-oss-security-token'] = credentials.securityToken;
    const oss = this.options.config;
    if (oss.signatureVersion === 'v1') {
      headers.date = now.toUTCString();
      const toSign = v1StringToSign({
        method: call.method,
        bucket: this.bucket,
        key: call.key,
        headers,
        query,
        date: headers.date,
      });
      headers.authorization = `OSS ${credentials.accessKeyId}:${v1Signature(credentials.accessKeySecret, toSign)}`;
      return headers;
    }
    const timestamp = v4Timestamp(now);
    const day = timestamp.slice(0, 8);
    headers['x-oss-date'] = timestamp;
    headers['x-oss-content-sha256'] = UNSIGNED_PAYLOAD;
    const scope = v4Scope(day, oss.region);
    const canonical = v4CanonicalRequest({
      method: call.method,
      bucket: this.bucket,
      key: call.key,
      headers,
      query,
      additionalHeaders: [],
    });
    const signature = v4Signature(
      v4SigningKey(credentials.accessKeySecret, day, oss.region),
      v4StringToSign(timestamp, scope, canonical),
    );
    headers.authorization = `${V4_ALGORITHM} Credential=${credentials.accessKeyId}/${scope},Signature=${signature}`;
    return headers;
  }

  /** `node:https` (and TLS) load only for https endpoints; one keep-alive agent per client. */
  private loadTransport(): Promise<{ request: typeof import('node:http').request; agent: Agent }> {
    this.transport ??= (async () => {
      const mod = this.base.protocol === 'https:' ? await import('node:https') : await import('node:http');
      return { request: mod.request, agent: new mod.Agent({ keepAlive: true, maxSockets: 64 }) };
    })();
    return this.transport;
  }
}

function isStream(body: OssCall['body']): boolean {
  return body !== undefined && !Buffer.isBuffer(body);
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The error for an OSS error answer: `Code`, `Message` and `RequestId` from its XML when it has one. */
function errorFrom(res: IncomingMessage, body: Buffer, method: string): OssResponseError {
  const status = res.statusCode ?? 0;
  const headerId = res.headers['x-oss-request-id'];
  let code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'InternalError' : 'UnknownError');
  let message = `${method} answered ${status}`;
  let requestId = typeof headerId === 'string' ? headerId : undefined;
  // HEAD answers carry no body: OSS sends the error document Base64-encoded in x-oss-err instead.
  const headerDoc = res.headers['x-oss-err'];
  const document =
    body.length > 0
      ? body.toString('utf8')
      : typeof headerDoc === 'string'
        ? Buffer.from(headerDoc, 'base64').toString('utf8')
        : '';
  if (document !== '') {
    try {
      const doc = parseXml(document);
      if (doc.name === 'Error') {
        code = textOf(doc, 'Code') || code;
        message = textOf(doc, 'Message') || message;
        requestId = textOf(doc, 'RequestId') || requestId;
        if (child(doc, 'EC')) message += ` (EC ${textOf(doc, 'EC')})`;
      }
    } catch {
      // Not an OSS error document (a proxy's page): the status says enough.
    }
  }
  return new OssResponseError(status, code, requestId, message);
}
