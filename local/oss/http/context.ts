import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { parseQuery } from '../../../shared/storage/signing';
import type { Target } from '../addressing';
import type { Principal } from '../auth/verify';
import { type OssError, OssErrors } from '../errors';
import type { Operation } from '../router';
import { el, renderXml, type XmlElement } from '../xml';

/** `5C06A3B67B8B5A3DA422299D`-style ids: seconds since the epoch, then random hex. */
export function newRequestId(): string {
  return (
    Math.floor(Date.now() / 1000)
      .toString(16)
      .padStart(8, '0') + randomBytes(8).toString('hex')
  ).toUpperCase();
}

/**
 * Header values travel as bytes; Node hands them over as latin1 text. Clients that sign non-ASCII values
 * (ali-oss with `headerEncoding`, browsers) send UTF-8 bytes, so those are turned back into text when
 * they form valid UTF-8, and turned into bytes again on the way out.
 */
export function decodeHeaderValue(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

/** Inverse of `decodeHeaderValue` for response headers. */
export function encodeHeaderValue(value: string): string {
  return /[^\u0000-\u00ff]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/** One request being answered: parsed inputs and the ways to respond, with OSS's common headers. */
export class RequestContext {
  readonly requestId = newRequestId();
  readonly method: string;
  readonly rawPath: string;
  readonly query: Array<[string, string]>;
  /** Query names sent as `name=` with an empty value (see auth/verify.ts). */
  readonly emptyWithEquals = new Set<string>();
  readonly headers: Record<string, string | undefined> = {};
  target: Target | undefined;
  principal: Principal | undefined;
  op: Operation | undefined;
  /** CORS headers granted to this request, added to every response. */
  cors: Record<string, string> = {};
  private continued = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly hostId: (bucket: string) => string,
    private readonly expectContinue = false,
  ) {
    this.method = (req.method ?? 'GET').toUpperCase();
    let url = req.url ?? '/';
    // Absolute-form request targets (through proxies): keep only the path and query.
    if (!url.startsWith('/')) url = url.replace(/^[a-z]+:\/\/[^/]*/i, '') || '/';
    const q = url.indexOf('?');
    this.rawPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    this.query = parseQuery(rawQuery);
    for (const part of rawQuery.split('&')) {
      if (part.endsWith('=') && part.indexOf('=') === part.length - 1)
        this.emptyWithEquals.add(parseQuery(part.slice(0, -1))[0]?.[0] ?? '');
    }
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      this.headers[name] = decodeHeaderValue(Array.isArray(value) ? value.join(', ') : value);
    }
  }

  has(name: string): boolean {
    return this.query.some(([k]) => k === name);
  }

  param(name: string): string | undefined {
    return this.query.find(([k]) => k === name)?.[1];
  }

  /** The request body, read as it arrives (sends `100 Continue` first when the client asked for it). */
  body(): AsyncIterable<Buffer> {
    if (this.expectContinue && !this.continued) {
      this.continued = true;
      this.res.writeContinue();
    }
    return this.req as AsyncIterable<Buffer>;
  }

  /** Reads a small body whole (XML documents); larger than `max` bytes is `tooLarge()`. */
  async readBody(max: number, tooLarge: () => OssError = () => OssErrors.malformedXml()): Promise<Buffer> {
    const chunked = /chunked/i.test(this.headers['transfer-encoding'] ?? '');
    const declared = chunked ? 0 : Number(this.headers['content-length'] ?? 0);
    if (declared > max) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.body()) {
      size += chunk.length;
      if (size > max) throw tooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  private common(extra: Record<string, string | undefined>): Record<string, string> {
    const headers: Record<string, string> = {
      server: 'AliyunOSS',
      date: new Date().toUTCString(),
      'x-oss-request-id': this.requestId,
      ...this.cors,
    };
    for (const [name, value] of Object.entries(extra))
      if (value !== undefined) headers[name] = encodeHeaderValue(value);
    return headers;
  }

  /** Sends a whole response. HEAD responses carry the headers only. */
  send(status: number, headers: Record<string, string | undefined> = {}, body?: string | Buffer): void {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const all = this.common(headers);
    // HEAD may announce the object's length; any other response must announce exactly what it carries.
    if (this.method !== 'HEAD' || all['content-length'] === undefined)
      all['content-length'] = String(payload?.length ?? 0);
    if (status === 204 || status === 304) delete all['content-length'];
    this.res.writeHead(status, all);
    this.res.end(this.method === 'HEAD' ? undefined : payload);
  }

  /** Sends an XML document with `Content-Type: application/xml`. */
  sendXml(status: number, root: XmlElement, headers: Record<string, string | undefined> = {}): void {
    this.send(status, { 'content-type': 'application/xml', ...headers }, renderXml(root));
  }

  /** Streams a body (GetObject); resolves when it is fully sent or the client went away. */
  stream(status: number, headers: Record<string, string | undefined>, body: Readable): Promise<void> {
    this.res.writeHead(status, this.common(headers));
    return new Promise((resolve) => {
      pipeline(body, this.res, () => resolve());
    });
  }

  /**
   * Sends an OSS error. HEAD errors have no body; OSS puts the error document, base64-encoded, in the
   * `x-oss-err` header instead (docs/oss-protocol.md §4.3).
   */
  sendError(error: OssError): void {
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    const bucket = this.target?.bucket ?? '';
    const doc = renderXml(
      el('Error', [
        el('Code', error.code),
        el('Message', error.message),
        el('RequestId', this.requestId),
        el('HostId', this.hostId(bucket)),
        ...error.details.map(([name, value]) => el(name, value)),
        error.ec !== undefined && el('EC', error.ec),
        error.ec !== undefined && el('RecommendDoc', `https://api.aliyun.com/troubleshoot?q=${error.ec}`),
      ]),
    );
    const headers: Record<string, string | undefined> = { ...error.headers, 'x-oss-ec': error.ec };
    if (this.method === 'HEAD') {
      this.send(error.status, { ...headers, 'x-oss-err': Buffer.from(doc, 'utf8').toString('base64') });
    } else {
      this.send(error.status, { ...headers, 'content-type': 'application/xml' }, doc);
    }
  }
}
