import type { ApiAction, Config } from '../config';
import { isoTime } from '../iso-time';
import type { BucketLayout } from '../layout';
import type { ObjectStore } from '../storage/port';
import type { UrlSigner } from '../storage/url-signer';
import type { Caller } from './auth';

/** One issued URL, as written to the audit log: never the URL or its signature. */
export interface IssuedUrlEvent {
  tokenId: string;
  action: ApiAction;
  method: string;
  key: string;
  expiresAt: string;
  partNumber?: number;
  uploadId?: string;
}

/** One deletion a caller asked for: an artifact (with its record) or an unfinished multipart upload. */
export interface DeletionEvent {
  tokenId: string;
  key: string;
  /** The artifact's ETag and size when it existed (a lone record can be deleted too). */
  etag?: string;
  size?: number;
  uploadId?: string;
}

/** What presign-api audits, by event name: the URLs it issues and the deletions it makes. */
export type PresignAudit =
  | { event: 'url.issued'; fields: IssuedUrlEvent }
  | { event: 'artifact.deleted' | 'upload.aborted'; fields: DeletionEvent };

/** What every presign operation works with: configuration, the bucket, the URL signer, the audit log. */
export interface PresignServiceDeps {
  config: Config;
  store: ObjectStore;
  signer: UrlSigner;
  layout: BucketLayout;
  audit: (entry: PresignAudit) => void;
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
  deps.audit({
    event: 'url.issued',
    fields: { tokenId: caller.tokenId, action, method, key, expiresAt: isoTime(expiresAt), ...extra },
  });
}
