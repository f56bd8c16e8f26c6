import * as v from 'valibot';
import { MAX_PARTS } from '../../storage/limits';

/**
 * Request schemas of the presign API. The same objects validate requests and, converted to JSON
 * Schema, describe the API in `GET /openapi.json`, so the document cannot drift from the checks.
 */

const namespace = v.pipe(
  v.string('namespace must be a string'),
  v.description('Realtime Compute namespace, such as "team-a".'),
);
const name = v.pipe(
  v.string('name must be a string'),
  v.description(
    'File name inside the namespace; may contain folders ("udfs/x.jar"), never "..", "\\\\", control or invisible/bidi format characters, or a leading "/".',
  ),
);
const positiveInteger = (field: string, what: string) =>
  v.pipe(
    v.number(`${field} must be a number`),
    v.integer(`${field} must be a whole number ${what}`),
    v.minValue(1, `${field} must be greater than 0`),
    v.maxValue(Number.MAX_SAFE_INTEGER, `${field} is too large`),
  );
const expiresIn = v.optional(
  v.pipe(
    positiveInteger('expiresIn', 'of seconds'),
    v.description('Seconds the URL stays valid; the default and the maximum are configured.'),
  ),
);
const accelerate = v.optional(
  v.pipe(
    v.boolean('accelerate must be true or false'),
    v.description('Sign against the transfer-acceleration endpoint.'),
  ),
);
const contentType = v.optional(
  v.pipe(
    v.string('contentType must be a string'),
    v.maxLength(255, 'contentType must be at most 255 characters'),
    v.regex(
      /^[A-Za-z0-9][\w.+-]*\/[\w.+-]+(?:\s*;\s*[\w.+-]+=(?:[\w.+-]+|"[^"\\\r\n]*"))*$/,
      'contentType must be a media type such as application/java-archive',
    ),
    v.description('Content type to store; guessed from the extension when omitted. The client must send it unchanged.'),
  ),
);
const overwrite = v.optional(
  v.pipe(
    v.boolean('overwrite must be true or false'),
    v.description(
      'Replace an existing artifact of the same name (needs the delete action). Default false: OSS refuses the upload.',
    ),
  ),
);

export const UploadBody = strict({
  namespace,
  name,
  size: v.pipe(
    positiveInteger('size', 'of bytes'),
    v.description('Exact size of the file in bytes; the URL is bound to it.'),
  ),
  contentType,
  contentMd5: v.optional(
    v.pipe(
      v.string('contentMd5 must be a string'),
      v.regex(/^[A-Za-z0-9+/]{22}==$/, 'contentMd5 must be the base64 MD5 of the file (24 characters ending in "==")'),
      v.description('Base64 MD5 of the file; OSS refuses the upload when the bytes do not match.'),
    ),
  ),
  overwrite,
  accelerate,
  expiresIn,
});

export const FormBody = strict({
  namespace,
  name,
  size: v.optional(
    v.pipe(
      positiveInteger('size', 'of bytes'),
      v.description('Exact size when known; the form then accepts only that size.'),
    ),
  ),
  contentType,
  overwrite,
  accelerate,
  expiresIn,
});

export const PartsBody = strict({
  partNumbers: v.optional(
    v.pipe(
      v.array(
        v.pipe(
          v.number('partNumbers must hold numbers'),
          v.integer('partNumbers must hold whole numbers'),
          v.minValue(1, 'part numbers start at 1'),
          v.maxValue(MAX_PARTS, `part numbers end at ${MAX_PARTS}`),
        ),
        'partNumbers must be a list of part numbers',
      ),
      v.description('Parts to sign; the missing ones (up to 100) when omitted.'),
    ),
  ),
  accelerate,
  expiresIn,
});

export const CompleteBody = strict({
  parts: v.optional(
    v.pipe(
      v.array(
        strict({
          partNumber: v.pipe(
            v.number('partNumber must be a number'),
            v.integer('partNumber must be a whole number'),
            v.minValue(1, 'partNumber starts at 1'),
          ),
          etag: v.pipe(v.string('etag must be a string'), v.maxLength(80, 'etag is too long')),
        }),
        'parts must be a list of {partNumber, etag}',
      ),
      v.description('ETags the client saw for each part; checked against OSS. Optional.'),
    ),
  ),
});

export const DownloadBody = strict({ namespace, name, accelerate, expiresIn });

export const ListQuery = strict({
  namespace,
  cursor: v.optional(
    v.pipe(v.string(), v.maxLength(2048, 'cursor is too long'), v.description('Opaque cursor from the previous page.')),
  ),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, 'limit must be a whole number'),
      v.transform(Number),
      v.number(),
      v.minValue(1, 'limit must be at least 1'),
      v.maxValue(1000, 'limit must be at most 1000'),
    ),
  ),
});

/** A strict object whose unknown-field message names the fields that are allowed. */
function strict<const TEntries extends v.ObjectEntries>(entries: TEntries) {
  const allowed = Object.keys(entries).join(', ');
  return v.strictObject(
    entries,
    (issue) => `unknown field ${JSON.stringify(String(issue.path?.at(-1)?.key))}; allowed: ${allowed}`,
  );
}

/** One readable sentence for every problem of a failed validation, each naming its field. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const lines = issues.map((issue) => {
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    if (issue.kind === 'schema' && issue.input === undefined && path) return `${path} is required`;
    return issue.message;
  });
  return `${[...new Set(lines)].join('; ')}.`;
}

/** Validates `input` against `schema`, returning the output or the sentence that says what is wrong. */
export function check<TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
): { ok: true; value: v.InferOutput<TSchema> } | { ok: false; message: string } {
  const result = v.safeParse(schema, input);
  return result.success ? { ok: true, value: result.output } : { ok: false, message: describeIssues(result.issues) };
}
