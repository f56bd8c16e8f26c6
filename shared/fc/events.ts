/**
 * The FC 3.0 trigger events (HTTP, OSS, timer) as valibot schemas: each shape is written once, here, and
 * its TypeScript type is inferred from the schema (docs/fc-runtime.md §2). Parsers (`./parse`) check
 * events against these schemas; the local OSS server writes events of the same types.
 */
import * as v from 'valibot';

const NON_EMPTY = 'must be a non-empty string';

/** A required, non-empty string field. */
const text = v.pipe(v.string(NON_EMPTY), v.nonEmpty(NON_EMPTY));
/** A string field FC documents but the functions do not rely on. */
const optionalText = v.optional(v.string('must be a string'));
const optionalNumber = v.optional(v.number('must be a number'));
/** A field the functions only read for information: anything that is not a string reads as "". */
const informational = v.fallback(v.string(), '');
/** Headers and query parameters: FC joins repeated names with `,`, so every value is one string. */
const stringMap = v.nullish(v.record(v.string(), v.string('must be a string'), 'must be an object'), {});

/**
 * An object schema whose issues read well: a missing field reports what the field must be (valibot
 * would report the parent's message), anything else that is not an object "must be an object".
 */
function fields<const E extends v.ObjectEntries>(entries: E) {
  return v.object(entries, (issue) => {
    if (issue.received === 'undefined' && issue.expected?.startsWith('"')) {
      const entry = entries[JSON.parse(issue.expected) as string] as { message?: unknown } | undefined;
      if (typeof entry?.message === 'string') return entry.message;
    }
    return 'must be an object';
  });
}

/**
 * One record of an OSS trigger event: one object operation. Only the bucket and key are required;
 * `size` and `eTag` are not documented for `ObjectRemoved:*`, `position` only exists for AppendObject.
 */
export const FcOssEventRecordSchema = fields({
  /** `ObjectCreated:PutObject`, `ObjectRemoved:DeleteObject`, … (no `oss:` prefix, unlike trigger config). */
  eventName: text,
  /** `acs:oss`. */
  eventSource: optionalText,
  /** ISO 8601, e.g. `2022-08-13T06:45:43.000Z`. */
  eventTime: text,
  eventVersion: optionalText,
  oss: fields({
    bucket: fields({
      /** `acs:oss:<region>:<accountId>:<bucket>`. */
      arn: optionalText,
      name: text,
      ownerIdentity: optionalText,
      virtualBucket: optionalText,
    }),
    object: fields({
      /** The object key as stored, not URL-encoded (docs/fc-runtime.md §2). */
      key: text,
      size: optionalNumber,
      /** Unquoted; a multipart object's keeps its `-N` suffix. */
      eTag: optionalText,
      /** New size minus old size (negative when an object shrinks or is removed). */
      deltaSize: optionalNumber,
      /** AppendObject only: where this append started. */
      position: optionalNumber,
      /** The version written or removed, in buckets with versioning. */
      versionId: optionalText,
    }),
    ossSchemaVersion: optionalText,
    ruleId: optionalText,
  }),
  /** Bare region id, `cn-hangzhou`. */
  region: optionalText,
  requestParameters: v.optional(fields({ sourceIPAddress: optionalText })),
  responseElements: v.optional(fields({ requestId: optionalText })),
  userIdentity: v.optional(fields({ principalId: optionalText })),
});

/** The event of an OSS trigger: one or more records. */
export const FcOssEventSchema = fields({
  events: v.pipe(v.array(FcOssEventRecordSchema, 'must be a non-empty array'), v.nonEmpty('must be a non-empty array')),
});

/** The event of a timer trigger. `payload` is the trigger's configured string, verbatim ("" when none). */
export const FcTimerEventSchema = fields({
  /** `2023-12-26T07:49:00Z`. */
  triggerTime: text,
  triggerName: text,
  payload: v.optional(v.string('must be a string'), ''),
});

/**
 * The event of an HTTP trigger. What a bodiless request may omit (`body`, `headers`, `queryParameters`)
 * becomes empty; the method (upper-cased) and both paths are required.
 */
export const FcHttpEventSchema = fields({
  /** Payload format version, currently `v1`. */
  version: v.fallback(v.pipe(v.string(), v.nonEmpty()), 'v1'),
  /** The request path as sent, URL-encoded (`/a%20b`). Use `requestContext.http.path` for the decoded path. */
  rawPath: text,
  /** The request body: text, or Base64 when the request is binary (`isBase64Encoded`). */
  body: v.optional(v.string('must be a string'), ''),
  isBase64Encoded: v.optional(v.boolean('must be a boolean'), false),
  /** Request headers; a header sent several times arrives once, its values joined with `,`. */
  headers: stringMap,
  /** Query parameters, decoded; a key given several times arrives once, its values joined with `,`. */
  queryParameters: stringMap,
  requestContext: fields({
    accountId: informational,
    /** `<http-trigger-id>.<region-id>.fcapp.run` for the default URL. */
    domainName: informational,
    domainPrefix: informational,
    http: fields({
      method: v.pipe(text, v.toUpperCase()),
      /** The decoded request path. */
      path: text,
      protocol: v.fallback(v.pipe(v.string(), v.nonEmpty()), 'HTTP/1.1'),
      sourceIp: informational,
      userAgent: informational,
    }),
    /** Same as the invocation's `context.requestId`. */
    requestId: informational,
    /** `2023-09-05T06:41:11Z`. */
    time: informational,
    /** Milliseconds since the epoch, as a string. */
    timeEpoch: informational,
    /** Present in events sent by `s invoke`; not in the documented struct. */
    triggerId: v.optional(v.string()),
  }),
});

export type FcOssEvent = v.InferOutput<typeof FcOssEventSchema>;
export type FcOssEventRecord = v.InferOutput<typeof FcOssEventRecordSchema>;
export type FcTimerEvent = v.InferOutput<typeof FcTimerEventSchema>;
export type FcHttpEvent = v.InferOutput<typeof FcHttpEventSchema>;
export type FcHttpRequestContext = FcHttpEvent['requestContext'];
