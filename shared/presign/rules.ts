import type { Config } from '../config';
import { MAX_STS_PRESIGN_SECONDS } from '../storage/limits';
import { authorize, type Caller } from './auth';
import { ApiError } from './errors';
import { matchExtension } from './media-types';

/**
 * The URL lifetime to use: the requested one or the default, checked against the configured limit and,
 * with STS credentials, the 12-hour limit (a default longer than that is cut, a request is refused).
 */
export function urlLifetime(config: Config, usingSts: boolean, requested: number | undefined): number {
  const { defaultExpiresSeconds, maxExpiresSeconds } = config.presign;
  const max = usingSts ? Math.min(maxExpiresSeconds, MAX_STS_PRESIGN_SECONDS) : maxExpiresSeconds;
  if (requested === undefined) return Math.min(defaultExpiresSeconds, max);
  if (requested < 1 || requested > max)
    throw new ApiError('EXPIRY_OUT_OF_RANGE', `expiresIn must be between 1 and ${max} seconds, got ${requested}.`);
  return requested;
}

/** Refuses a name whose extension is not among the allowed ones. */
export function checkExtension(config: Config, name: string): void {
  const allowed = config.presign.allowedExtensions;
  if (!matchExtension(name, allowed)) {
    throw new ApiError(
      'EXTENSION_NOT_ALLOWED',
      `name "${name.length > 80 ? `${name.slice(0, 80)}…` : name}" must end with one of ${allowed.join(', ')}.`,
    );
  }
}

/** Refuses an upload with a disallowed extension or over `MAX_UPLOAD_BYTES`. */
export function checkUpload(config: Config, name: string, size: number): void {
  checkExtension(config, name);
  const max = config.presign.maxUploadBytes;
  if (size > max)
    throw new ApiError(
      'UPLOAD_TOO_LARGE',
      `size ${size} is larger than the ${max} bytes uploads may have (MAX_UPLOAD_BYTES).`,
    );
}

/** Replacing an artifact destroys the old one, so it needs the delete action as well as upload. */
export function requireOverwrite(caller: Caller, namespace: string): void {
  if (!caller.actions.includes('delete')) {
    throw new ApiError(
      'FORBIDDEN',
      `Token "${caller.tokenId}" may not overwrite: replacing an artifact needs the delete action as well as upload.`,
    );
  }
  authorize(caller, 'delete', namespace);
}

/** Headers every upload carries: forbid-overwrite unless overwriting, and the configured encryption. */
export function writeHeaders(config: Config, overwrite: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  if (!overwrite) h['x-oss-forbid-overwrite'] = 'true';
  const enc = config.oss.encryption;
  if (enc) {
    h['x-oss-server-side-encryption'] = enc.algorithm;
    if (enc.kmsKeyId) h['x-oss-server-side-encryption-key-id'] = enc.kmsKeyId;
  }
  return h;
}
