/**
 * state-pruner: on an hourly timer, prunes old Flink checkpoints and savepoints without losing state a
 * job needs, and reports what the state costs. Thin on purpose: configuration and wiring; the decisions
 * are `shared/retention`, the FC plumbing `shared/fc/runtime`. See docs/state-pruner.md.
 */

import { loadConfigAtColdStart } from '../../shared/fc/cold-start';
import { fcInvokerFromContext } from '../../shared/fc/invoker';
import { createFunctionRuntime, eventHandler } from '../../shared/fc/runtime';
import { BucketLayout } from '../../shared/layout';
import { auditTrailFor } from '../../shared/logs/audit';
import { recordPruneAudit } from '../../shared/retention/audit';
import type { PruneReport } from '../../shared/retention/report';
import { parsePruneEvent } from '../../shared/retention/request';
import { runPrune } from '../../shared/retention/run';
import { OssHttpStore } from '../../shared/storage/oss-http-store';

const NAME = 'state-pruner';

const config = loadConfigAtColdStart(NAME);

const runtime = createFunctionRuntime({ name: NAME, envCredentials: config.envCredentials });
const store = new OssHttpStore({ config: config.oss, credentials: runtime.credentials });
const layout = new BucketLayout(config.oss.bucket, config.oss.rootDirectory);
// Each run, and each key a real run deleted, also goes to the audit trail (logs/_audit/function=state-pruner/).
const trail = auditTrailFor(NAME, config, store, runtime.logger);

/** FC 3.0 entry point: `handler(event: Buffer, context)`, for the timer and for hand-written events. */
export const handler = eventHandler(runtime, parsePruneEvent, async ({ trigger, ...request }, invocation) => {
  invocation.logger.info('run starts', { trigger, ...request, dryRun: config.prune.dryRun || request.dryRun === true });
  const localEndpoint = process.env.LOCAL_FC_ENDPOINT;
  const fanOut = (() => {
    try {
      return {
        invoker: fcInvokerFromContext(invocation.context, localEndpoint ? { endpoint: localEndpoint } : {}),
        functionName: invocation.context.function.name,
      };
    } catch {
      return undefined; // no role: the run works alone
    }
  })();
  const { report, reportKey } = await runPrune(
    {
      store,
      layout,
      settings: config.prune,
      logger: invocation.logger,
      runId: invocation.requestId.replace(/[^A-Za-z0-9._-]/g, '_'),
      deadline: invocation.deadline,
      ...(fanOut ? { fanOut } : {}),
      // The run's audit events are written while its report is.
      ...(trail && {
        alongsideReport: (finished: PruneReport, key: string) => {
          recordPruneAudit(trail, finished, key);
          return trail.flush(invocation.requestId);
        },
      }),
    },
    request,
  );
  return {
    outcome: report.outcome,
    dryRun: report.dryRun,
    reportKey,
    deletedObjects: report.totals.deletedObjects,
    deletedBytes: report.totals.deletedBytes,
    unreadable: report.unreadable.length,
    warnings: report.warnings.map((w) => w.code),
  };
});
