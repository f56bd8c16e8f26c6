import { OssErrors } from './errors';
import { children, el, parseXml, text, type XmlElement } from './xml';

export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface CorsConfig {
  rules: CorsRule[];
  responseVary: boolean;
}

const METHODS = ['GET', 'PUT', 'DELETE', 'POST', 'HEAD'];

/** Parses a PutBucketCors body; OSS allows at most 10 rules, each with an origin and a method. */
export function parseCorsXml(body: string): CorsConfig {
  const doc = parseXml(body);
  const root = doc.CORSConfiguration;
  if (root === undefined) throw OssErrors.malformedXml();
  const rules = children(root, 'CORSRule').map((rule): CorsRule => {
    const list = (name: string) =>
      children(rule, name)
        .map((v) => (typeof v === 'string' ? v.trim() : ''))
        .filter((v) => v !== '');
    const allowedMethods = list('AllowedMethod').map((m) => m.toUpperCase());
    const allowedOrigins = list('AllowedOrigin');
    if (allowedOrigins.length === 0 || allowedMethods.length === 0) throw OssErrors.malformedXml();
    if (allowedMethods.some((m) => !METHODS.includes(m)))
      throw OssErrors.invalidArgument(
        'Unsupported method in AllowedMethod.',
        'AllowedMethod',
        allowedMethods.join(','),
      );
    for (const origin of allowedOrigins) {
      if (origin.split('*').length > 2)
        throw OssErrors.invalidArgument('AllowedOrigin can contain at most one wildcard.', 'AllowedOrigin', origin);
    }
    const maxAge = text(rule, 'MaxAgeSeconds');
    if (maxAge !== undefined && !/^\d+$/.test(maxAge.trim()))
      throw OssErrors.invalidArgument('MaxAgeSeconds must be a non-negative integer.', 'MaxAgeSeconds', maxAge);
    return {
      allowedOrigins,
      allowedMethods,
      allowedHeaders: list('AllowedHeader'),
      exposeHeaders: list('ExposeHeader'),
      ...(maxAge !== undefined ? { maxAgeSeconds: Number(maxAge.trim()) } : {}),
    };
  });
  if (rules.length === 0 || rules.length > 10) throw OssErrors.malformedXml();
  return { rules, responseVary: text(root, 'ResponseVary')?.trim() === 'true' };
}

/** The GetBucketCors document. */
export function corsXml(config: CorsConfig): XmlElement {
  return el('CORSConfiguration', [
    ...config.rules.map((r) =>
      el('CORSRule', [
        ...r.allowedOrigins.map((v) => el('AllowedOrigin', v)),
        ...r.allowedMethods.map((v) => el('AllowedMethod', v)),
        ...r.allowedHeaders.map((v) => el('AllowedHeader', v)),
        ...r.exposeHeaders.map((v) => el('ExposeHeader', v)),
        r.maxAgeSeconds !== undefined && el('MaxAgeSeconds', r.maxAgeSeconds),
      ]),
    ),
    el('ResponseVary', config.responseVary),
  ]);
}

/** Case-insensitive match with at most one `*` standing for any run of characters. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  const star = p.indexOf('*');
  if (star === -1) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

/** The first rule allowing `origin`, `method` and every requested header, as OSS evaluates rules in order. */
export function matchCorsRule(
  config: CorsConfig,
  origin: string,
  method: string,
  requestHeaders: readonly string[],
): CorsRule | undefined {
  return config.rules.find(
    (rule) =>
      rule.allowedOrigins.some((o) => wildcardMatch(o, origin)) &&
      rule.allowedMethods.includes(method.toUpperCase()) &&
      requestHeaders.every((h) => rule.allowedHeaders.some((a) => wildcardMatch(a, h))),
  );
}

/** Headers granting an actual (non-preflight) cross-origin request, or none when no rule allows it. */
export function corsResponseHeaders(
  config: CorsConfig | undefined,
  origin: string | undefined,
  method: string,
): Record<string, string> {
  if (!config || origin === undefined) return {};
  const rule = matchCorsRule(config, origin, method, []);
  if (!rule) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(rule.exposeHeaders.length > 0 ? { 'access-control-expose-headers': rule.exposeHeaders.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { 'access-control-max-age': String(rule.maxAgeSeconds) } : {}),
    ...(config.responseVary ? { vary: 'Origin' } : {}),
  };
}

/**
 * Answers an OPTIONS preflight: the headers to send with 200, or OSS's 403 AccessForbidden when CORS is
 * off for the bucket or no rule allows the origin, method and headers asked for.
 */
export function preflight(
  config: CorsConfig | undefined,
  origin: string | undefined,
  requestMethod: string | undefined,
  requestHeadersLine: string | undefined,
): Record<string, string> {
  if (origin === undefined || requestMethod === undefined) {
    throw OssErrors.corsForbidden('Insufficient information. Origin request header needed.');
  }
  if (!config) throw OssErrors.corsForbidden('CORSResponse: CORS is not enabled for this bucket.');
  const requested = (requestHeadersLine ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const rule = matchCorsRule(config, origin, requestMethod, requested);
  if (!rule) {
    throw OssErrors.corsForbidden(
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.",
    );
  }
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(requested.length > 0 ? { 'access-control-allow-headers': requested.join(', ') } : {}),
    ...(rule.exposeHeaders.length > 0 ? { 'access-control-expose-headers': rule.exposeHeaders.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { 'access-control-max-age': String(rule.maxAgeSeconds) } : {}),
    ...(config.responseVary ? { vary: 'Origin' } : {}),
  };
}
