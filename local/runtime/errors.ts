import { PackError } from '../../shared/errors';

/**
 * Stable codes of the local runtime's own failures (not a function's errors, which travel as FC error
 * payloads). Each message names the file, function or port involved.
 */
export type RuntimeErrorCode =
  | 'STACK_INVALID'
  | 'BUNDLE_MISSING'
  | 'HANDLER_LOAD_FAILED'
  | 'HANDLER_MISSING'
  | 'HANDLER_LOAD_TIMEOUT'
  | 'PORT_IN_USE'
  | 'LISTEN_FAILED'
  | 'FUNCTION_NOT_FOUND'
  | 'RUNTIME_CLOSED';

export class RuntimeError extends PackError {
  declare readonly code: RuntimeErrorCode;

  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** One thing wrong with s.yaml: where (resource and property path) and what. */
export interface StackProblem {
  /** Resource name under `resources:`, or undefined for top-level problems (YAML syntax, `vars`). */
  resource?: string;
  /** Property path such as `props.triggers[0].triggerConfig.methods`; empty for the whole file. */
  path: string;
  message: string;
}

/** s.yaml cannot be used: lists every problem found, each with its resource and property path. */
export class StackError extends RuntimeError {
  constructor(
    readonly file: string,
    readonly problems: readonly StackProblem[],
  ) {
    super(
      'STACK_INVALID',
      `${file} is invalid (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n` +
        problems
          .map(
            (p) =>
              `  - ${p.resource === undefined ? '' : `resource "${p.resource}": `}${p.path ? `${p.path}: ` : ''}${p.message}`,
          )
          .join('\n'),
    );
  }
}
