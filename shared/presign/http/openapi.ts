import { toJsonSchema } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import { API_ERRORS } from '../errors';
import { CompleteBody, DownloadBody, FormBody, PartsBody, UploadBody } from './schemas';

const json = (schema: GenericSchema) => ({
  'application/json': { schema: toJsonSchema(schema, { target: 'openapi-3.0', errorMode: 'ignore' }) },
});
const errorRef = { $ref: '#/components/responses/Error' };
const ok = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), errorRef]));
const uploadIdParam = { name: 'uploadId', in: 'path', required: true, schema: { type: 'string' } };
const artifactParams = [
  { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } },
  {
    name: 'name',
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: 'May contain "/" for files in folders.',
  },
];

/** The OpenAPI 3.0 document of the presign API, generated from the schemas that validate requests. */
export function buildOpenApi(version: string): object {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Flink artifact lifecycle: presign API',
      version,
      description:
        'Short-lived, single-key presigned URLs for uploading and downloading Flink job artifacts in OSS, and the artifact catalog.',
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token whose SHA-256 digest is listed in API_TOKENS.',
        },
      },
      responses: {
        Error: {
          description: 'An error: the code is stable, the message says what is wrong and what is allowed.',
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
                      code: { type: 'string', enum: Object.keys(API_ERRORS) },
                      message: { type: 'string' },
                      requestId: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/uploads': {
        post: {
          summary: 'Get a presigned PUT URL, or a multipart plan for a file larger than one part',
          requestBody: { required: true, content: json(UploadBody) },
          responses: {
            '201': ok(
              '{key, ossPath, method, url, headers, size, expiresAt} or {key, ossPath, uploadId, partSize, partCount, size, parts: [{partNumber, url, size}], expiresAt}',
            ),
            ...errors(400, 401, 403, 413),
          },
        },
      },
      '/v1/uploads/form': {
        post: {
          summary: 'PostObject form fields for a browser upload',
          requestBody: { required: true, content: json(FormBody) },
          responses: { '201': ok('{key, ossPath, url, fields, expiresAt, maxSize}'), ...errors(400, 401, 403, 413) },
        },
      },
      '/v1/uploads/{uploadId}': {
        get: {
          summary: 'List the parts uploaded so far (resume)',
          parameters: [uploadIdParam],
          responses: {
            '200': ok('{key, uploadId, size, partSize, partCount, uploadedBytes, parts, missingParts}'),
            ...errors(401, 403, 404),
          },
        },
        delete: {
          summary: 'Abort a multipart upload',
          parameters: [uploadIdParam],
          responses: { '204': { description: 'Aborted' }, ...errors(401, 403, 404) },
        },
      },
      '/v1/uploads/{uploadId}/parts': {
        post: {
          summary: 'Sign more part URLs',
          parameters: [uploadIdParam],
          requestBody: { content: json(PartsBody) },
          responses: { '200': ok('{uploadId, parts, expiresAt}'), ...errors(400, 401, 403, 404) },
        },
      },
      '/v1/uploads/{uploadId}/complete': {
        post: {
          summary: 'Complete a multipart upload once every part is there',
          parameters: [uploadIdParam],
          requestBody: { content: json(CompleteBody) },
          responses: { '200': ok('{key, ossPath, etag, size}'), ...errors(400, 401, 403, 404, 409) },
        },
      },
      '/v1/downloads': {
        post: {
          summary: 'Get a presigned GET URL that saves the file under its name',
          requestBody: { required: true, content: json(DownloadBody) },
          responses: { '201': ok('{key, ossPath, url, size, etag, expiresAt}'), ...errors(400, 401, 403, 404) },
        },
      },
      '/v1/artifacts': {
        get: {
          summary: 'List the artifacts of a namespace with their catalog status',
          parameters: [
            { name: 'namespace', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          ],
          responses: { '200': ok('{namespace, artifacts: [...], cursor?}'), ...errors(400, 401, 403) },
        },
      },
      '/v1/artifacts/{namespace}/{name}': {
        get: {
          summary: 'The catalog record of an artifact (status "pending" until catalogued)',
          parameters: artifactParams,
          responses: { '200': ok('Catalog record'), ...errors(400, 401, 403, 404) },
        },
        delete: {
          summary: 'Delete an artifact and its catalog record',
          parameters: artifactParams,
          responses: { '204': { description: 'Deleted' }, ...errors(400, 401, 403, 404) },
        },
      },
      '/v1/artifacts/{namespace}/{name}/sbom': {
        get: {
          summary: 'The CycloneDX 1.5 SBOM of a catalogued JAR (404 SBOM_NOT_FOUND until catalogued)',
          parameters: artifactParams,
          responses: {
            '200': {
              description: 'CycloneDX 1.5 JSON',
              content: { 'application/vnd.cyclonedx+json': { schema: { type: 'object' } } },
            },
            ...errors(400, 401, 403, 404),
          },
        },
      },
      '/healthz': { get: { summary: 'Health', security: [], responses: { '200': ok('{status: "ok"}') } } },
      '/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': ok('OpenAPI 3.0 document') } },
      },
    },
  };
}
