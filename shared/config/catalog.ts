import { MAX_MULTIPART_OBJECT_BYTES } from '../storage/limits';
import type { EnvReader } from './env-reader';
import { ParseProblem, parseByteSize, parseInteger } from './parse';
import type { CatalogConfig } from './types';

/** The `CATALOG_*` variables of `artifact-catalog` (docs/artifact-catalog.md §7). */
export function readCatalogConfig(r: EnvReader): CatalogConfig {
  const flinkVersion = r.optional<string | undefined>(
    'CATALOG_FLINK_VERSION',
    (v) => {
      if (!/^\d+\.\d+(\.\d+)?$/.test(v.trim()))
        throw new ParseProblem(`"${v}" is not a Flink version such as 1.17 or 1.20.1`);
      return v.trim();
    },
    undefined,
  );
  const config: CatalogConfig = {
    maxJava: r.optional('CATALOG_MAX_JAVA', (v) => parseInteger(v, { min: 8, max: 30 }), 11),
    maxJarBytes: r.optional(
      'CATALOG_MAX_JAR_BYTES',
      (v) => parseByteSize(v, { min: 1, max: MAX_MULTIPART_OBJECT_BYTES }),
      2 * 1024 ** 3,
    ),
    maxUncompressedBytes: r.optional(
      'CATALOG_MAX_UNCOMPRESSED_BYTES',
      (v) => parseByteSize(v, { min: 1, max: Number.MAX_SAFE_INTEGER }),
      8 * 1024 ** 3,
    ),
    maxCompressionRatio: r.optional(
      'CATALOG_MAX_COMPRESSION_RATIO',
      (v) => parseInteger(v, { min: 2, max: 1_000_000 }),
      200,
    ),
    maxNestedBytes: r.optional(
      'CATALOG_MAX_NESTED_JAR_BYTES',
      (v) => parseByteSize(v, { min: 1, max: 256 * 1024 ** 2 }),
      32 * 1024 ** 2,
    ),
  };
  return flinkVersion === undefined ? config : { ...config, flinkVersion };
}
