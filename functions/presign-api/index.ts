/**
 * presign-api: the HTTP function that issues presigned upload and download URLs and serves the
 * artifact catalog. Thin on purpose: configuration, wiring and the FC adapter; the API itself is
 * `shared/presign`.
 */
import { type Credentials, loadConfig } from '../../shared/config';
import { describeError } from '../../shared/errors';
import { handleHttpApp } from '../../shared/fc/http-app';
import type { FcHandler } from '../../shared/fc/types';
import { BucketLayout } from '../../shared/layout';
import { createLogger } from '../../shared/log';
import { createPresignApp } from '../../shared/presign/http/app';
import { AliOssStore } from '../../shared/storage/ali-oss-store';
import { resolveCredentials } from '../../shared/storage/credentials';
import { UrlSigner } from '../../shared/storage/url-signer';

const logger = createLogger({ fn: 'presign-api' });

// Read once at cold start: a bad configuration fails here, with every bad variable in one message.
const config = (() => {
  try {
    return loadConfig();
  } catch (error) {
    logger.error('invalid configuration', { error: describeError(error) });
    throw error;
  }
})();

if (config.api.tokens.length === 0) logger.warn('API_TOKENS is empty: every /v1 request will be refused with 401');

// FC hands each invocation the role's current STS keys; remember the latest so rotated keys are used.
let contextCredentials: Partial<Credentials> | undefined;
const credentials = () => resolveCredentials(contextCredentials, config.envCredentials);

const app = createPresignApp({
  config,
  store: new AliOssStore({ config: config.oss, credentials }),
  signer: new UrlSigner(config.oss, credentials),
  layout: new BucketLayout(config.oss.bucket, config.oss.rootDirectory),
  logger,
  usingStsCredentials: () => Boolean(credentials().securityToken),
  version: __PACK_VERSION__,
});

const http = handleHttpApp(app);

/** FC 3.0 entry point: `handler(event: Buffer, context)`. */
export const handler: FcHandler = (event, context) => {
  if (context.credentials?.accessKeyId) contextCredentials = context.credentials;
  return http(event, context);
};
