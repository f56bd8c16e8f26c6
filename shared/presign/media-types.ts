/** Content types for the extensions artifacts usually have; anything else is sent as bytes. */
const TYPES: Record<string, string> = {
  '.jar': 'application/java-archive',
  '.py': 'text/x-python',
  '.zip': 'application/zip',
  '.whl': 'application/zip',
  '.egg': 'application/zip',
  '.tar.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.sql': 'text/plain',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
};

/** The allowed extension a name ends with (the longest, so `.tar.gz` wins over `.gz`), or `undefined`. */
export function matchExtension(name: string, allowed: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  return [...allowed]
    .sort((a, b) => b.length - a.length)
    .find((ext) => lower.endsWith(ext) && lower.length > ext.length);
}

/** The content type to store an artifact with when the caller named none. */
export function contentTypeFor(name: string): string {
  const lower = name.toLowerCase();
  const ext = Object.keys(TYPES)
    .sort((a, b) => b.length - a.length)
    .find((e) => lower.endsWith(e));
  return ext ? TYPES[ext]! : 'application/octet-stream';
}

/**
 * `Content-Disposition` that makes a browser save the file under its own name: an ASCII fallback in
 * `filename` and the exact UTF-8 name in `filename*` (RFC 6266 / RFC 8187).
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
