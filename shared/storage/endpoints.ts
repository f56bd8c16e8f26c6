import type { Endpoint, OssConfig } from '../config';
import { encodePath, formatQuery, type QueryPairs } from './signing/encode';

/**
 * How a URL names the bucket: in the host (`bkt.oss-cn-hangzhou.aliyuncs.com`, OSS's default), in the
 * path (`localhost:9100/bkt/…`, for local servers and gateways), or not at all (a custom domain bound to
 * the bucket: a CNAME).
 */
export type AddressingStyle = 'virtual-hosted' | 'path' | 'cname';

export interface UrlBase {
  protocol: 'http:' | 'https:';
  /** Host without the bucket, with port when there is one. */
  host: string;
  style: AddressingStyle;
}

const ACCELERATE_HOST = 'oss-accelerate.aliyuncs.com';

/** `oss-<region>[-internal].aliyuncs.com`. */
export function regionHost(region: string, internal: boolean): string {
  return `oss-${region}${internal ? '-internal' : ''}.aliyuncs.com`;
}

// A dotted quad or a bracketed IPv6 literal. Not `net.isIP`: its IPv6 pattern takes ~15 ms to compile on
// first use, and this runs at every cold start; the config has already validated the host.
const IP_LITERAL_HOST = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\])(?::\d+)?$/;

function styleFor(endpoint: Endpoint, pathStyle: boolean): AddressingStyle {
  if (pathStyle || IP_LITERAL_HOST.test(endpoint.host)) return 'path';
  return endpoint.host.endsWith('.aliyuncs.com') ? 'virtual-hosted' : 'cname';
}

/** Where the functions' own requests go: `OSS_ENDPOINT`, else the region's (internal) endpoint. */
export function serviceEndpoint(oss: OssConfig): UrlBase {
  if (oss.endpoint) return { ...oss.endpoint, style: styleFor(oss.endpoint, oss.pathStyle) };
  return {
    protocol: oss.secure ? 'https:' : 'http:',
    host: regionHost(oss.region, oss.internal),
    style: 'virtual-hosted',
  };
}

/**
 * Where URLs handed to users point: the acceleration endpoint when asked, else `OSS_PUBLIC_ENDPOINT`
 * (an `*.aliyuncs.com` host is virtual-hosted, any other host a custom domain), else the region's public
 * endpoint. Never the internal endpoint: users are outside the VPC.
 */
export function publicUrlBase(oss: OssConfig, accelerate = oss.accelerate): UrlBase {
  const protocol = oss.secure ? 'https:' : 'http:';
  if (accelerate) return { protocol, host: ACCELERATE_HOST, style: 'virtual-hosted' };
  if (oss.publicEndpoint) return { ...oss.publicEndpoint, style: styleFor(oss.publicEndpoint, oss.pathStyle) };
  return { protocol, host: regionHost(oss.region, false), style: 'virtual-hosted' };
}

/** The URL of an object under a base, with an optional query (pairs, or a string already encoded). */
export function objectUrl(base: UrlBase, bucket: string, key: string, query: QueryPairs | string = []): string {
  const host = base.style === 'virtual-hosted' ? `${bucket}.${base.host}` : base.host;
  const path = base.style === 'path' ? `/${bucket}/${encodePath(key)}` : `/${encodePath(key)}`;
  const encoded = typeof query === 'string' ? query : formatQuery(query);
  const search = encoded.length > 0 ? `?${encoded}` : '';
  return `${base.protocol}//${host}${path}${search}`;
}

/** The URL a PostObject form is sent to: the bucket's root. */
export function bucketUrl(base: UrlBase, bucket: string): string {
  return base.style === 'virtual-hosted'
    ? `${base.protocol}//${bucket}.${base.host}/`
    : base.style === 'path'
      ? `${base.protocol}//${base.host}/${bucket}/`
      : `${base.protocol}//${base.host}/`;
}
