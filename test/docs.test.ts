import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/build';

/**
 * The repository stands alone: comments cite `docs/<name>.md §n` and every such citation must land on a
 * heading of that section in that file; no file may point at material outside the repository.
 */

/** One cited section: `docs/<doc>.md §<section>`, optionally `fact <n>` of a numbered list in it. */
interface Citation {
  doc: string;
  section?: string;
  fact?: number;
  line: number;
}

const NAME = '[a-z0-9][a-z0-9-]*';
const SECTION = String.raw`§\s?(\d+(?:\.\d+)*)(?:\s+fact\s+(\d+))?`;
/** `docs/x.md`, optionally followed by `§1, §2.3 and §0 fact 9`; inside docs/ also `[x.md](x.md) §2`. */
const CITATION = new RegExp(
  String.raw`(?:\bdocs\/(${NAME})\.md|\]\((${NAME})\.md\))\`?((?:\s*(?:,|and)?\s*${SECTION})*)`,
  'g',
);
const SECTION_ONE = new RegExp(SECTION, 'g');

/** Every doc file and section cited in `text` (a doc mentioned without § yields one citation without section). */
function citationsIn(text: string): Citation[] {
  const found: Citation[] = [];
  for (const m of text.matchAll(CITATION)) {
    const doc = (m[1] ?? m[2]) as string;
    const line = text.slice(0, m.index).split('\n').length;
    const sections = [...(m[3] ?? '').matchAll(SECTION_ONE)];
    if (sections.length === 0) found.push({ doc, line });
    for (const s of sections) {
      found.push({ doc, line, section: s[1], ...(s[2] ? { fact: Number(s[2]) } : {}) });
    }
  }
  return found;
}

/** The numbered headings of a Markdown file (`## 4. Object APIs`, `### 4.2 GetObject`), with the numbered list items directly under each. */
function sectionsOf(markdown: string): Map<string, Set<number>> {
  const sections = new Map<string, Set<number>>();
  let current: Set<number> | undefined;
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inCode = !inCode;
    if (inCode) continue;
    const heading = /^#{1,6}\s+(\d+(?:\.\d+)*)\.?(?:\s|$)/.exec(line);
    if (heading) {
      current = new Set();
      sections.set(heading[1] as string, current);
      continue;
    }
    if (/^#{1,6}\s/.test(line)) current = undefined;
    const item = /^(\d+)\.\s/.exec(line);
    if (item && current) current.add(Number(item[1]));
  }
  return sections;
}

/** Names of material that lives beside the repository, never in it. */
// Spelled in pieces so that this file does not itself mention what it forbids.
const DESIGN_DOC = ['DESIGN', 'md'].join('.');
const OUTSIDE_NAMES = [DESIGN_DOC, ['shared', 'reference'].join('/'), 'oss-api.md', 'style-anchors.md', 'peers.md'];

/**
 * Problems with `text` (the content of `file`, relative to the root) pointing outside the repository: a
 * name from {@link OUTSIDE_NAMES}, or a `../`-path to a `shared` folder that is not a quoted module or file
 * specifier resolving inside the repository (`'../shared/config'` from `local/` is the repository's own).
 */
function outsideMentions(file: string, text: string, root: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const name of OUTSIDE_NAMES) {
      if (line.includes(name)) problems.push(`${file}:${i + 1}: mentions ${name}`);
    }
    for (const m of line.matchAll(/(?<![.\w])((?:\.\.\/)+)shared\b/g)) {
      const quoted = m.index > 0 && `'"\``.includes(line[m.index - 1] as string);
      const target = resolve(root, dirname(file), `${m[1]}shared`);
      const inside = target === root || target.startsWith(root + sep);
      if (!quoted || !inside) problems.push(`${file}:${i + 1}: points outside the repository (${m[0]})`);
    }
  });
  return problems;
}

const TEXT_FILE = /\.(ts|mts|cts|js|cjs|mjs|json|md|ya?ml|sh|txt|html|css)$|(^|\/)(\.ci\/run|\.gitignore|LICENSE)$/;
const SKIPPED = new Set(['package-lock.json', 'test/docs.test.ts']);

/** The repository's files as git sees them (tracked, plus new files not ignored), or a walk when git is absent. */
function repositoryFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)));
  } catch {
    const ignored = new Set(['node_modules', '.git', 'dist', '.local', 'results']);
    const walk = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const path = dir ? `${dir}/${e.name}` : e.name;
        if (ignored.has(e.name)) return [];
        return e.isDirectory() ? walk(path) : [path];
      });
    return walk('');
  }
}

function sourceFiles(): Array<{ file: string; text: string }> {
  return repositoryFiles()
    .filter((f) => TEXT_FILE.test(f) && !SKIPPED.has(f) && statSync(join(ROOT, f)).size < 2_000_000)
    .map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
}

describe('the citation checker', () => {
  it('reads single, listed and fact citations, and mentions without a section', () => {
    const text = [
      'see docs/abc-def.md §1, §2.3 and §4',
      'x (docs/abc-def.md §0 fact 9, §4.8)',
      'and `docs/other.md` for more; [abc-def.md](abc-def.md) §7',
    ].join('\n');
    expect(citationsIn(text)).toEqual([
      { doc: 'abc-def', line: 1, section: '1' },
      { doc: 'abc-def', line: 1, section: '2.3' },
      { doc: 'abc-def', line: 1, section: '4' },
      { doc: 'abc-def', line: 2, section: '0', fact: 9 },
      { doc: 'abc-def', line: 2, section: '4.8' },
      { doc: 'other', line: 3 },
      { doc: 'abc-def', line: 3, section: '7' },
    ]);
  });

  it('finds numbered headings and their list items, not lookalikes in code blocks', () => {
    const md = [
      '# Title',
      '## 0. Facts',
      '1. one',
      '2. two',
      '   3. nested, not a fact of §0',
      '## 1. Signature',
      '### 1.2 Vectors',
      '```',
      '## 9. inside a code block',
      '```',
      '#### 2.1.4 State handles',
      '## Appendix A',
      '4. not under a numbered heading',
    ].join('\n');
    const sections = sectionsOf(md);
    expect([...sections.keys()]).toEqual(['0', '1', '1.2', '2.1.4']);
    expect([...(sections.get('0') ?? [])]).toEqual([1, 2]);
  });

  it('tells the repository own shared/ from material beside it', () => {
    const root = '/repo';
    expect(outsideMentions('local/a.ts', "import { x } from '../shared/config';", root)).toEqual([]);
    expect(outsideMentions('test/b/c.ts', "new URL('../../shared/fc/x.json', import.meta.url)", root)).toEqual([]);
    expect(outsideMentions('s.test.ts', `readFileSync('../${'shared'}/fixtures/x')`, root)).toHaveLength(1);
    expect(outsideMentions('.ci/run', '# runs with ../shared beside it', root)).toHaveLength(1);
    expect(outsideMentions('a.md', `as ${DESIGN_DOC} says`, root)).toEqual([`a.md:1: mentions ${DESIGN_DOC}`]);
  });
});

describe('the repository stands alone', () => {
  const files = sourceFiles();

  it('scans the repository', () => {
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(['README.md', 'docs/oss-protocol.md', 's.yaml']));
  });

  it('keeps the section numbering the citations rely on', () => {
    const top = (doc: string) =>
      [...sectionsOf(readFileSync(join(ROOT, 'docs', `${doc}.md`), 'utf8')).keys()].filter((s) => !s.includes('.'));
    expect(top('oss-protocol')).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(top('fc-runtime')).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(top('flink-layout')).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  });

  it('has every cited doc, section and fact', () => {
    const docs = new Map<string, Map<string, Set<number>> | undefined>();
    const sectionsOfDoc = (doc: string) => {
      if (!docs.has(doc)) {
        const path = join(ROOT, 'docs', `${doc}.md`);
        docs.set(doc, existsSync(path) ? sectionsOf(readFileSync(path, 'utf8')) : undefined);
      }
      return docs.get(doc);
    };
    const problems: string[] = [];
    let cited = 0;
    for (const { file, text } of files) {
      for (const c of citationsIn(text)) {
        const sections = sectionsOfDoc(c.doc);
        const where = `${file}:${c.line}: docs/${c.doc}.md`;
        if (!sections) problems.push(`${where} does not exist`);
        else if (c.section !== undefined) {
          cited++;
          const facts = sections.get(c.section);
          if (!facts) problems.push(`${where} has no heading for §${c.section}`);
          else if (c.fact !== undefined && !facts.has(c.fact)) {
            problems.push(`${where} §${c.section} has no numbered fact ${c.fact}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // The code cites dozens of sections; finding none would mean the scan itself is broken.
    expect(cited).toBeGreaterThan(20);
  });

  it('points at nothing outside the repository', () => {
    const problems = files.flatMap(({ file, text }) => outsideMentions(file, text, resolve(ROOT)));
    expect(problems).toEqual([]);
  });

  it('links docs by paths that exist', () => {
    const problems: string[] = [];
    for (const { file, text } of files.filter((f) => f.file.endsWith('.md'))) {
      for (const m of text.matchAll(/\]\(((?![a-z]+:|#)[^)\s#]+)(?:#[^)]*)?\)/g)) {
        const target = resolve(ROOT, dirname(file), m[1] as string);
        if (!existsSync(target)) problems.push(`${file}: link to ${relative(ROOT, target)} does not exist`);
      }
    }
    expect(problems).toEqual([]);
  });
});
