import { describe, expect, it } from 'vitest';
import { VariableResolver } from '../../../local/runtime/variables';

const resolver = (vars: Record<string, unknown> = {}, env: Record<string, string> = {}) =>
  new VariableResolver({ env, vars, config: { AccountID: '1234567890' } });

describe('VariableResolver', () => {
  it("resolves env('X'), env('X', 'default') with either quote style, and splices them into strings", () => {
    const r = resolver({}, { BUCKET: 'b1', EMPTY: '' });
    expect(r.resolve("${env('BUCKET')}", 'a')).toBe('b1');
    expect(r.resolve('${env("BUCKET")}', 'a')).toBe('b1');
    expect(r.resolve("${env('MISSING', 'fallback value')}", 'a')).toBe('fallback value');
    expect(r.resolve("${env('MISSING', '')}", 'a')).toBe('');
    expect(r.resolve("${env('EMPTY', 'unused')}", 'a')).toBe('');
    expect(r.resolve("oss://${env('BUCKET')}/x-${ env('MISSING', 'd') }", 'a')).toBe('oss://b1/x-d');
    expect(r.problems).toEqual([]);
  });

  it("resolves config('AccountID') and nested vars that use env and other vars", () => {
    const r = resolver(
      {
        region: "${env('REGION', 'cn-hangzhou')}",
        role: "acs:ram::${config('AccountID')}:role/${vars.names.role}",
        names: { role: 'fn-role' },
        memory: 1024,
      },
      {},
    );
    expect(r.resolve('${vars.role}', 'p')).toBe('acs:ram::1234567890:role/fn-role');
    expect(r.resolve('${vars.region}', 'p')).toBe('cn-hangzhou');
    expect(r.resolve('${vars.memory}', 'p')).toBe(1024);
    expect(r.resolve('${vars.names}', 'p')).toEqual({ role: 'fn-role' });
    expect(r.resolve({ list: ['${vars.memory}', 'x'], n: 3, b: true, nil: null }, 'p')).toEqual({
      list: [1024, 'x'],
      n: 3,
      b: true,
      nil: null,
    });
  });

  it('records every problem with its property path instead of stopping at the first', () => {
    const r = resolver({ a: '${vars.b}', b: '${vars.a}', map: { k: 1 } });
    r.resolve(
      {
        x: "${env('NOPE')}",
        y: ['${vars.nothing}'],
        z: '${vars.a}',
        w: "${config('AccessKeyID')}",
        v: '${file("./x")}',
        u: 'prefix-${vars.map}',
        t: '${vars.map.missing}',
      },
      'props',
    );
    const messages = r.problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toEqual([
      "props.x: ${env('NOPE')}: environment variable NOPE is not set (give it a value or a default: env('NOPE', '…'))",
      "props.y[0]: ${vars.nothing}: vars has no 'nothing'",
      'vars.b: vars.a refers to itself (cycle: a → b → a)',
      "props.w: ${config('AccessKeyID')}: no local value for config 'AccessKeyID' (known: AccountID)",
      "props.v: ${file(\"./x\")} is not supported by the local runtime (it resolves env('X'), env('X', 'default'), vars.name and config('Key'))",
      'props.u: ${vars.map} is a map and cannot be part of a string',
      "props.t: ${vars.map.missing}: vars.map has no 'missing'",
    ]);
  });
});
