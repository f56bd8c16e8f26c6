import { LOG_ERRORS } from '../errors';

const problem = {
  type: 'object',
  required: ['message'],
  properties: {
    line: { type: 'integer', description: '1-based line of the decoded body (NDJSON and text bodies).' },
    index: { type: 'integer', description: '0-based element of a JSON array body.' },
    message: { type: 'string' },
  },
};
const errorRef = { $ref: '#/components/responses/Error' };

/** The OpenAPI 3.0 document of the log intake. */
export function buildLogsOpenApi(version: string): object {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Flink artifact lifecycle: log intake',
      version,
      description:
        'Accepts log batches (NDJSON, a JSON array, or text lines; plain or gzip) and stores them, compressed and ' +
        'Hive-partitioned by date and hour, under logs/_shipped/ in the workspace bucket. A success means the ' +
        'records are durable in OSS.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token with the logs:write action.' },
      },
      responses: {
        Error: {
          description: 'An error: the code is stable, the message says what is wrong.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['error'],
                properties: {
                  error: {
                    type: 'object',
                    required: ['code', 'message', 'requestId'],
                    properties: {
                      code: {
                        type: 'string',
                        enum: [
                          ...Object.keys(LOG_ERRORS),
                          'UNAUTHENTICATED',
                          'FORBIDDEN',
                          'NAMESPACE_INVALID',
                          'NOT_FOUND',
                          'METHOD_NOT_ALLOWED',
                          'STORAGE_UNAVAILABLE',
                          'INTERNAL',
                        ],
                      },
                      message: { type: 'string' },
                      requestId: { type: 'string' },
                      problems: { type: 'array', items: problem, description: 'Unreadable records (first 20).' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    paths: {
      '/v1/logs': {
        post: {
          summary: 'Store a batch of log records',
          description:
            'Fluent Bit: `http` output with `format json` or `json_lines`. Vector: `http` sink with `encoding.codec = "json"` ' +
            'and `framing.method = "newline_delimited"`. Records keep their own time when they carry one ' +
            '(`@timestamp`, `timestamp`, `time`, `date`, `ts` as RFC 3339 or epoch s/ms/µs/ns), else get the receive time.',
          security: [{ bearer: [] }],
          parameters: [
            { name: 'namespace', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'deployment', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'job', in: 'query', required: false, schema: { type: 'string' } },
            {
              name: 'source',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: 'e.g. jobmanager',
            },
            {
              name: 'format',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['ndjson', 'json', 'text'] },
              description: 'Detected from Content-Type and the first character when absent.',
            },
            {
              name: 'partial',
              in: 'query',
              required: false,
              schema: { type: 'boolean', default: false },
              description:
                'Store the readable records of a batch with unreadable ones and list those, instead of refusing it.',
            },
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 256 },
              description:
                'Makes a resent batch land once. Without it, a batch whose records all carry their own time is recognised by its content.',
            },
            {
              name: 'Content-Encoding',
              in: 'header',
              required: false,
              schema: { type: 'string', enum: ['gzip', 'deflate', 'identity'] },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/x-ndjson': { schema: { type: 'string' } },
              'application/json': { schema: { type: 'array', items: { type: 'object' } } },
              'text/plain': { schema: { type: 'string' } },
            },
          },
          responses: {
            '200': {
              description: 'Stored (or already stored by an earlier send of the same batch).',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['accepted', 'rejected', 'duplicate', 'objects'],
                    properties: {
                      accepted: { type: 'integer' },
                      rejected: { type: 'array', items: problem },
                      duplicate: { type: 'boolean' },
                      objects: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: {
                            key: { type: 'string' },
                            records: { type: 'integer' },
                            bytes: { type: 'integer' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            '400': errorRef,
            '401': errorRef,
            '403': errorRef,
            '409': errorRef,
            '413': errorRef,
            '415': errorRef,
            '503': errorRef,
          },
        },
      },
      '/healthz': { get: { summary: 'Health', responses: { '200': { description: 'OK' } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OK' } } } },
    },
  };
}
