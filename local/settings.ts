import { resolve } from 'node:path';
import { type ApiToken, ConfigError, type ConfigProblem } from '../shared/config';
import { parseApiTokens } from '../shared/config/api-tokens';
import { bucketNameProblem } from '../shared/layout';

/** The local stack's settings (README, "Local stack"), each overridable by the variable named. */
export interface LocalSettings {
  ossPort: number;
  apiPort: number;
  logsPort: number;
  /** Absolute data directory. */
  dataDir: string;
  bucket: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** API token with every action on every namespace. */
  apiToken: string;
  /** Tokens from `LOCAL_API_TOKENS` (API_TOKENS' format, digests only), accepted beside `apiToken`. */
  extraApiTokens: readonly ApiToken[];
  region: string;
}

/** Id of the development token; `LOCAL_API_TOKENS` may not reuse it. */
export const LOCAL_DEV_TOKEN_ID = 'local-dev';

export const LOCAL_DEFAULTS = {
  LOCAL_OSS_PORT: '9100',
  LOCAL_API_PORT: '9000',
  LOCAL_LOGS_PORT: '9001',
  LOCAL_DATA_DIR: '.local',
  LOCAL_BUCKET: 'flink-workspace',
  LOCAL_OSS_ACCESS_KEY_ID: 'local-access-key',
  LOCAL_OSS_ACCESS_KEY_SECRET: 'local-secret-key',
  LOCAL_API_TOKEN: 'local-dev-token',
  LOCAL_REGION: 'cn-hangzhou',
} as const;

/** Reads the LOCAL_* variables; throws one `ConfigError` naming every bad one. */
export function readLocalSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd = process.cwd(),
): LocalSettings {
  const problems: ConfigProblem[] = [];
  const get = (name: keyof typeof LOCAL_DEFAULTS) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? LOCAL_DEFAULTS[name] : value;
  };
  const port = (name: 'LOCAL_OSS_PORT' | 'LOCAL_API_PORT' | 'LOCAL_LOGS_PORT') => {
    const raw = get(name);
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > 65535)
      problems.push({ variable: name, reason: `must be a port number from 1 to 65535, got "${raw}"` });
    return n;
  };
  const settings: LocalSettings = {
    ossPort: port('LOCAL_OSS_PORT'),
    apiPort: port('LOCAL_API_PORT'),
    logsPort: port('LOCAL_LOGS_PORT'),
    dataDir: resolve(cwd, get('LOCAL_DATA_DIR')),
    bucket: get('LOCAL_BUCKET'),
    accessKeyId: get('LOCAL_OSS_ACCESS_KEY_ID'),
    accessKeySecret: get('LOCAL_OSS_ACCESS_KEY_SECRET'),
    apiToken: get('LOCAL_API_TOKEN'),
    extraApiTokens: extraApiTokens(env.LOCAL_API_TOKENS, problems),
    region: get('LOCAL_REGION').replace(/^oss-/, ''),
  };
  const bucketProblem = bucketNameProblem(settings.bucket);
  if (bucketProblem) problems.push({ variable: 'LOCAL_BUCKET', reason: `"${settings.bucket}" ${bucketProblem}` });
  const ports = [
    ['LOCAL_OSS_PORT', settings.ossPort],
    ['LOCAL_API_PORT', settings.apiPort],
    ['LOCAL_LOGS_PORT', settings.logsPort],
  ] as const;
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i]![1] === ports[j]![1])
        problems.push({ variable: ports[j]![0], reason: `is the same port as ${ports[i]![0]} (${ports[i]![1]})` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/** Parses `LOCAL_API_TOKENS` (empty when unset), adding a problem naming the variable when it is bad. */
function extraApiTokens(raw: string | undefined, problems: ConfigProblem[]): ApiToken[] {
  if (raw === undefined || raw.trim() === '') return [];
  try {
    const tokens = parseApiTokens(raw);
    if (tokens.some((t) => t.id === LOCAL_DEV_TOKEN_ID))
      problems.push({ variable: 'LOCAL_API_TOKENS', reason: `id "${LOCAL_DEV_TOKEN_ID}" is the development token's` });
    return tokens;
  } catch (error) {
    problems.push({ variable: 'LOCAL_API_TOKENS', reason: (error as Error).message });
    return [];
  }
}
