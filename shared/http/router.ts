import { TrieRouter } from 'hono/router/trie-router';

export interface RouteMatch<H> {
  handler: H;
  params: Record<string, string>;
}

/**
 * Method and path routing on Hono's trie router (3 KB, no fetch primitives): patterns such as
 * `/v1/uploads/:uploadId` and `/v1/artifacts/:namespace/:name{.+}`.
 */
export class Router<H> {
  private readonly trie = new TrieRouter<H>();
  private readonly methodsByPattern = new TrieRouter<string>();

  add(method: string, pattern: string, handler: H): this {
    this.trie.add(method, pattern, handler);
    this.methodsByPattern.add('ALL', pattern, method);
    return this;
  }

  /** The handler for a request, or `undefined`; `allowed` lists the methods the path has when the method is wrong. */
  match(method: string, path: string): { found: RouteMatch<H> } | { allowed: string[] } {
    const [matches] = this.trie.match(method, path) as unknown as [Array<[H, Record<string, string>]>];
    const first = matches[0];
    if (first) return { found: { handler: first[0], params: decodeParams(first[1]) } };
    const [others] = this.methodsByPattern.match('ALL', path) as unknown as [Array<[string, unknown]>];
    return { allowed: [...new Set(others.map(([m]) => m))] };
  }
}

function decodeParams(params: Record<string, string>): Record<string, string> {
  // The trie hands back raw segments of the already-decoded path; copy so callers own the object.
  return { ...params };
}
