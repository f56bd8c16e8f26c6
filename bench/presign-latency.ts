export async function measureUploadLatency(_n: number, _log: (m: string) => void): Promise<Record<string, import('./harness').Metric>> { return {}; }
