import { describe, expect, it } from 'vitest';
import { readLocalSettings } from '../../local/settings';
import { localStackEnv } from '../../local/stack';
import { loadConfig } from '../../shared/config';
import { authenticate, isAllowed, tokenDigest } from '../../shared/presign/auth';

const scoped = [{ id: 'ci', sha256: tokenDigest('ci-secret'), namespaces: ['team-a'], actions: ['upload'] }];

describe('LOCAL_API_TOKENS', () => {
  it('adds its tokens beside the development token in the functions’ API_TOKENS', () => {
    const settings = readLocalSettings({ LOCAL_API_TOKENS: JSON.stringify(scoped) }, '/tmp');
    const env = localStackEnv(settings, 9100);
    const tokens = JSON.parse(env.API_TOKENS!) as { id: string }[];
    expect(tokens.map((t) => t.id)).toEqual(['local-dev', 'ci']);

    const parsed = loadConfig({ ...env, OSS_REGION: 'cn-hangzhou' } as never).api.tokens;
    const dev = authenticate('Bearer local-dev-token', parsed);
    expect(isAllowed(dev, 'delete', 'team-b')).toBe(true);
    const ci = authenticate('Bearer ci-secret', parsed);
    expect(ci.tokenId).toBe('ci');
    expect(isAllowed(ci, 'upload', 'team-a')).toBe(true);
    expect(isAllowed(ci, 'download', 'team-a')).toBe(false);
    expect(isAllowed(ci, 'upload', 'team-b')).toBe(false);
  });

  it('leaves only the development token when unset or empty', () => {
    for (const value of [undefined, '', '  ']) {
      const settings = readLocalSettings({ LOCAL_API_TOKENS: value }, '/tmp');
      expect(settings.extraApiTokens).toEqual([]);
      expect(JSON.parse(localStackEnv(settings, 9100).API_TOKENS!)).toHaveLength(1);
    }
  });

  it.each([
    ['not JSON', '{nope', /LOCAL_API_TOKENS is not valid JSON/],
    ['not a list', '{"id":"ci"}', /LOCAL_API_TOKENS must be a JSON list/],
    [
      'a plain token instead of a digest',
      '[{"id":"ci","sha256":"ci-secret","namespaces":"*","actions":"*"}]',
      /LOCAL_API_TOKENS entry 0: sha256 must be the 64-hex-digit SHA-256/,
    ],
    [
      'the development token’s id',
      JSON.stringify([{ ...scoped[0], id: 'local-dev' }]),
      /LOCAL_API_TOKENS id "local-dev" is the development token's/,
    ],
  ])('refuses %s at start-up, naming the variable', (_, value, message) => {
    expect(() => readLocalSettings({ LOCAL_API_TOKENS: value }, '/tmp')).toThrowError(message);
  });
});
