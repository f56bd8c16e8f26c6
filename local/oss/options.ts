import { PackError } from '../../shared/errors';
import { bucketNameProblem } from '../../shared/layout';
import { type Fault, faultProblem } from './faults';

/** Options of `startOssServer`. */
export interface OssServerOptions {
  /** 0 picks a free port (tests). Default 9100. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** On-disk storage root; undefined keeps everything in memory. */
  dataDir?: string;
  /** Region the server signs for and reports, `cn-hangzhou` or `oss-cn-hangzhou`. Default `cn-hangzhou`. */
  region?: string;
  /** Account id used as owner and in event ARNs. Default a fixed 16-digit id. */
  accountId?: string;
  /** Access key pairs the server accepts (STS keys minted from them are accepted too). */
  accessKeys: Array<{ accessKeyId: string; accessKeySecret: string }>;
  /** Buckets created at start when missing. */
  buckets?: string[];
  /** Extra virtual-host base domains: `<bucket>.<domain>` addresses a bucket. */
  baseDomains?: string[];
  /** Receives one line per request and notable events. */
  log?: (line: string) => void;
  /** How long a RestoreObject takes to finish locally. Default 1000 ms (OSS: a minute to hours). */
  restoreDelayMs?: number;
  /** How long one of RestoreObject's `Days` lasts locally. Default a real day; tests shorten it. */
  restoreDayMs?: number;
  /** Faults set at start, by operation name or `*` (docs/local-oss-server.md "Fault injection"). */
  faults?: Record<string, Fault>;
  /**
   * Where the server's clock (Last-Modified, creation and restore times) reads the time. Default
   * `Date.now`; `clockOffsetMs` is added to it and can be changed while running (`RunningOssServer.clock`).
   */
  now?: () => number;
  /** Added to the clock: negative writes objects in the past. Default 0. */
  clockOffsetMs?: number;
  /** Turns on the admin endpoint `/_local/faults`, which then needs `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  dataDir: string | undefined;
  region: string;
  accountId: string;
  accessKeys: Array<{ accessKeyId: string; accessKeySecret: string }>;
  buckets: string[];
  baseDomains: string[];
  log: ((line: string) => void) | undefined;
  restoreDelayMs: number;
  restoreDayMs: number;
  faults: Record<string, Fault>;
  adminToken: string | undefined;
  now: () => number;
  clockOffsetMs: number;
}

export const DEFAULT_PORT = 9100;
export const DEFAULT_ACCOUNT_ID = '1686240967192623';

/** Validates options and fills in defaults; a bad option is a PackError naming it. */
export function resolveOptions(options: OssServerOptions): ResolvedOptions {
  const bad = (field: string, message: string) => new PackError('OSS_SERVER_OPTION_INVALID', `${field} ${message}`);
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad('port', 'must be an integer between 0 and 65535');
  const region = (options.region ?? 'cn-hangzhou').replace(/^oss-/, '');
  if (!/^[a-z0-9-]+$/.test(region)) throw bad('region', `"${region}" is not a region id such as cn-hangzhou`);
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!/^\d+$/.test(accountId)) throw bad('accountId', 'must be digits');
  for (const key of options.accessKeys) {
    if (!key.accessKeyId || !key.accessKeySecret)
      throw bad('accessKeys', 'entries need a non-empty accessKeyId and accessKeySecret');
    if (key.accessKeyId.startsWith('STS.')) throw bad('accessKeys', 'must be root keys; STS keys are minted from them');
  }
  const buckets = options.buckets ?? [];
  for (const bucket of buckets) {
    const problem = bucketNameProblem(bucket);
    if (problem) throw bad('buckets', `"${bucket}" ${problem}`);
  }
  const restoreDelayMs = options.restoreDelayMs ?? 1000;
  if (!Number.isInteger(restoreDelayMs) || restoreDelayMs < 0)
    throw bad('restoreDelayMs', 'must be a non-negative integer');
  const restoreDayMs = options.restoreDayMs ?? 86_400_000;
  if (!Number.isInteger(restoreDayMs) || restoreDayMs < 1) throw bad('restoreDayMs', 'must be a positive integer');
  for (const [op, fault] of Object.entries(options.faults ?? {})) {
    const problem = faultProblem(fault);
    if (problem) throw bad('faults', `${op}: ${problem}`);
  }
  const clockOffsetMs = options.clockOffsetMs ?? 0;
  if (!Number.isSafeInteger(clockOffsetMs)) throw bad('clockOffsetMs', 'must be a whole number of milliseconds');
  if (options.adminToken !== undefined && options.adminToken.length < 8)
    throw bad('adminToken', 'must be at least 8 characters');
  return {
    port,
    host: options.host ?? '127.0.0.1',
    dataDir: options.dataDir,
    region,
    accountId,
    accessKeys: options.accessKeys.map((k) => ({ ...k })),
    buckets,
    baseDomains: (options.baseDomains ?? []).map((d) => d.toLowerCase().replace(/^\./, '')),
    log: options.log,
    restoreDelayMs,
    restoreDayMs,
    faults: { ...options.faults },
    adminToken: options.adminToken,
    now: options.now ?? Date.now,
    clockOffsetMs,
  };
}
