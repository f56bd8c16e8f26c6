export type { QueryPairs } from './encode';
export { encodePath, encodeRfc3986, formatQuery, parseQuery, parseV4Timestamp, v4Timestamp } from './encode';
export type { PolicyCondition, PostPolicy, PostPolicyRequest } from './post-policy';
export { signPostPolicy } from './post-policy';
export type { PresignRequest } from './presign';
export { presignQuery, presignQueryString } from './presign';
export type { V1Request } from './v1';
export { V1_SUBRESOURCES, v1CanonicalizedResource, v1Signature, v1StringToSign } from './v1';
export type { V4Request } from './v4';
export {
  UNSIGNED_PAYLOAD,
  V4_ALGORITHM,
  v4CanonicalQuery,
  v4CanonicalRequest,
  v4Scope,
  v4Signature,
  v4SigningKey,
  v4StringToSign,
} from './v4';
