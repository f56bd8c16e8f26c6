import { namespaceProblem } from '../layout/names';
import { ParseProblem, parseJson } from './parse';

/** What a token may do. `logs:write` is the log intake's; the rest are presign-api's. */
export const API_ACTIONS = ['upload', 'download', 'list', 'delete', 'logs:write'] as const;
export type ApiAction = (typeof API_ACTIONS)[number];

/** A configured API token: only the SHA-256 digest of the secret is ever held. */
export interface ApiToken {
  /** Names the token in audit events and logs; never secret. */
  id: string;
  /** Lowercase hex SHA-256 of the bearer token. */
  sha256: string;
  /** Namespaces the token may act on, or "*" for all. */
  namespaces: readonly string[] | '*';
  actions: readonly ApiAction[];
}

const ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;

/**
 * Parses `API_TOKENS`: a JSON list of `{id, sha256, namespaces, actions}`, where `namespaces` and
 * `actions` are lists or "*". Every problem in every entry is reported.
 */
export function parseApiTokens(raw: string): ApiToken[] {
  const value = parseJson(raw);
  if (!Array.isArray(value)) throw new ParseProblem('must be a JSON list of {id, sha256, namespaces, actions}');
  const problems: string[] = [];
  const seen = new Set<string>();
  const tokens: ApiToken[] = [];
  value.forEach((entry: unknown, index) => {
    const where = `entry ${index}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${where} is not an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !['id', 'sha256', 'namespaces', 'actions'].includes(k));
    if (unknown.length > 0) problems.push(`${where} has unknown field(s) ${unknown.join(', ')}`);
    const id = e.id;
    if (typeof id !== 'string' || !ID_RE.test(id)) {
      problems.push(`${where}: id must be 1–64 characters of letters, digits and ._:@-`);
    } else if (seen.has(id)) {
      problems.push(`${where}: id "${id}" is used twice`);
    } else {
      seen.add(id);
    }
    const sha256 = typeof e.sha256 === 'string' ? e.sha256.toLowerCase() : undefined;
    if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) {
      problems.push(
        `${where}: sha256 must be the 64-hex-digit SHA-256 of the token (for example: printf %s "$TOKEN" | sha256sum)`,
      );
    }
    const namespaces = parseNamespaces(e.namespaces, where, problems);
    const actions = parseActions(e.actions, where, problems);
    if (typeof id === 'string' && sha256 && namespaces && actions) tokens.push({ id, sha256, namespaces, actions });
  });
  if (problems.length > 0) throw new ParseProblem(problems.join('; '));
  return tokens;
}

function parseNamespaces(value: unknown, where: string, problems: string[]): ApiToken['namespaces'] | undefined {
  if (value === '*') return '*';
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
    problems.push(`${where}: namespaces must be "*" or a non-empty list of namespace names`);
    return undefined;
  }
  const bad = (value as string[]).filter((ns) => ns !== '*' && namespaceProblem(ns) !== undefined);
  if (bad.length > 0) {
    problems.push(`${where}: namespaces ${bad.map((b) => JSON.stringify(b)).join(', ')} are not valid namespace names`);
    return undefined;
  }
  return (value as string[]).includes('*') ? '*' : (value as string[]);
}

function parseActions(value: unknown, where: string, problems: string[]): ApiAction[] | undefined {
  if (value === '*') return [...API_ACTIONS];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
    problems.push(`${where}: actions must be "*" or a non-empty list of ${API_ACTIONS.join(', ')}`);
    return undefined;
  }
  if ((value as string[]).includes('*')) return [...API_ACTIONS];
  const bad = (value as string[]).filter((a) => !(API_ACTIONS as readonly string[]).includes(a));
  if (bad.length > 0) {
    problems.push(`${where}: unknown action(s) ${bad.join(', ')}; allowed: ${API_ACTIONS.join(', ')}`);
    return undefined;
  }
  return [...new Set(value as ApiAction[])];
}
