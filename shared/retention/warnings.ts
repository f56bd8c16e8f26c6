/**
 * Bucket settings that undo or endanger what the pruner does (docs/state-pruner.md §6.2): versioning
 * (a delete then only adds a delete marker and reclaims nothing) and lifecycle rules that expire or
 * archive objects under the checkpoint and savepoint prefixes by age alone (which deletes `shared/`
 * files that retained checkpoints still need, or makes `_metadata` unreadable).
 */

/** A lifecycle rule, in the loose shape OSS clients return (numbers may come back as strings). */
export interface LifecycleRuleView {
  id?: string;
  prefix?: string;
  status?: string;
  expiration?: { days?: string | number; createdBeforeDate?: string; expiredObjectDeleteMarker?: unknown } | undefined;
  transition?: unknown;
  [other: string]: unknown;
}

export interface BucketWarning {
  code:
    | 'BUCKET_VERSIONING_ENABLED'
    | 'BUCKET_VERSIONING_SUSPENDED'
    | 'LIFECYCLE_EXPIRES_STATE'
    | 'LIFECYCLE_ARCHIVES_STATE';
  message: string;
  ruleId?: string;
}

/** Warnings for a bucket's versioning status and lifecycle rules, given the prefixes the pruner owns. */
export function bucketWarnings(
  versioning: string | undefined,
  rules: readonly LifecycleRuleView[],
  prefixes: readonly string[],
): BucketWarning[] {
  const out: BucketWarning[] = [];
  if (versioning === 'Enabled')
    out.push({
      code: 'BUCKET_VERSIONING_ENABLED',
      message:
        'bucket versioning is on: deleted checkpoints stay as noncurrent versions and still cost storage until a ' +
        'lifecycle rule expires noncurrent versions',
    });
  else if (versioning === 'Suspended')
    out.push({
      code: 'BUCKET_VERSIONING_SUSPENDED',
      message: 'bucket versioning is suspended: noncurrent versions written while it was on still cost storage',
    });
  for (const rule of rules) {
    if (rule.status !== undefined && rule.status !== 'Enabled') continue;
    const rulePrefix = rule.prefix ?? '';
    const hit = prefixes.find((p) => p.startsWith(rulePrefix) || rulePrefix.startsWith(p));
    if (hit === undefined) continue;
    const where = rulePrefix === '' ? 'the whole bucket' : `"${rulePrefix}"`;
    if (expiresByAge(rule))
      out.push({
        code: 'LIFECYCLE_EXPIRES_STATE',
        ruleId: rule.id ?? '',
        message:
          `lifecycle rule ${rule.id ?? '(no id)'} expires objects in ${where} by age alone, which covers ${hit}: ` +
          'it deletes shared/ files that retained incremental checkpoints still use. Remove it and let the pruner prune.',
      });
    if (hasTransition(rule))
      out.push({
        code: 'LIFECYCLE_ARCHIVES_STATE',
        ruleId: rule.id ?? '',
        message:
          `lifecycle rule ${rule.id ?? '(no id)'} moves objects in ${where} to another storage class by age, which covers ` +
          `${hit}: Archive objects cannot be read without a restore, so Flink cannot restore from them and the pruner stops.`,
      });
  }
  return out;
}

/** True for a rule that deletes current objects by age or date (not only delete markers or uploads). */
export function expiresByAge(rule: LifecycleRuleView): boolean {
  const e = rule.expiration;
  if (!e) return false;
  return (e.days !== undefined && e.days !== '' && Number(e.days) >= 0) || Boolean(e.createdBeforeDate);
}

function hasTransition(rule: LifecycleRuleView): boolean {
  const t = rule.transition;
  return Array.isArray(t) ? t.length > 0 : t !== undefined && t !== null;
}
