import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { compareKeys } from '../../../local/oss/keys';
import { aliClient, putMany, startTestServer } from './helpers';

let server: RunningOssServer;
const KEYS = Array.from({ length: 10_000 }, (_, i) => {
  const n = String(i).padStart(5, '0');
  // A mix of depths, CJK, spaces and characters beyond U+FFFF, so order and delimiters are exercised.
  return i % 7 === 0 ? `deep/${n.slice(0, 2)}/中 ${n}.bin` : i % 11 === 0 ? `emoji/\u{1F600}${n}` : `flat/${n}+x`;
});

beforeAll(async () => {
  server = await startTestServer();
  await putMany(server, KEYS);
}, 120_000);
afterAll(() => server.close());

describe('listing 10,000 keys page by page', () => {
  it('ListObjectsV2 with continuation tokens returns each key exactly once, in UTF-8 byte order', async () => {
    const client = aliClient(server, { v4: true });
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.listV2({ 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) }, {});
      seen.push(...page.objects.map((o: { name: string }) => o.name));
      token = page.isTruncated ? page.nextContinuationToken : undefined;
      pages++;
    } while (token);
    expect(pages).toBe(10);
    expect(seen).toHaveLength(KEYS.length);
    expect(new Set(seen).size).toBe(KEYS.length);
    expect(seen).toEqual([...KEYS].sort(compareKeys));
  });

  it('ListObjects v1 with markers and a delimiter pages through common prefixes once each', async () => {
    const client = aliClient(server);
    const entries: string[] = [];
    let marker: string | undefined;
    do {
      const page = await client.list(
        { prefix: 'deep/', delimiter: '/', 'max-keys': 3, ...(marker ? { marker } : {}) },
        {},
      );
      entries.push(...(page.prefixes ?? []), ...page.objects.map((o: { name: string }) => o.name));
      marker = page.isTruncated ? page.nextMarker : undefined;
    } while (marker);
    const expected = [...new Set(KEYS.filter((k) => k.startsWith('deep/')).map((k) => k.slice(0, 8)))].sort(
      compareKeys,
    );
    expect(entries).toEqual(expected);
  });
});
