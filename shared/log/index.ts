export type { Logger, LoggerOptions, LogLevel } from './logger';
export { createLogger } from './logger';
export { REDACTED, redact, redactUrls } from './redact';
