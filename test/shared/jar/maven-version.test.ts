import { describe, expect, it } from 'vitest';
import { compareMavenVersions } from '../../../shared/jar/maven-version';

describe('compareMavenVersions', () => {
  it('orders versions the way Maven does for the cases vulnerability ranges need', () => {
    const ordered = [
      '2.0-alpha1',
      '2.0-beta8',
      '2.0-beta9',
      '2.0-beta10',
      '2.0-rc1',
      '2.0',
      '2.0.1',
      '2.3',
      '2.12.1',
      '2.15.0',
      '2.16.0',
    ];
    for (let i = 1; i < ordered.length; i++)
      expect(
        compareMavenVersions(ordered[i - 1] as string, ordered[i] as string),
        `${ordered[i - 1]} < ${ordered[i]}`,
      ).toBeLessThan(0);
    expect(compareMavenVersions('1.2.83', '1.2.8')).toBeGreaterThan(0);
    expect(compareMavenVersions('1.0', '1.0.0')).toBe(0);
    expect(compareMavenVersions('1.0-SNAPSHOT', '1.0')).toBeLessThan(0);
    expect(compareMavenVersions('1.2.83_noneautotype', '1.2.83')).toBeGreaterThan(0);
  });
});
