/**
 * The log intake over HTTP: `POST /v1/logs`, `GET /healthz`, `GET /openapi.json`, routed like the presign
 * API and authenticated with the same tokens (action `logs:write`, scoped to namespaces).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import { describeError, ValidationError } from '../../errors';
import { Router } from '../../http/router';
import { type HttpApp, type HttpRequest, type HttpResponse, json } from '../../http/types';
import type { Logger } from '../../log';
import { authenticate, authorize } from '../../presign/auth';
import { ApiError } from '../../presign/errors';
import { StorageError } from '../../storage/errors';
import type { ObjectStore } from '../../storage/port';
import type { PutObject } from '../audit';
import { LogIntakeError, type RecordProblem } from '../errors';
import { shipBatch } from '../intake';
import type { LogKeys } from '../keys';
import { parseLabels } from '../labels';
import type { SliceEncoder } from '../slices';

export interface LogsAppDeps {
  config: Pick<Config, 'api' | 'logs' | 'oss'>;
  store: { put: PutObject; head: ObjectStore['head'] };
  keys: LogKeys;
  logger: Logger;
  version?: string;
  now?: () => Date;
  /** Worker threads for large batches (`LOGS_INTAKE_THREADS` above 1). */
  threads?: SliceEncoder | undefined;
}

type Handler = (req: HttpRequest, log: Logger) => Promise<HttpResponse> | HttpResponse;

/** The log intake app. Every answer carries `x-request-id`; errors are `{"error":{code,message,requestId}}`. */
export function createLogsApp(deps: LogsAppDeps): HttpApp {
  const router = new Router<Handler>();
  let openApi: string | undefined;
  router
    .add('GET', '/healthz', () => json(200, { status: 'ok', ...(deps.version && { version: deps.version }) }))
    .add('GET', '/openapi.json', async () => {
      openApi ??= JSON.stringify((await import('./openapi')).buildLogsOpenApi(deps.version ?? '0.0.0'));
      return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: openApi };
    })
    .add('POST', '/v1/logs', async (req, log) => {
      const caller = authenticate(req.headers.authorization, deps.config.api.tokens);
      const labels = parseLabels(req.query);
      authorize(caller, 'logs:write', labels.namespace);
      const idempotencyKey = req.headers['idempotency-key'] ?? req.query.get('batchId') ?? undefined;
      const result = await shipBatch(
        {
          labels,
          body: req.body,
          contentType: req.headers['content-type'],
          contentEncoding: req.headers['content-encoding'],
          format: req.query.get('format'),
          ...(idempotencyKey !== undefined && { idempotencyKey }),
          partial: /^(?:1|true|yes)$/i.test(req.query.get('partial') ?? ''),
          receivedAt: deps.now?.() ?? new Date(),
        },
        {
          store: deps.store,
          keys: deps.keys,
          maxBatchBytes: deps.config.logs.maxBatchBytes,
          encryption: deps.config.oss.encryption,
          threads: deps.threads,
        },
      );
      log.info('batch stored', {
        tokenId: caller.tokenId,
        namespace: labels.namespace,
        deployment: labels.deployment,
        accepted: result.accepted,
        rejected: result.rejected.length,
        duplicate: result.duplicate,
        objects: result.objects.length,
      });
      return json(200, {
        accepted: result.accepted,
        rejected: result.rejected,
        duplicate: result.duplicate,
        objects: result.objects.map(({ key, records, bytes }) => ({ key, records, bytes })),
      });
    });

  return {
    async handle(req) {
      const requestId = req.requestId ?? req.headers['x-fc-request-id'] ?? randomUUID();
      const log = deps.logger.child({ requestId });
      const started = performance.now();
      let response: HttpResponse;
      try {
        const match = router.match(req.method, req.path);
        if ('found' in match) response = await match.found.handler(req, log);
        else if (match.allowed.length > 0)
          response = errorJson(
            405,
            'METHOD_NOT_ALLOWED',
            `${req.path} accepts ${match.allowed.join(', ')}.`,
            requestId,
            {
              allow: match.allowed.join(', '),
            },
          );
        else
          response = errorJson(
            404,
            'NOT_FOUND',
            `No route for ${req.method} ${req.path}; see /openapi.json.`,
            requestId,
          );
      } catch (error) {
        response = errorResponse(error, requestId, log);
      }
      response.headers['x-request-id'] = requestId;
      log.info('request', {
        method: req.method,
        path: req.path,
        status: response.status,
        bytes: req.body.byteLength,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
      return response;
    },
  };
}

function errorJson(
  status: number,
  code: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
  problems?: readonly RecordProblem[],
): HttpResponse {
  return json(
    status,
    { error: { code, message, requestId, ...(problems && problems.length > 0 && { problems }) } },
    headers,
  );
}

function errorResponse(error: unknown, requestId: string, log: Logger): HttpResponse {
  if (error instanceof LogIntakeError) {
    return errorJson(error.status, error.code, error.message, requestId, {}, error.problems);
  }
  if (error instanceof ApiError) {
    return errorJson(
      error.status,
      error.code,
      error.message,
      requestId,
      error.code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {},
    );
  }
  if (error instanceof ValidationError) {
    return errorJson(400, error.code === 'NAMESPACE_INVALID' ? error.code : 'LABEL_INVALID', error.message, requestId);
  }
  if (error instanceof StorageError) {
    log.error('storage failed', { error, details: error.details });
    // Nothing was acknowledged: the sender keeps the batch and retries, which lands once (idempotent names).
    return errorJson(
      error.retryable ? 503 : 500,
      error.retryable ? 'STORAGE_UNAVAILABLE' : 'INTERNAL',
      `The batch was not stored (OSS: ${error.code}); ${error.retryable ? 'send it again' : `see the function log for request ${requestId}`}.`,
      requestId,
      error.retryable ? { 'retry-after': '1' } : {},
    );
  }
  log.error('unexpected error', { error: describeError(error) });
  return errorJson(
    500,
    'INTERNAL',
    `Internal error; nothing was stored. See the function log for request ${requestId}.`,
    requestId,
  );
}
