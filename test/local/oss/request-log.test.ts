import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { aliClient, startTestServer } from './helpers';

const lines: string[] = [];
let server: RunningOssServer;
beforeAll(async () => {
  server = await startTestServer({ log: (line) => lines.push(line) });
});
afterAll(() => server.close());

const fetchUrl = (url: string, init: RequestInit = {}) => fetch(url, init);

/** `name=value` pairs whose value is anything but the redaction marker. */
const leaked = (name: string) => new RegExp(`[?&]${name}=(?!\\[redacted\\])[^&\\s]+`, 'i');

describe('request log of the local OSS server', () => {
  it('prints presigned requests without signatures, tokens or credentials (V1 with STS, and V4)', async () => {
    const sts = aliClient(server, { sts: true });
    const v1 = sts.signatureUrl('log/v1.txt', { method: 'PUT', 'Content-Type': 'text/plain', expires: 300 } as never);
    expect(v1).toMatch(/security-token=/);
    expect((await fetchUrl(v1, { method: 'PUT', body: 'v1', headers: { 'content-type': 'text/plain' } })).status).toBe(
      200,
    );
    const v4 = await aliClient(server, { sts: true, v4: true }).signatureUrlV4('GET', 300, undefined, 'log/v1.txt');
    expect(v4).toMatch(/x-oss-signature=/);
    expect((await fetchUrl(v4)).status).toBe(200);

    const output = lines.join('\n');
    expect(output).toContain('log/v1.txt');
    expect(output).toContain('[redacted]');
    for (const name of ['x-oss-signature', 'x-oss-security-token', 'security-token', 'x-oss-credential', 'Signature'])
      expect(output).not.toMatch(leaked(name));
  });
});
