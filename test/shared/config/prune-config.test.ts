import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../shared/config';

const minimal = { OSS_BUCKET: 'flink-ws', OSS_REGION: 'cn-hangzhou' };

function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig({ ...minimal, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.fromEntries((error as ConfigError).problems.map((p) => [p.variable, p.reason]));
  }
  throw new Error('expected loadConfig to fail');
}

describe('pruner configuration', () => {
  it('has safe defaults: dry run, no extra prefixes, list prices, a 10 minute budget', () => {
    const p = loadConfig(minimal).prune;
    expect(p).toMatchObject({
      dryRun: true,
      keepCheckpoints: 3,
      extraPrefixes: [],
      timeBudgetMs: 600_000,
      fanoutDeployments: 500,
      concurrency: 8,
    });
    expect(p.pricePerGbMonth.Standard).toBe(0.12);
    expect(p.pricePerGbMonth.Archive).toBe(0.033);
  });

  it('reads extra prefixes, one price for all classes or prices per class', () => {
    const p = loadConfig({
      ...minimal,
      PRUNE_EXTRA_PREFIXES: '/flink/checkpoints/, state',
      PRUNE_PRICE_PER_GB_MONTH: 'standard=0.02, IA=0.0125',
      PRUNE_TIME_BUDGET: '5m',
      PRUNE_DRY_RUN: 'false',
    }).prune;
    expect(p.extraPrefixes).toEqual(['flink/checkpoints/', 'state/']);
    expect(p.pricePerGbMonth).toMatchObject({ Standard: 0.02, IA: 0.0125, Archive: 0.033 });
    expect(p.timeBudgetMs).toBe(300_000);
    expect(p.dryRun).toBe(false);
    expect(loadConfig({ ...minimal, PRUNE_PRICE_PER_GB_MONTH: '0.1' }).prune.pricePerGbMonth.ColdArchive).toBe(0.1);
  });

  it('refuses prefixes the pruner must never touch, and bad prices, naming the variable', () => {
    expect(problemsOf({ PRUNE_EXTRA_PREFIXES: 'artifacts/x' }).PRUNE_EXTRA_PREFIXES).toMatch(/never touch/);
    expect(problemsOf({ PRUNE_EXTRA_PREFIXES: 'flink/ha' }).PRUNE_EXTRA_PREFIXES).toMatch(/HA/);
    expect(problemsOf({ PRUNE_EXTRA_PREFIXES: 'a/../logs' }).PRUNE_EXTRA_PREFIXES).toMatch(/not a prefix/);
    expect(problemsOf({ PRUNE_PRICE_PER_GB_MONTH: 'Glacier=1' }).PRUNE_PRICE_PER_GB_MONTH).toMatch(/Glacier/);
    expect(problemsOf({ PRUNE_PRICE_PER_GB_MONTH: '-1' }).PRUNE_PRICE_PER_GB_MONTH).toMatch(/price/);
    expect(problemsOf({ PRUNE_TIME_BUDGET: '1s' }).PRUNE_TIME_BUDGET).toMatch(/at least/);
  });
});
