/**
 * presign-api: the HTTP function that issues presigned upload and download URLs and serves the
 * artifact catalog. Thin on purpose: configuration and wiring; the API itself is `shared/presign`, the
 * FC plumbing (credentials, request ids, errors) `shared/fc/runtime`.
 */

import { readFile } from 'node:fs';
import { join } from 'node:path';
import { loadConfigAtColdStart } from '../../shared/fc/cold-start';
import { createFunctionRuntime, httpHandler } from '../../shared/fc/runtime';
import type { FcHandler } from '../../shared/fc/types';
import { BucketLayout } from '../../shared/layout';
import { auditTrailFor } from '../../shared/logs/audit';
import { createPresignApp } from '../../shared/presign/http/app';
import { ARTIFACTS_PAGE_FILE } from '../../shared/presign/web/page-file';
import { OssHttpStore } from '../../shared/storage/oss-http-store';
import { UrlSigner } from '../../shared/storage/url-signer';

const NAME = 'presign-api';

// Read once at cold start: a bad configuration fails here, with every bad variable in one message.
const config = loadConfigAtColdStart(NAME);

const runtime = createFunctionRuntime({ name: NAME, envCredentials: config.envCredentials });
const { credentials, logger } = runtime;

if (config.api.tokens.length === 0) logger.warn('API_TOKENS is empty: every /v1 request will be refused with 401');

const store = new OssHttpStore({ config: config.oss, credentials });

// Every issued URL also goes to the bucket's audit trail (logs/_audit/function=presign-api/), one object
// per invocation, written through the same lean OSS client as the API's own bucket calls.
const trail = auditTrailFor(NAME, config, store, logger);

const app = createPresignApp({
  config,
  store,
  signer: new UrlSigner(config.oss, credentials),
  layout: new BucketLayout(config.oss.bucket, config.oss.rootDirectory),
  logger,
  usingStsCredentials: () => Boolean(credentials().securityToken),
  version: __PACK_VERSION__,
  page: artifactsPage,
  ...(trail && { onAudit: (event, fields, requestId) => trail.record(event, { requestId, ...fields }) }),
});

let page: Promise<string> | undefined;
/** The artifacts page, built beside the bundle; read on the first `GET /`, never at cold start. */
function artifactsPage(): Promise<string> {
  // node:fs, not node:fs/promises: the core already holds it, the promises module costs ms at cold start.
  page ??= new Promise<string>((resolve, reject) =>
    readFile(join(__dirname, ARTIFACTS_PAGE_FILE), 'utf8', (error, text) => (error ? reject(error) : resolve(text))),
  ).catch((error: unknown) => {
    page = undefined;
    throw error;
  });
  return page;
}

const http = httpHandler(runtime, app);

/** FC 3.0 entry point: `handler(event: Buffer, context)`; the audit events are in the bucket before it returns. */
export const handler: FcHandler = async (event, context) => {
  const result = await http(event, context);
  await trail?.flush();
  return result;
};
