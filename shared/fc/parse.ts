import { PackError } from '../errors';
import type { FcHttpEvent, FcOssEvent, FcOssEventRecord, FcTimerEvent } from './types';

/**
 * An FC event that is not valid JSON or lacks a field the handler needs. `problems` names each field, with
 * its path, so a log line says exactly what arrived wrong.
 */
export class InvalidEventError extends PackError {
  constructor(
    readonly eventType: 'HTTP' | 'OSS' | 'timer',
    readonly problems: readonly string[],
  ) {
    super('EVENT_INVALID', `Invalid ${eventType} trigger event: ${problems.join('; ')}`);
  }
}

/** What an event may arrive as: FC passes a Buffer; tests and tools may pass the JSON text. */
export type RawEvent = Uint8Array | string;

/**
 * Parses and checks an OSS trigger event. Every record must name its bucket and key; `size` and `eTag`
 * may be missing (not documented for `ObjectRemoved:*`).
 */
export function parseOssEvent(raw: RawEvent): FcOssEvent {
  const check = new Checker('OSS', raw);
  const events = check.root?.['events'];
  if (!Array.isArray(events) || events.length === 0) {
    check.problem('events must be a non-empty array');
    check.done();
  }
  for (const [i, record] of (events as unknown[]).entries()) {
    const at = `events[${i}]`;
    if (!isObject(record)) {
      check.problem(`${at} must be an object`);
      continue;
    }
    check.string(record, 'eventName', at);
    check.string(record, 'eventTime', at);
    check.optionalString(record, 'eventSource', at);
    check.optionalString(record, 'region', at);
    const oss = record['oss'];
    if (!isObject(oss)) {
      check.problem(`${at}.oss must be an object`);
      continue;
    }
    const bucket = oss['bucket'];
    if (!isObject(bucket)) check.problem(`${at}.oss.bucket must be an object`);
    else check.string(bucket, 'name', `${at}.oss.bucket`);
    const object = oss['object'];
    if (!isObject(object)) {
      check.problem(`${at}.oss.object must be an object`);
      continue;
    }
    check.string(object, 'key', `${at}.oss.object`);
    check.optionalNumber(object, 'size', `${at}.oss.object`);
    check.optionalString(object, 'eTag', `${at}.oss.object`);
  }
  check.done();
  return { events: events as FcOssEventRecord[] };
}

/** Parses and checks a timer trigger event; a missing `payload` (none configured) becomes "". */
export function parseTimerEvent(raw: RawEvent): FcTimerEvent {
  const check = new Checker('timer', raw);
  const root = check.root ?? {};
  check.string(root, 'triggerTime', '');
  check.string(root, 'triggerName', '');
  check.optionalString(root, 'payload', '');
  check.done();
  return {
    triggerTime: root['triggerTime'] as string,
    triggerName: root['triggerName'] as string,
    payload: (root['payload'] as string | undefined) ?? '',
  };
}

/**
 * Parses and checks an HTTP trigger event. Missing `body`, `headers` and `queryParameters` (a request
 * without them) become empty; the method and both paths are required.
 */
export function parseHttpEvent(raw: RawEvent): FcHttpEvent {
  const check = new Checker('HTTP', raw);
  const root = check.root ?? {};
  check.string(root, 'rawPath', '');
  check.optionalString(root, 'body', '');
  check.optionalBoolean(root, 'isBase64Encoded', '');
  check.stringMap(root, 'headers');
  check.stringMap(root, 'queryParameters');
  const ctx = root['requestContext'];
  if (!isObject(ctx)) {
    check.problem('requestContext must be an object');
  } else {
    const http = ctx['http'];
    if (!isObject(http)) check.problem('requestContext.http must be an object');
    else {
      check.string(http, 'method', 'requestContext.http');
      check.string(http, 'path', 'requestContext.http');
    }
  }
  check.done();
  const context = ctx as Record<string, unknown>;
  const http = context['http'] as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return {
    version: text(root['version']) || 'v1',
    rawPath: root['rawPath'] as string,
    body: text(root['body']),
    isBase64Encoded: root['isBase64Encoded'] === true,
    headers: (root['headers'] as Record<string, string> | undefined) ?? {},
    queryParameters: (root['queryParameters'] as Record<string, string> | undefined) ?? {},
    requestContext: {
      ...(context as object),
      accountId: text(context['accountId']),
      domainName: text(context['domainName']),
      domainPrefix: text(context['domainPrefix']),
      requestId: text(context['requestId']),
      time: text(context['time']),
      timeEpoch: text(context['timeEpoch']),
      http: {
        method: (http['method'] as string).toUpperCase(),
        path: http['path'] as string,
        protocol: text(http['protocol']) || 'HTTP/1.1',
        sourceIp: text(http['sourceIp']),
        userAgent: text(http['userAgent']),
      },
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects every problem of one event so the error lists them all. */
class Checker {
  readonly root: Record<string, unknown> | undefined;
  private readonly problems: string[] = [];

  constructor(
    private readonly eventType: 'HTTP' | 'OSS' | 'timer',
    raw: RawEvent,
  ) {
    const text =
      typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.problem(`not JSON (${error instanceof Error ? error.message : String(error)})`);
      this.done();
    }
    if (!isObject(value)) {
      this.problem('must be a JSON object');
      this.done();
    }
    this.root = value as Record<string, unknown>;
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  string(obj: Record<string, unknown>, field: string, at: string): void {
    const value = obj[field];
    if (typeof value !== 'string' || value === '') this.problem(`${path(at, field)} must be a non-empty string`);
  }

  optionalString(obj: Record<string, unknown>, field: string, at: string): void {
    if (obj[field] !== undefined && typeof obj[field] !== 'string') this.problem(`${path(at, field)} must be a string`);
  }

  optionalNumber(obj: Record<string, unknown>, field: string, at: string): void {
    const value = obj[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
      this.problem(`${path(at, field)} must be a number`);
  }

  optionalBoolean(obj: Record<string, unknown>, field: string, at: string): void {
    if (obj[field] !== undefined && typeof obj[field] !== 'boolean')
      this.problem(`${path(at, field)} must be a boolean`);
  }

  stringMap(obj: Record<string, unknown>, field: string): void {
    const value = obj[field];
    if (value === undefined || value === null) return;
    if (!isObject(value)) {
      this.problem(`${field} must be an object`);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'string') this.problem(`${field}[${JSON.stringify(key)}] must be a string`);
    }
  }

  /** Throws when anything was wrong. */
  done(): void {
    if (this.problems.length > 0) throw new InvalidEventError(this.eventType, this.problems);
  }
}

function path(at: string, field: string): string {
  return at === '' ? field : `${at}.${field}`;
}
