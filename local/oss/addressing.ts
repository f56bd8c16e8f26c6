import { isIP } from 'node:net';
import { OssErrors } from './errors';

/** Where a request points: bucket ("" for service-level requests such as ListBuckets) and decoded key. */
export interface Target {
  bucket: string;
  key: string;
  style: 'path' | 'virtual';
}

export interface AddressingConfig {
  /** Lowercase domains under which `<bucket>.<domain>` is virtual-hosted (besides `localhost` and `oss-*.aliyuncs.com`). */
  baseDomains: readonly string[];
}

// The Host ali-oss writes for IP endpoints, and OSS's own public, internal and acceleration domains.
const ALIYUN_DOMAIN = /^oss-[a-z0-9-]+\.aliyuncs\.com$/;

/**
 * Every reading of a request's Host and path (docs/oss-protocol.md §7), most likely first. There are two only when
 * the Host names a bucket and the path starts with that same bucket: an IP endpoint with `sldEnable`
 * sends the bucket in both, which looks exactly like an IP endpoint without it and a key starting with
 * the bucket name. The signature decides between them (the canonical resources differ).
 */
export function resolveTargets(hostHeader: string | undefined, rawPath: string, config: AddressingConfig): Target[] {
  const host = stripPort(hostHeader ?? '').toLowerCase();
  const hostBucket = bucketFromHost(host, config);
  if (hostBucket === undefined) return [pathStyle(rawPath)];
  const virtual: Target = { bucket: hostBucket, key: decodePart(rawPath.replace(/^\//, '')), style: 'virtual' };
  if (hostBucket === '') return [virtual];
  const path = pathStyle(rawPath);
  return path.bucket === hostBucket ? [virtual, path] : [virtual];
}

/** The bucket named by a virtual-hosted Host, "" for a Host that starts with "." (ali-oss ListBuckets), or undefined for path style. */
export function bucketFromHost(host: string, config: AddressingConfig): string | undefined {
  if (host === '' || isIP(host) !== 0 || host.startsWith('[')) return undefined;
  const dot = host.indexOf('.');
  if (dot === -1) return undefined;
  const label = host.slice(0, dot);
  const domain = host.slice(dot + 1);
  const known = domain === 'localhost' || ALIYUN_DOMAIN.test(domain) || config.baseDomains.includes(domain);
  if (!known) return undefined;
  return label;
}

function pathStyle(rawPath: string): Target {
  const trimmed = rawPath.replace(/^\//, '');
  const slash = trimmed.indexOf('/');
  if (slash === -1) return { bucket: decodePart(trimmed), key: '', style: 'path' };
  return { bucket: decodePart(trimmed.slice(0, slash)), key: decodePart(trimmed.slice(slash + 1)), style: 'path' };
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Percent-decodes a path part ("+" stays "+" in paths); malformed escapes are OSS's 400 InvalidURI. */
function decodePart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw OssErrors.invalidUri();
  }
}
