/**
 * artifact-catalog: validates every artifact uploaded under `artifacts/` and `sql-artifacts/` as OSS
 * events arrive, and reconciles the whole catalog on a daily timer (or `npm run invoke`). Thin on
 * purpose: configuration and wiring; the work is `shared/catalog`.
 */

import { handleCatalogEvent, parseCatalogEvent } from '../../shared/catalog/events';
import { ArtifactCatalog } from '../../shared/catalog/service';
import { loadConfigAtColdStart } from '../../shared/fc/cold-start';
import { createFunctionRuntime, eventHandler } from '../../shared/fc/runtime';
import { BucketLayout } from '../../shared/layout';
import { auditTrailFor } from '../../shared/logs/audit';
import { OssHttpStore } from '../../shared/storage/oss-http-store';

const NAME = 'artifact-catalog';

const config = loadConfigAtColdStart(NAME);

const runtime = createFunctionRuntime({ name: NAME, envCredentials: config.envCredentials });
const store = new OssHttpStore({ config: config.oss, credentials: runtime.credentials });
const layout = new BucketLayout(config.oss.bucket, config.oss.rootDirectory);
// Each verdict and removal also goes to the audit trail (logs/_audit/function=artifact-catalog/), one
// object per invocation.
const trail = auditTrailFor(NAME, config, store, runtime.logger);
const catalog = new ArtifactCatalog({
  store,
  layout,
  policy: config.catalog,
  logger: runtime.logger,
  toolVersion: __PACK_VERSION__,
  ...(trail && { audit: trail }),
});

/** FC 3.0 entry point: OSS events, timer events and `{"reconcile":true}`. */
export const handler = eventHandler(runtime, parseCatalogEvent, async (event, invocation) => {
  try {
    const flushAudit = trail && (() => trail.flush(invocation.requestId));
    return await handleCatalogEvent(
      event,
      { catalog, store, layout, bucket: config.oss.bucket, ...(flushAudit && { flushAudit }) },
      invocation,
    );
  } finally {
    await trail?.flush(invocation.requestId);
  }
});
