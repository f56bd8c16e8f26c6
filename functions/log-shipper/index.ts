/**
 * log-shipper: `POST /v1/logs` stores log batches under `logs/_shipped/`, and an hourly timer compacts the
 * closed hour partitions. Thin on purpose: configuration and wiring; the capability is `shared/logs`, the
 * FC plumbing (credentials, request ids, deadline, errors) `shared/fc/runtime`.
 */

import { join } from 'node:path';
import { loadConfigAtColdStart } from '../../shared/fc/cold-start';
import { parseTimerEvent } from '../../shared/fc/parse';
import { createFunctionRuntime, httpHandler, timerHandler } from '../../shared/fc/runtime';
import type { FcHandler } from '../../shared/fc/types';
import { compactLogs } from '../../shared/logs/compaction';
import { createLogsApp } from '../../shared/logs/http/app';
import { IntakeThreads } from '../../shared/logs/intake-threads';
import { LogKeys } from '../../shared/logs/keys';
import { OssHttpStore } from '../../shared/storage/oss-http-store';

const NAME = 'log-shipper';

const config = loadConfigAtColdStart(NAME);

const runtime = createFunctionRuntime({ name: NAME, envCredentials: config.envCredentials });
const { credentials, logger } = runtime;
if (config.api.tokens.length === 0) logger.warn('API_TOKENS is empty: every POST /v1/logs will be refused with 401');

const store = new OssHttpStore({ config: config.oss, credentials });
const keys = new LogKeys(config.oss.rootDirectory);

// Beside this bundle; the workers start with the first batch large enough to share.
const threads =
  config.logs.intakeThreads > 1
    ? new IntakeThreads(join(__dirname, 'intake-worker.js'), config.logs.intakeThreads - 1)
    : undefined;

const http = httpHandler(
  runtime,
  createLogsApp({
    config,
    store,
    keys,
    logger,
    version: __PACK_VERSION__,
    threads,
  }),
);

const compaction = timerHandler(runtime, async (_event, invocation) => {
  const report = await compactLogs({
    store,
    keys,
    targetBytes: config.logs.compactTargetBytes,
    settleMs: config.logs.compactSettleMs,
    lookbackMs: config.logs.compactLookbackMs,
    remainingMs: () => invocation.remainingMs(),
    encryption: config.oss.encryption,
    progress: (line, fields) => invocation.logger.info(line, fields),
  });
  invocation.logger.info('compaction done', { ...report });
  return report;
});

/** FC 3.0 entry point for both triggers: the HTTP trigger's requests and the hourly compaction timer. */
export const handler: FcHandler = (event, context) =>
  // Timer events are a few hundred bytes; HTTP events carry a batch. Only small events are looked into.
  event.byteLength < 4096 && isTimerEvent(event) ? compaction(event, context) : http(event, context);

function isTimerEvent(event: Buffer): boolean {
  try {
    parseTimerEvent(event);
    return true;
  } catch {
    return false;
  }
}
