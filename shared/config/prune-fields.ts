import { ParseProblem, parseList } from './parse';

/**
 * OSS list prices per GB-month in CNY (mainland China regions, locally redundant), used when
 * `PRUNE_PRICE_PER_GB_MONTH` is unset; see docs/state-pruner.md §6.
 */
export const DEFAULT_PRICES: Readonly<Record<string, number>> = {
  Standard: 0.12,
  IA: 0.08,
  Archive: 0.033,
  ColdArchive: 0.015,
  DeepColdArchive: 0.0075,
};

/** `0.12` (every class) or `Standard=0.12,IA=0.08,…`; unnamed classes keep their default. */
export function parsePrices(raw: string): Record<string, number> {
  const price = (v: string, what: string) => {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n) || n < 0)
      throw new ParseProblem(`has ${what} "${v}", which is not a price ≥ 0`);
    return n;
  };
  if (!raw.includes('=')) {
    const n = price(raw, 'price');
    return Object.fromEntries(Object.keys(DEFAULT_PRICES).map((c) => [c, n]));
  }
  const out: Record<string, number> = { ...DEFAULT_PRICES };
  for (const item of parseList(raw)) {
    const [cls = '', value = ''] = item.split('=').map((s) => s.trim());
    const known = Object.keys(DEFAULT_PRICES).find((c) => c.toLowerCase() === cls.toLowerCase());
    if (!known) throw new ParseProblem(`names storage class "${cls}"; use ${Object.keys(DEFAULT_PRICES).join(', ')}`);
    out[known] = price(value, `price for ${known}`);
  }
  return out;
}

/** Prefixes of self-managed Flink state: relative, no `..`, never an area the pack or Flink HA owns. */
export function parseStatePrefixes(raw: string): string[] {
  const forbidden = ['artifacts/', 'sql-artifacts/', 'catalog/', 'logs/', 'plan/'];
  return parseList(raw).map((p) => {
    const prefix = `${p.replace(/^\/+/, '').replace(/\/+$/, '')}/`;
    if (prefix === '/' || prefix.split('/').some((s) => s === '..' || s === '.'))
      throw new ParseProblem(`has "${p}", which is not a prefix such as flink/checkpoints`);
    if (prefix.split('/').includes('ha')) throw new ParseProblem(`has "${p}": Flink HA data is never pruned`);
    if (forbidden.some((f) => prefix.startsWith(f)))
      throw new ParseProblem(`has "${p}", which is inside an area the pruner must never touch`);
    return prefix;
  });
}
