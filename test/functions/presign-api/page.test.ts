import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../support/browser';
import { makeJar } from '../../support/jar';
import { startTestStack, type TestStack } from '../../support/local-stack';

/**
 * The artifacts page in real headless Chromium against the local stack: bytes go between the browser and
 * the local OSS server through presigned URLs, admitted by the bucket's CORS rule as on OSS.
 */

const NS = 'team-a';
const SHOTS = join(process.cwd(), 'test-results');

let stack: TestStack;
let api: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dir: string;
let bigJar: string;
let bigJarBytes: Buffer;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A free loopback port, so the bucket's CORS rule can name the page's origin before the stack starts. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Part PUTs to OSS, as `partNumber`s, seen by the page. */
function partNumber(request: Request): number | undefined {
  if (request.method() !== 'PUT') return undefined;
  const n = new URL(request.url()).searchParams.get('partNumber');
  return n === null ? undefined : Number(n);
}

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.settings.apiToken}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function openPage(): Promise<void> {
  await page.goto(`${api}/`);
  if (await page.locator('#forget-token').isHidden()) {
    await page.getByLabel('API token').fill(stack.settings.apiToken);
    await page.getByRole('button', { name: 'Use token' }).click();
  }
  await page.getByLabel('Namespace').fill(NS);
  await page.getByRole('button', { name: 'Show artifacts' }).click();
  await poll(() => page.locator('#list-state').textContent()).not.toBe('Loading…');
}

/** Polls until the assertion holds; generous, since the machine may be busy. */
function poll<T>(fn: () => T | Promise<T>, timeout = 15_000) {
  return expect.poll(fn, { timeout, interval: 50 });
}

function row(name: string) {
  return page.locator(`#rows tr[data-name="${name}"]`);
}

beforeAll(async () => {
  const apiPort = await freePort();
  // 1 MiB parts: the 30 MB JAR goes in 29 parts, more than the 20 URLs the API signs up front.
  [stack, browser] = await Promise.all([startTestStack({ OSS_CHUNK_SIZE: '1MiB' }, { apiPort }), launchChromium()]);
  api = stack.urls['presign-api']!;
  expect(api).toBe(`http://127.0.0.1:${apiPort}`);
  dir = mkdtempSync(join(tmpdir(), 'artifacts-page-'));
  bigJarBytes = makeJar(30_000_000);
  bigJar = join(dir, 'flink-job-1.0.jar');
  writeFileSync(bigJar, bigJarBytes);
  mkdirSync(SHOTS, { recursive: true });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the artifacts page', () => {
  it('loads without a token, self-contained, and asks for the token first', async () => {
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(api)) external.push(r.url());
    });
    const res = await page.goto(`${api}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toMatch(/^text\/html/);
    await poll(() => page.evaluate(() => document.activeElement?.id)).toBe('token');
    expect(external).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
  });

  it('explains a refused token and keeps a good one in sessionStorage only', async () => {
    await page.getByLabel('API token').fill('wrong-token');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByLabel('Namespace').fill(NS);
    await page.getByRole('button', { name: 'Show artifacts' }).click();
    await poll(() => page.locator('#alert').textContent()).toContain('The API token was refused');
    await openPage();
    expect(await page.locator('#alert').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('flink-artifacts.token'))).toBe(stack.settings.apiToken);
    expect(JSON.stringify(await page.evaluate(() => ({ ...localStorage })))).not.toContain(stack.settings.apiToken);
    expect(await page.locator('#list-state').textContent()).toBe(`No artifacts in ${NS} yet.`);
  });

  it('uploads a 30 MB JAR in parallel parts with progress to 100 %, lists it, downloads the same bytes', async () => {
    const parts: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const onRequest = (r: Request) => {
      const n = partNumber(r);
      if (n === undefined) return;
      parts.push(n);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
    };
    const onDone = (r: Request) => {
      if (partNumber(r) !== undefined) inFlight--;
    };
    page.on('request', onRequest);
    page.on('requestfinished', onDone);
    page.on('requestfailed', onDone);
    // Every progress value the page shows, sampled in the page itself.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seen: number[] }).seen = seen;
      new MutationObserver(() => {
        const bar = document.querySelector<HTMLProgressElement>('#uploads progress');
        if (bar && seen.at(-1) !== bar.value) seen.push(bar.value);
      }).observe(document.getElementById('uploads')!, { subtree: true, childList: true, characterData: true });
    });
    await page.getByLabel('Choose JAR files, or drop them here').setInputFiles(bigJar);
    const item = page.locator('#uploads li[data-upload="flink-job-1.0.jar"]');
    await poll(() => item.locator('.msg').textContent(), 30_000).toContain('Uploaded to oss://');
    page.off('request', onRequest);

    const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
    expect(seen.at(-1)).toBe(100);
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    expect(await item.locator('progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(100);
    expect(await item.textContent()).toContain('100 % · 28.6 MiB uploaded');
    expect([...parts].sort((a, b) => a - b)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    expect(maxInFlight).toBeGreaterThan(1);
    expect(await page.locator('#live').textContent()).toMatch(/flink-job-1\.0\.jar (uploaded|validated)/);

    const r = row('flink-job-1.0.jar');
    await poll(() => r.count()).toBe(1);
    expect(await r.locator('td').nth(1).textContent()).toBe('28.6 MiB');
    // artifact-catalog judges the upload from its OSS event; the page updates the row by itself.
    await poll(() => r.locator('.badge').textContent(), 30_000).not.toBe('pending');
    // The JAR names a Main-Class it does not contain: the catalog calls it invalid.
    expect(await r.locator('.badge').textContent()).toBe('invalid');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      r.getByRole('button', { name: 'Download flink-job-1.0.jar' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('flink-job-1.0.jar');
    expect(sha(readFileSync((await download.path())!))).toBe(sha(bigJarBytes));

    await r.getByRole('button', { name: 'Copy path flink-job-1.0.jar' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      `oss://${stack.settings.bucket}/artifacts/namespaces/${NS}/flink-job-1.0.jar`,
    );
  }, 60_000);

  it('shows findings and says when no SBOM is available', async () => {
    const r = row('flink-job-1.0.jar');
    const details = r.getByRole('button', { name: 'Details flink-job-1.0.jar' });
    await details.click();
    expect(await details.getAttribute('aria-expanded')).toBe('true');
    const panel = page.locator('tr.detail');
    await poll(() => panel.textContent()).toMatch(/Validated .*: invalid\./);
    expect(await panel.locator('ul[aria-label="Findings"] li').first().textContent()).toMatch(/^error: /);
    await panel.getByRole('button', { name: 'Show SBOM of flink-job-1.0.jar' }).click();
    await poll(() => panel.textContent()).toMatch(/No SBOM is available for flink-job-1\.0\.jar|"components"/);
    await details.click();
    expect(await page.locator('tr.detail').count()).toBe(0);
  });

  it('filters and sorts the list', async () => {
    await page.getByLabel('Choose JAR files, or drop them here').setInputFiles({
      name: 'a-small-udf.jar',
      mimeType: 'application/java-archive',
      buffer: makeJar(2000, 'com.example.Udf'),
    });
    await poll(() => row('a-small-udf.jar').count()).toBe(1);
    const names = () => page.locator('#rows tr[data-name]').evaluateAll((rows) => rows.map((r) => r.dataset.name));
    await page.getByRole('button', { name: 'Name', exact: true }).click();
    expect(await names()).toEqual(['a-small-udf.jar', 'flink-job-1.0.jar']);
    expect(await page.locator('th[data-col="name"]').getAttribute('aria-sort')).toBe('ascending');
    await page.getByRole('button', { name: 'Size', exact: true }).click();
    expect(await names()).toEqual(['flink-job-1.0.jar', 'a-small-udf.jar']);
    await page.getByLabel('Filter by name').fill('udf');
    expect(await names()).toEqual(['a-small-udf.jar']);
    expect(await page.locator('#list-state').textContent()).toBe('1 of 2 artifacts.');
    await page.getByLabel('Filter by name').fill('');
  });

  it('says why OSS or the API refused an upload: existing name, refused name', async () => {
    await page.getByLabel('Choose JAR files, or drop them here').setInputFiles({
      name: 'a-small-udf.jar',
      mimeType: 'application/java-archive',
      buffer: makeJar(2000, 'com.example.Udf'),
    });
    const again = page.locator('#uploads li[data-upload="a-small-udf.jar"]').first();
    // OSS's XML answer to a second PUT of the same name (x-oss-forbid-overwrite), read through CORS.
    await poll(() => again.locator('.msg').textContent()).toBe(
      'A file with this name already exists; delete it first or choose another name.',
    );
    await page.getByLabel('Choose JAR files, or drop them here').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a jar'),
    });
    await poll(() => page.locator('#uploads li[data-upload="notes.txt"] .msg').textContent()).toMatch(
      /^Name refused: name "notes\.txt" must end with one of /,
    );
  });

  it('signs downloads on the acceleration endpoint when the toggle is on', async () => {
    // Only loopback traffic: the acceleration URL is refused before it leaves the browser, and recorded.
    const offHost = (url: URL) => !['127.0.0.1', 'localhost'].includes(url.hostname);
    await page.route(offHost, (route) => route.abort('blockedbyclient'));
    await page.getByLabel(/Transfer acceleration/).check();
    const [request, blocked] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/v1/downloads')),
      page.waitForRequest((r) => offHost(new URL(r.url()))),
      row('a-small-udf.jar').getByRole('button', { name: 'Download a-small-udf.jar' }).click(),
    ]);
    expect(request.postDataJSON()).toEqual({ namespace: NS, name: 'a-small-udf.jar', accelerate: true });
    expect(new URL(blocked.url()).hostname).toMatch(/oss-accelerate\.aliyuncs\.com$/);
    // The page stays, and says what happened.
    await poll(() => page.locator('#alert').textContent()).toContain('The connection was lost');
    await page.unroute(offHost);
    await page.getByLabel(/Transfer acceleration/).uncheck();
    expect(await page.evaluate(() => localStorage.getItem('flink-artifacts.accelerate'))).toBe('false');
  });

  it('deletes after confirmation only', async () => {
    const r = row('a-small-udf.jar');
    await r.getByRole('button', { name: 'Delete a-small-udf.jar' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('a-small-udf.jar');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    expect(await r.count()).toBe(1);
    await r.getByRole('button', { name: 'Delete a-small-udf.jar' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await poll(() => r.count()).toBe(0);
    expect((await call('GET', `/v1/artifacts/${NS}/a-small-udf.jar`)).status).toBe(404);
    const big = row('flink-job-1.0.jar');
    await big.getByRole('button', { name: 'Delete flink-job-1.0.jar' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await poll(() => big.count()).toBe(0);
    expect((await call('GET', `/v1/artifacts/${NS}/flink-job-1.0.jar`)).status).toBe(404);
  });

  it('resumes a multipart upload after a reload, sending only the missing parts', async () => {
    // Parts from 15 on hang, as on a connection that stalls; the page is reloaded while they are in flight.
    const held: Route[] = [];
    const stall = (url: URL) => Number(url.searchParams.get('partNumber') ?? 0) >= 15;
    await page.route(stall, (route) => {
      held.push(route);
    });
    const done: number[] = [];
    const onFinished = async (r: Request) => {
      const n = partNumber(r);
      if (n !== undefined && (await r.response())?.status() === 200) done.push(n);
    };
    page.on('requestfinished', onFinished);
    await page.getByLabel('Choose JAR files, or drop them here').setInputFiles(bigJar);
    await poll(() => done.length, 20_000).toBe(14);
    await poll(() => held.length).toBeGreaterThan(0);
    page.off('requestfinished', onFinished);
    await page.reload();
    for (const route of held) await route.abort().catch(() => undefined);
    await page.unroute(stall);

    await poll(() => page.locator('#resumable').textContent()).toContain('Unfinished: flink-job-1.0.jar');
    const [saved] = await page.evaluate(() => JSON.parse(localStorage.getItem('flink-artifacts.uploads') ?? '[]'));
    const status = await call('GET', `/v1/uploads/${saved.uploadId}`);
    expect(status.json.missingParts).toEqual(Array.from({ length: 15 }, (_, i) => i + 15));
    const sent: number[] = [];
    page.on('request', (r) => {
      const n = partNumber(r);
      if (n !== undefined) sent.push(n);
    });
    await page.getByLabel('Choose JAR files, or drop them here').setInputFiles(bigJar);
    const item = page.locator('#uploads li[data-upload="flink-job-1.0.jar"]');
    await poll(() => item.textContent()).toContain('Resuming: 14 of 29 parts are already in OSS');
    await poll(() => item.locator('.msg').textContent(), 30_000).toContain('Uploaded to oss://');
    expect([...sent].sort((a, b) => a - b)).toEqual(status.json.missingParts);
    expect(await item.locator('.msg').textContent()).toContain('Uploaded to oss://');
    expect(await page.locator('#resumable li').count()).toBe(0);

    const link = await call('POST', '/v1/downloads', { namespace: NS, name: 'flink-job-1.0.jar' });
    const bytes = Buffer.from(await (await fetch(link.json.url)).arrayBuffer());
    expect(sha(bytes)).toBe(sha(bigJarBytes));
  }, 60_000);

  it('looks right at desktop and phone widths', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(SHOTS, 'artifacts-page-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing wider than the phone: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'artifacts-page-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
