/**
 * The IPv4 address the OSS client connects to for its endpoint's host name.
 *
 * Why not let `node:http` resolve the name: before resolving, Node asks `net.isIP(host)`, and for a name
 * that is not an IPv4 literal that runs Node's IPv6 address pattern, whose first use compiles a very large
 * regular expression: about 13 ms of CPU in every fresh process (measured on Node 20), a fifth of the
 * first-request budget of a function. Connecting to an IPv4 literal skips that test. So the name is
 * resolved here, with the DNS resolver (`dns.Resolver#resolve4`, which reads /etc/resolv.conf as the
 * system resolver does, not /etc/hosts), the address is used for the record's TTL (at most a minute, then
 * looked up again while the known one serves), and the request carries the real name in `Host` (and in
 * TLS's server name). `localhost` is loopback by definition (RFC 6761). When resolving fails (no A record,
 * a name only /etc/hosts knows, a resolver that does not answer), the client connects by name from then
 * on, as it did before: this only ever saves time, it never loses a request.
 */
import type { Resolver } from 'node:dns';

const IPV4_LITERAL = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const LOCALHOST = /(?:^|\.)localhost\.?$/i;

/** Longest an address is used before it is looked up again, whatever its TTL says. */
const MAX_REUSE_MS = 60_000;

/** Resolves IPv4 addresses with their TTLs (`dns.Resolver#resolve4` with `{ ttl: true }`). */
export type Resolve4 = (hostname: string) => Promise<Array<{ address: string; ttl: number }>>;

export interface ConnectAddressOptions {
  resolve4?: Resolve4;
  now?: () => number;
}

/** Where to connect for one host name: an IPv4 address, or the name itself when none is known. */
export class ConnectAddress {
  private cached: { address: string; until: number } | undefined;
  private pending: Promise<string> | undefined;
  private readonly resolve4: Resolve4;
  private readonly now: () => number;

  constructor(
    readonly hostname: string,
    options: ConnectAddressOptions = {},
  ) {
    this.resolve4 = options.resolve4 ?? systemResolve4;
    this.now = options.now ?? Date.now;
    if (IPV4_LITERAL.test(hostname)) this.cached = { address: hostname, until: Number.POSITIVE_INFINITY };
    else if (LOCALHOST.test(hostname)) this.cached = { address: '127.0.0.1', until: Number.POSITIVE_INFINITY };
    // An IPv6 literal is connected to as it is (Node tests it once, whatever this does).
    else if (hostname.includes(':')) this.cached = { address: hostname, until: Number.POSITIVE_INFINITY };
  }

  /**
   * The address to connect to now. Only the first call waits for the resolver (concurrent callers share
   * it); once the TTL has passed, the known address is still used while a new one is looked up.
   */
  get(): Promise<string> | string {
    const cached = this.cached;
    if (cached) {
      if (cached.until <= this.now()) this.refresh();
      return cached.address;
    }
    return this.refresh();
  }

  /** Whether `address` stands for the host name (so the request must name the host itself). */
  isSubstitute(address: string): boolean {
    return address !== this.hostname;
  }

  private refresh(): Promise<string> {
    this.pending ??= this.resolve().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async resolve(): Promise<string> {
    try {
      const records = await this.resolve4(this.hostname);
      const first = records[0];
      if (first && IPV4_LITERAL.test(first.address)) {
        const ttlMs = Math.min(MAX_REUSE_MS, Math.max(0, first.ttl) * 1000);
        this.cached = { address: first.address, until: this.now() + ttlMs };
        return first.address;
      }
    } catch {
      // Below: connect by name.
    }
    // A name DNS does not give an IPv4 address for (or a resolver that does not answer) is connected to
    // by name for the rest of the process, by Node's own lookup, as it would have been without this: no
    // request ever waits for this resolver again.
    this.cached = { address: this.hostname, until: Number.POSITIVE_INFINITY };
    return this.hostname;
  }
}

let resolver: Resolver | undefined;

/**
 * The system's DNS servers, with a short timeout: a slow answer falls back to connecting by name. `node:dns`
 * loads only here, so an endpoint that is an address or `localhost` never loads it.
 */
const systemResolve4: Resolve4 = async (hostname) => {
  if (!resolver) {
    const dns = await import('node:dns');
    resolver ??= new dns.Resolver({ timeout: 1000, tries: 2 });
  }
  const r = resolver;
  return new Promise((resolve, reject) =>
    r.resolve4(hostname, { ttl: true }, (error, records) => (error ? reject(error) : resolve(records))),
  );
};
