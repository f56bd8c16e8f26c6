import type { ApiToken } from './api-tokens';

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
  /** Prefixes below the root directory holding self-managed Flink state (`PRUNE_EXTRA_PREFIXES`), each ending in "/". */
  extraPrefixes: readonly string[];
  /** Price per GB-month by storage class (`PRUNE_PRICE_PER_GB_MONTH`), for the cost part of the report. */
  pricePerGbMonth: Readonly<Record<string, number>>;
  /** Longest a run works before it stops cleanly and leaves the rest to the next (`PRUNE_TIME_BUDGET`). */
  timeBudgetMs: number;
  /** Above this many deployments the run fans out one invocation per namespace (`PRUNE_FANOUT_DEPLOYMENTS`; 0 = never). */
  fanoutDeployments: number;
  /** Listing and `_metadata` reads in flight at once (`PRUNE_CONCURRENCY`). */
  concurrency: number;
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
  /** Threads that encode one large batch: the instance's vCPUs (`LOGS_INTAKE_THREADS`). */
  intakeThreads: number;
}

/** The whole validated configuration, read once at cold start. */
export interface Config {
  oss: OssConfig;
  /** Credentials from the environment; FC `context.credentials` take precedence at run time. */
  envCredentials: Credentials | undefined;
  api: { tokens: readonly ApiToken[] };
  presign: PresignConfig;
  catalog: CatalogConfig;
  prune: PruneConfig;
  logs: LogsConfig;
}

/** Limits and targets of `artifact-catalog` (`CATALOG_*`, docs/artifact-catalog.md §7). */
export interface CatalogConfig {
  /** Newest Java release classes may target (`CATALOG_MAX_JAVA`). */
  maxJava: number;
  /** Flink version of the target runtime (`CATALOG_FLINK_VERSION`), such as 1.17 or 1.20.1; unset: no check. */
  flinkVersion?: string;
  /** Largest artifact validated (`CATALOG_MAX_JAR_BYTES`). */
  maxJarBytes: number;
  /** Declared uncompressed total above which a ZIP counts as a bomb (`CATALOG_MAX_UNCOMPRESSED_BYTES`). */
  maxUncompressedBytes: number;
  /** Expansion ratio of one entry above which a ZIP counts as a bomb (`CATALOG_MAX_COMPRESSION_RATIO`). */
  maxCompressionRatio: number;
  /** Largest nested `lib/*.jar` opened in memory (`CATALOG_MAX_NESTED_JAR_BYTES`). */
  maxNestedBytes: number;
}
