import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { buildSbom, mavenPurl } from '../../../shared/catalog/sbom';
import { analyzeBuffer } from '../../support/analyze-buffer';
import { buildZip, classFile, jobJar, pom } from '../../support/jar-builder';

const schema = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/cyclonedx/${name}.schema.json`, import.meta.url), 'utf8'));

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  for (const f of ['iri-reference', 'idn-email', 'email', 'uri', 'uri-reference', 'regex']) ajv.addFormat(f, true);
  ajv.addSchema(schema('spdx'));
  ajv.addSchema(schema('jsf-0.82'));
  return ajv.compile(schema('bom-1.5'));
}

describe('buildSbom', () => {
  const validate = validator();

  it('writes a CycloneDX 1.5 document the official schema accepts, with the JAR, its libraries and nested JARs', async () => {
    const inner = buildZip([pom('com.alibaba', 'fastjson', '1.2.68'), { name: 'a/B.class', data: classFile(52) }]);
    const jar = jobJar([pom('com.google.guava', 'guava', '32.1.0-jre'), { name: 'lib/inner.jar', data: inner }]);
    const analysis = await analyzeBuffer('job.jar', jar);
    const bom = buildSbom({
      key: 'artifacts/namespaces/team-a/job.jar',
      name: 'job.jar',
      etag: 'ABC',
      analysis,
      catalogedAt: '2026-01-02T03:04:05.000Z',
      toolVersion: '0.1.0',
    });
    const ok = validate(bom);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The validator is able to say no.
    expect(validate({ ...bom, components: [{ type: 'not-a-type', name: 'x' }] })).toBe(false);
    expect(bom.metadata['component']).toMatchObject({
      name: 'job.jar',
      hashes: [{ alg: 'SHA-256', content: analysis.sha256 }],
    });
    const purls = bom.components.map((c) => c['purl']).filter(Boolean);
    expect(purls).toEqual([
      'pkg:maven/com.example/job@1.0.0',
      'pkg:maven/com.google.guava/guava@32.1.0-jre',
      'pkg:maven/com.alibaba/fastjson@1.2.68',
    ]);
    const nested = bom.components.find((c) => c['bom-ref'] === 'nested:lib/inner.jar');
    expect(nested?.['hashes']).toEqual([{ alg: 'SHA-256', content: analysis.jar?.nested?.[0]?.sha256 }]);
    expect(bom.dependencies.find((d) => d.ref === 'nested:lib/inner.jar')?.dependsOn).toEqual([
      'pkg:maven/com.alibaba/fastjson@1.2.68',
    ]);
  });

  it('is the same document for the same key and ETag, another serial number for another ETag', async () => {
    const analysis = await analyzeBuffer('job.jar', jobJar());
    const base = { key: 'k', name: 'job.jar', analysis, catalogedAt: '2026-01-02T03:04:05.000Z', toolVersion: '1' };
    expect(buildSbom({ ...base, etag: 'A' })).toEqual(buildSbom({ ...base, etag: 'A' }));
    expect(buildSbom({ ...base, etag: 'A' }).serialNumber).not.toBe(buildSbom({ ...base, etag: 'B' }).serialNumber);
    expect(validate(buildSbom({ ...base, etag: 'B' }))).toBe(true);
  });

  it('percent-encodes purl parts', () => {
    expect(mavenPurl({ groupId: 'g', artifactId: 'a b', version: '1+x' })).toBe('pkg:maven/g/a%20b@1%2Bx');
  });
});
