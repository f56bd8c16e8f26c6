import { PackError } from '../../shared/errors';
import type { OssServerOptions } from './options';

/**
 * The server options that `npm run oss-server` and `npm start` take from the environment
 * (docs/local-oss-server.md "Running it"): LOCAL_OSS_RESTORE_DELAY_MS, LOCAL_OSS_RESTORE_DAY_MS.
 * A bad value is a PackError `CONFIG_INVALID` naming the variable.
 */
export function ossOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Pick<OssServerOptions, 'restoreDelayMs' | 'restoreDayMs'> {
  const ms = (name: string, min: number): number | undefined => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min)
      throw new PackError('CONFIG_INVALID', `${name} must be a whole number of milliseconds ≥ ${min}, got "${raw}"`);
    return Number(raw);
  };
  const restoreDelayMs = ms('LOCAL_OSS_RESTORE_DELAY_MS', 0);
  const restoreDayMs = ms('LOCAL_OSS_RESTORE_DAY_MS', 1);
  return {
    ...(restoreDelayMs !== undefined ? { restoreDelayMs } : {}),
    ...(restoreDayMs !== undefined ? { restoreDayMs } : {}),
  };
}
