import type { OutputLine } from '../../local/runtime';
import { type LocalSettings, readLocalSettings } from '../../local/settings';
import { type LocalStack, startLocalStack } from '../../local/stack';

export interface TestStack extends LocalStack {
  /** Every line functions wrote, in order. */
  output: OutputLine[];
}

/**
 * Starts the whole local stack in memory on free ports, with the real bundles, for end-to-end tests.
 * `env` reaches every function (over s.yaml's values); `settings` overrides the local settings (a fixed
 * `apiPort` makes the bucket's CORS rule admit pages served by presign-api).
 */
export async function startTestStack(
  env: Record<string, string> = {},
  settings: Partial<LocalSettings> = {},
): Promise<TestStack> {
  const merged = { ...readLocalSettings({}), ossPort: 0, apiPort: 0, logsPort: 0, ...settings };
  const output: OutputLine[] = [];
  const stack = await startLocalStack({
    settings: merged,
    persist: false,
    // test/global-setup.ts built dist/ once for all files.
    build: false,
    timers: false,
    env,
    runtime: {
      output: (line) => output.push(line),
      log: () => undefined,
      asyncRetry: { baseDelayMs: 50, maxDelayMs: 200 },
    },
  });
  return Object.assign(stack, { output });
}
