import { describe, expect, it } from 'vitest';
import { ConnectAddress, type Resolve4 } from '../../../../shared/storage/oss-http/connect-address';

/** A resolver that answers from a script and counts its calls. */
function scripted(answers: Array<Array<{ address: string; ttl: number }> | Error>) {
  const calls: string[] = [];
  const resolve4: Resolve4 = async (hostname) => {
    calls.push(hostname);
    const next = answers.shift();
    if (next === undefined) throw new Error('resolver asked once too often');
    if (next instanceof Error) throw next;
    return next;
  };
  return { resolve4, calls };
}

describe('ConnectAddress', () => {
  it('connects to IPv4 and IPv6 literals as they are and to localhost names on loopback, asking no resolver', async () => {
    const { resolve4, calls } = scripted([]);
    expect(await new ConnectAddress('10.0.0.7', { resolve4 }).get()).toBe('10.0.0.7');
    expect(await new ConnectAddress('::1', { resolve4 }).get()).toBe('::1');
    expect(await new ConnectAddress('localhost', { resolve4 }).get()).toBe('127.0.0.1');
    expect(await new ConnectAddress('bkt.localhost', { resolve4 }).get()).toBe('127.0.0.1');
    expect(new ConnectAddress('10.0.0.7', { resolve4 }).isSubstitute('10.0.0.7')).toBe(false);
    expect(calls).toEqual([]);
  });

  it('resolves a name once for concurrent callers and keeps the address for its TTL, at most a minute', async () => {
    let now = 1_000_000;
    const { resolve4, calls } = scripted([
      [{ address: '100.118.1.2', ttl: 30 }],
      [{ address: '100.118.1.3', ttl: 3600 }],
      [{ address: '100.118.1.4', ttl: 3600 }],
    ]);
    const a = new ConnectAddress('oss-cn-hangzhou-internal.aliyuncs.com', { resolve4, now: () => now });
    expect(await Promise.all([a.get(), a.get(), a.get()])).toEqual(['100.118.1.2', '100.118.1.2', '100.118.1.2']);
    expect(a.isSubstitute('100.118.1.2')).toBe(true);
    now += 29_000;
    expect(await a.get()).toBe('100.118.1.2');
    now += 2_000; // past the 30 s TTL
    expect(await a.get()).toBe('100.118.1.3');
    now += 59_000;
    expect(await a.get()).toBe('100.118.1.3');
    now += 2_000; // an hour's TTL is still reused for a minute only
    expect(await a.get()).toBe('100.118.1.4');
    expect(calls).toHaveLength(3);
  });

  it('falls back to the name when resolving fails or finds no IPv4 address, and tries again later', async () => {
    let now = 0;
    const { resolve4, calls } = scripted([
      Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' }),
      [],
      [{ address: 'not-an-address', ttl: 60 }],
      [{ address: '100.118.1.2', ttl: 60 }],
    ]);
    const a = new ConnectAddress('only-in-etc-hosts', { resolve4, now: () => now });
    expect(await a.get()).toBe('only-in-etc-hosts');
    expect(a.isSubstitute('only-in-etc-hosts')).toBe(false);
    expect(await a.get()).toBe('only-in-etc-hosts'); // not asked again at once
    for (let i = 0; i < 3; i++) {
      now += 61_000;
      await a.get();
    }
    expect(await a.get()).toBe('100.118.1.2');
    expect(calls).toHaveLength(4);
  });
});
