import { describe, expect, it } from 'vitest';
import {
  desiredCorsRule,
  planBucketSetup,
  RULE_ABORT_MULTIPART,
  RULE_LOGS_EXPIRY,
  RULE_UPLOAD_PLANS,
} from '../../../local/setup/bucket-plan';

const options = {
  corsOrigins: ['https://console.example.com'],
  abortMultipartAfterDays: 7,
  logsExpireAfterDays: 30,
  root: '',
};

describe('planBucketSetup', () => {
  it('adds the CORS rule and the three lifecycle rules to an empty bucket', () => {
    const plan = planBucketSetup({ cors: [], lifecycle: [] }, options);
    expect(plan.cors).toEqual([desiredCorsRule(['https://console.example.com'])]);
    expect(plan.lifecycle.map((r) => [r.id, r.prefix])).toEqual([
      [RULE_ABORT_MULTIPART, ''],
      [RULE_UPLOAD_PLANS, 'catalog/_uploads/'],
      [RULE_LOGS_EXPIRY, 'logs/_shipped/'],
    ]);
    expect(plan.changes).toHaveLength(4);
    expect(plan.unchanged).toEqual([]);
  });

  it('changes nothing when applied to its own result (idempotent), with strings as OSS returns them', () => {
    const first = planBucketSetup({ cors: [], lifecycle: [] }, options);
    // OSS hands numbers back as strings.
    const asRead = first.lifecycle.map((r) => JSON.parse(JSON.stringify(r).replace(/"days":(\d+)/g, '"days":"$1"')));
    const second = planBucketSetup({ cors: first.cors, lifecycle: asRead }, options);
    expect(second.changes).toEqual([]);
    expect(second.unchanged).toHaveLength(4);
  });

  it("narrows an earlier expiry of the whole logs/ to the shipper's subtree, sparing the platform's job logs", () => {
    const old = { id: RULE_LOGS_EXPIRY, prefix: 'logs/', status: 'Enabled' as const, expiration: { days: 30 } };
    const plan = planBucketSetup({ cors: [], lifecycle: [old] }, options);
    expect(plan.lifecycle.find((r) => r.id === RULE_LOGS_EXPIRY)?.prefix).toBe('logs/_shipped/');
    expect(plan.lifecycle.some((r) => r.prefix === 'logs/')).toBe(false);
    expect(plan.changes).toContain(
      'lifecycle: expire objects after 30 days in "logs/_shipped/" (was: expire objects after 30 days in "logs/")',
    );
  });

  it('keeps rules it does not own and updates the ones it does', () => {
    const theirs = {
      id: 'archive-old',
      prefix: 'flink-savepoints/',
      status: 'Enabled' as const,
      expiration: { days: '365' },
    };
    const ours = {
      id: RULE_LOGS_EXPIRY,
      prefix: 'logs/_shipped/',
      status: 'Enabled' as const,
      expiration: { days: '90' },
    };
    const theirCors = { allowedOrigin: 'https://other.example', allowedMethod: ['GET'] };
    const plan = planBucketSetup({ cors: [theirCors], lifecycle: [theirs, ours] }, options);
    expect(plan.lifecycle).toContainEqual(theirs);
    expect(plan.lifecycle.find((r) => r.id === RULE_LOGS_EXPIRY)?.expiration).toEqual({ days: 30 });
    expect(plan.changes).toContain(
      'lifecycle: expire objects after 30 days in "logs/_shipped/" (was: expire objects after 90 days in "logs/_shipped/")',
    );
    expect(plan.cors[0]).toEqual(theirCors);
  });

  it('treats an origin as allowed only when a rule also exposes ETag and allows every upload method', () => {
    const partial = {
      allowedOrigin: ['https://console.example.com'],
      allowedMethod: ['GET', 'PUT'],
      allowedHeader: ['*'],
    };
    const plan = planBucketSetup({ cors: [partial], lifecycle: [] }, options);
    expect(plan.cors).toHaveLength(2);
  });

  it('removes its log rule when expiry is turned off, and puts everything under the root directory', () => {
    const withRule = planBucketSetup({ cors: [], lifecycle: [] }, { ...options, root: 'ws/' });
    expect(withRule.lifecycle.map((r) => r.prefix)).toEqual(['ws/', 'ws/catalog/_uploads/', 'ws/logs/_shipped/']);
    const off = planBucketSetup(
      { cors: withRule.cors, lifecycle: withRule.lifecycle },
      { ...options, root: 'ws/', logsExpireAfterDays: 0 },
    );
    expect(off.lifecycle.map((r) => r.id)).not.toContain(RULE_LOGS_EXPIRY);
    expect(off.changes).toEqual([`lifecycle: remove ${RULE_LOGS_EXPIRY} (log expiry turned off)`]);
  });
});
