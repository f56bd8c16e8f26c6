import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactsPage } from '../../../../scripts/artifacts-page';
import { ROOT } from '../../../../scripts/build';
import { loadConfig } from '../../../../shared/config';
import { BucketLayout } from '../../../../shared/layout';
import { createLogger } from '../../../../shared/log';
import { createPresignApp } from '../../../../shared/presign/http/app';
import { MemoryStore } from '../../../../shared/storage/memory-store';
import { UrlSigner } from '../../../../shared/storage/url-signer';

/** The built artifacts page and the route that serves it; the page's behaviour is test/functions/presign-api/page.test.ts. */

let html: string;
beforeAll(async () => {
  html = await buildArtifactsPage(ROOT);
});

function app(page?: () => Promise<string>) {
  const config = loadConfig({
    OSS_BUCKET: 'page-bucket',
    OSS_REGION: 'cn-hangzhou',
    OSS_ACCESS_KEY_ID: 'k',
    OSS_ACCESS_KEY_SECRET: 's',
  });
  const credentials = () => ({ accessKeyId: 'k', accessKeySecret: 's' });
  return createPresignApp({
    config,
    store: new MemoryStore({ bucket: 'page-bucket' }),
    signer: new UrlSigner(config.oss, credentials),
    layout: new BucketLayout('page-bucket', ''),
    logger: createLogger({}, { write: () => undefined }),
    usingStsCredentials: () => false,
    ...(page && { page }),
  });
}

describe('the built page', () => {
  it('is one document that loads nothing from anywhere', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    expect(Buffer.byteLength(html)).toBeLessThan(64 * 1024);
  });

  it('carries a CSP whose hashes admit exactly its inline script and style', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    const hash = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp).toContain(`script-src 'sha256-${hash(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${hash(style)}'`);
    expect(csp).toContain("default-src 'none'");
  });

  it('stays out of the presign-api bundle, so /v1 cold starts never parse it', () => {
    const bundle = readFileSync(join(ROOT, 'dist/presign-api/app.js'), 'utf8');
    expect(bundle).not.toContain('Choose JAR files');
    expect(readFileSync(join(ROOT, 'dist/presign-api/web/index.html'), 'utf8')).toContain('Choose JAR files');
  });
});

describe('GET /', () => {
  it('serves the page without a token, uncached and unframeable', async () => {
    let reads = 0;
    const res = await app(async () => {
      reads++;
      return html;
    }).fetch(new Request('http://api.test/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe(html);
    expect(reads).toBe(1);
  });

  it('is 404 with a pointer to the API description where no page is deployed', async () => {
    const res = await app().fetch(new Request('http://api.test/'));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/openapi\.json/);
  });
});
