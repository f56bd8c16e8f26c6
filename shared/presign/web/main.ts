/**
 * The artifacts page: token, namespace, the artifact list, uploads and per-artifact actions, all through
 * the presign API and presigned URLs. Plain DOM; every piece of data goes in through textContent.
 */
import { ApiClient, type ArtifactDetail, type ArtifactSummary, type ApiClient as Client } from './api';
import { formatBytes, formatDuration } from './format';
import { networkLost, ossFailure, PageError } from './messages';
import { forgetUpload, type Progress, savedUploads, Upload } from './upload';

const TOKEN_KEY = 'flink-artifacts.token';
const NS_KEY = 'flink-artifacts.namespace';
const RECENT_KEY = 'flink-artifacts.namespaces';
const ACCEL_KEY = 'flink-artifacts.accelerate';
/** How long the page keeps asking about a new upload the catalog has not judged yet. */
const POLL_FOR_MS = 10 * 60_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('aria-') || k.startsWith('data-')) node.setAttribute(k, String(v));
    else (node as unknown as Record<string, unknown>)[k] = v;
  }
  node.append(...children);
  return node;
};

const api: Client = new ApiClient(() => sessionStorage.getItem(TOKEN_KEY) ?? undefined);
let namespace = '';
let artifacts: ArtifactSummary[] = [];
let cursor: string | undefined;
let sort: { key: keyof ArtifactSummary; dir: 1 | -1 } = { key: 'lastModified', dir: -1 };
const open = new Set<string>();
const polling = new Map<string, number>();

// ——— messages ———

function announce(text: string): void {
  const live = $('live');
  live.textContent = '';
  // A fresh text node after a tick makes screen readers read the same message twice in a row too.
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}

function showError(error: unknown): void {
  const alert = $('alert');
  alert.textContent = messageOf(error);
  alert.hidden = false;
  if (error instanceof PageError && error.code === 'UNAUTHENTICATED') {
    sessionStorage.removeItem(TOKEN_KEY);
    renderToken();
    $('token').focus();
  }
}

function clearError(): void {
  $('alert').hidden = true;
}

function messageOf(error: unknown): string {
  if (error instanceof PageError) return error.message;
  if (error instanceof DOMException && error.name === 'AbortError') return 'Cancelled.';
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

// ——— token and namespace ———

function renderToken(): void {
  const has = Boolean(sessionStorage.getItem(TOKEN_KEY));
  $('forget-token').hidden = !has;
  $('token-state').textContent = has ? 'Token set for this browser tab.' : 'Kept in this browser tab only.';
  ($('token') as HTMLInputElement).placeholder = has ? '••••••••' : 'paste your token';
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('token');
  const value = input.value.trim();
  if (!value) {
    showError(new PageError('NO_TOKEN', 'Type your API token first.'));
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  input.value = '';
  renderToken();
  clearError();
  if (namespace) void loadList();
  else $('namespace').focus();
});

$('forget-token').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  renderToken();
  $('token').focus();
});

function recentNamespaces(): string[] {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function renderNamespaces(): void {
  $('ns-list').replaceChildren(...recentNamespaces().map((ns) => el('option', { value: ns })));
}

$('ns-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $<HTMLInputElement>('namespace').value.trim();
  if (!value) return;
  namespace = value;
  localStorage.setItem(NS_KEY, value);
  localStorage.setItem(
    RECENT_KEY,
    JSON.stringify([value, ...recentNamespaces().filter((n) => n !== value)].slice(0, 12)),
  );
  renderNamespaces();
  open.clear();
  void loadList();
});

const accelerate = $<HTMLInputElement>('accelerate');
accelerate.checked = localStorage.getItem(ACCEL_KEY) === 'true';
accelerate.addEventListener('change', () => {
  localStorage.setItem(ACCEL_KEY, String(accelerate.checked));
  announce(accelerate.checked ? 'Transfer acceleration on for new transfers.' : 'Transfer acceleration off.');
});

// ——— the list ———

async function loadList(more = false): Promise<void> {
  if (!namespace) return;
  $('ns-title').textContent = `in ${namespace}`;
  const state = $('list-state');
  state.textContent = 'Loading…';
  try {
    const page = await api.list(namespace, more ? cursor : undefined);
    artifacts = more ? [...artifacts, ...page.artifacts] : page.artifacts;
    cursor = page.cursor;
    clearError();
    for (const a of artifacts)
      if (a.status === 'pending' && Date.now() - Date.parse(a.lastModified) < POLL_FOR_MS) watch(a.name);
    renderList();
  } catch (error) {
    state.textContent = '';
    showError(error);
  }
}

function compare(a: ArtifactSummary, b: ArtifactSummary): number {
  const x = a[sort.key];
  const y = b[sort.key];
  const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''));
  return (order || a.name.localeCompare(b.name)) * sort.dir;
}

function renderList(): void {
  const filter = $<HTMLInputElement>('filter').value.trim().toLowerCase();
  const shown = artifacts.filter((a) => a.name.toLowerCase().includes(filter)).sort(compare);
  for (const th of document.querySelectorAll<HTMLElement>('th[data-col]')) {
    if (th.dataset.col === sort.key) th.setAttribute('aria-sort', sort.dir === 1 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  $<HTMLSelectElement>('sort').value = `${sort.key}:${sort.dir === 1 ? 'asc' : 'desc'}`;
  const rows: HTMLTableRowElement[] = [];
  for (const a of shown) {
    rows.push(row(a));
    if (open.has(a.name)) rows.push(detailRow(a));
  }
  $('rows').replaceChildren(...rows);
  $('list-state').textContent =
    artifacts.length === 0
      ? `No artifacts in ${namespace} yet.`
      : `${shown.length} of ${artifacts.length} artifacts${cursor ? ' (more on the server)' : ''}.`;
  $('more').hidden = !cursor;
}

function statusBadge(a: ArtifactSummary): HTMLElement {
  const words = { pending: 'pending', valid: 'valid', warning: 'warnings', invalid: 'invalid' } as const;
  const counts = a.findings ? ` (${a.findings.errors} errors, ${a.findings.warnings} warnings)` : '';
  return el('span', { className: `badge s-${a.status}`, title: `Validation: ${a.status}${counts}` }, words[a.status]);
}

function detailId(a: ArtifactSummary): string {
  return `detail-${encodeURIComponent(a.name).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function row(a: ArtifactSummary): HTMLTableRowElement {
  const button = (label: string, action: string, extra: Record<string, unknown> = {}) =>
    el('button', { type: 'button', 'data-action': action, 'aria-label': `${label} ${a.name}`, ...extra }, label);
  const uploaded = new Date(a.lastModified);
  const tr = el(
    'tr',
    { 'data-name': a.name },
    el('td', { className: 'name', 'data-label': 'Name' }, a.name),
    el('td', { className: 'num', 'data-label': 'Size' }, formatBytes(a.size)),
    el(
      'td',
      { 'data-label': 'Uploaded' },
      el('time', { dateTime: a.lastModified, title: uploaded.toISOString() }, uploaded.toLocaleString()),
    ),
    el('td', { 'data-label': 'Validation', className: 'status' }, statusBadge(a)),
    el(
      'td',
      {},
      el(
        'div',
        { className: 'actions' },
        button('Details', 'details', { 'aria-expanded': String(open.has(a.name)), 'aria-controls': detailId(a) }),
        button('Download', 'download'),
        button('Copy path', 'copy'),
        button('Delete', 'delete'),
      ),
    ),
  );
  return tr;
}

function detailRow(a: ArtifactSummary): HTMLTableRowElement {
  const body = el('div', {}, el('p', { className: 'muted' }, 'Loading the catalog record…'));
  const sbomOut = el('div', {});
  const sbomButton = el('button', { type: 'button', 'aria-label': `Show SBOM of ${a.name}` }, 'Show SBOM');
  sbomButton.addEventListener('click', async () => {
    sbomOut.replaceChildren(el('p', { className: 'muted' }, 'Loading the SBOM…'));
    try {
      const sbom = await api.sbom(namespace, a.name);
      sbomOut.replaceChildren(
        el('pre', { tabIndex: 0, 'aria-label': `SBOM of ${a.name}` }, JSON.stringify(sbom, null, 2)),
      );
    } catch (error) {
      const missing = error instanceof PageError && /NOT_FOUND|HTTP_404/.test(error.code);
      sbomOut.replaceChildren(
        el(
          'p',
          { className: missing ? 'muted' : 'msg error' },
          missing ? `No SBOM is available for ${a.name}.` : messageOf(error),
        ),
      );
    }
  });
  void api
    .artifact(namespace, a.name)
    .then((record) => body.replaceChildren(...describeRecord(record)))
    .catch((error: unknown) => body.replaceChildren(el('p', { className: 'msg error' }, messageOf(error))));
  return el(
    'tr',
    { className: 'detail', id: detailId(a) },
    el(
      'td',
      { colSpan: 5 },
      el('p', {}, 'Path: ', el('code', {}, a.ossPath)),
      body,
      el('div', { className: 'row' }, sbomButton),
      sbomOut,
    ),
  );
}

function describeRecord(r: ArtifactDetail): Node[] {
  if (r.status === 'pending')
    return [el('p', { className: 'muted' }, 'Not validated yet: the catalog has not judged this upload.')];
  const out: Node[] = [
    el('p', {}, `Validated ${r.catalogedAt ? new Date(r.catalogedAt).toLocaleString() : ''}: ${r.status}.`),
  ];
  if (r.jar?.entryClass) out.push(el('p', {}, 'Entry class: ', el('code', {}, r.jar.entryClass)));
  if (r.sha256) out.push(el('p', {}, 'SHA-256: ', el('code', {}, r.sha256)));
  const findings = Array.isArray(r.findings) ? r.findings : [];
  out.push(
    findings.length === 0
      ? el('p', {}, 'No findings.')
      : el(
          'ul',
          { 'aria-label': 'Findings' },
          ...findings.map((f) =>
            el(
              'li',
              {
                className: `s-${f.severity === 'error' ? 'invalid' : f.severity === 'warning' ? 'warning' : 'pending'}`,
              },
              `${f.severity}: ${f.message} (${f.code})`,
            ),
          ),
        ),
  );
  return out;
}

$('rows').addEventListener('click', async (e) => {
  const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
  const name = button?.closest<HTMLElement>('tr')?.dataset.name;
  const a = artifacts.find((x) => x.name === name);
  if (!button || !a) return;
  clearError();
  try {
    switch (button.dataset.action) {
      case 'details':
        if (open.has(a.name)) open.delete(a.name);
        else open.add(a.name);
        renderList();
        focusAction(a.name, 'details');
        break;
      case 'download': {
        const { url } = await api.download(namespace, a.name, accelerate.checked);
        await probeDownload(url);
        const link = el('a', { href: url, rel: 'noopener' });
        document.body.append(link);
        link.click();
        link.remove();
        announce(`Downloading ${a.name}.`);
        break;
      }
      case 'copy':
        await navigator.clipboard.writeText(a.ossPath);
        announce(`Copied ${a.ossPath}`);
        button.textContent = 'Copied';
        setTimeout(() => {
          button.textContent = 'Copy path';
        }, 1500);
        break;
      case 'delete':
        await confirmDelete(a);
        break;
    }
  } catch (error) {
    showError(error);
  }
});

/**
 * Asks OSS for the first byte before handing the URL to the browser: a refusal (expired, no permission,
 * CORS) is then shown here as a message, instead of replacing the page with OSS's XML.
 */
async function probeDownload(url: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { range: 'bytes=0-0' } });
  } catch {
    throw networkLost('reaching OSS for the download');
  }
  if (!res.ok) throw ossFailure(res.status, await res.text().catch(() => ''));
  await res.body?.cancel();
}

function focusAction(name: string, action: string): void {
  for (const tr of $('rows').querySelectorAll<HTMLElement>('tr[data-name]'))
    if (tr.dataset.name === name) tr.querySelector<HTMLElement>(`[data-action="${action}"]`)?.focus();
}

async function confirmDelete(a: ArtifactSummary): Promise<void> {
  const dialog = $<HTMLDialogElement>('confirm');
  $('confirm-text').textContent =
    `${a.name} (${formatBytes(a.size)}) will be deleted from ${namespace}, with its catalog record. This cannot be undone.`;
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'delete') {
    focusAction(a.name, 'delete');
    return;
  }
  await api.remove(namespace, a.name);
  artifacts = artifacts.filter((x) => x.name !== a.name);
  open.delete(a.name);
  renderList();
  announce(`Deleted ${a.name}.`);
  $('filter').focus();
}

for (const b of document.querySelectorAll<HTMLButtonElement>('th button[data-sort]')) {
  b.addEventListener('click', () => {
    const key = b.dataset.sort as keyof ArtifactSummary;
    sort = { key, dir: sort.key === key ? (-sort.dir as 1 | -1) : key === 'name' || key === 'status' ? 1 : -1 };
    renderList();
  });
}
$('sort').addEventListener('change', () => {
  const [key, dir] = $<HTMLSelectElement>('sort').value.split(':');
  sort = { key: key as keyof ArtifactSummary, dir: dir === 'asc' ? 1 : -1 };
  renderList();
});
$('filter').addEventListener('input', renderList);
$('refresh').addEventListener('click', () => void loadList());
$('more').addEventListener('click', () => void loadList(true));

/** Asks for an artifact's record until the catalog has judged it, then updates its row. */
function watch(name: string): void {
  if (polling.has(name)) return;
  const started = Date.now();
  let delay = 1000;
  const tick = async () => {
    const ns = namespace;
    try {
      const record = await api.artifact(ns, name);
      if (ns !== namespace) return;
      if (record.status !== 'pending') {
        polling.delete(name);
        const i = artifacts.findIndex((a) => a.name === name);
        if (i >= 0) {
          const errors = record.findings?.filter((f) => f.severity === 'error').length ?? 0;
          const warnings = record.findings?.filter((f) => f.severity === 'warning').length ?? 0;
          artifacts[i] = { ...artifacts[i]!, status: record.status, findings: { errors, warnings } };
          renderList();
        }
        announce(`${name} validated: ${record.status}.`);
        return;
      }
    } catch (error) {
      if (error instanceof PageError && !error.retryable) {
        polling.delete(name);
        return;
      }
    }
    if (Date.now() - started > POLL_FOR_MS) {
      polling.delete(name);
      return;
    }
    delay = Math.min(delay * 1.5, 15_000);
    polling.set(name, window.setTimeout(tick, delay));
  };
  polling.set(name, window.setTimeout(tick, delay));
}

// ——— uploads ———

function startUploads(files: FileList | File[]): void {
  clearError();
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    showError(new PageError('NO_TOKEN', 'Type your API token in the Token field before uploading.'));
    return;
  }
  if (!namespace) {
    showError(new PageError('NO_NAMESPACE', 'Choose a namespace before uploading.'));
    $('namespace').focus();
    return;
  }
  for (const file of Array.from(files)) void runUpload(file);
}

async function runUpload(file: File): Promise<void> {
  const ns = namespace;
  const progress = el('progress', { max: 100, value: 0, 'aria-label': `Upload of ${file.name}` });
  const figures = el('span', { className: 'muted' }, `0 of ${formatBytes(file.size)}`);
  const msg = el('p', { className: 'msg' });
  const cancel = el('button', { type: 'button', 'aria-label': `Cancel upload of ${file.name}` }, 'Cancel');
  const item = el(
    'li',
    { 'data-upload': file.name },
    el('div', { className: 'upload-head' }, el('span', { className: 'upload-name' }, `${file.name} → ${ns}`), cancel),
    progress,
    figures,
    msg,
  );
  $('uploads').prepend(item);
  let lastAnnounced = -1;
  const upload = new Upload(
    api,
    file,
    { namespace: ns, name: file.name, accelerate: accelerate.checked },
    {
      progress(p: Progress) {
        const pct = Math.floor((p.done / p.total) * 100);
        progress.value = pct;
        const speed = p.bytesPerSecond
          ? ` · ${formatBytes(p.bytesPerSecond)}/s · ${formatDuration(p.secondsLeft)} left`
          : '';
        figures.textContent = `${pct} % · ${formatBytes(p.done)} of ${formatBytes(p.total)}${speed}`;
        // The live region hears every quarter, not every progress event.
        const quarter = Math.floor(pct / 25);
        if (quarter !== lastAnnounced) {
          lastAnnounced = quarter;
          announce(`${file.name}: ${pct} percent uploaded.`);
        }
      },
      notice(text) {
        msg.className = 'msg';
        msg.textContent = text;
      },
    },
  );
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    void upload.cancel();
  });
  try {
    await upload.run();
    progress.value = 100;
    figures.textContent = `100 % · ${formatBytes(file.size)} uploaded`;
    msg.textContent = `Uploaded to ${upload.ossPath}. Waiting for validation…`;
    cancel.remove();
    announce(`${file.name} uploaded.`);
    renderResumable();
    if (ns === namespace) {
      await loadList();
      watch(file.name);
    }
  } catch (error) {
    msg.className = 'msg error';
    msg.textContent = messageOf(error);
    announce(`${file.name}: ${messageOf(error)}`);
    cancel.remove();
    renderResumable();
    if (!(error instanceof DOMException)) {
      const retry = el('button', { type: 'button' }, 'Try again');
      retry.addEventListener('click', () => {
        item.remove();
        void runUpload(file);
      });
      item.append(retry);
    }
  }
}

/** Unfinished multipart uploads from earlier visits: pick the same file to continue, or discard. */
function renderResumable(): void {
  const items = savedUploads().map((u) => {
    const discard = el('button', { type: 'button', 'aria-label': `Discard unfinished upload of ${u.name}` }, 'Discard');
    discard.addEventListener('click', async () => {
      forgetUpload(u.uploadId);
      await api.call('DELETE', `/v1/uploads/${encodeURIComponent(u.uploadId)}`).catch(() => undefined);
      renderResumable();
      announce(`Discarded the unfinished upload of ${u.name}.`);
    });
    return el(
      'li',
      {},
      el(
        'span',
        {},
        `Unfinished: ${u.name} (${formatBytes(u.size)}) in ${u.namespace}. Choose the same file in that namespace to send the missing parts. `,
      ),
      discard,
    );
  });
  $('resumable').replaceChildren(...items);
}

const fileInput = $<HTMLInputElement>('file');
fileInput.addEventListener('change', () => {
  if (fileInput.files) startUploads(fileInput.files);
  fileInput.value = '';
});
const drop = $('drop');
for (const type of ['dragenter', 'dragover'])
  drop.addEventListener(type, (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  if (e.dataTransfer?.files.length) startUploads(e.dataTransfer.files);
});
// A file dropped beside the zone would replace the page; keep it on the page instead.
addEventListener('dragover', (e) => e.preventDefault());
addEventListener('drop', (e) => e.preventDefault());

// ——— start ———

renderToken();
renderNamespaces();
renderResumable();
const remembered = localStorage.getItem(NS_KEY) ?? recentNamespaces()[0] ?? '';
$<HTMLInputElement>('namespace').value = remembered;
namespace = remembered;
if (!sessionStorage.getItem(TOKEN_KEY)) $('token').focus();
else if (namespace) void loadList();
