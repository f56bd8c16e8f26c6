/**
 * The page's client of the presign API (README, "The presign API"): same origin, bearer token, JSON in and
 * out; every failure becomes a PageError with a message for people.
 */

// The API's own type: the page reads what the server writes, checked at compile time. (Type only: nothing
// of the server's code reaches the page's bundle.)
import type { ArtifactSummary } from '../artifacts';
import { apiFailure, networkLost, PageError } from './messages';

export type { ArtifactSummary };

/** The catalog record (findings listed), or the summary while `pending`. */
export interface ArtifactDetail extends Omit<ArtifactSummary, 'findings'> {
  findings?: Finding[];
  sha256?: string;
  jar?: { entryClass?: string; entries: number; classes: number; maxClassVersion?: { major: number; java: number } };
}

export interface Finding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

export interface SingleUpload {
  key: string;
  ossPath: string;
  url: string;
  headers: Record<string, string>;
  size: number;
  expiresAt: string;
}

export interface PartUrl {
  partNumber: number;
  url: string;
  size: number;
}

export interface MultipartPlan {
  key: string;
  ossPath: string;
  uploadId: string;
  partSize: number;
  partCount: number;
  size: number;
  parts: PartUrl[];
  expiresAt: string;
}

export interface UploadStatus {
  uploadId: string;
  size: number;
  partSize: number;
  partCount: number;
  uploadedBytes: number;
  parts: Array<{ partNumber: number; etag: string; size: number }>;
  missingParts: number[];
}

/** Calls the API with the token `token()` returns; `undefined` means the user has not typed one yet. */
export class ApiClient {
  constructor(private readonly token: () => string | undefined) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = this.token();
    if (!token) throw new PageError('NO_TOKEN', 'Type your API token in the Token field first.');
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch {
      throw networkLost('talking to the API');
    }
    const text = res.status === 204 ? '' : await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw apiFailure(res.status, parsed);
    return parsed as T;
  }

  list(namespace: string, cursor?: string): Promise<{ artifacts: ArtifactSummary[]; cursor?: string }> {
    const q = new URLSearchParams({ namespace, limit: '500', ...(cursor && { cursor }) });
    return this.call('GET', `/v1/artifacts?${q}`);
  }

  artifact(namespace: string, name: string): Promise<ArtifactDetail> {
    return this.call('GET', artifactPath(namespace, name));
  }

  sbom(namespace: string, name: string): Promise<unknown> {
    return this.call('GET', `${artifactPath(namespace, name)}/sbom`);
  }

  remove(namespace: string, name: string): Promise<void> {
    return this.call('DELETE', artifactPath(namespace, name));
  }

  download(namespace: string, name: string, accelerate: boolean): Promise<{ url: string }> {
    return this.call('POST', '/v1/downloads', { namespace, name, ...(accelerate && { accelerate }) });
  }
}

/** `/v1/artifacts/<ns>/<name>`, with each folder of the name encoded on its own. */
export function artifactPath(namespace: string, name: string): string {
  return `/v1/artifacts/${encodeURIComponent(namespace)}/${name.split('/').map(encodeURIComponent).join('/')}`;
}
