import type { OutputLine } from '../../local/runtime';
import { readLocalSettings } from '../../local/settings';
import { type LocalStack, startLocalStack } from '../../local/stack';

export interface TestStack extends LocalStack {
  /** Every line functions wrote, in order. */
  output: OutputLine[];
}

/**
 * Starts the whole local stack in memory on free ports, with the real bundles, for end-to-end tests.
 * `env` reaches every function (over s.yaml's values).
 */
export async function startTestStack(env: Record<string, string> = {}): Promise<TestStack> {
  const settings = { ...readLocalSettings({}), ossPort: 0, apiPort: 0, logsPort: 0 };
  const output: OutputLine[] = [];
  const stack = await startLocalStack({
    settings,
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
