/** The log intake wired to a local OSS server in memory, through the real ali-oss adapter and signed PUTs. */
import { gunzipSync } from 'node:zlib';
import { type RunningOssServer, startOssServer } from '../../../local/oss';
import { type Config, loadConfig } from '../../../shared/config';
import type { HttpApp } from '../../../shared/http/types';
import { createLogger } from '../../../shared/log';
import { createLogsApp } from '../../../shared/logs/http/app';
import { LogKeys } from '../../../shared/logs/keys';
import { tokenDigest } from '../../../shared/presign/auth';
import { AliOssStore } from '../../../shared/storage/ali-oss-store';

export const TOKENS = { writer: 'writer-token', other: 'other-team-token', reader: 'reader-token' };
const ROOT_KEYS = { accessKeyId: 'test-ak', accessKeySecret: 'test-sk' };

export interface IntakeFixture {
  oss: RunningOssServer;
  config: Config;
  store: AliOssStore;
  keys: LogKeys;
  app: HttpApp;
  logLines: string[];
  close(): Promise<void>;
}

export async function startIntake(env: Record<string, string> = {}): Promise<IntakeFixture> {
  const oss = await startOssServer({ port: 0, host: '127.0.0.1', accessKeys: [ROOT_KEYS], buckets: ['logs-test'] });
  const config = loadConfig({
    OSS_BUCKET: 'logs-test',
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: `http://localhost:${oss.port}`,
    OSS_PATH_STYLE: 'true',
    OSS_SECURE: 'false',
    OSS_ACCESS_KEY_ID: ROOT_KEYS.accessKeyId,
    OSS_ACCESS_KEY_SECRET: ROOT_KEYS.accessKeySecret,
    API_TOKENS: JSON.stringify([
      { id: 'writer', sha256: tokenDigest(TOKENS.writer), namespaces: ['team-a'], actions: ['logs:write'] },
      { id: 'other', sha256: tokenDigest(TOKENS.other), namespaces: ['team-b'], actions: ['logs:write'] },
      { id: 'reader', sha256: tokenDigest(TOKENS.reader), namespaces: '*', actions: ['list', 'download'] },
    ]),
    ...env,
  });
  const credentials = () => ROOT_KEYS;
  const store = new AliOssStore({
    config: config.oss,
    credentials,
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
  });
  const keys = new LogKeys(config.oss.rootDirectory);
  const logLines: string[] = [];
  const app = createLogsApp({
    config,
    store,
    keys,
    logger: createLogger({ fn: 'log-shipper' }, { write: (line) => logLines.push(line) }),
  });
  return { oss, config, store, keys, app, logLines, close: () => oss.close() };
}

/** Every stored shipped record (parsed), across all objects under `prefix`. */
export async function storedRecords(store: AliOssStore, prefix: string): Promise<Array<Record<string, any>>> {
  const out: Array<Record<string, any>> = [];
  for await (const page of store.list({ prefix })) {
    for (const object of page.objects) {
      if (!object.key.endsWith('.ndjson.gz')) continue;
      const body = await store.getBuffer(object.key);
      for (const line of gunzipSync(body!).toString('utf8').split('\n')) if (line) out.push(JSON.parse(line));
    }
  }
  return out;
}

export async function storedKeys(store: AliOssStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of store.list({ prefix })) keys.push(...page.objects.map((o) => o.key));
  return keys;
}
