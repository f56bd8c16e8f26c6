/**
 * What `setup-bucket` wants the bucket to look like, compared with what it is: pure, so the decision
 * is tested without a bucket. Rules the pack does not own (other ids, other origins) are kept as they are.
 */

/** A CORS rule as ali-oss reads and writes it. */
export interface CorsRule {
  allowedOrigin: string | string[];
  allowedMethod: string | string[];
  allowedHeader?: string | string[];
  exposeHeader?: string | string[];
  maxAgeSeconds?: string | number;
}

/** A lifecycle rule as ali-oss reads and writes it (values may come back as strings). */
export interface LifecycleRule {
  id?: string;
  prefix: string;
  status: 'Enabled' | 'Disabled';
  expiration?: { days?: string | number };
  abortMultipartUpload?: { days?: string | number };
  [other: string]: unknown;
}

export interface BucketSetupOptions {
  /** Origins of pages that upload straight to the bucket (the artifacts page, the Realtime Compute console…). */
  corsOrigins: string[];
  /** Unfinished multipart uploads are aborted after this many days. */
  abortMultipartAfterDays: number;
  /** Shipped logs (`logs/_shipped/`) expire after this many days; 0 keeps them forever. */
  logsExpireAfterDays: number;
  /** `OSS_ROOT_DIRECTORY`, normalised ("" or ending in "/"). */
  root: string;
}

export interface BucketSetupPlan {
  cors: CorsRule[];
  lifecycle: LifecycleRule[];
  /** One line per change, for the user. */
  changes: string[];
  /** One line per setting that was already right. */
  unchanged: string[];
}

export const CORS_METHODS = ['GET', 'PUT', 'POST', 'HEAD'];
/** ETag must be readable by browsers: multipart clients need each part's ETag to complete. */
export const CORS_EXPOSE = ['ETag', 'x-oss-request-id', 'x-oss-hash-crc64ecma'];
export const RULE_ABORT_MULTIPART = 'flink-artifacts-abort-multipart';
export const RULE_LOGS_EXPIRY = 'flink-artifacts-logs-expiry';
export const RULE_UPLOAD_PLANS = 'flink-artifacts-upload-plans';
/** The log shipper's subtree (docs/log-shipper.md §1), the only part of `logs/` the expiry rule covers. */
export const SHIPPED_LOGS_PREFIX = 'logs/_shipped/';

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const days = (v: { days?: string | number } | undefined): number | undefined =>
  v?.days === undefined ? undefined : Number(v.days);

/** The rule the pack adds for direct browser uploads. */
export function desiredCorsRule(origins: string[]): CorsRule {
  return {
    allowedOrigin: [...origins],
    allowedMethod: [...CORS_METHODS],
    allowedHeader: ['*'],
    exposeHeader: [...CORS_EXPOSE],
    maxAgeSeconds: 600,
  };
}

function corsCovers(rule: CorsRule, origin: string): boolean {
  const origins = list(rule.allowedOrigin);
  const methods = list(rule.allowedMethod).map((m) => m.toUpperCase());
  const expose = list(rule.exposeHeader).map((h) => h.toLowerCase());
  return (
    (origins.includes(origin) || origins.includes('*')) &&
    CORS_METHODS.every((m) => methods.includes(m)) &&
    list(rule.allowedHeader).includes('*') &&
    CORS_EXPOSE.every((h) => expose.includes(h.toLowerCase()))
  );
}

/** Compares the bucket's CORS and lifecycle rules with what the pack needs and returns the rules to write. */
export function planBucketSetup(
  current: { cors: CorsRule[]; lifecycle: LifecycleRule[] },
  options: BucketSetupOptions,
): BucketSetupPlan {
  const changes: string[] = [];
  const unchanged: string[] = [];

  const missing = options.corsOrigins.filter((origin) => !current.cors.some((rule) => corsCovers(rule, origin)));
  const cors = [...current.cors];
  if (missing.length > 0) {
    cors.push(desiredCorsRule(missing));
    changes.push(
      `CORS: allow direct uploads from ${missing.join(', ')} (methods ${CORS_METHODS.join(', ')}, exposing ${CORS_EXPOSE.join(', ')})`,
    );
  } else if (options.corsOrigins.length > 0) {
    unchanged.push(`CORS: ${options.corsOrigins.join(', ')} allowed`);
  }

  const owned = new Map<string, LifecycleRule>();
  owned.set(RULE_ABORT_MULTIPART, {
    id: RULE_ABORT_MULTIPART,
    prefix: options.root,
    status: 'Enabled',
    abortMultipartUpload: { days: options.abortMultipartAfterDays },
  });
  // Plans of multipart uploads nobody finished outlive their upload by a day, then go.
  owned.set(RULE_UPLOAD_PLANS, {
    id: RULE_UPLOAD_PLANS,
    prefix: `${options.root}catalog/_uploads/`,
    status: 'Enabled',
    expiration: { days: options.abortMultipartAfterDays + 1 },
  });
  if (options.logsExpireAfterDays > 0) {
    // Only the log shipper's own subtree: the platform's job logs (logs/<namespace>/…) keep the retention
    // Realtime Compute gives them, and logs/_reports/ and logs/_audit/ are kept.
    owned.set(RULE_LOGS_EXPIRY, {
      id: RULE_LOGS_EXPIRY,
      prefix: `${options.root}${SHIPPED_LOGS_PREFIX}`,
      status: 'Enabled',
      expiration: { days: options.logsExpireAfterDays },
    });
  }

  const lifecycle: LifecycleRule[] = [];
  for (const rule of current.lifecycle) {
    if (rule.id === undefined || ![RULE_ABORT_MULTIPART, RULE_UPLOAD_PLANS, RULE_LOGS_EXPIRY].includes(rule.id)) {
      lifecycle.push(rule);
      continue;
    }
    const want = owned.get(rule.id);
    if (!want) {
      changes.push(`lifecycle: remove ${rule.id} (log expiry turned off)`);
      continue;
    }
    owned.delete(rule.id);
    if (sameRule(rule, want)) {
      unchanged.push(`lifecycle: ${describeRule(want)}`);
      lifecycle.push(rule);
    } else {
      changes.push(`lifecycle: ${describeRule(want)} (was: ${describeRule(rule)})`);
      lifecycle.push(want);
    }
  }
  for (const want of owned.values()) {
    changes.push(`lifecycle: ${describeRule(want)}`);
    lifecycle.push(want);
  }
  return { cors, lifecycle, changes, unchanged };
}

function sameRule(a: LifecycleRule, b: LifecycleRule): boolean {
  return (
    a.prefix === b.prefix &&
    a.status === b.status &&
    days(a.expiration) === days(b.expiration) &&
    days(a.abortMultipartUpload) === days(b.abortMultipartUpload)
  );
}

function describeRule(rule: LifecycleRule): string {
  const where = rule.prefix === '' ? 'the whole bucket' : `"${rule.prefix}"`;
  if (rule.abortMultipartUpload)
    return `abort multipart uploads unfinished after ${days(rule.abortMultipartUpload)} days in ${where}`;
  return `expire objects after ${days(rule.expiration)} days in ${where}${rule.status === 'Disabled' ? ' (disabled)' : ''}`;
}
