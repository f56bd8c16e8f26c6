/**
 * `npm run logs -- tail|query --namespace <ns> [--deployment <id>] [--since 1h] [--until …] [--grep re]
 *   [--level warn,error] [--json] [--limit n] [--follow]`, or `--audit <function|*>` for the audit trail.
 *
 * Reads shipped logs back from the bucket with the pack's storage adapter: the bucket of the OSS_* variables
 * (the functions' configuration, with ALIBABA_CLOUD_ACCESS_KEY_* or OSS_ACCESS_KEY_*), or the local stack's
 * bucket with --local or when OSS_BUCKET is unset.
 */
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig, parseDuration } from '../shared/config';
import { describeError } from '../shared/errors';
import { LogKeys } from '../shared/logs/keys';
import { formatRecord, type LogQuery, matchingObjects, queryLogs, readObject } from '../shared/logs/read';
import { AliOssStore } from '../shared/storage/ali-oss-store';
import { readLocalSettings } from './settings';

const USAGE = `Usage: npm run logs -- <tail|query> (--namespace <ns> [--deployment <id>] | --audit <function|*>)
         [--since 1h] [--until <ISO time or duration ago>] [--grep <regex>] [--level warn,error]
         [--limit <n>] [--json] [--follow] [--local]
  query   every matching record of the range, oldest first (--limit keeps the newest n)
  tail    the newest records (default 50); --follow keeps printing new ones`;

function target(local: boolean): { config: Config; where: string } {
  if (local || !process.env.OSS_BUCKET) {
    const s = readLocalSettings();
    const config = loadConfig({
      OSS_BUCKET: s.bucket,
      OSS_REGION: s.region,
      OSS_ENDPOINT: `http://localhost:${s.ossPort}`,
      OSS_PATH_STYLE: 'true',
      OSS_SECURE: 'false',
      OSS_ACCESS_KEY_ID: s.accessKeyId,
      OSS_ACCESS_KEY_SECRET: s.accessKeySecret,
    });
    return { config, where: `local bucket ${s.bucket} on http://localhost:${s.ossPort}` };
  }
  const config = loadConfig();
  if (!config.envCredentials) {
    throw new ConfigError([
      { variable: 'ALIBABA_CLOUD_ACCESS_KEY_ID', reason: 'is required (with its secret) to read the bucket' },
    ]);
  }
  // From a workstation the internal endpoint is out of reach.
  return { config: { ...config, oss: { ...config.oss, internal: false } }, where: `bucket ${config.oss.bucket}` };
}

function instant(raw: string, now: number): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) throw new Error(`"${raw}" is not a time such as 2025-12-01T23:00:00Z`);
    return ms;
  }
  return now - parseDuration(raw);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      deployment: { type: 'string', short: 'd' },
      audit: { type: 'string' },
      since: { type: 'string', default: '1h' },
      until: { type: 'string' },
      grep: { type: 'string', short: 'g' },
      level: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      follow: { type: 'boolean', short: 'f', default: false },
      local: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || (command !== 'tail' && command !== 'query')) {
    console.log(USAGE);
    if (!values.help) process.exitCode = 2;
    return;
  }
  if (!values.namespace && !values.audit) throw new Error(`--namespace or --audit is required\n${USAGE}`);
  const now = Date.now();
  const query: LogQuery = {
    ...(values.audit ? { audit: values.audit } : { namespace: values.namespace! }),
    ...(values.deployment && { deployment: values.deployment }),
    sinceMs: instant(values.since, now),
    untilMs: values.until ? instant(values.until, now) : now + 3_600_000,
    ...(values.grep && { grep: new RegExp(values.grep) }),
    ...(values.level && { levels: values.level.split(',').map((l) => l.trim().toLowerCase()) }),
  };
  const limit = values.limit ? Number(values.limit) : command === 'tail' ? 50 : Number.POSITIVE_INFINITY;
  if (!(limit > 0)) throw new Error(`--limit must be a positive number, got "${values.limit}"`);

  const { config, where } = target(values.local);
  const store = new AliOssStore({ config: config.oss, credentials: () => config.envCredentials! });
  const keys = new LogKeys(config.oss.rootDirectory);
  const print = (r: Parameters<typeof formatRecord>[0]) => console.log(values.json ? r.line : formatRecord(r));
  console.error(
    `Reading ${query.audit ? `the audit trail of ${query.audit}` : `logs of ${query.namespace}${query.deployment ? `/${query.deployment}` : ''}`} from ${where}`,
  );

  const records = await queryLogs(store, keys, query, limit);
  for (const r of records) print(r);
  if (command !== 'tail' || !values.follow) {
    if (records.length === 0) console.error('No records in that range.');
    return;
  }
  // Follow: objects seen so far are skipped; new ones (new batches) are printed as they appear.
  const seen = new Set<string>();
  for await (const o of matchingObjects(store, keys, query)) seen.add(o.key);
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const fresh: string[] = [];
    for await (const o of matchingObjects(store, keys, { ...query, untilMs: Date.now() + 3_600_000 }))
      if (!seen.has(o.key)) fresh.push(o.key);
    for (const key of fresh) {
      seen.add(key);
      // A merged object holds records already printed: skip it rather than print them twice.
      if (/\/m-[0-9a-f]+\.ndjson\.gz$/.test(key)) continue;
      for (const r of await readObject(store, key, { ...query, untilMs: Date.now() + 3_600_000 })) print(r);
    }
  }
}

main().catch((error: unknown) => {
  const message = describeError(error).replace(/^[A-Z_]+: /, '');
  if (/ECONNREFUSED|OSS_NETWORK/.test(message)) {
    console.error(`${message}\nCannot reach OSS. For the local bucket, start the stack first (npm start).`);
  } else {
    console.error(message);
  }
  process.exit(1);
});
