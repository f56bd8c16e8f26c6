export type { ApiAction, ApiToken } from './api-tokens';
export { API_ACTIONS } from './api-tokens';
export { redactCredentials } from './credentials';
export type { ConfigProblem, Env } from './env-reader';
export { parseEndpoint } from './fields';
export { ConfigError, DEFAULT_CHUNK_SIZE, DEFAULT_EXTENSIONS, loadConfig } from './load';
export { formatByteSize, formatDuration, parseBoolean, parseByteSize, parseDuration } from './parse';
export type {
  CatalogConfig,
  Config,
  Credentials,
  Endpoint,
  LogsConfig,
  OssConfig,
  PresignConfig,
  PruneConfig,
} from './types';
