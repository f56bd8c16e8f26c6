import type { EnvReader } from './env-reader';
import type { Credentials } from './types';

/** ALIBABA_CLOUD_* (FC injects these from the function's role) first, then OSS_ACCESS_KEY_*. */
export function readCredentials(r: EnvReader): Credentials | undefined {
  for (const [idVar, secretVar, tokenVar] of [
    ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN'],
    ['OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET', 'OSS_SECURITY_TOKEN'],
  ] as const) {
    const accessKeyId = r.raw(idVar);
    const accessKeySecret = r.raw(secretVar);
    if (accessKeyId === undefined && accessKeySecret === undefined) continue;
    if (accessKeyId === undefined || accessKeySecret === undefined) {
      r.problem(
        accessKeyId === undefined ? idVar : secretVar,
        `is required when ${accessKeyId === undefined ? secretVar : idVar} is set`,
      );
      return undefined;
    }
    const securityToken = r.raw(tokenVar);
    return securityToken === undefined
      ? { accessKeyId, accessKeySecret }
      : { accessKeyId, accessKeySecret, securityToken };
  }
  return undefined;
}

/** Credentials safe to log: the key id's first characters only, secrets replaced. */
export function redactCredentials(c: Credentials): Record<string, string> {
  return {
    accessKeyId: `${c.accessKeyId.slice(0, 4)}…`,
    accessKeySecret: '[redacted]',
    ...(c.securityToken ? { securityToken: '[redacted]' } : {}),
  };
}
