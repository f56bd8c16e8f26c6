/** Version of the catalog record layout; bumped only with a documented migration. */
export const CATALOG_SCHEMA_VERSION = 1;

export type FindingSeverity = 'error' | 'warning' | 'info';
export type CatalogStatus = 'valid' | 'warning' | 'invalid';

export interface Finding {
  severity: FindingSeverity;
  /** Upper-snake-case and stable (`JAR_NOT_ZIP`, `JAR_CLASS_VERSION`…). */
  code: string;
  message: string;
  /** The nested JAR (`lib/x.jar`) the finding is about, when not the artifact itself. */
  path?: string;
  /** CVE ids, for `JAR_VULNERABLE_LIBRARY`. */
  cves?: string[];
}

/** The record `artifact-catalog` writes at `<root>catalog/<artifact key>.json` (DESIGN, "Catalog records"). */
export interface CatalogRecord {
  schemaVersion: number;
  key: string;
  ossPath: string;
  namespace: string;
  name: string;
  size: number;
  etag: string;
  sha256: string;
  lastModified: string;
  catalogedAt: string;
  status: CatalogStatus;
  findings: Finding[];
  jar?: {
    manifest: Record<string, string>;
    entryClass?: string;
    entries: number;
    classes: number;
    maxClassVersion?: { major: number; java: number };
    embedded: Array<{ groupId: string; artifactId: string; version: string; path?: string }>;
    /** `lib/*.jar` inside the JAR, with their own hashes and embedded modules. */
    nested?: Array<{
      path: string;
      size: number;
      sha256?: string;
      embedded: Array<{ groupId: string; artifactId: string; version: string; path?: string }>;
    }>;
  };
}

/** `invalid` when any finding is an error, `warning` when any is a warning, else `valid`. */
export function statusOf(findings: readonly Finding[]): CatalogStatus {
  if (findings.some((f) => f.severity === 'error')) return 'invalid';
  if (findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'valid';
}

/**
 * Parses a stored record, or returns `undefined` when it is not one this version understands (bad JSON,
 * another schema version, missing fields). A record that cannot be read is treated as not yet written.
 */
export function parseCatalogRecord(text: string): CatalogRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Partial<CatalogRecord>;
  if (r.schemaVersion !== CATALOG_SCHEMA_VERSION || typeof r.key !== 'string' || typeof r.etag !== 'string')
    return undefined;
  if (r.status !== 'valid' && r.status !== 'warning' && r.status !== 'invalid') return undefined;
  if (!Array.isArray(r.findings)) return undefined;
  return r as CatalogRecord;
}
