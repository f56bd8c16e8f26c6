import * as v from 'valibot';
import { PackError } from '../errors';
import {
  type FcHttpEvent,
  FcHttpEventSchema,
  type FcOssEvent,
  FcOssEventSchema,
  type FcTimerEvent,
  FcTimerEventSchema,
} from './events';

/**
 * An FC event that is not valid JSON or lacks a field the handler needs. `problems` names each field, with
 * its path, so a log line says exactly what arrived wrong.
 */
export class InvalidEventError extends PackError {
  constructor(
    readonly eventType: string,
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
  return parseEvent('OSS', FcOssEventSchema, raw);
}

/** Parses and checks a timer trigger event; a missing `payload` (none configured) becomes "". */
export function parseTimerEvent(raw: RawEvent): FcTimerEvent {
  return parseEvent('timer', FcTimerEventSchema, raw);
}

/**
 * Parses and checks an HTTP trigger event. Missing `body`, `headers` and `queryParameters` (a request
 * without them) become empty; the method and both paths are required.
 */
export function parseHttpEvent(raw: RawEvent): FcHttpEvent {
  return parseEvent('HTTP', FcHttpEventSchema, raw);
}

/**
 * Parses `raw` as JSON and checks it against `schema`, for any event kind a function accepts (a hand-written
 * JSON event of `npm run invoke` included). Throws `InvalidEventError` listing every bad field by its path.
 */
export function parseEvent<S extends v.GenericSchema>(eventType: string, schema: S, raw: RawEvent): v.InferOutput<S> {
  const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidEventError(eventType, [`not JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
  // valibot takes arrays for objects; an event is always a JSON object.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidEventError(eventType, ['must be a JSON object']);
  }
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  throw new InvalidEventError(
    eventType,
    result.issues.map((issue) => {
      const at = pathOf(issue.path);
      return at === '' ? issue.message : `${at} ${issue.message}`;
    }),
  );
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `events[0].oss.object.key`, `headers["Content-Type"]`: the path as a reader of the JSON would write it. */
function pathOf(path: readonly { key: unknown }[] | undefined): string {
  let out = '';
  for (const { key } of path ?? []) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}
