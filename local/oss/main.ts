/**
 * `npm run oss-server`: the local OSS-compatible server on its own, configured like the local stack
 * (README, "Local stack"): LOCAL_OSS_PORT (9100), LOCAL_DATA_DIR (.local; data under <dir>/oss),
 * LOCAL_BUCKET (flink-workspace, created on first start), LOCAL_OSS_ACCESS_KEY_ID / _SECRET, and the
 * server's own LOCAL_OSS_FAULTS, LOCAL_OSS_ADMIN_TOKEN, LOCAL_OSS_RESTORE_DELAY_MS / _DAY_MS (env.ts).
 */
import { join, resolve } from 'node:path';
import { describeError, PackError } from '../../shared/errors';
import { ossOptionsFromEnv } from './env';
import { DEFAULT_PORT, startOssServer } from './index';

function env(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function describeFaults(faults: Record<string, object>): string {
  const entries = Object.entries(faults);
  if (entries.length === 0) return 'none';
  return entries.map(([op, f]) => `${op} ${JSON.stringify(f)}`).join('; ');
}

async function main(): Promise<void> {
  const rawPort = env('LOCAL_OSS_PORT', String(DEFAULT_PORT));
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535)
    throw new PackError('CONFIG_INVALID', `LOCAL_OSS_PORT must be a port number, got "${rawPort}"`);
  const dataDir = join(resolve(env('LOCAL_DATA_DIR', '.local')), 'oss');
  const bucket = env('LOCAL_BUCKET', 'flink-workspace');
  const accessKeyId = env('LOCAL_OSS_ACCESS_KEY_ID', 'local-access-key');
  const accessKeySecret = env('LOCAL_OSS_ACCESS_KEY_SECRET', 'local-secret-key');
  const quiet = env('LOCAL_OSS_QUIET', 'false') === 'true';

  const fromEnv = ossOptionsFromEnv(process.env, accessKeySecret);
  const server = await startOssServer({
    port,
    host: '127.0.0.1',
    dataDir,
    accessKeys: [{ accessKeyId, accessKeySecret }],
    buckets: [bucket],
    log: quiet ? undefined : (line) => console.log(`[oss] ${line}`),
    ...fromEnv,
  });
  const endpoint = `http://localhost:${server.port}`;
  console.log(`Local OSS server listening on ${server.url} (data in ${dataDir})
Bucket: ${bucket}   Access key: ${accessKeyId} / ${accessKeySecret}   Region: cn-hangzhou

ali-oss:
  new OSS({ endpoint: '${endpoint}', sldEnable: true, region: 'oss-cn-hangzhou',
            accessKeyId: '${accessKeyId}', accessKeySecret: '${accessKeySecret}', bucket: '${bucket}' })

curl (path style; sign with ali-oss signatureUrl/signatureUrlV4 or shared/storage/signing presignQuery):
  curl -i '${endpoint}/${bucket}/<key>?<signed query>'
  curl -i -T ./file.jar '${endpoint}/${bucket}/<key>?<signed PUT query>'
  curl -i -X OPTIONS -H 'Origin: http://localhost:9000' -H 'Access-Control-Request-Method: PUT' '${endpoint}/${bucket}/<key>'

Faults (LOCAL_OSS_FAULTS): ${describeFaults(fromEnv.faults ?? {})}
  curl -H 'Authorization: Bearer ${process.env.LOCAL_OSS_ADMIN_TOKEN?.trim() ? '$LOCAL_OSS_ADMIN_TOKEN' : accessKeySecret}' ${endpoint}/_local/faults

Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the OSS server…`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`error while stopping: ${describeError(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof PackError ? error.message : describeError(error));
  process.exit(1);
});
