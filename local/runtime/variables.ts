/**
 * Serverless Devs 3 variable substitution for s.yaml, the subset a local run can answer:
 * `${env('X')}`, `${env('X', 'default')}`, `${vars.a.b}` and `${config('AccountID')}`.
 * Pure: the environment and config values come in, problems go out; nothing is read from the process.
 */

export interface VariableSources {
  env: Readonly<Record<string, string | undefined>>;
  /** The top-level `vars:` of s.yaml, unresolved. */
  vars: Readonly<Record<string, unknown>>;
  /** Values for `${config('…')}` (what `s config get` would answer), e.g. `{ AccountID: '…' }`. */
  config: Readonly<Record<string, string>>;
}

/** A variable that could not be resolved, with the property path where it appeared. */
export interface VariableProblem {
  path: string;
  message: string;
}

const EXPRESSION = /\$\{([^{}]*)\}/g;
const ENV_CALL = /^env\(\s*(['"])([^'"]*)\1\s*(?:,\s*(['"])([^'"]*)\3\s*)?\)$/;
const CONFIG_CALL = /^config\(\s*(['"])([^'"]*)\1\s*\)$/;
const VARS_PATH = /^vars\.([A-Za-z_][\w-]*(?:\.[\w-]+)*)$/;

/**
 * Resolves the expressions in s.yaml values. A string that is exactly one expression takes the value's
 * own type (a var may be a number or a map); expressions inside longer strings are spliced in as text.
 * Unresolvable expressions are recorded in `problems` and resolve to "" so every problem of a file is
 * found in one pass.
 */
export class VariableResolver {
  readonly problems: VariableProblem[] = [];
  private readonly resolvedVars = new Map<string, unknown>();
  private readonly resolving = new Set<string>();

  constructor(private readonly sources: VariableSources) {}

  /** Resolves every string inside `value` (recursively through arrays and maps). */
  resolve(value: unknown, path: string): unknown {
    if (typeof value === 'string') return this.resolveString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => this.resolve(item, `${path}[${i}]`));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.resolve(item, join(path, key))]));
    }
    return value;
  }

  private resolveString(text: string, path: string): unknown {
    const whole = /^\$\{([^{}]*)\}$/.exec(text.trim());
    if (whole) return this.evaluate((whole[1] as string).trim(), path);
    return text.replace(EXPRESSION, (_, expression: string) => {
      const value = this.evaluate(expression.trim(), path);
      if (value !== null && typeof value === 'object') {
        this.problems.push({
          path,
          message: `\${${expression}} is a ${Array.isArray(value) ? 'list' : 'map'} and cannot be part of a string`,
        });
        return '';
      }
      return value === undefined || value === null ? '' : String(value);
    });
  }

  private evaluate(expression: string, path: string): unknown {
    const env = ENV_CALL.exec(expression);
    if (env) {
      const name = env[2] as string;
      const value = this.sources.env[name];
      if (value !== undefined) return value;
      if (env[4] !== undefined) return env[4];
      this.problems.push({
        path,
        message: `\${${expression}}: environment variable ${name} is not set (give it a value or a default: env('${name}', '…'))`,
      });
      return '';
    }
    const config = CONFIG_CALL.exec(expression);
    if (config) {
      const key = config[2] as string;
      const value = this.sources.config[key];
      if (value !== undefined) return value;
      this.problems.push({
        path,
        message: `\${${expression}}: no local value for config '${key}' (known: ${Object.keys(this.sources.config).join(', ') || 'none'})`,
      });
      return '';
    }
    const vars = VARS_PATH.exec(expression);
    if (vars) return this.lookupVar((vars[1] as string).split('.'), expression, path);
    this.problems.push({
      path,
      message: `\${${expression}} is not supported by the local runtime (it resolves env('X'), env('X', 'default'), vars.name and config('Key'))`,
    });
    return '';
  }

  private lookupVar(segments: string[], expression: string, path: string): unknown {
    const [name, ...rest] = segments as [string, ...string[]];
    if (!Object.hasOwn(this.sources.vars, name)) {
      this.problems.push({ path, message: `\${${expression}}: vars has no '${name}'` });
      return '';
    }
    let value = this.resolveVar(name, path);
    for (const segment of rest) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) {
        this.problems.push({ path, message: `\${${expression}}: vars.${name} has no '${segment}'` });
        return '';
      }
      value = (value as Record<string, unknown>)[segment];
    }
    return value;
  }

  /** Resolves one var on first use; vars may use env, config and other vars, but not themselves. */
  private resolveVar(name: string, path: string): unknown {
    if (this.resolvedVars.has(name)) return this.resolvedVars.get(name);
    if (this.resolving.has(name)) {
      this.problems.push({
        path,
        message: `vars.${name} refers to itself (cycle: ${[...this.resolving, name].join(' → ')})`,
      });
      return '';
    }
    this.resolving.add(name);
    const value = this.resolve(this.sources.vars[name], `vars.${name}`);
    this.resolving.delete(name);
    this.resolvedVars.set(name, value);
    return value;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
