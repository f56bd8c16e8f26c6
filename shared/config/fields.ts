import { bucketNameProblem } from '../layout/names';
import { ParseProblem, parseList } from './parse';
import type { Endpoint } from './types';

/** Lowercase extensions with their dot, deduplicated: `.jar,py` → `['.jar', '.py']`. */
export function parseExtensions(raw: string): string[] {
  const list = parseList(raw).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase());
  const bad = list.filter((e) => !/^(\.[a-z0-9_-]+)+$/.test(e));
  if (bad.length > 0)
    throw new ParseProblem(
      `has invalid extension(s) ${bad.join(', ')}; use a comma-separated list such as .jar,.py,.zip`,
    );
  if (list.length === 0) throw new ParseProblem('lists no extension');
  return [...new Set(list)];
}

/** Origins such as `https://console.example.com`, or `*`. */
export function parseOrigins(raw: string): string[] {
  const list = parseList(raw);
  for (const origin of list) {
    if (origin === '*') continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ParseProblem(`has "${origin}", which is not an origin such as https://console.example.com`);
    }
    if (url.origin !== origin)
      throw new ParseProblem(`has "${origin}"; an origin is scheme://host[:port] with no path (${url.origin})`);
  }
  return list;
}

/** A valid OSS bucket name. */
export function parseBucket(raw: string): string {
  const problem = bucketNameProblem(raw);
  if (problem) throw new ParseProblem(`"${raw}" ${problem}`);
  return raw;
}

/** A region id, `cn-hangzhou`; an `oss-` prefix is removed. */
export function parseRegion(raw: string): string {
  const region = raw.toLowerCase().replace(/^oss-/, '');
  if (!/^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(region)) {
    throw new ParseProblem(`"${raw}" is not a region id such as cn-hangzhou or oss-cn-hangzhou`);
  }
  return region;
}

/** `https://host[:port]`, `http://host`, or a bare host (scheme from `OSS_SECURE`). No path, query or credentials. */
export function parseEndpoint(raw: string, secure: boolean): Endpoint {
  const text = /^[a-z]+:\/\//i.test(raw) ? raw : `${secure ? 'https' : 'http'}://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ParseProblem(`"${raw}" is not a host name or http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ParseProblem(`"${raw}" must use http or https`);
  if (url.username || url.password) throw new ParseProblem('must not contain credentials');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new ParseProblem(`"${raw}" must be only a scheme and host, without a path or query`);
  }
  return { protocol: url.protocol, host: url.host };
}
