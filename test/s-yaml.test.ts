import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FC3_SCHEMA_FILE, loadStack, parseStack } from '../local/runtime';
import { ROOT } from '../scripts/build';

const SCHEMA = FC3_SCHEMA_FILE;
const deployEnv = {
  FC_REGION_ID: 'cn-hangzhou',
  OSS_BUCKET: 'flink-ws',
  FC_ROLE_ARN: 'acs:ram::1234567890123456:role/flink-artifact-lifecycle',
};

describe('s.yaml', () => {
  const raw = parse(readFileSync(join(ROOT, 's.yaml'), 'utf8')) as {
    edition: string;
    resources: Record<string, { component: string; props: Record<string, unknown> }>;
  };

  it('is a Serverless Devs 3 project of fc3 resources', () => {
    expect(raw.edition).toBe('3.0.0');
    expect(Object.values(raw.resources).every((r) => r.component === 'fc3')).toBe(true);
  });

  it('declares exactly the functions that exist in functions/, each pointing at its bundle', () => {
    const stack = loadStack(join(ROOT, 's.yaml'), { env: deployEnv, schemaFile: SCHEMA });
    const names = Object.keys(raw.resources).sort();
    const built = names.filter((n) => existsSync(join(ROOT, 'functions', n, 'index.ts')));
    expect(built).toEqual(names);
    for (const fn of stack.functions) {
      expect(fn.handler).toBe('index.handler');
      expect(fn.codeDir).toBe(join(ROOT, 'dist', fn.resource));
      expect(fn.runtime).toBe('nodejs20');
    }
  });

  it('has props that validate against the fc3 component schema vendored in local/runtime/schema', () => {
    // loadStack resolves ${...} and validates every function's props against the schema it is given.
    const stack = loadStack(join(ROOT, 's.yaml'), { env: deployEnv, schemaFile: SCHEMA });
    expect(stack.functions.length).toBe(Object.keys(raw.resources).length);
    // The same check catches a broken value: the validation is real, not vacuous.
    const broken = readFileSync(join(ROOT, 's.yaml'), 'utf8').replace('memorySize: 512', 'memorySize: 100');
    expect(() => parseStack(broken, join(ROOT, 's.yaml'), { env: deployEnv, schemaFile: SCHEMA })).toThrowError(
      /memorySize/,
    );
  });

  it('refuses to resolve without the deploy-time variables it needs, naming them', () => {
    expect(() => loadStack(join(ROOT, 's.yaml'), { env: {}, schemaFile: SCHEMA })).toThrowError(
      /OSS_BUCKET|FC_ROLE_ARN/,
    );
  });

  it('passes every environment value as a string, as FC requires', () => {
    const stack = loadStack(join(ROOT, 's.yaml'), { env: deployEnv, schemaFile: SCHEMA });
    for (const fn of stack.functions) {
      for (const value of Object.values(fn.environment)) expect(typeof value).toBe('string');
    }
  });
});
