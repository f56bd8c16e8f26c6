import {
  type BucketSetupOptions,
  type BucketSetupPlan,
  type CorsRule,
  type LifecycleRule,
  planBucketSetup,
} from './bucket-plan';

/** The bucket-level calls of the ali-oss client that setup uses. */
export interface BucketAdminClient {
  getBucketCORS(name: string): Promise<{ rules: CorsRule[] }>;
  putBucketCORS(name: string, rules: CorsRule[]): Promise<unknown>;
  getBucketLifecycle(name: string): Promise<{ rules: LifecycleRule[] | null }>;
  putBucketLifecycle(name: string, rules: LifecycleRule[]): Promise<unknown>;
}

/** A bucket without a CORS or lifecycle configuration answers 404 (NoSuchCORSConfiguration, NoSuchLifecycle). */
async function orEmpty<T>(read: Promise<{ rules: T[] | null }>): Promise<T[]> {
  try {
    return (await read).rules ?? [];
  } catch (error) {
    if ((error as { status?: number }).status === 404) return [];
    throw error;
  }
}

/**
 * Reads the bucket's CORS and lifecycle rules, plans the changes and, unless `dryRun`, writes only the
 * parts that change. Running it twice changes nothing the second time.
 */
export async function applyBucketSetup(
  client: BucketAdminClient,
  bucket: string,
  options: BucketSetupOptions,
  dryRun = false,
): Promise<BucketSetupPlan> {
  const [cors, lifecycle] = await Promise.all([
    orEmpty(client.getBucketCORS(bucket)),
    orEmpty(client.getBucketLifecycle(bucket)),
  ]);
  const plan = planBucketSetup({ cors, lifecycle }, options);
  if (dryRun) return plan;
  if (plan.changes.some((c) => c.startsWith('CORS'))) await client.putBucketCORS(bucket, plan.cors);
  if (plan.changes.some((c) => c.startsWith('lifecycle'))) await client.putBucketLifecycle(bucket, plan.lifecycle);
  return plan;
}
