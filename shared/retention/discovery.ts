/**
 * Finds Flink checkpoint and savepoint directories in a bucket listing (docs/state-pruner.md §3).
 * Pure: keys in, directories out. Works for the Realtime Compute, Ververica Platform and plain Flink
 * layouts because it recognises the directories Flink itself creates (`chk-<n>/`, `shared/`,
 * `taskowned/`, `savepoint-<6 hex>-<12 hex>/`) at any depth instead of fixed paths.
 */

/** One object of a listing, as the planner needs it. */
export interface ListedObject {
  key: string;
  size: number;
  /** Epoch milliseconds. */
  lastModified: number;
  /** OSS storage class (`Standard`, `IA`, `Archive`, `ColdArchive`, `DeepColdArchive`); `Standard` when unknown. */
  storageClass?: string;
}

/**
 * Who a checkpoint or savepoint belongs to: a deployment, a session cluster or a VVP job
 * (`<namespace>/<kind>/<id>`), or, for plain Flink layouts, the directory that holds it.
 */
export interface Owner {
  id: string;
  namespace?: string;
  deployment?: string;
}

export interface CheckpointDir {
  /** `<job dir>chk-<n>/` (or `sp-<n>/` holds a savepoint, see `SavepointDir`). */
  prefix: string;
  n: number;
  metadata?: ListedObject;
  /** Every object in the directory, `_metadata` included. */
  files: ListedObject[];
}

export interface JobDir {
  /** The Flink job checkpoint directory (`…/<job id>/`), ending in "/". */
  prefix: string;
  owner: Owner;
  checkpoints: CheckpointDir[];
  /** Objects under `shared/` and `taskowned/`, at any depth. */
  shared: ListedObject[];
  taskowned: ListedObject[];
  /** Newest `lastModified` of anything in the job directory. */
  lastWrite: number;
}

export interface SavepointDir {
  /** `…/savepoint-<6 hex>-<12 hex>/` or an Alibaba `…/sp-<n>/`, ending in "/". */
  prefix: string;
  owner: Owner;
  metadata?: ListedObject;
  /** A `_KEEP` object in the directory protects it for ever. */
  keepMarker: boolean;
  files: ListedObject[];
  /** Newest `lastModified` in the directory. */
  lastWrite: number;
}

export interface Discovery {
  jobs: JobDir[];
  savepoints: SavepointDir[];
  /** Objects under the owned prefixes that belong to no checkpoint or savepoint directory (left alone). */
  unowned: { count: number; bytes: number; examples: string[] };
  /** Objects under an `ha/` directory (never touched). */
  ha: { count: number; bytes: number };
}

export const METADATA_FILE = '_metadata';
export const KEEP_MARKER = '_KEEP';

const CHK = /^chk-(\d{1,18})$/;
const SP = /^sp-(\d{1,18})$/;
const SAVEPOINT = /^savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/;
/** A segment after one of these is a name someone chose (a namespace called `shared`), not a Flink directory. */
const NAMING_PARENTS = new Set(['namespaces', 'deployments', 'sessionclusters', 'jobs']);

/**
 * The prefixes the pruner may ever delete under: `flink-jobs/`, `flink-sessionclusters/`,
 * `flink-savepoints/` below the root directory, plus configured extra prefixes.
 */
export function ownedPrefixes(rootDirectory: string, extraPrefixes: readonly string[] = []): string[] {
  const areas = ['flink-jobs/', 'flink-sessionclusters/', 'flink-savepoints/'].map((a) => `${rootDirectory}${a}`);
  return [...new Set([...areas, ...extraPrefixes.map((p) => `${rootDirectory}${p}`)])];
}

/** True when a key has an `ha` path segment: Flink's high-availability data is never touched. */
export function isUnderHa(key: string): boolean {
  return key.split('/').slice(0, -1).includes('ha');
}

/** The guard every deletion passes: inside an owned prefix, not under `ha/`, not a folder marker. */
export function isDeletable(key: string, prefixes: readonly string[]): boolean {
  return !key.endsWith('/') && !isUnderHa(key) && prefixes.some((p) => key.startsWith(p) && key.length > p.length);
}

/** Groups a listing into job checkpoint directories and savepoint directories. */
export function discover(objects: Iterable<ListedObject>, prefixes: readonly string[]): Discovery {
  const jobs = new Map<string, JobDir>();
  const savepoints = new Map<string, SavepointDir>();
  const unowned = { count: 0, bytes: 0, examples: [] as string[] };
  const ha = { count: 0, bytes: 0 };

  for (const o of objects) {
    const at = locate(o.key, prefixes);
    if (at === undefined) continue;
    if (at === 'ha') {
      ha.count++;
      ha.bytes += o.size;
      continue;
    }
    if (at === 'unowned') {
      unowned.count++;
      unowned.bytes += o.size;
      if (unowned.examples.length < 20) unowned.examples.push(o.key);
      continue;
    }
    const { base, segs, place } = at;
    const dirPrefix =
      base +
      segs
        .slice(0, place.at)
        .map((s) => `${s}/`)
        .join('');
    if (place.kind === 'savepoint') {
      const prefix = `${dirPrefix}${segs[place.at]}/`;
      let sp = savepoints.get(prefix);
      if (!sp) {
        sp = {
          prefix,
          owner: ownerOf(base, segs.slice(0, place.at), segs[place.at] as string),
          keepMarker: false,
          files: [],
          lastWrite: 0,
        };
        savepoints.set(prefix, sp);
      }
      const name = segs[place.at + 1];
      if (name === METADATA_FILE && segs.length === place.at + 2) sp.metadata = o;
      if (name === KEEP_MARKER && segs.length === place.at + 2) sp.keepMarker = true;
      sp.files.push(o);
      sp.lastWrite = Math.max(sp.lastWrite, o.lastModified);
      continue;
    }
    let job = jobs.get(dirPrefix);
    if (!job) {
      job = {
        prefix: dirPrefix,
        owner: ownerOf(base, segs.slice(0, place.at), undefined),
        checkpoints: [],
        shared: [],
        taskowned: [],
        lastWrite: 0,
      };
      jobs.set(dirPrefix, job);
    }
    job.lastWrite = Math.max(job.lastWrite, o.lastModified);
    if (place.kind === 'shared') job.shared.push(o);
    else if (place.kind === 'taskowned') job.taskowned.push(o);
    else if (place.kind === 'checkpoint') {
      const prefix = `${dirPrefix}${segs[place.at]}/`;
      let chk = job.checkpoints.find((c) => c.prefix === prefix);
      if (!chk) {
        chk = { prefix, n: place.n, files: [] };
        job.checkpoints.push(chk);
      }
      if (segs[place.at + 1] === METADATA_FILE) chk.metadata = o;
      chk.files.push(o);
    }
  }
  for (const job of jobs.values()) job.checkpoints.sort((a, b) => a.n - b.n);
  return {
    jobs: [...jobs.values()].sort((a, b) => cmp(a.prefix, b.prefix)),
    savepoints: [...savepoints.values()].sort((a, b) => cmp(a.prefix, b.prefix)),
    unowned,
    ha,
  };
}

/** Where a key sits: outside every owned prefix (undefined), under `ha/`, in no Flink directory, or in one. */
function locate(
  key: string,
  prefixes: readonly string[],
): undefined | 'ha' | 'unowned' | { base: string; segs: string[]; place: Place } {
  const base = prefixes.filter((p) => key.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  if (base === undefined || key.endsWith('/')) return undefined;
  if (isUnderHa(key)) return 'ha';
  const segs = key.slice(base.length).split('/');
  const place = classify(segs);
  return place ? { base, segs, place } : 'unowned';
}

/**
 * The owner id of `key` (what `discover` would put in its directory's `owner.id`), or why it has none.
 * Every object of one directory has the same answer, so a listing can be grouped by owner before the
 * objects themselves are looked at.
 */
export function ownerIdOf(key: string, prefixes: readonly string[]): { id: string } | 'ha' | 'unowned' | undefined {
  const at = locate(key, prefixes);
  if (at === undefined || at === 'ha' || at === 'unowned') return at;
  const { base, segs, place } = at;
  return { id: ownerOf(base, segs.slice(0, place.at), place.kind === 'savepoint' ? segs[place.at] : undefined).id };
}

type Place =
  | { kind: 'checkpoint'; at: number; n: number }
  | { kind: 'shared' | 'taskowned'; at: number }
  | { kind: 'savepoint'; at: number };

/**
 * Where a key (split into segments below its owned prefix) sits. The deepest Flink directory name
 * wins, and a name chosen by a user (a namespace or session cluster called `shared`) is never taken for
 * one; `chk-<n>/`,
 * `sp-<n>/` and savepoint directories are flat (their files sit directly in them), while `shared/`
 * and `taskowned/` hold sub-directories (file merging, ForSt).
 */
function classify(segs: string[]): Place | undefined {
  const last = segs.length - 1;
  for (let i = last - 1; i >= 0; i--) {
    const s = segs[i] as string;
    if (i === last - 1) {
      const chk = CHK.exec(s);
      if (chk) return { kind: 'checkpoint', at: i, n: Number(chk[1]) };
      if (SP.test(s) || SAVEPOINT.test(s)) return { kind: 'savepoint', at: i };
    }
  }
  for (let i = last - 1; i >= 0; i--) {
    const s = segs[i] as string;
    if ((s === 'shared' || s === 'taskowned') && !NAMING_PARENTS.has(segs[i - 1] ?? '')) return { kind: s, at: i };
  }
  return undefined;
}

/**
 * `namespaces/<ns>/deployments/<id>`, `…/sessionclusters/<name>` or VVP's `…/jobs/<id>`, whatever the
 * area, so the checkpoints in `flink-jobs/` and the savepoints in `flink-savepoints/` of one deployment
 * share an owner. Plain Flink layouts fall back to the parent directory (and, for savepoints, the job
 * id prefix in the directory name).
 */
function ownerOf(base: string, parents: string[], savepointName: string | undefined): Owner {
  const ns = parents.indexOf('namespaces');
  if (ns >= 0 && parents[ns + 1] !== undefined) {
    const namespace = parents[ns + 1] as string;
    const kind = parents[ns + 2];
    const id = parents[ns + 3];
    if ((kind === 'deployments' || kind === 'sessionclusters' || kind === 'jobs') && id !== undefined)
      return { id: `${namespace}/${kind}/${id}`, namespace, deployment: id };
    return { id: `${namespace}`, namespace };
  }
  const parent = base + parents.map((s) => `${s}/`).join('');
  if (savepointName?.startsWith('savepoint-')) return { id: `${parent}${savepointName.slice(0, 16)}` };
  return { id: parent };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
