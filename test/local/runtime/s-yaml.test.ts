import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StackError } from '../../../local/runtime/errors';
import { LOCAL_ACCOUNT_ID, loadStack, parseStack, type StackSpec } from '../../../local/runtime/s-yaml';
import { FC3_SCHEMA_FILE, validateProps } from '../../../local/runtime/schema';

const stackDir = fileURLToPath(new URL('../../fixtures/stack/', import.meta.url));
const env = { FIXTURE_DIST: '/tmp/fixture-dist', FIXTURE_OUT_DIR: '/tmp/fixture-out' };

function stackError(fn: () => unknown): StackError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).code).toBe('STACK_INVALID');
    return error as StackError;
  }
  throw new Error('expected a StackError');
}

const minimal = (props: string, extra = '') => `edition: 3.0.0
name: t
${extra}
resources:
  fn:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: fn
      runtime: nodejs20
      code: ./dist/fn
      handler: index.handler
${props}`;

describe('loadStack on the fixture s.yaml', () => {
  const stack: StackSpec = loadStack(join(stackDir, 's.yaml'), { env });
  const fn = (name: string) => stack.functions.find((f) => f.resource === name)!;

  it('lists the fc3 functions with their resolved settings', () => {
    expect(stack.name).toBe('fc-runtime-fixture');
    expect(stack.accountId).toBe(LOCAL_ACCOUNT_ID);
    expect(stack.functions.map((f) => f.name)).toEqual([
      'fixture-http-echo',
      'fixture-oss-recorder',
      'fixture-timer-recorder',
      'fixture-slow',
      'fixture-fan-out',
    ]);
    expect(fn('http-echo')).toMatchObject({
      region: 'cn-hangzhou',
      runtime: 'nodejs20',
      codeDir: '/tmp/fixture-dist/http-echo',
      handler: 'index.handler',
      handlerModule: 'index',
      handlerExport: 'handler',
      memorySize: 256,
      timeout: 5,
      role: `acs:ram::${LOCAL_ACCOUNT_ID}:role/fixture-role`,
      environment: {
        GREETING: 'hello',
        BUCKET: 'fixture-bucket',
        ROLE_ARN: `acs:ram::${LOCAL_ACCOUNT_ID}:role/fixture-role`,
      },
    });
  });

  it("applies FC's defaults where s.yaml is silent", () => {
    expect(fn('slow')).toMatchObject({
      memorySize: 512,
      timeout: 1,
      role: undefined,
      environment: {},
      asyncInvoke: { maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 18000 },
    });
  });

  it('reads each trigger type', () => {
    expect(fn('http-echo').triggers).toEqual([
      { type: 'http', name: 'http', authType: 'anonymous', methods: ['GET', 'POST', 'PUT', 'HEAD'] },
    ]);
    expect(fn('oss-recorder').triggers).toEqual([
      {
        type: 'oss',
        name: 'artifacts-events',
        bucket: 'fixture-bucket',
        sourceArn: `acs:oss:cn-hangzhou:${LOCAL_ACCOUNT_ID}:fixture-bucket`,
        events: ['oss:ObjectCreated:PutObject', 'oss:ObjectRemoved:DeleteObject'],
        prefix: 'artifacts/',
        suffix: '',
      },
    ]);
    const timers = fn('timer-recorder').triggers;
    expect(timers.map((t) => t.type === 'timer' && [t.name, t.enable, t.payload, t.schedule.kind])).toEqual([
      ['every-second', true, '{"from":"every"}', 'every'],
      ['cron-seconds', true, 'cron', 'cron'],
      ['disabled', false, 'never', 'cron'],
    ]);
  });

  it('takes the environment and config it is given', () => {
    const other = loadStack(join(stackDir, 's.yaml'), {
      env: { ...env, FIXTURE_GREETING: 'nǐ hǎo', FIXTURE_REGION: 'cn-shanghai' },
      config: { AccountID: '5555' },
    });
    const echo = other.functions[0]!;
    expect(echo.environment['GREETING']).toBe('nǐ hǎo');
    expect(echo.region).toBe('cn-shanghai');
    expect(echo.role).toBe('acs:ram::5555:role/fixture-role');
    expect(other.accountId).toBe('5555');
  });
});

describe('stack problems', () => {
  it('reports every problem of a broken s.yaml at once, naming the file, resource and property', () => {
    const error = stackError(() => loadStack(join(stackDir, 'broken.yaml'), { env: {} }));
    expect(error.file).toBe(join(stackDir, 'broken.yaml'));
    const lines = error.problems.map((p) => `${p.resource}: ${p.path}: ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'bad-memory: props.memorySize: must be >= 128',
        'bad-memory: props.memorySize: must be multiple of 64',
        "bad-trigger: props.environmentVariables.TOKEN: ${env('FIXTURE_SURELY_UNSET_VARIABLE')}: environment variable FIXTURE_SURELY_UNSET_VARIABLE is not set (give it a value or a default: env('FIXTURE_SURELY_UNSET_VARIABLE', '…'))",
        'bad-trigger: props.triggers[0].triggerConfig.methods: is required',
        "bad-var: props.region: ${vars.regoin}: vars has no 'regoin'",
      ]),
    );
    expect(error.message).toContain('broken.yaml is invalid');
    expect(error.message).toContain('resource "bad-trigger": props.triggers[0].triggerConfig.methods: is required');
  });

  it('checks timer expressions once the schema passes', () => {
    const error = stackError(() =>
      parseStack(
        minimal(`      triggers:
        - triggerName: tick
          triggerType: timer
          triggerConfig: { cronExpression: '0 * * * *', enable: true }`),
        '/p/s.yaml',
      ),
    );
    expect(error.problems).toEqual([
      {
        resource: 'fn',
        path: 'props.triggers[0].triggerConfig.cronExpression',
        message: expect.stringMatching(/6 fields .* got 5/),
      },
    ]);
  });

  it('points at the line of a YAML syntax error', () => {
    const error = stackError(() => parseStack('edition: 3.0.0\nresources:\n  fn: [unclosed\n', '/p/s.yaml'));
    expect(error.message).toMatch(/\/p\/s\.yaml is invalid .*\n {2}- is not valid YAML at line \d+, column \d+/);
  });

  it('names a file that cannot be read', () => {
    expect(stackError(() => loadStack('/nonexistent/s.yaml')).message).toMatch(
      /\/nonexistent\/s\.yaml is invalid .*cannot be read \(ENOENT\)/s,
    );
  });

  it('refuses what FC or the local runtime cannot run', () => {
    const error = stackError(() =>
      parseStack(
        `edition: 3.0.0
name: t
resources:
  py:
    component: fc3
    props: { region: cn-hangzhou, functionName: py, runtime: python3.10, code: ./dist/py, handler: index.handler }
  env:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: py
      runtime: nodejs20
      code: ./dist/env
      handler: nodot
      environmentVariables: { FC_SECRET: x, 1BAD: y }
      triggers:
        - { triggerName: a, triggerType: http, triggerConfig: { authType: anonymous, methods: [GET] } }
        - { triggerName: b, triggerType: http, triggerConfig: { authType: anonymous, methods: [POST] } }
        - { triggerName: o, triggerType: oss, sourceArn: 'not-an-arn', triggerConfig: { events: ['oss:ObjectCreated:*'], filter: { key: { prefix: '', suffix: '' } } } }`,
        '/p/s.yaml',
      ),
    );
    expect(error.problems.map((p) => `${p.resource}: ${p.path}: ${p.message}`)).toEqual([
      'py: props.runtime: "python3.10" cannot run locally: the local runtime emulates Node.js built-in runtimes only',
      'env: props.handler: "nodot" must be <file>.<export>, e.g. index.handler',
      'env: props.environmentVariables.FC_SECRET: the FC_ prefix is reserved for FC system variables',
      'env: props.environmentVariables.1BAD: names must start with a letter and hold only letters, digits and _',
      'env: props.triggers[2].sourceArn: must be acs:oss:<region>:<accountId>:<bucket> (it names the bucket), got "not-an-arn"',
      'env: props.triggers: a function may have only one HTTP trigger',
      'env: props.functionName: "py" is also the functionName of resource "py"',
    ]);
  });

  it('needs edition 3.0.0 and at least one fc3 resource; other components are skipped', () => {
    const error = stackError(() =>
      parseStack(
        'edition: 1.0.0\nname: t\nresources:\n  domain:\n    component: fc3-domain\n    props: {}\n',
        '/p/s.yaml',
      ),
    );
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'edition: must be 3.0.0 (Serverless Devs 3), got "1.0.0"',
      'resources: has no fc3 resource (component: fc3)',
    ]);
  });

  it('resolves a relative code directory against the s.yaml folder', () => {
    expect(parseStack(minimal(''), '/project/s.yaml').functions[0]?.codeDir).toBe('/project/dist/fn');
  });
});

describe('fc3 props schema', () => {
  it('is the vendored fc3 component schema, a JSON schema of the props', () => {
    const schema = JSON.parse(readFileSync(FC3_SCHEMA_FILE, 'utf8')) as {
      $schema?: string;
      properties?: Record<string, unknown>;
    };
    expect(schema.$schema).toMatch(/json-schema/);
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['region', 'functionName', 'runtime', 'code', 'handler', 'triggers']),
    );
  });

  it('checks a trigger config against its own trigger type', () => {
    const props = {
      region: 'cn-hangzhou',
      functionName: 'f',
      runtime: 'nodejs20',
      code: './x',
      handler: 'index.handler',
    };
    expect(
      validateProps({
        ...props,
        triggers: [{ triggerName: 't', triggerType: 'oss', triggerConfig: { events: ['oss:Bogus'] } }],
      }),
    ).toEqual([
      { path: 'triggers[0].triggerConfig.filter', message: 'is required' },
      {
        path: 'triggers[0].triggerConfig.events[0]',
        message: expect.stringMatching(/^must be one of "oss:ObjectCreated:\*"/),
      },
    ]);
    expect(validateProps({ ...props, timeout: 0, region: 'mars-1' })).toEqual([
      { path: 'region', message: expect.stringMatching(/^must be one of \d+ values/) },
      { path: 'timeout', message: 'must be >= 1' },
    ]);
  });
});
