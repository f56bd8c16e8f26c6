import { ValidationError } from '../errors';
import { assertNamespace, quote } from '../layout/names';

/** What a batch is about: set by the sender in the query string, stored with every record. */
export interface LogLabels {
  namespace: string;
  deployment: string;
  job?: string;
  source?: string;
}

// Deployment and job ids of Realtime Compute are UUIDs; names are allowed too. The value ends up in a
// Hive partition folder (`deployment=<id>`), so "=", "/" and anything a query engine would escape are out.
const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Reason a deployment/job/source label is unacceptable, or `undefined`. */
export function labelProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (!LABEL_RE.test(value)) return 'must be 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit';
  return undefined;
}

/**
 * Validates the labels of a batch; throws `NAMESPACE_INVALID` or `LABEL_INVALID` naming the field.
 * `namespace` and `deployment` are required: they pick the partition.
 */
export function parseLabels(query: { get(name: string): string | null }): LogLabels {
  const namespace = query.get('namespace');
  const deployment = query.get('deployment');
  if (namespace === null || namespace === '')
    throw new ValidationError('LABEL_INVALID', 'namespace', 'namespace is required (?namespace=<ns>&deployment=<id>)');
  assertNamespace(namespace);
  if (deployment === null || deployment === '')
    throw new ValidationError(
      'LABEL_INVALID',
      'deployment',
      'deployment is required (?namespace=<ns>&deployment=<id>)',
    );
  const labels: LogLabels = { namespace, deployment: checkLabel('deployment', deployment) };
  const job = query.get('job');
  if (job !== null && job !== '') labels.job = checkLabel('job', job);
  const source = query.get('source');
  if (source !== null && source !== '') labels.source = checkLabel('source', source);
  return labels;
}

function checkLabel(field: string, value: string): string {
  const problem = labelProblem(value);
  if (problem) throw new ValidationError('LABEL_INVALID', field, `${field} ${quote(value)} ${problem}`);
  return value;
}
