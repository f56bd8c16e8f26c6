/**
 * Builds the artifacts page (shared/presign/web/) into one self-contained HTML document: the TypeScript
 * bundled and minified by esbuild, the CSS minified, both inlined, and a Content-Security-Policy whose
 * hashes admit exactly that script and that style. Nothing is fetched from another host.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, transform } from 'esbuild';

export { ARTIFACTS_PAGE_FILE } from '../shared/presign/web/page-file';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's HTML, ready to serve. */
export async function buildArtifactsPage(root: string): Promise<string> {
  const dir = join(root, 'shared/presign/web');
  const [template, css, js] = await Promise.all([
    readFile(join(dir, 'index.html'), 'utf8'),
    readFile(join(dir, 'page.css'), 'utf8').then((c) => transform(c, { loader: 'css', minify: true })),
    build({
      entryPoints: [join(dir, 'main.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: ['chrome100', 'firefox100', 'safari15'],
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    }),
  ]);
  const script = js.outputFiles[0]!.text.trim();
  const style = css.code.trim();
  if (/<\/(script|style)/i.test(script + style)) throw new Error('the page script or style contains a closing tag');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    // Presigned URLs point at the bucket's host, which the page cannot know in advance.
    "connect-src 'self' https: http:",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return template
    .replace('%CSP%', () => csp)
    .replace('/*STYLE*/', () => style)
    .replace('/*SCRIPT*/', () => script);
}
