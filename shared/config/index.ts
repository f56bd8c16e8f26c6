import { PackError } from '../errors';
import { normalizeRootDirectory } from '../layout/bucket-layout';
import { bucketNameProblem } from '../layout/names';
import { type ApiToken, parseApiTokens } from './api-tokens';
import { type ConfigProblem, type Env, EnvReader } from './env-reader';
import {
  ParseProblem,
  parseBoolean,
  parseByteSize,
  parseChoice,
  parseDuration,
  parseInteger,
  parseList,
} from './parse';

export type { ApiAction, ApiToken } from './api-tokens';
export { API_ACTIONS } from './api-tokens';
export type { ConfigProblem, Env } from './env-reader';
export { formatByteSize, formatDuration, parseBoolean, parseByteSize, parseDuration } from './parse';

/** Access key pair, optionally temporary (STS). Never log it: use `redactCredentials`. */
export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** `scheme://host[:port]` of an endpoint, parsed once at cold start. */
export interface Endpoint {
  protocol: 'http:' | 'https:';
  /** Host name with port when one was given. */
  host: string;
}

export interface OssConfig {
  bucket: string;
  /** Bare region id, `cn-hangzhou` (an `oss-` prefix in the variable is removed). */
  region: string;
  /** Explicit endpoint for the functions' own traffic (`OSS_ENDPOINT`); derived from region when unset. */
  endpoint: Endpoint | undefined;
  /** Use the VPC-internal endpoint for the functions' own traffic (`OSS_INTERNAL`). */
  internal: boolean;
  /** Host put into presigned URLs (`OSS_PUBLIC_ENDPOINT`); a custom domain is used as a CNAME. */
  publicEndpoint: Endpoint | undefined;
  /** Presign against `oss-accelerate.aliyuncs.com` (`OSS_ACCELERATE`). */
  accelerate: boolean;
  /** https in URLs handed out and derived endpoints (`OSS_SECURE`). */
  secure: boolean;
  /** Bucket in the path instead of the host name (`OSS_PATH_STYLE`); for local servers and gateways only. */
  pathStyle: boolean;
  /** "" or a prefix ending in "/" under which the whole layout lives (`OSS_ROOT_DIRECTORY`). */
  rootDirectory: string;
  /** Server-side encryption applied to uploads (`OSS_ENCRYPT`, `OSS_KMS_KEY_ID`). */
  encryption: { algorithm: 'AES256' | 'KMS'; kmsKeyId?: string } | undefined;
  /** Multipart part size in bytes (`OSS_CHUNK_SIZE`). */
  chunkSize: number;
  signatureVersion: 'v1' | 'v4';
}

export interface PruneConfig {
  dryRun: boolean;
  keepCheckpoints: number;
  inactiveAfterMs: number;
  incompleteGraceMs: number;
  sharedMinAgeMs: number;
  savepointsMaxCount: number;
  savepointsMaxAgeMs: number;
}

export interface PresignConfig {
  /** Lifetime of an issued URL when the caller asks for none (`PRESIGN_EXPIRES`). */
  defaultExpiresSeconds: number;
  /** Longest lifetime a caller may ask for (`PRESIGN_MAX_EXPIRES`). */
  maxExpiresSeconds: number;
  /** Largest upload the API signs (`MAX_UPLOAD_BYTES`). */
  maxUploadBytes: number;
  /** Lowercase file extensions uploads may have, with the dot (`UPLOAD_EXTENSIONS`). */
  allowedExtensions: readonly string[];
  /** Origins allowed to call the API from a browser (`API_CORS_ORIGINS`); the API's own page needs none. */
  corsOrigins: readonly string[];
}

/** The log intake and its compaction (`LOGS_*`), and the pack's audit trail (`AUDIT_TRAIL`). */
export interface LogsConfig {
  /** Largest batch, as received and decoded (`LOGS_MAX_BATCH_BYTES`). */
  maxBatchBytes: number;
  /** Size merged objects grow to (`LOGS_COMPACT_TARGET`). */
  compactTargetBytes: number;
  /** How long after its hour ends a partition is compacted (`LOGS_COMPACT_SETTLE`). */
  compactSettleMs: number;
  /** How far back compaction looks (`LOGS_COMPACT_LOOKBACK`). */
  compactLookbackMs: number;
  /** Functions write their audit events under `logs/_audit/` (`AUDIT_TRAIL`). */
  auditTrail: boolean;
}

/** The whole validated configuration, read once at cold start. */
export interface Config {
  oss: OssConfig;
  /** Credentials from the environment; FC `context.credentials` take precedence at run time. */
  envCredentials: Credentials | undefined;
  api: { tokens: readonly ApiToken[] };
  presign: PresignConfig;
  catalog: { maxJava: number };
  prune: PruneConfig;
  logs: LogsConfig;
}

/** Thrown once at cold start when any variable is bad; `problems` lists every one. */
export class ConfigError extends PackError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n` +
        problems.map((p) => `  - ${p.variable} ${p.reason}`).join('\n'),
    );
  }
}

export const MIN_PART_SIZE = 100 * 1024;
/** V4 presigned URLs cannot live longer than 7 days (docs/oss-protocol.md §2.3). */
export const MAX_URL_SECONDS = 604_800;
/** OSS multipart: at most 10,000 parts of at most 5 GiB. */
export const MAX_OBJECT_BYTES = 10_000 * 5 * 1024 ** 3;
export const DEFAULT_EXTENSIONS = ['.jar', '.py', '.zip', '.whl', '.egg', '.tar.gz', '.tgz'] as const;
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const DEFAULT_CHUNK_SIZE = 10 * 1024 ** 2;

/**
 * Reads and validates every variable of the pack. Throws one `ConfigError` listing all bad variables;
 * the returned object is deeply frozen.
 */
export function loadConfig(env: Env = process.env): Config {
  const r = new EnvReader(env);

  const bucket = r.required('OSS_BUCKET', parseBucket, 'the name of the workspace bucket');
  const region = r.required('OSS_REGION', parseRegion, 'the bucket region, such as cn-hangzhou');
  const secure = r.optional('OSS_SECURE', parseBoolean, true);
  const endpoint = r.optional<Endpoint | undefined>('OSS_ENDPOINT', (v) => parseEndpoint(v, secure), undefined);
  // FC sets FC_REGION; inside the bucket's region the internal endpoint is free and faster.
  const sameRegion = region !== undefined && r.raw('FC_REGION') === region;
  const internal = r.optional('OSS_INTERNAL', parseBoolean, sameRegion && endpoint === undefined);
  const publicEndpoint = r.optional<Endpoint | undefined>(
    'OSS_PUBLIC_ENDPOINT',
    (v) => parseEndpoint(v, secure),
    undefined,
  );
  const accelerate = r.optional('OSS_ACCELERATE', parseBoolean, false);
  const pathStyle = r.optional('OSS_PATH_STYLE', parseBoolean, false);
  const rootDirectory = r.optional('OSS_ROOT_DIRECTORY', normalizeRootDirectory, '');
  const algorithm = r.optional<'AES256' | 'KMS' | undefined>(
    'OSS_ENCRYPT',
    (v) => parseChoice(v, ['AES256', 'KMS'] as const),
    undefined,
  );
  const kmsKeyId = r.raw('OSS_KMS_KEY_ID');
  if (kmsKeyId !== undefined && algorithm !== 'KMS') r.problem('OSS_KMS_KEY_ID', 'is set but OSS_ENCRYPT is not KMS');
  const chunkSize = r.optional(
    'OSS_CHUNK_SIZE',
    (v) => parseByteSize(v, { min: MIN_PART_SIZE, max: MAX_PART_SIZE }),
    DEFAULT_CHUNK_SIZE,
  );
  const signatureVersion = r.optional('OSS_SIGNATURE_VERSION', (v) => parseChoice(v, ['v4', 'v1'] as const), 'v4');

  const envCredentials = readCredentials(r);
  const tokens = r.optional('API_TOKENS', parseApiTokens, []);

  const presign = readPresign(r);

  const maxJava = r.optional('CATALOG_MAX_JAVA', (v) => parseInteger(v, { min: 8, max: 30 }), 11);
  const day = 86_400_000;
  const prune: PruneConfig = {
    dryRun: r.optional('PRUNE_DRY_RUN', parseBoolean, true),
    keepCheckpoints: r.optional('PRUNE_KEEP_CHECKPOINTS', (v) => parseInteger(v, { min: 1, max: 1000 }), 3),
    inactiveAfterMs: r.optional('PRUNE_INACTIVE_AFTER', (v) => parseDuration(v, { min: 3_600_000 }), 7 * day),
    incompleteGraceMs: r.optional('PRUNE_INCOMPLETE_GRACE', (v) => parseDuration(v, { min: 60_000 }), 3_600_000),
    sharedMinAgeMs: r.optional('PRUNE_SHARED_MIN_AGE', (v) => parseDuration(v, { min: 3_600_000 }), day),
    savepointsMaxCount: r.optional('PRUNE_SAVEPOINTS_MAX_COUNT', (v) => parseInteger(v, { min: 1, max: 10_000 }), 10),
    savepointsMaxAgeMs: r.optional('PRUNE_SAVEPOINTS_MAX_AGE', (v) => parseDuration(v, { min: 3_600_000 }), 30 * day),
  };

  const logs = readLogs(r);

  if (r.problems.length > 0 || bucket === undefined || region === undefined) throw new ConfigError(r.problems);

  return deepFreeze({
    oss: {
      bucket,
      region,
      endpoint,
      internal,
      publicEndpoint,
      accelerate,
      secure,
      pathStyle,
      rootDirectory,
      encryption:
        algorithm === undefined ? undefined : kmsKeyId === undefined ? { algorithm } : { algorithm, kmsKeyId },
      chunkSize,
      signatureVersion,
    },
    envCredentials,
    api: { tokens },
    presign,
    catalog: { maxJava },
    prune,
    logs,
  });
}

/** FC refuses request bodies over 32 MB (docs/fc-runtime.md §7). */
export const MAX_LOG_BATCH_BYTES = 32 * 1024 ** 2;

function readLogs(r: EnvReader): LogsConfig {
  const mib = 1024 ** 2;
  return {
    maxBatchBytes: r.optional(
      'LOGS_MAX_BATCH_BYTES',
      (v) => parseByteSize(v, { min: 1024, max: MAX_LOG_BATCH_BYTES }),
      16 * mib,
    ),
    compactTargetBytes: r.optional(
      'LOGS_COMPACT_TARGET',
      (v) => parseByteSize(v, { min: mib, max: 1024 * mib }),
      64 * mib,
    ),
    compactSettleMs: r.optional('LOGS_COMPACT_SETTLE', (v) => parseDuration(v, { min: 0, max: 86_400_000 }), 900_000),
    compactLookbackMs: r.optional(
      'LOGS_COMPACT_LOOKBACK',
      (v) => parseDuration(v, { min: 3_600_000, max: 90 * 86_400_000 }),
      3 * 86_400_000,
    ),
    auditTrail: r.optional('AUDIT_TRAIL', parseBoolean, true),
  };
}

function readPresign(r: EnvReader): PresignConfig {
  const seconds = (min: number) => (v: string) =>
    Math.round(parseDuration(v, { min: min * 1000, max: MAX_URL_SECONDS * 1000 }) / 1000);
  const maxExpiresSeconds = r.optional('PRESIGN_MAX_EXPIRES', seconds(60), 3600);
  const defaultExpiresSeconds = r.optional('PRESIGN_EXPIRES', seconds(1), Math.min(900, maxExpiresSeconds));
  if (defaultExpiresSeconds > maxExpiresSeconds)
    r.problem('PRESIGN_EXPIRES', `is longer than PRESIGN_MAX_EXPIRES (${maxExpiresSeconds}s)`);
  return {
    defaultExpiresSeconds,
    maxExpiresSeconds,
    maxUploadBytes: r.optional(
      'MAX_UPLOAD_BYTES',
      (v) => parseByteSize(v, { min: 1, max: MAX_OBJECT_BYTES }),
      5 * 1024 ** 3,
    ),
    allowedExtensions: r.optional('UPLOAD_EXTENSIONS', parseExtensions, [...DEFAULT_EXTENSIONS]),
    corsOrigins: r.optional('API_CORS_ORIGINS', parseOrigins, []),
  };
}

function parseExtensions(raw: string): string[] {
  const list = parseList(raw).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase());
  const bad = list.filter((e) => !/^(\.[a-z0-9_-]+)+$/.test(e));
  if (bad.length > 0)
    throw new ParseProblem(
      `has invalid extension(s) ${bad.join(', ')}; use a comma-separated list such as .jar,.py,.zip`,
    );
  if (list.length === 0) throw new ParseProblem('lists no extension');
  return [...new Set(list)];
}

function parseOrigins(raw: string): string[] {
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

/** ALIBABA_CLOUD_* (FC injects these from the function's role) first, then OSS_ACCESS_KEY_*. */
function readCredentials(r: EnvReader): Credentials | undefined {
  for (const [idVar, secretVar, tokenVar] of [
    ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN'],
    ['OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET', 'OSS_SECURITY_TOKEN'],
  ] as const) {
    const accessKeyId = r.raw(idVar);
    const accessKeySecret = r.raw(secretVar);
    if (accessKeyId === undefined && accessKeySecret === undefined) continue;
    if (accessKeyId === undefined || accessKeySecret === undefined) {
      r.problem(
        accessKeyId === undefined ? idVar : secretVar,
        `is required when ${accessKeyId === undefined ? secretVar : idVar} is set`,
      );
      return undefined;
    }
    const securityToken = r.raw(tokenVar);
    return securityToken === undefined
      ? { accessKeyId, accessKeySecret }
      : { accessKeyId, accessKeySecret, securityToken };
  }
  return undefined;
}

function parseBucket(raw: string): string {
  const problem = bucketNameProblem(raw);
  if (problem) throw new ParseProblem(`"${raw}" ${problem}`);
  return raw;
}

function parseRegion(raw: string): string {
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

/** Credentials safe to log: the key id's first characters only, secrets replaced. */
export function redactCredentials(c: Credentials): Record<string, string> {
  return {
    accessKeyId: `${c.accessKeyId.slice(0, 4)}…`,
    accessKeySecret: '[redacted]',
    ...(c.securityToken ? { securityToken: '[redacted]' } : {}),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
