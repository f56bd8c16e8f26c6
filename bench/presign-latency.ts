import { readLocalSettings } from '../local/settings';
import { startLocalStack } from '../local/stack';
import { type Metric, summarize } from './harness';

/**
 * p50/p99 latency of `POST /v1/uploads` on the local stack (real HTTP over loopback into the warm
 * presign-api bundle), single-part and multipart, measured one request at a time.
 */
export async function measureUploadLatency(
  requests: number,
  log: (m: string) => void,
): Promise<Record<string, Metric>> {
  const settings = { ...readLocalSettings({}), ossPort: 0, apiPort: 0, logsPort: 0 };
  const stack = await startLocalStack({
    settings,
    persist: false,
    timers: false,
    env: { LOG_LEVEL: 'warn' },
    runtime: { output: () => undefined, log: () => undefined, maxInstancesPerFunction: 1 },
  });
  try {
    const url = `${stack.urls['presign-api']}/v1/uploads`;
    const headers = { authorization: `Bearer ${settings.apiToken}`, 'content-type': 'application/json' };
    const time = async (body: object) => {
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`POST /v1/uploads answered ${res.status}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 50; i++) await time({ namespace: 'bench', name: `warm-${i}.jar`, size: 1024 });
    const single: number[] = [];
    for (let i = 0; i < requests; i++)
      single.push(await time({ namespace: 'bench', name: `job-${i}.jar`, size: 5 * 1024 * 1024 }));
    log(`${requests} single-part requests done`);
    const multi: number[] = [];
    const multiRequests = Math.max(20, Math.floor(requests / 10));
    for (let i = 0; i < multiRequests; i++)
      multi.push(await time({ namespace: 'bench', name: `big-${i}.jar`, size: 1024 * 1024 * 1024 }));
    log(`${multiRequests} multipart requests done`);
    const s = summarize(single);
    const m = summarize(multi);
    return {
      uploadSingleP50Ms: {
        value: round(s.p50),
        unit: 'ms',
        better: 'lower',
        label: `POST /v1/uploads, 5 MiB file, ${requests} requests`,
      },
      uploadSingleP99Ms: { value: round(s.p99), unit: 'ms', better: 'lower' },
      uploadMultipartP50Ms: {
        value: round(m.p50),
        unit: 'ms',
        better: 'lower',
        label: `1 GiB file: InitiateMultipartUpload + plan + 20 part URLs, ${multiRequests} requests`,
      },
      uploadMultipartP99Ms: { value: round(m.p99), unit: 'ms', better: 'lower' },
    };
  } finally {
    await stack.close();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
