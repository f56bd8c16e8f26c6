import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../shared/config';

const minimal = { OSS_BUCKET: 'flink-ws', OSS_REGION: 'cn-hangzhou' };

describe('CATALOG_* variables', () => {
  it('default to Java 11, no Flink version, 2 GiB artifacts, 8 GiB / 200× bomb limits, 32 MiB nested JARs', () => {
    expect(loadConfig(minimal).catalog).toEqual({
      maxJava: 11,
      maxJarBytes: 2 * 1024 ** 3,
      maxUncompressedBytes: 8 * 1024 ** 3,
      maxCompressionRatio: 200,
      maxNestedBytes: 32 * 1024 ** 2,
    });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      ...minimal,
      CATALOG_MAX_JAVA: '17',
      CATALOG_FLINK_VERSION: '1.20.1',
      CATALOG_MAX_JAR_BYTES: '500MiB',
      CATALOG_MAX_UNCOMPRESSED_BYTES: '1GiB',
      CATALOG_MAX_COMPRESSION_RATIO: '1000',
      CATALOG_MAX_NESTED_JAR_BYTES: '8MiB',
    }).catalog;
    expect(c).toEqual({
      maxJava: 17,
      flinkVersion: '1.20.1',
      maxJarBytes: 500 * 1024 ** 2,
      maxUncompressedBytes: 1024 ** 3,
      maxCompressionRatio: 1000,
      maxNestedBytes: 8 * 1024 ** 2,
    });
  });

  it('names each bad variable', () => {
    try {
      loadConfig({
        ...minimal,
        CATALOG_FLINK_VERSION: 'latest',
        CATALOG_MAX_COMPRESSION_RATIO: '1',
        CATALOG_MAX_JAVA: '7',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
        'CATALOG_FLINK_VERSION',
        'CATALOG_MAX_COMPRESSION_RATIO',
        'CATALOG_MAX_JAVA',
      ]);
    }
  });
});
