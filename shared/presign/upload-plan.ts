import type { BucketLayout } from '../layout';
import type { ObjectStore } from '../storage/port';

/**
 * What the API promised when it started a multipart upload. Kept in the bucket (not in the function's
 * memory, which does not survive between instances) so parts, resume, completion and abort can be
 * checked against it; deleted when the upload ends.
 */
export interface UploadPlan {
  schemaVersion: 1;
  uploadId: string;
  key: string;
  namespace: string;
  name: string;
  size: number;
  partSize: number;
  partCount: number;
  contentType: string;
  overwrite: boolean;
  tokenId: string;
  createdAt: string;
}

/** Stores and loads upload plans under `catalog/_uploads/`. */
export class UploadPlans {
  constructor(
    private readonly store: ObjectStore,
    private readonly layout: BucketLayout,
  ) {}

  async save(plan: UploadPlan): Promise<void> {
    await this.store.put(this.layout.uploadPlanKey(plan.uploadId), JSON.stringify(plan), {
      contentType: 'application/json',
    });
  }

  /** The plan, or `undefined` when there is none (unknown, completed or aborted upload). */
  async load(uploadId: string): Promise<UploadPlan | undefined> {
    const body = await this.store.getBuffer(this.layout.uploadPlanKey(uploadId));
    if (!body) return undefined;
    try {
      const plan = JSON.parse(body.toString('utf8')) as UploadPlan;
      return plan.schemaVersion === 1 && plan.uploadId === uploadId ? plan : undefined;
    } catch {
      return undefined;
    }
  }

  async remove(uploadId: string): Promise<void> {
    await this.store.delete(this.layout.uploadPlanKey(uploadId));
  }
}
