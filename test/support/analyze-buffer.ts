import { type Analysis, analyzeArtifact } from '../../shared/catalog/analyze';
import type { CatalogPolicy } from '../../shared/catalog/checks';
import { bufferSource } from '../../shared/jar/random-access';

export const TEST_POLICY: CatalogPolicy & { maxNestedBytes: number } = {
  maxJava: 11,
  maxJarBytes: 2 * 1024 ** 3,
  maxUncompressedBytes: 8 * 1024 ** 3,
  maxCompressionRatio: 200,
  maxNestedBytes: 32 * 1024 ** 2,
};

/** Analyzes bytes held in memory, streamed in chunks of `chunk` bytes to exercise boundaries. */
export function analyzeBuffer(
  name: string,
  bytes: Buffer,
  policy: Partial<CatalogPolicy & { maxNestedBytes: number }> = {},
  options: { chunk?: number; deadline?: number } = {},
): Promise<Analysis> {
  const chunk = options.chunk ?? 7919;
  return analyzeArtifact({
    name,
    source: bufferSource(bytes),
    openStream: async () =>
      (function* () {
        for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
      })(),
    deadline: options.deadline ?? Date.now() + 10_000,
    policy: { ...TEST_POLICY, ...policy },
  });
}

export const codes = (a: Analysis) => a.findings.map((f) => f.code).sort();
