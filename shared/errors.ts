/**
 * Base class of every error the pack raises on purpose. `code` is stable: callers, HTTP responses,
 * reports and tests match on it, never on the message.
 */
export class PackError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A value supplied by a caller (request field, event field, CLI flag) is not acceptable. */
export class ValidationError extends PackError {
  /** The field, variable or argument that is wrong, as the caller named it. */
  readonly field: string;

  constructor(code: string, field: string, message: string) {
    super(code, message);
    this.field = field;
  }
}

/** Returns a message safe to log for any thrown value (never the whole object, which may hold secrets). */
export function describeError(error: unknown): string {
  if (error instanceof PackError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
