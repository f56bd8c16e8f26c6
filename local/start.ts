/**
 * `npm start [-- --fresh] [-- --template <s.yaml>]`: the whole pack on loopback. Builds the bundles, starts the local OSS server
 * (data under LOCAL_DATA_DIR), configures the bucket, runs every function of s.yaml with its triggers,
 * prints the URLs, the development token and a first request to try. Ctrl-C stops everything cleanly.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../shared/errors';
import { readLocalSettings } from './settings';
import { type LocalStack, startLocalStack } from './stack';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fresh: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      template: { type: 'string', short: 't' },
      build: { type: 'boolean', default: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowNegative: true,
  });
  if (values.help) {
    console.log(
      [
        'Usage: npm start [-- --fresh] [-- --quiet] [-- --template <s.yaml>] [-- --no-build]',
        '  --fresh     start with an empty bucket (deletes LOCAL_DATA_DIR)',
        '  --quiet     do not print each OSS request',
        "  --template  the s.yaml to run (default: the project's), as `s -t`",
        "  --no-build  run the pack's bundles in dist/ as they are",
      ].join('\n'),
    );
    return;
  }
  const settings = readLocalSettings();
  const started = Date.now();
  console.log('Starting the local stack…');
  const stack = await startLocalStack({
    settings,
    fresh: values.fresh,
    build: values.build,
    ...(values.template !== undefined && { stackFile: resolve(values.template) }),
    log: (line) => console.log(`  ${line}`),
    ...(!values.quiet && { ossRequestLog: (line: string) => console.log(`[oss] ${line}`) }),
  });
  printBanner(stack, Date.now() - started);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.log('Stopping now.');
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: stopping (waiting up to 5 s for running invocations; Ctrl-C again to force)…`);
    await stack.close();
    console.log('Stopped. Data already written is in', settings.dataDir);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function printBanner(stack: LocalStack, ms: number): void {
  const { settings } = stack;
  const api = stack.urls['presign-api'];
  const lines = [
    '',
    `Local stack ready in ${(ms / 1000).toFixed(1)} s.`,
    '',
    `  OSS server      ${stack.ossEndpoint}   bucket ${settings.bucket}, keys ${settings.accessKeyId} / ${settings.accessKeySecret}`,
    ...Object.entries(stack.urls).map(([name, url]) => `  ${name.padEnd(15)} ${url}`),
    `  data            ${settings.dataDir}`,
    `  API token       ${settings.apiToken}   (every action, every namespace; LOCAL_API_TOKEN changes it)`,
    settings.extraApiTokens.length > 0
      ? `  more tokens     ${settings.extraApiTokens.map((t) => t.id).join(', ')}   (from LOCAL_API_TOKENS)`
      : '  more tokens     none   (LOCAL_API_TOKENS adds scoped ones, in API_TOKENS format)',
  ];
  if (api) {
    lines.push(
      '',
      'Try it: ask for an upload URL, then PUT the file to it with the headers it lists:',
      '',
      `  curl -s -X POST ${api}/v1/uploads \\`,
      `    -H 'Authorization: Bearer ${settings.apiToken}' -H 'Content-Type: application/json' \\`,
      `    -d '{"namespace":"default","name":"hello.jar","size":6}'`,
      '',
      `  curl -X PUT -T hello.jar -H 'content-type: application/java-archive' -H 'x-oss-forbid-overwrite: true' '<url from the answer>'`,
      '',
      `API description: ${api}/openapi.json   Health: ${api}/healthz`,
    );
  }
  const logs = stack.urls['log-shipper'];
  if (logs) {
    lines.push(
      '',
      `Ship a log line, then read it back (docs/log-shipper.md):`,
      `  curl -s -X POST '${logs}/v1/logs?namespace=default&deployment=my-job' -H 'Authorization: Bearer ${settings.apiToken}' --data-binary 'hello from my job'`,
      '  npm run logs -- tail --namespace default',
    );
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(`\nThe local stack did not start: ${describeError(error).replace(/^[A-Z_]+: /, '')}`);
  process.exit(1);
});
