import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planBucketSetup } from '../../../local/setup/bucket-plan';
import { ownedPrefixes } from '../../../shared/retention/discovery';
import { bucketWarnings } from '../../../shared/retention/warnings';

describe('npm run setup-bucket and Flink state', () => {
  it('never plans a lifecycle rule that expires or archives checkpoints or savepoints by age', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'ws/', 'team/a/'),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 400 }),
        (root, abortDays, logsDays) => {
          const plan = planBucketSetup(
            { cors: [], lifecycle: [] },
            { corsOrigins: [], abortMultipartAfterDays: abortDays, logsExpireAfterDays: logsDays, root },
          );
          expect(plan.lifecycle.length).toBeGreaterThan(0);
          expect(bucketWarnings(undefined, plan.lifecycle, ownedPrefixes(root, ['flink/']))).toEqual([]);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('the check itself flags an age-only rule on the whole bucket or on flink-jobs/', () => {
    const flagged = bucketWarnings(
      'Enabled',
      [
        { id: 'all', prefix: '', status: 'Enabled', expiration: { days: '30' } },
        { id: 'jobs', prefix: 'flink-jobs/namespaces/', status: 'Enabled', expiration: { days: 7 } },
        { id: 'off', prefix: '', status: 'Disabled', expiration: { days: 1 } },
        { id: 'logs', prefix: 'logs/', status: 'Enabled', expiration: { days: 1 } },
        { id: 'mpu', prefix: '', status: 'Enabled', abortMultipartUpload: { days: 7 } },
        {
          id: 'cold',
          prefix: 'flink-savepoints/',
          status: 'Enabled',
          transition: [{ days: 30, storageClass: 'Archive' }],
        },
      ],
      ownedPrefixes(''),
    );
    expect(flagged.map((w) => [w.code, w.ruleId ?? null])).toEqual([
      ['BUCKET_VERSIONING_ENABLED', null],
      ['LIFECYCLE_EXPIRES_STATE', 'all'],
      ['LIFECYCLE_EXPIRES_STATE', 'jobs'],
      ['LIFECYCLE_ARCHIVES_STATE', 'cold'],
    ]);
  });
});
