/**
 * Validates fc3 resource props against the fc3 component's own JSON schema (draft-07, vendored under
 * `schema/`). The schema's `triggerConfig` is an `anyOf` over every trigger type, which lets an HTTP trigger
 * without `methods` pass as some other type; each trigger is therefore also checked against the config
 * schema of its declared `triggerType`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

/** The vendored copy of devsapp/fc3 `src/schema.json`. */
export const FC3_SCHEMA_FILE = fileURLToPath(new URL('./schema/fc3-props.schema.json', import.meta.url));

/** One schema violation: a path inside the props (`triggers[0].triggerConfig.methods`) and what is wrong. */
export interface PropsProblem {
  path: string;
  message: string;
}

const TRIGGER_CONFIG_DEFINITIONS: Record<string, string> = {
  http: 'IHttpTriggerConfig',
  oss: 'IOssTriggerConfig',
  timer: 'ITimerTriggerConfig',
  log: 'ILogTriggerConfig',
  mns_topic: 'IMnsTriggerConfig',
  cdn_events: 'ICdnTriggerConfig',
  tablestore: 'IOtsConfig',
  eventbridge: 'IEventBridge',
};

interface Validators {
  props: ValidateFunction;
  triggerConfig: Map<string, ValidateFunction>;
}

const cache = new Map<string, Validators>();

function validators(schemaFile: string): Validators {
  let found = cache.get(schemaFile);
  if (!found) {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    // strict: false because the generated schema carries `default`s and other annotations Ajv's strict mode rejects.
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema({ ...schema, $id: 'fc3' });
    const triggerConfig = new Map<string, ValidateFunction>();
    for (const [type, definition] of Object.entries(TRIGGER_CONFIG_DEFINITIONS)) {
      triggerConfig.set(type, ajv.compile({ $ref: `fc3#/definitions/${definition}` }));
    }
    found = { props: ajv.getSchema('fc3') as ValidateFunction, triggerConfig };
    cache.set(schemaFile, found);
  }
  return found;
}

/** Every schema problem of one resource's props, with paths relative to `props`. */
export function validateProps(props: unknown, schemaFile: string = FC3_SCHEMA_FILE): PropsProblem[] {
  const { props: validate, triggerConfig } = validators(schemaFile);
  const problems: PropsProblem[] = [];
  if (!validate(props)) {
    // Trigger configs are checked per type below, where the messages say what is actually missing.
    const errors = (validate.errors ?? []).filter((e) => !/^\/triggers\/\d+\/triggerConfig(\/|$)/.test(e.instancePath));
    problems.push(...describe(errors, ''));
  }
  const triggers = (props as { triggers?: unknown })?.triggers;
  if (Array.isArray(triggers)) {
    triggers.forEach((trigger, i) => {
      const type = (trigger as { triggerType?: unknown })?.triggerType;
      const config = (trigger as { triggerConfig?: unknown })?.triggerConfig;
      const check = typeof type === 'string' ? triggerConfig.get(type) : undefined;
      if (check && config !== undefined && !check(config))
        problems.push(...describe(check.errors ?? [], `/triggers/${i}/triggerConfig`));
    });
  }
  return problems;
}

/** Turns Ajv errors into readable problems; alternatives of an `anyOf` collapse into one line. */
function describe(errors: ErrorObject[], base: string): PropsProblem[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  const problems: PropsProblem[] = [];
  for (const error of errors) {
    if (
      error.keyword !== 'anyOf' &&
      [...anyOfPaths].some((p) => error.instancePath.startsWith(p) && error.schemaPath.includes('/anyOf/'))
    )
      continue;
    const path = toPropertyPath(base + error.instancePath);
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'anyOf') message = 'does not match any of the forms the fc3 schema allows';
    if (error.keyword === 'enum') {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      message = `must be one of ${allowed.length > 20 ? `${allowed.length} values (see the fc3 schema)` : allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    if (error.keyword === 'required') {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      problems.push(unique(seen, { path: path ? `${path}.${missing}` : missing, message: 'is required' }));
      continue;
    }
    if (error.keyword === 'if') continue;
    problems.push(unique(seen, { path, message }));
  }
  return problems.filter((p) => p.message !== '');
}

function unique(seen: Set<string>, problem: PropsProblem): PropsProblem {
  const key = `${problem.path}\n${problem.message}`;
  if (seen.has(key)) return { path: '', message: '' };
  seen.add(key);
  return problem;
}

/** `/triggers/0/triggerConfig/methods/1` → `triggers[0].triggerConfig.methods[1]`. */
function toPropertyPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`),
      '',
    );
}
