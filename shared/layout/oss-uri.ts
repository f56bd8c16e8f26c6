import { ValidationError } from '../errors';
import { bucketNameProblem, quote } from './names';

/** A location in OSS: `oss://<bucket>/<key>`, the form Realtime Compute and Flink configs use. */
export interface OssLocation {
  bucket: string;
  key: string;
  /** Set when the URI named the bucket with an endpoint, as in `oss://bkt.oss-cn-hangzhou.aliyuncs.com/key`. */
  endpoint?: string;
}

/** Formats `oss://bucket/key`. Keys are written as they are (not URL-encoded), as the console shows them. */
export function formatOssUri(bucket: string, key: string): string {
  return `oss://${bucket}/${key}`;
}

/**
 * Parses `oss://bucket/key` and `oss://bucket.endpoint/key`. Throws `OSS_URI_INVALID` with the reason.
 * The key is returned as written; an empty key addresses the bucket root.
 */
export function parseOssUri(uri: string): OssLocation {
  const fail = (why: string): never => {
    throw new ValidationError('OSS_URI_INVALID', 'uri', `${quote(uri)} is not an oss:// URI: ${why}`);
  };
  if (!uri.startsWith('oss://')) fail('it must start with "oss://"');
  const rest = uri.slice('oss://'.length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (authority === '') fail('the bucket is missing');
  const dot = authority.indexOf('.');
  const bucket = dot === -1 ? authority : authority.slice(0, dot);
  const endpoint = dot === -1 ? undefined : authority.slice(dot + 1);
  const problem = bucketNameProblem(bucket);
  if (problem) fail(`bucket ${quote(bucket)} ${problem}`);
  if (endpoint !== undefined && !/^[a-z0-9.-]+(?::\d+)?$/i.test(endpoint))
    fail(`endpoint ${quote(endpoint)} is not a host name`);
  return endpoint === undefined ? { bucket, key } : { bucket, key, endpoint };
}
