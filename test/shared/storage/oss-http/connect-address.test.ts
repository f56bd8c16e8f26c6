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

const settle = () => new Promise((resolve) => setImmediate(resolve));

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

  it('resolves a name once for concurrent callers, then looks it up again past its TTL (a minute at most) without waiting', async () => {
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
    expect(a.get()).toBe('100.118.1.2');
    now += 2_000; // past the 30 s TTL: the known address now, the new one once looked up
    expect(a.get()).toBe('100.118.1.2');
    await settle();
    expect(a.get()).toBe('100.118.1.3');
    now += 59_000;
    expect(a.get()).toBe('100.118.1.3');
    now += 2_000; // an hour's TTL is still used for a minute only
    a.get();
    await settle();
    expect(a.get()).toBe('100.118.1.4');
    expect(calls).toHaveLength(3);
  });

  it('connects by name for good once DNS has no IPv4 address for it or does not answer', async () => {
    for (const answer of [
      Object.assign(new Error('queryA ETIMEOUT'), { code: 'ETIMEOUT' }),
      [],
      [{ address: 'x', ttl: 9 }],
    ]) {
      let now = 0;
      const { resolve4, calls } = scripted([answer as Array<{ address: string; ttl: number }> | Error]);
      const a = new ConnectAddress('only-in-etc-hosts', { resolve4, now: () => now });
      expect(await a.get()).toBe('only-in-etc-hosts');
      expect(a.isSubstitute('only-in-etc-hosts')).toBe(false);
      now += 24 * 3_600_000;
      expect(await a.get()).toBe('only-in-etc-hosts');
      expect(calls).toHaveLength(1); // never asked again: no request waits for that resolver twice
    }
  });

  it('connects by name from then on when a later lookup fails', async () => {
    let now = 0;
    const { resolve4 } = scripted([[{ address: '100.118.1.2', ttl: 1 }], new Error('queryA ESERVFAIL')]);
    const a = new ConnectAddress('oss-cn-hangzhou-internal.aliyuncs.com', { resolve4, now: () => now });
    expect(await a.get()).toBe('100.118.1.2');
    now += 2_000;
    a.get();
    await settle();
    expect(a.get()).toBe('oss-cn-hangzhou-internal.aliyuncs.com');
  });
});
