import type { Credentials } from '../config';
import { PackError } from '../errors';

/** Returns the credentials to use now; called per operation so rotated STS keys are picked up. */
export type CredentialsProvider = () => Credentials;

/**
 * FC `context.credentials` (the function role's STS keys) first, then the environment
 * (ALIBABA_CLOUD_*, then OSS_ACCESS_KEY_*). Throws `CREDENTIALS_MISSING` naming both ways to fix it.
 */
export function resolveCredentials(
  contextCredentials: Partial<Credentials> | undefined,
  envCredentials: Credentials | undefined,
): Credentials {
  if (contextCredentials?.accessKeyId && contextCredentials.accessKeySecret) {
    return contextCredentials.securityToken
      ? {
          accessKeyId: contextCredentials.accessKeyId,
          accessKeySecret: contextCredentials.accessKeySecret,
          securityToken: contextCredentials.securityToken,
        }
      : { accessKeyId: contextCredentials.accessKeyId, accessKeySecret: contextCredentials.accessKeySecret };
  }
  if (envCredentials) return envCredentials;
  throw new PackError(
    'CREDENTIALS_MISSING',
    'No OSS credentials: give the function a role (FC passes its STS keys in context.credentials) or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET.',
  );
}

/** True when two credential sets are the same keys (used to rebuild a client after STS rotation). */
export function sameCredentials(a: Credentials, b: Credentials): boolean {
  return (
    a.accessKeyId === b.accessKeyId && a.accessKeySecret === b.accessKeySecret && a.securityToken === b.securityToken
  );
}
