/**
 * log-shipper: `POST /v1/logs` stores log batches under `logs/_shipped/`, and an hourly timer compacts the
 * closed hour partitions. Thin on purpose: configuration and wiring; the capability is `shared/logs`.
 */
import { type Credentials, loadConfig } from '../../shared/config';
import { describeError } from '../../shared/errors';
import { handleHttpApp } from '../../shared/fc/http-app';
import { parseTimerEvent } from '../../shared/fc/parse';
import type { FcContext, FcHandler } from '../../shared/fc/types';
import { createLogger } from '../../shared/log';
import { compactLogs } from '../../shared/logs/compaction';
import { createLogsApp } from '../../shared/logs/http/app';
import { LogKeys } from '../../shared/logs/keys';
import { signedPut } from '../../shared/logs/signed-put';
import { AliOssStore } from '../../shared/storage/ali-oss-store';
import { resolveCredentials } from '../../shared/storage/credentials';

const logger = createLogger({ fn: 'log-shipper' });

const config = (() => {
  try {
    return loadConfig();
  } catch (error) {
    logger.error('invalid configuration', { error: describeError(error) });
    throw error;
  }
})();

let contextCredentials: Partial<Credentials> | undefined;
const credentials = () => resolveCredentials(contextCredentials, config.envCredentials);
const store = new AliOssStore({ config: config.oss, credentials });
const keys = new LogKeys(config.oss.rootDirectory);
// Batches go out with a plain signed PUT: the ali-oss SDK loads only when a resent batch must be checked
// or compaction runs, so an instance's first batch does not wait for it.
const put = signedPut(config.oss, credentials);

const http = handleHttpApp(
  createLogsApp({
    config,
    store: { put, head: (key) => store.head(key) },
    keys,
    logger,
    version: __PACK_VERSION__,
  }),
);

/** FC 3.0 entry point for both triggers: the HTTP trigger's requests and the hourly compaction timer. */
export const handler: FcHandler = async (event, context) => {
  if (context.credentials?.accessKeyId) contextCredentials = context.credentials;
  // Timer events are a few hundred bytes; HTTP events carry a batch. Only small events are looked into.
  if (event.byteLength < 4096 && isTimerEvent(event)) return compact(context);
  return http(event, context);
};

function isTimerEvent(event: Buffer): boolean {
  try {
    parseTimerEvent(event);
    return true;
  } catch {
    return false;
  }
}

async function compact(context: FcContext) {
  const log = logger.child({ requestId: context.requestId });
  const started = Date.now();
  const timeoutMs = (context.function?.timeout ?? 600) * 1000;
  const report = await compactLogs({
    store,
    keys,
    targetBytes: config.logs.compactTargetBytes,
    settleMs: config.logs.compactSettleMs,
    lookbackMs: config.logs.compactLookbackMs,
    remainingMs: () => timeoutMs - (Date.now() - started),
    encryption: config.oss.encryption,
    progress: (line, fields) => log.info(line, fields),
  });
  log.info('compaction done', { ...report, ms: Date.now() - started });
  return report;
}
