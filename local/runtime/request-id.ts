import { randomBytes } from 'node:crypto';

/**
 * A request id in FC 3.0's shape, `1-<8 hex seconds>-<24 hex random>` (as in `1-64f6cd87-…` from the HTTP
 * trigger docs): sortable by time, unique without coordination.
 */
export function newRequestId(now: number = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `1-${seconds}-${randomBytes(12).toString('hex')}`;
}
