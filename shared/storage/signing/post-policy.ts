import { createHmac } from 'node:crypto';
import type { Credentials } from '../../config';
import { isoTime } from '../../iso-time';
import { v4Timestamp } from './encode';
import { V4_ALGORITHM, v4Scope, v4SigningKey } from './v4';

/** A PostObject policy condition (docs/oss-protocol.md §3). */
export type PolicyCondition =
  | Record<string, string>
  | ['eq' | 'starts-with', string, string]
  | ['content-length-range', number, number]
  | ['in' | 'not-in', string, string[]];

export interface PostPolicyRequest {
  bucket: string;
  key: string;
  credentials: Credentials;
  region: string;
  version: 'v1' | 'v4';
  now: Date;
  expiresSeconds: number;
  /** Inclusive byte bounds the upload must fall in. */
  contentLength: { min: number; max: number };
  /** Further form fields the browser must send unchanged (Content-Type, x-oss-forbid-overwrite…); each is pinned by an `eq` condition. */
  fields?: Readonly<Record<string, string>>;
}

/** The form fields of a signed PostObject, `file` excluded (it must come last). */
export interface PostPolicy {
  fields: Record<string, string>;
  expiresAt: Date;
}

/**
 * Builds and signs a PostObject policy that pins the bucket, the exact key, a content-length range and
 * every given field. V1 signs with HMAC-SHA1 of the base64 policy; V4 with the day's signing key.
 */
export function signPostPolicy(req: PostPolicyRequest): PostPolicy {
  const expiresAt = new Date(req.now.getTime() + req.expiresSeconds * 1000);
  const extra = req.fields ?? {};
  const conditions: PolicyCondition[] = [
    { bucket: req.bucket },
    ['eq', '$key', req.key],
    ['content-length-range', req.contentLength.min, req.contentLength.max],
    ...Object.entries(extra).map(([name, value]): PolicyCondition => ['eq', `$${name}`, value]),
  ];
  const fields: Record<string, string> = { key: req.key, ...extra };
  const token = req.credentials.securityToken;
  if (req.version === 'v4') {
    const timestamp = v4Timestamp(req.now);
    const credential = `${req.credentials.accessKeyId}/${v4Scope(timestamp.slice(0, 8), req.region)}`;
    conditions.push(
      { 'x-oss-signature-version': V4_ALGORITHM },
      { 'x-oss-credential': credential },
      { 'x-oss-date': timestamp },
    );
    if (token) conditions.push({ 'x-oss-security-token': token });
    const policy = encodePolicy(expiresAt, conditions);
    const key = v4SigningKey(req.credentials.accessKeySecret, timestamp.slice(0, 8), req.region);
    Object.assign(fields, {
      policy,
      'x-oss-signature-version': V4_ALGORITHM,
      'x-oss-credential': credential,
      'x-oss-date': timestamp,
      'x-oss-signature': createHmac('sha256', key).update(policy).digest('hex'),
    });
  } else {
    if (token) conditions.push({ 'x-oss-security-token': token });
    const policy = encodePolicy(expiresAt, conditions);
    Object.assign(fields, {
      OSSAccessKeyId: req.credentials.accessKeyId,
      policy,
      Signature: createHmac('sha1', req.credentials.accessKeySecret).update(policy).digest('base64'),
    });
  }
  if (token) fields['x-oss-security-token'] = token;
  return { fields, expiresAt };
}

function encodePolicy(expiration: Date, conditions: PolicyCondition[]): string {
  return Buffer.from(JSON.stringify({ expiration: isoTime(expiration), conditions }), 'utf8').toString('base64');
}
