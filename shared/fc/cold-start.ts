import { type Config, loadConfig } from '../config';
import { describeError } from '../errors';
import { createLogger } from '../log';

/**
 * Reads the pack's configuration once, at a function's cold start. A bad configuration is logged with every
 * bad variable named, then thrown: FC reports the instance as failed to start instead of answering with it.
 */
export function loadConfigAtColdStart(fn: string, env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    createLogger({ fn }).error('invalid configuration', { error: describeError(error) });
    throw error;
  }
}
