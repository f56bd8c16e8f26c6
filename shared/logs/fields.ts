/**
 * The top-level fields of a log record that normalisation reads (docs/log-shipper.md §2); everything else
 * of a record is stored as sent.
 */

/** Fields holding a record's own time, in the order they are tried. */
export const TIMESTAMP_FIELDS = ['@timestamp', 'timestamp', 'time', 'date', 'ts', 'timeMillis', 'instant'] as const;
/** Fields holding a record's level. */
export const LEVEL_FIELDS = ['level', 'severity', 'levelname', 'log.level', 'lvl', 'loglevel'] as const;
/** Fields holding a record's message (`log` is Fluent Bit's tail and Docker's). */
export const MESSAGE_FIELDS = ['message', 'msg', 'log', 'MESSAGE', 'short_message', '@message'] as const;
/** Every top-level field normalisation reads. */
export const READ_FIELDS: ReadonlySet<string> = new Set<string>([
  ...TIMESTAMP_FIELDS,
  ...LEVEL_FIELDS,
  ...MESSAGE_FIELDS,
]);

/** How much of a message the level is looked for in (UTF-16 units). */
export const TEXT_LEVEL_CHARS = 80;
