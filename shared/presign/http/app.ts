import { randomUUID } from 'node:crypto';
import type { GenericSchema, InferOutput } from 'valibot';
import type { Config } from '../../config';
import { describeError, ValidationError } from '../../errors';
import { fetchHandler } from '../../http/fetch-bridge';
import { Router } from '../../http/router';
import { empty, type HttpApp, type HttpRequest, type HttpResponse, json } from '../../http/types';
import type { BucketLayout } from '../../layout';
import type { Logger } from '../../log';
import { StorageError } from '../../storage/errors';
import type { ObjectStore } from '../../storage/port';
import type { UrlSigner } from '../../storage/url-signer';
import { authenticate, type Caller } from '../auth';
import type { PresignAudit } from '../context';
import { API_ERRORS, ApiError, type ApiErrorCode } from '../errors';
import { readArtifactSbom } from '../sbom';
import { PresignService } from '../service';
import { CompleteBody, check, DownloadBody, FormBody, ListQuery, PartsBody, UploadBody } from './schemas';

const AUDIT_MESSAGES: Record<PresignAudit['event'], string> = {
  'url.issued': 'url issued',
  'artifact.deleted': 'artifact deleted',
  'upload.aborted': 'upload aborted',
};

/** Request bodies are small JSON documents; anything larger is refused before it is parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface PresignAppDeps {
  config: Config;
  store: ObjectStore;
  signer: UrlSigner;
  layout: BucketLayout;
  logger: Logger;
  usingStsCredentials: () => boolean;
  version?: string;
  /** The artifacts page's HTML, read when `GET /` is first asked for; without it `/` is 404. */
  page?: () => Promise<string>;
  /** Also receives each audit event with its request id (the bucket's audit trail, shared/logs/audit.ts). */
  onAudit?: (event: PresignAudit['event'], fields: Record<string, unknown>, requestId: string) => void;
}

/** What a route handler gets: the request, its path parameters, the authenticated caller and the service. */
interface Call {
  req: HttpRequest;
  params: Record<string, string>;
  caller: Caller;
  service: PresignService;
}

type Route =
  | { auth: false; run: (req: HttpRequest) => HttpResponse | Promise<HttpResponse> }
  | { auth: true; run: (call: Call) => Promise<HttpResponse> | HttpResponse };

export interface PresignApp extends HttpApp {
  /** The same app for fetch callers (tests, fetch-based runtimes). */
  fetch(request: Request): Promise<Response>;
}

/**
 * The presign API: every route of the README's API table over a runtime-agnostic request/response pair. Routing
 * is Hono's trie router; the FC handler feeds it FC events directly, tests and other runtimes use `fetch`.
 */
export function createPresignApp(deps: PresignAppDeps): PresignApp {
  const router = new Router<Route>();
  const open = (run: (req: HttpRequest) => HttpResponse | Promise<HttpResponse>): Route => ({ auth: false, run });
  const guarded = (run: (call: Call) => Promise<HttpResponse> | HttpResponse): Route => ({ auth: true, run });

  let openApi: string | undefined;
  router
    .add(
      'GET',
      '/',
      open(() => artifactsPage(deps.page)),
    )
    .add(
      'GET',
      '/healthz',
      open(() =>
        json(200, {
          status: 'ok',
          bucket: deps.config.oss.bucket,
          region: deps.config.oss.region,
          ...(deps.version && { version: deps.version }),
        }),
      ),
    )
    .add(
      'GET',
      '/openapi.json',
      open(async () => {
        // Built on first request: converting the schemas costs time no other route should pay at cold start.
        openApi ??= JSON.stringify((await import('./openapi')).buildOpenApi(deps.version ?? '0.0.0'));
        return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: openApi };
      }),
    )
    .add(
      'POST',
      '/v1/uploads',
      guarded(async ({ req, caller, service }) =>
        json(201, await service.createUpload(caller, readBody(req, UploadBody))),
      ),
    )
    .add(
      'POST',
      '/v1/uploads/form',
      guarded(({ req, caller, service }) => json(201, service.createForm(caller, readBody(req, FormBody)))),
    )
    .add(
      'GET',
      '/v1/uploads/:uploadId',
      guarded(async ({ params, caller, service }) => json(200, await service.getUpload(caller, params.uploadId!))),
    )
    .add(
      'DELETE',
      '/v1/uploads/:uploadId',
      guarded(async ({ params, caller, service }) => {
        await service.abortUpload(caller, params.uploadId!);
        return empty(204);
      }),
    )
    .add(
      'POST',
      '/v1/uploads/:uploadId/parts',
      guarded(async ({ req, params, caller, service }) =>
        json(200, await service.signParts(caller, params.uploadId!, readBody(req, PartsBody, true))),
      ),
    )
    .add(
      'POST',
      '/v1/uploads/:uploadId/complete',
      guarded(async ({ req, params, caller, service }) =>
        json(200, await service.completeUpload(caller, params.uploadId!, readBody(req, CompleteBody, true))),
      ),
    )
    .add(
      'POST',
      '/v1/downloads',
      guarded(async ({ req, caller, service }) =>
        json(201, await service.createDownload(caller, readBody(req, DownloadBody))),
      ),
    )
    .add(
      'GET',
      '/v1/artifacts',
      guarded(async ({ req, caller, service }) => {
        const query = check(ListQuery, Object.fromEntries(req.query));
        if (!query.ok) throw new ApiError('INVALID_REQUEST', query.message);
        return json(200, await service.listArtifacts(caller, query.value));
      }),
    )
    .add(
      'GET',
      // Registered before the record route, which would otherwise take `<name>/sbom` as a name.
      '/v1/artifacts/:namespace/:name{.+}/sbom',
      guarded(async ({ params, caller }) => ({
        status: 200,
        headers: { 'content-type': 'application/vnd.cyclonedx+json; version=1.5' },
        body: (await readArtifactSbom(deps, caller, params.namespace!, params.name!)).toString('utf8'),
      })),
    )
    .add(
      'GET',
      '/v1/artifacts/:namespace/:name{.+}',
      guarded(async ({ params, caller, service }) =>
        json(200, await service.getArtifact(caller, params.namespace!, params.name!)),
      ),
    )
    .add(
      'DELETE',
      '/v1/artifacts/:namespace/:name{.+}',
      guarded(async ({ params, caller, service }) => {
        await service.deleteArtifact(caller, params.namespace!, params.name!);
        return empty(204);
      }),
    );

  const cors = corsPolicy(deps.config.presign.corsOrigins);

  async function handle(req: HttpRequest): Promise<HttpResponse> {
    const requestId = req.requestId ?? req.headers['x-fc-request-id'] ?? randomUUID();
    const log = deps.logger.child({ requestId });
    const started = performance.now();
    let response: HttpResponse;
    try {
      response = cors.preflight(req) ?? (await route(req, log));
    } catch (error) {
      response = errorResponse(error, requestId, log);
    }
    response.headers['x-request-id'] = requestId;
    cors.decorate(req, response);
    log.info('request', {
      method: req.method,
      path: req.path,
      status: response.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
    return response;
  }

  async function route(req: HttpRequest, log: Logger): Promise<HttpResponse> {
    const match = router.match(req.method, req.path);
    if ('allowed' in match) {
      if (match.allowed.length > 0) {
        throw Object.assign(
          new ApiError(
            'METHOD_NOT_ALLOWED',
            `${req.path} does not accept ${req.method}; it accepts ${match.allowed.join(', ')}.`,
          ),
          { allow: match.allowed },
        );
      }
      throw new ApiError('NOT_FOUND', `No route for ${req.method} ${req.path}; GET /openapi.json describes the API.`);
    }
    const { handler, params } = match.found;
    if (!handler.auth) return handler.run(req);
    const caller = authenticate(req.headers.authorization, deps.config.api.tokens);
    const service = new PresignService({
      ...deps,
      audit: ({ event, fields }) => {
        log.info(AUDIT_MESSAGES[event], { event, ...fields });
        deps.onAudit?.(event, { ...fields }, req.requestId ?? req.headers['x-fc-request-id'] ?? '');
      },
    });
    return handler.run({ req, params, caller, service });
  }

  function errorResponse(error: unknown, requestId: string, log: Logger): HttpResponse {
    const respond = (code: ApiErrorCode, message: string, headers: Record<string, string> = {}) =>
      json(API_ERRORS[code], { error: { code, message, requestId } }, headers);
    if (error instanceof ApiError) {
      if (error.status >= 500) log.error('request failed', { error });
      const allow = (error as ApiError & { allow?: string[] }).allow;
      const headers: Record<string, string> = allow
        ? { allow: allow.join(', ') }
        : error.code === 'UNAUTHENTICATED'
          ? { 'www-authenticate': 'Bearer' }
          : {};
      return respond(error.code, error.message, headers);
    }
    if (error instanceof ValidationError) {
      const code: ApiErrorCode =
        error.code === 'NAMESPACE_INVALID' || error.code === 'NAME_INVALID' ? error.code : 'INVALID_REQUEST';
      return respond(code, error.message);
    }
    if (error instanceof StorageError) {
      log.error('storage failed', { error, details: error.details });
      if (error.retryable)
        return respond('STORAGE_UNAVAILABLE', 'OSS is unavailable or throttling; try again shortly.', {
          'retry-after': '1',
        });
      const actionable = actionableStorageError(error);
      if (actionable) return respond(actionable.code, actionable.message);
      return respond(
        'INTERNAL',
        `The API could not use the bucket (${error.code}); see the function log for request ${requestId}.`,
      );
    }
    log.error('unexpected error', { error: describeError(error) });
    return respond('INTERNAL', `Internal error; see the function log for request ${requestId}.`);
  }

  const app: PresignApp = { handle, fetch: (request) => fetchHandler(app)(request) };
  return app;
}

/** The artifacts page: no token needed to load it, since everything it shows comes from guarded routes. */
async function artifactsPage(page: PresignAppDeps['page']): Promise<HttpResponse> {
  if (!page)
    throw new ApiError('NOT_FOUND', 'This deployment serves no page at /; GET /openapi.json describes the API.');
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    },
    body: await page(),
  };
}

/** Reads a JSON body of at most MAX_BODY_BYTES and validates it; an empty body is `{}` when allowed. */
function readBody<TSchema extends GenericSchema>(
  req: HttpRequest,
  schema: TSchema,
  emptyAllowed = false,
): InferOutput<TSchema> {
  const type = req.headers['content-type'];
  if (type && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Send the body as JSON (Content-Type: application/json), not ${type}.`,
    );
  }
  if (req.body.byteLength > MAX_BODY_BYTES)
    throw new ApiError('PAYLOAD_TOO_LARGE', `The request body may be at most ${MAX_BODY_BYTES} bytes.`);
  const text = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength).toString('utf8');
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ApiError('INVALID_REQUEST', `The body is not valid JSON: ${(error as Error).message}.`);
    }
  } else if (!emptyAllowed) {
    throw new ApiError('INVALID_REQUEST', 'The request needs a JSON body.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiError('INVALID_REQUEST', 'The body must be a JSON object.');
  const result = check(schema, value);
  if (!result.ok) throw new ApiError('INVALID_REQUEST', result.message);
  return result.value;
}

/** CORS for browsers on other origins; none by default, since the API's own page is same-origin. */
function corsPolicy(origins: readonly string[]): {
  preflight(req: HttpRequest): HttpResponse | undefined;
  decorate(req: HttpRequest, res: HttpResponse): void;
} {
  const allowAll = origins.includes('*');
  const allowed = (origin: string | undefined) => origin !== undefined && (allowAll || origins.includes(origin));
  return {
    preflight(req) {
      if (req.method !== 'OPTIONS' || !req.path.startsWith('/v1/')) return undefined;
      if (!allowed(req.headers.origin)) return empty(204);
      return empty(204, {
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      });
    },
    decorate(req, res) {
      const origin = req.headers.origin;
      if (origins.length === 0 || !allowed(origin)) return;
      res.headers['access-control-allow-origin'] = allowAll ? '*' : origin!;
      res.headers['access-control-expose-headers'] = 'x-request-id';
      if (!allowAll) res.headers.vary = 'Origin';
    },
  };
}

/**
 * The 4xx for a storage refusal the caller can act on (a taken name, a missing or archived object, a
 * request OSS rejects); undefined for failures only the operator can fix, which stay 500.
 */
export function actionableStorageError(error: StorageError): { code: ApiErrorCode; message: string } | undefined {
  const key = error.details.key ? ` ${error.details.key}` : '';
  switch (error.code) {
    case 'OSS_ALREADY_EXISTS':
      return {
        code: 'ALREADY_EXISTS',
        message: `The object${key} already exists; use "overwrite": true (needs the delete action) or choose another name.`,
      };
    case 'OSS_NOT_FOUND':
      return { code: 'NOT_FOUND', message: `The object${key} does not exist (any more).` };
    case 'OSS_OBJECT_ARCHIVED':
      return {
        code: 'OBJECT_ARCHIVED',
        message: `The object${key} is in an archive storage class; restore it before reading it.`,
      };
    case 'OSS_PRECONDITION_FAILED':
      return { code: 'PRECONDITION_FAILED', message: `The object${key} changed meanwhile; try again.` };
    case 'OSS_INVALID_RANGE':
    case 'OSS_INVALID_REQUEST':
      return {
        code: 'INVALID_REQUEST',
        message: `OSS refused the request for${key || ' the object'}: ${error.message}`,
      };
    default:
      return undefined;
  }
}
