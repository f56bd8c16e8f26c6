/**
 * `npm run deploy [-- <s deploy args>]`: builds every bundle, then runs Serverless Devs (`s deploy`) on
 * s.yaml. Needs the `s` CLI (npm i -g @serverless-devs/s) and an access alias (`s config add`).
 */
import { spawnSync } from 'node:child_process';
import { buildFunctions, codeCacheWarnings, ROOT } from './build';

function hasServerlessDevs(): boolean {
  return spawnSync('s', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  if (!hasServerlessDevs()) {
    console.error(
      'Serverless Devs is not installed: run `npm install -g @serverless-devs/s`, then `s config add` to store your Alibaba Cloud access key, and try again.',
    );
    process.exit(1);
  }
  const results = await buildFunctions();
  for (const r of results) console.log(`built ${r.name}: ${(r.bytes / 1024).toFixed(1)} KiB`);
  for (const warning of codeCacheWarnings(results)) console.warn(`warning: ${warning}`);
  const deploy = spawnSync('s', ['deploy', '-y', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
  process.exit(deploy.status ?? 1);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
