/**
 * Maven version ordering, enough for vulnerability ranges: numbers compare numerically, the qualifiers
 * `alpha` < `beta` < `milestone` < `rc` < `snapshot` < release < `sp`, and `2.0-beta9` < `2.0` < `2.0.1`.
 * A simplified form of Maven's ComparableVersion; as there, unknown qualifiers sort after all known ones.
 */
export function compareMavenVersions(a: string, b: string): number {
  const x = tokens(a);
  const y = tokens(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = compareToken(x[i], y[i]);
    if (d !== 0) return d;
  }
  return 0;
}

type Token = number | string;

const QUALIFIERS: Record<string, number> = {
  alpha: 1,
  a: 1,
  beta: 2,
  b: 2,
  milestone: 3,
  m: 3,
  rc: 4,
  cr: 4,
  snapshot: 5,
  '': 7,
  ga: 7,
  final: 7,
  release: 7,
  sp: 8,
};

function tokens(version: string): Token[] {
  const out: Token[] = [];
  for (const part of version.toLowerCase().match(/\d+|[a-z]+/g) ?? []) {
    out.push(/^\d/.test(part) ? Number(part) : part);
  }
  // Trailing zeros and release markers do not change a version: 1.0 = 1 = 1.0.0.
  while (out.length > 0 && (out.at(-1) === 0 || QUALIFIERS[out.at(-1) as string] === 7)) out.pop();
  return out;
}

function rank(token: Token | undefined): number {
  if (token === undefined) return 7;
  if (typeof token === 'number') return 10;
  return QUALIFIERS[token] ?? 9;
}

function compareToken(a: Token | undefined, b: Token | undefined): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // A number against nothing: 1.0.1 > 1.0; a qualifier against nothing: 2.0-beta9 < 2.0.
  if (typeof a === 'number' && b === undefined) return a === 0 ? 0 : 1;
  if (a === undefined && typeof b === 'number') return b === 0 ? 0 : -1;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  return String(a ?? '').localeCompare(String(b ?? ''));
}
