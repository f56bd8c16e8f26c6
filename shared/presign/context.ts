import type { ApiAction, Config } from '../config';
import type { BucketLayout } from '../layout';
import type { ObjectStore } from '../storage/port';
import type { UrlSigner } from '../storage/url-signer';
import type { Caller } from './auth';

/** One issued URL, as written to the audit log: never the URL or its signature. */
export interface AuditEvent {
  tokenId: string;
  action: ApiAction;
  method: string;
  key: string;
  expiresAt: string;
  partNumber?: number;
  uploadId?: string;
}

/** What every presign operation works with: configuration, the bucket, the URL signer, the audit log. */
export interface PresignServiceDeps {
  config: Config;
  store: ObjectStore;
  signer: UrlSigner;
  layout: BucketLayout;
  audit: (event: AuditEvent) => void;
  /** True when the signing credentials are temporary (STS), which caps URL lifetimes at 12 h. */
  usingStsCredentials: () => boolean;
}

/** Writes the audit event of one issued URL. */
export function auditIssued(
  deps: PresignServiceDeps,
  caller: Caller,
  action: ApiAction,
  method: string,
  key: string,
  expiresAt: Date,
  extra: { partNumber?: number; uploadId?: string } = {},
): void {
  deps.audit({ tokenId: caller.tokenId, action, method, key, expiresAt: expiresAt.toISOString(), ...extra });
}
