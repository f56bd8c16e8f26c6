import { isoTime } from '../iso-time';
import { redact, redactUrls } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured logger: one JSON object per line, secrets removed before anything is written. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (request id, function name…). */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default (FC ships it to the function's log store). */
  write?: (line: string) => void;
  now?: () => Date;
}

/** Creates a JSON-lines logger; `LOG_LEVEL` picks the level when none is given. */
export function createLogger(base: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const envLevel = process.env.LOG_LEVEL?.toLowerCase();
  const level: LogLevel = options.level ?? (envLevel && envLevel in RANK ? (envLevel as LogLevel) : 'info');
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const emit = (lvl: LogLevel, fields: Record<string, unknown>, message: string, extra?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    const record = redact({ time: isoTime(now()), level: lvl, msg: redactUrls(message), ...fields, ...extra });
    write(JSON.stringify(record));
  };
  const make = (fields: Record<string, unknown>): Logger => ({
    debug: (m, f) => emit('debug', fields, m, f),
    info: (m, f) => emit('info', fields, m, f),
    warn: (m, f) => emit('warn', fields, m, f),
    error: (m, f) => emit('error', fields, m, f),
    child: (more) => make({ ...fields, ...more }),
  });
  return make(base);
}
