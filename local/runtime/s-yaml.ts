/**
 * Reads s.yaml (Serverless Devs 3, fc3 component), the single source of truth for what runs, into a typed
 * {@link StackSpec}: every fc3 resource becomes a function with its handler, bundle directory, memory,
 * timeout, resolved environment, triggers and async-invocation policy. Every problem of the file is
 * reported at once, each naming the resource and the property.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { StackError, type StackProblem } from './errors';
import { parseTimerExpression, type TimerSchedule } from './schedule';
import { FC3_SCHEMA_FILE, validateProps } from './schema';
import { VariableResolver } from './variables';

export interface StackSpec {
  /** Absolute path of the s.yaml read. */
  file: string;
  /** The project `name:`. */
  name: string;
  /** `${config('AccountID')}` as resolved; the account id functions see. */
  accountId: string;
  functions: FunctionSpec[];
}

export interface FunctionSpec {
  /** The resource key under `resources:` (e.g. `presign-api`). */
  resource: string;
  /** `props.functionName`, the name FC knows the function by. */
  name: string;
  region: string;
  runtime: string;
  /** Absolute directory of the code (`props.code`), e.g. `<project>/dist/presign-api`. */
  codeDir: string;
  /** `props.handler`, `<file>.<export>`. */
  handler: string;
  /** Module path relative to `codeDir` without extension (`index`) and the export name (`handler`). */
  handlerModule: string;
  handlerExport: string;
  /** MB; FC's default 512. */
  memorySize: number;
  /** Seconds; FC's default 3. */
  timeout: number;
  /** `props.environmentVariables`, resolved. */
  environment: Record<string, string>;
  role: string | undefined;
  logConfig: { project: string; logstore: string } | undefined;
  asyncInvoke: AsyncInvokeSpec;
  triggers: TriggerSpec[];
}

export interface AsyncInvokeSpec {
  /** Retries after a function error (FC default 3, range 0–8). */
  maxAsyncRetryAttempts: number;
  /** Events older than this are dropped instead of retried (FC default 18000). */
  maxAsyncEventAgeInSeconds: number;
}

export type TriggerSpec = HttpTriggerSpec | OssTriggerSpec | TimerTriggerSpec | UnsupportedTriggerSpec;

export interface HttpTriggerSpec {
  type: 'http';
  name: string;
  authType: string;
  /** Upper-case methods the trigger accepts. */
  methods: string[];
}

export interface OssTriggerSpec {
  type: 'oss';
  name: string;
  /** From `sourceArn` (`acs:oss:<region>:<accountId>:<bucket>`). */
  bucket: string;
  sourceArn: string;
  /** Trigger-config event names, with their `oss:` prefix (`oss:ObjectCreated:*`). */
  events: string[];
  prefix: string;
  suffix: string;
}

export interface TimerTriggerSpec {
  type: 'timer';
  name: string;
  cronExpression: string;
  schedule: TimerSchedule;
  enable: boolean;
  payload: string;
}

/** A trigger type the local runtime does not emulate (log, mns_topic, …); kept so it can be reported. */
export interface UnsupportedTriggerSpec {
  type: 'unsupported';
  name: string;
  triggerType: string;
}

export interface LoadStackOptions {
  /** Environment for `${env(...)}`; defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Values for `${config('…')}`; `AccountID` defaults to {@link LOCAL_ACCOUNT_ID}. */
  config?: Readonly<Record<string, string>>;
  /** The fc3 props schema; defaults to the vendored copy. */
  schemaFile?: string;
}

/** The account id used locally when none is given: 16 digits, like a real one, obviously fake. */
export const LOCAL_ACCOUNT_ID = '1000000000000000';

const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const ENV_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const MAX_ENV_BYTES = 4096;

/** Reads and validates an s.yaml file. Throws {@link StackError} (`STACK_INVALID`) listing every problem. */
export function loadStack(file: string, options: LoadStackOptions = {}): StackSpec {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new StackError(path, [
      { path: '', message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` },
    ]);
  }
  return parseStack(text, path, options);
}

/** Like {@link loadStack} for s.yaml text already read; `file` names it in errors and anchors relative paths. */
export function parseStack(text: string, file: string, options: LoadStackOptions = {}): StackSpec {
  const problems: StackProblem[] = [];
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const where =
      error instanceof YAMLParseError && error.linePos
        ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}`
        : '';
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new StackError(file, [{ path: '', message: `is not valid YAML${where}: ${message}` }]);
  }
  if (!isMap(document))
    throw new StackError(file, [{ path: '', message: 'must be a YAML map with edition, name and resources' }]);

  if (String(document['edition'] ?? '') !== '3.0.0') {
    problems.push({
      path: 'edition',
      message: `must be 3.0.0 (Serverless Devs 3), got ${JSON.stringify(document['edition'] ?? null)}`,
    });
  }
  const vars = document['vars'] ?? {};
  if (!isMap(vars)) problems.push({ path: 'vars', message: 'must be a map' });
  const config = { AccountID: LOCAL_ACCOUNT_ID, ...options.config };
  const resolver = new VariableResolver({ env: options.env ?? process.env, vars: isMap(vars) ? vars : {}, config });

  const resources = document['resources'];
  const functions: FunctionSpec[] = [];
  let fc3Resources = 0;
  if (!isMap(resources) || Object.keys(resources).length === 0) {
    problems.push({ path: 'resources', message: 'must be a map with at least one resource' });
  } else {
    for (const [resource, body] of Object.entries(resources)) {
      if (!isMap(body)) {
        problems.push({ resource, path: '', message: 'must be a map with component and props' });
        continue;
      }
      // Only fc3 resources are functions; other components (domains, …) have nothing to run locally.
      if (body['component'] !== 'fc3') continue;
      fc3Resources++;
      const before = resolver.problems.length;
      const props = resolver.resolve(body['props'], 'props');
      for (const p of resolver.problems.slice(before)) problems.push({ resource, path: p.path, message: p.message });
      const fn = toFunctionSpec(resource, props, dirname(file), options.schemaFile ?? FC3_SCHEMA_FILE, problems);
      if (fn) functions.push(fn);
    }
    if (fc3Resources === 0) problems.push({ path: 'resources', message: 'has no fc3 resource (component: fc3)' });
  }
  const seen = new Map<string, string>();
  for (const fn of functions) {
    const other = seen.get(fn.name);
    if (other !== undefined)
      problems.push({
        resource: fn.resource,
        path: 'props.functionName',
        message: `"${fn.name}" is also the functionName of resource "${other}"`,
      });
    seen.set(fn.name, fn.resource);
  }
  if (problems.length > 0) throw new StackError(file, problems);
  return { file, name: String(document['name'] ?? ''), accountId: config.AccountID, functions };
}

function toFunctionSpec(
  resource: string,
  props: unknown,
  baseDir: string,
  schemaFile: string,
  problems: StackProblem[],
): FunctionSpec | undefined {
  const problem = (path: string, message: string) =>
    problems.push({ resource, path: path ? `props.${path}` : 'props', message });
  if (!isMap(props)) {
    problem('', 'must be a map');
    return undefined;
  }
  const schemaProblems = validateProps(props, schemaFile);
  for (const p of schemaProblems) problem(p.path, p.message);
  if (schemaProblems.length > 0) return undefined;

  const name = props['functionName'] as string;
  if (!FUNCTION_NAME.test(name))
    problem('functionName', `"${name}" must be 1–64 letters, digits, _ or -, not starting with a digit or -`);
  const runtime = props['runtime'] as string;
  if (!/^nodejs\d+$/.test(runtime))
    problem('runtime', `"${runtime}" cannot run locally: the local runtime emulates Node.js built-in runtimes only`);

  const code = props['code'];
  const codePath =
    typeof code === 'string' ? code : isMap(code) && typeof code['src'] === 'string' ? code['src'] : undefined;
  if (codePath === undefined) problem('code', 'must be a local directory (a path, or a map with src) to run locally');
  const handler = props['handler'] as string;
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1)
    problem('handler', `"${handler}" must be <file>.<export>, e.g. index.handler`);

  const environment = (props['environmentVariables'] ?? {}) as Record<string, string>;
  let envBytes = 0;
  for (const [key, value] of Object.entries(environment)) {
    if (!ENV_NAME.test(key))
      problem(`environmentVariables.${key}`, 'names must start with a letter and hold only letters, digits and _');
    if (key.startsWith('FC_'))
      problem(`environmentVariables.${key}`, 'the FC_ prefix is reserved for FC system variables');
    envBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (envBytes > MAX_ENV_BYTES)
    problem('environmentVariables', `total ${envBytes} bytes; FC allows at most ${MAX_ENV_BYTES}`);

  const logConfig = props['logConfig'];
  const asyncConfig = isMap(props['asyncInvokeConfig']) ? props['asyncInvokeConfig'] : {};
  const triggers = ((props['triggers'] ?? []) as Array<Record<string, unknown>>).map((t, i) =>
    toTriggerSpec(t, i, problem),
  );
  if (triggers.filter((t) => t?.type === 'http').length > 1)
    problem('triggers', 'a function may have only one HTTP trigger');

  return {
    resource,
    name,
    region: props['region'] as string,
    runtime,
    codeDir: codePath === undefined ? '' : isAbsolute(codePath) ? codePath : resolve(baseDir, codePath),
    handler,
    handlerModule: handler.slice(0, dot),
    handlerExport: handler.slice(dot + 1),
    memorySize: (props['memorySize'] as number | undefined) ?? 512,
    timeout: (props['timeout'] as number | undefined) ?? 3,
    environment: { ...environment },
    role: typeof props['role'] === 'string' && props['role'] !== '' ? props['role'] : undefined,
    logConfig: isMap(logConfig)
      ? { project: String(logConfig['project'] ?? ''), logstore: String(logConfig['logstore'] ?? '') }
      : undefined,
    asyncInvoke: {
      maxAsyncRetryAttempts: (asyncConfig['maxAsyncRetryAttempts'] as number | undefined) ?? 3,
      maxAsyncEventAgeInSeconds: (asyncConfig['maxAsyncEventAgeInSeconds'] as number | undefined) ?? 18000,
    },
    triggers: triggers.filter((t): t is TriggerSpec => t !== undefined),
  };
}

function toTriggerSpec(
  trigger: Record<string, unknown>,
  i: number,
  problem: (path: string, message: string) => void,
): TriggerSpec | undefined {
  const name = trigger['triggerName'] as string;
  const type = trigger['triggerType'] as string;
  const config = trigger['triggerConfig'] as Record<string, unknown>;
  const at = `triggers[${i}]`;
  switch (type) {
    case 'http':
      return {
        type: 'http',
        name,
        authType: String(config['authType']),
        methods: (config['methods'] as string[]).map((m) => m.toUpperCase()),
      };
    case 'oss': {
      const sourceArn = typeof trigger['sourceArn'] === 'string' ? trigger['sourceArn'] : '';
      const bucket = /^acs:oss:[^:]*:[^:]*:([^:/]+)$/.exec(sourceArn)?.[1];
      if (bucket === undefined) {
        problem(
          `${at}.sourceArn`,
          `must be acs:oss:<region>:<accountId>:<bucket> (it names the bucket), got ${JSON.stringify(trigger['sourceArn'] ?? null)}`,
        );
        return undefined;
      }
      const key = (config['filter'] as { key: { prefix: string; suffix: string } }).key;
      return {
        type: 'oss',
        name,
        bucket,
        sourceArn,
        events: config['events'] as string[],
        prefix: key.prefix,
        suffix: key.suffix,
      };
    }
    case 'timer': {
      const cronExpression = config['cronExpression'] as string;
      try {
        const schedule = parseTimerExpression(cronExpression);
        return {
          type: 'timer',
          name,
          cronExpression,
          schedule,
          enable: config['enable'] === true,
          payload: (config['payload'] as string | undefined) ?? '',
        };
      } catch (error) {
        problem(`${at}.triggerConfig.cronExpression`, (error as Error).message);
        return undefined;
      }
    }
    default:
      return { type: 'unsupported', name, triggerType: type };
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
