import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiAction, ApiToken } from '../config';
import { ApiError } from './errors';

/** Who is calling: the configured token that matched, never the token itself. */
export interface Caller {
  tokenId: string;
  namespaces: readonly string[] | '*';
  actions: readonly ApiAction[];
}

/** Lowercase hex SHA-256 of a token, as configured in API_TOKENS. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Finds the configured token for an `Authorization: Bearer <token>` header. Every configured digest
 * is compared in constant time, and all of them are compared, so timing reveals neither which token
 * nor how much of one matched. Throws `UNAUTHENTICATED` without or with an unknown token.
 */
export function authenticate(authorization: string | undefined, tokens: readonly ApiToken[]): Caller {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '');
  if (!match) {
    throw new ApiError(
      'UNAUTHENTICATED',
      authorization
        ? 'The Authorization header must be "Bearer <token>".'
        : 'Send the API token as "Authorization: Bearer <token>".',
    );
  }
  const presented = Buffer.from(tokenDigest(match[1]!), 'hex');
  let found: ApiToken | undefined;
  for (const token of tokens) {
    const equal = timingSafeEqual(presented, Buffer.from(token.sha256, 'hex'));
    if (equal && found === undefined) found = token;
  }
  if (!found) throw new ApiError('UNAUTHENTICATED', 'The API token is not known.');
  return { tokenId: found.id, namespaces: found.namespaces, actions: found.actions };
}

/** True when the caller may perform `action` in `namespace`. */
export function isAllowed(caller: Caller, action: ApiAction, namespace: string): boolean {
  return caller.actions.includes(action) && (caller.namespaces === '*' || caller.namespaces.includes(namespace));
}

/** Throws `FORBIDDEN`, naming the token, action and namespace, unless the caller may act. */
export function authorize(caller: Caller, action: ApiAction, namespace: string): void {
  if (!caller.actions.includes(action)) {
    throw new ApiError(
      'FORBIDDEN',
      `Token "${caller.tokenId}" may not ${action} (it may: ${caller.actions.join(', ') || 'nothing'}).`,
    );
  }
  if (!isAllowed(caller, action, namespace)) {
    throw new ApiError('FORBIDDEN', `Token "${caller.tokenId}" may not ${action} in namespace "${namespace}".`);
  }
}
