import { ParseProblem } from './parse';

/** One bad variable and why. */
export interface ConfigProblem {
  variable: string;
  reason: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads variables and collects every problem instead of stopping at the first, so one error can list
 * all of them. An empty value counts as unset: `${env('X', '')}` in s.yaml yields "".
 */
export class EnvReader {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly env: Env) {}

  /** The trimmed raw value, or `undefined` when unset or empty. */
  raw(variable: string): string | undefined {
    const value = this.env[variable]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** Parsed value, or `fallback` when unset. A parse failure is recorded and `fallback` returned. */
  optional<T>(variable: string, parse: (raw: string) => T, fallback: T): T {
    const raw = this.raw(variable);
    if (raw === undefined) return fallback;
    return this.parse(variable, raw, parse) ?? fallback;
  }

  /** Parsed value; records a problem and returns `undefined` when unset or unparsable. */
  required<T>(variable: string, parse: (raw: string) => T, hint: string): T | undefined {
    const raw = this.raw(variable);
    if (raw === undefined) {
      this.problem(variable, `is required: ${hint}`);
      return undefined;
    }
    return this.parse(variable, raw, parse);
  }

  problem(variable: string, reason: string): void {
    this.problems.push({ variable, reason });
  }

  private parse<T>(variable: string, raw: string, parse: (raw: string) => T): T | undefined {
    try {
      return parse(raw);
    } catch (error) {
      if (error instanceof ParseProblem || (error instanceof Error && 'field' in error)) {
        this.problem(variable, error.message);
        return undefined;
      }
      throw error;
    }
  }
}
