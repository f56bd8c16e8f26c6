export { createLogger } from './logger';
export type { LogLevel, Logger, LoggerOptions } from './logger';
export { REDACTED, redact, redactUrls } from './redact';
