import { parseDuration } from '../../shared/config/parse';
import { PackError } from '../../shared/errors';
import { FaultSpecError, parseFaultSpec } from './fault-spec';
import type { Fault } from './faults';
import type { OssServerOptions } from './options';

/**
 * The server options that `npm run oss-server` and `npm start` take from the environment
 * (docs/local-oss-server.md "Running it"): LOCAL_OSS_FAULTS, LOCAL_OSS_ADMIN_TOKEN (the admin endpoint
 * is on with it, or with the access key secret when unset), LOCAL_OSS_RESTORE_DELAY_MS,
 * LOCAL_OSS_RESTORE_DAY_MS, LOCAL_OSS_CLOCK_OFFSET (`-40d`: objects are written 40 days in the past).
 * A bad value is a PackError `CONFIG_INVALID` naming the variable.
 */
export function ossOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  fallbackAdminToken: string,
): Pick<OssServerOptions, 'restoreDelayMs' | 'restoreDayMs' | 'faults' | 'adminToken' | 'clockOffsetMs'> {
  const ms = (name: string, min: number): number | undefined => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min)
      throw new PackError('CONFIG_INVALID', `${name} must be a whole number of milliseconds ≥ ${min}, got "${raw}"`);
    return Number(raw);
  };
  const restoreDelayMs = ms('LOCAL_OSS_RESTORE_DELAY_MS', 0);
  const restoreDayMs = ms('LOCAL_OSS_RESTORE_DAY_MS', 1);
  const faults: Record<string, Fault> = {};
  const spec = env.LOCAL_OSS_FAULTS?.trim();
  if (spec) {
    try {
      for (const [op, fault] of parseFaultSpec(spec)) faults[op] = fault;
    } catch (error) {
      if (error instanceof FaultSpecError)
        throw new PackError('CONFIG_INVALID', `LOCAL_OSS_FAULTS: ${error.message}`, { cause: error });
      throw error;
    }
  }
  const adminToken = env.LOCAL_OSS_ADMIN_TOKEN?.trim() || fallbackAdminToken;
  if (adminToken.length < 8)
    throw new PackError('CONFIG_INVALID', 'LOCAL_OSS_ADMIN_TOKEN must be at least 8 characters');
  const clockOffsetMs = signedDuration('LOCAL_OSS_CLOCK_OFFSET', env.LOCAL_OSS_CLOCK_OFFSET);
  return {
    faults,
    adminToken,
    ...(clockOffsetMs !== undefined ? { clockOffsetMs } : {}),
    ...(restoreDelayMs !== undefined ? { restoreDelayMs } : {}),
    ...(restoreDayMs !== undefined ? { restoreDayMs } : {}),
  };
}

/** `-40d`, `+2h`, `90m`: a duration with an optional sign, in milliseconds. */
function signedDuration(name: string, raw: string | undefined): number | undefined {
  const text = raw?.trim();
  if (text === undefined || text === '') return undefined;
  const sign = text.startsWith('-') ? -1 : 1;
  try {
    return sign * parseDuration(text.replace(/^[+-]/, ''));
  } catch (error) {
    throw new PackError('CONFIG_INVALID', `${name} must be a duration such as -40d or -12h, got "${raw}"`, {
      cause: error,
    });
  }
}
