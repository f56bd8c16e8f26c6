import { PackError } from '../errors';

/** Error codes of the log intake and their HTTP status. Stable: clients and collectors match on them. */
export const LOG_ERRORS = {
  LABEL_INVALID: 400,
  BODY_INVALID: 400,
  RECORDS_INVALID: 400,
  ENCODING_UNSUPPORTED: 415,
  FORMAT_UNSUPPORTED: 415,
  BATCH_TOO_LARGE: 413,
  IDEMPOTENCY_CONFLICT: 409,
} as const;

export type LogErrorCode = keyof typeof LOG_ERRORS;

/** A record the intake could not read: where it is in the body (1-based line, or array index) and why. */
export interface RecordProblem {
  /** 1-based line of the (decoded) body (NDJSON, text, or where a JSON array stops parsing). */
  line?: number;
  /** 0-based position in a JSON array body, when the body is one. */
  index?: number;
  message: string;
}

/** A log batch the intake refuses, with the HTTP status it answers with. */
export class LogIntakeError extends PackError {
  declare readonly code: LogErrorCode;
  readonly status: number;

  constructor(
    code: LogErrorCode,
    message: string,
    readonly problems: readonly RecordProblem[] = [],
  ) {
    super(code, message);
    this.status = LOG_ERRORS[code];
  }
}
