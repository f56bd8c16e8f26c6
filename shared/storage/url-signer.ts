import type { OssConfig } from '../config';
import type { CredentialsProvider } from './credentials';
import { bucketUrl, objectUrl, publicUrlBase } from './endpoints';
import type { QueryPairs } from './signing/encode';
import { signPostPolicy } from './signing/post-policy';
import { presignQueryString } from './signing/presign';

export interface SignUrlRequest {
  method: 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST';
  key: string;
  expiresSeconds: number;
  /** Lowercase headers the client must send exactly as given. */
  headers?: Readonly<Record<string, string>>;
  query?: QueryPairs;
  /**
   * V4 only: further headers bound by the signature, by lowercase name, such as `content-length`. The
   * client sends them anyway (an HTTP client always sends Content-Length), so they are not listed in
   * the returned `headers`; under V1 they are not bound.
   */
  bindHeaders?: Readonly<Record<string, string>>;
  /** Use the transfer-acceleration endpoint for this URL. */
  accelerate?: boolean;
}

export interface SignedUrl {
  url: string;
  method: string;
  /** Headers the client must send with the request. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface SignPostRequest {
  key: string;
  expiresSeconds: number;
  contentLength: { min: number; max: number };
  fields?: Readonly<Record<string, string>>;
  accelerate?: boolean;
}

export interface SignedPost {
  url: string;
  fields: Record<string, string>;
  expiresAt: Date;
}

/** Headers both signature versions sign without being listed (docs/oss-protocol.md §1.1, §2.2). */
function signedByDefault(name: string): boolean {
  return name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-');
}

/**
 * Presigned URLs and PostObject forms for the bucket, on the public (or acceleration, or custom)
 * endpoint. Pure apart from the clock: signing never touches the network or a shared client.
 */
export class UrlSigner {
  constructor(
    private readonly oss: OssConfig,
    private readonly credentials: CredentialsProvider,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A URL that allows exactly one method on exactly one key until it expires. */
  signUrl(req: SignUrlRequest): SignedUrl {
    const now = this.now();
    const headers = { ...(req.headers ?? {}) };
    const bind = this.oss.signatureVersion === 'v4' && req.bindHeaders ? req.bindHeaders : {};
    const query = presignQueryString({
      method: req.method,
      bucket: this.oss.bucket,
      key: req.key,
      credentials: this.credentials(),
      region: this.oss.region,
      version: this.oss.signatureVersion,
      now,
      expiresSeconds: req.expiresSeconds,
      headers: { ...headers, ...bind },
      ...(req.query && { query: req.query }),
      // Under V4 every header the client must send is bound, standard ones (Content-Encoding…) included.
      additionalHeaders:
        this.oss.signatureVersion === 'v4'
          ? [...Object.keys(bind), ...Object.keys(headers).filter((name) => !signedByDefault(name))]
          : [],
    });
    const base = publicUrlBase(this.oss, req.accelerate ?? this.oss.accelerate);
    return {
      url: objectUrl(base, this.oss.bucket, req.key, query),
      method: req.method,
      headers,
      expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + req.expiresSeconds * 1000),
    };
  }

  /** Form fields for a browser PostObject upload that pins the key and a size range. */
  signPost(req: SignPostRequest): SignedPost {
    const { fields, expiresAt } = signPostPolicy({
      bucket: this.oss.bucket,
      key: req.key,
      credentials: this.credentials(),
      region: this.oss.region,
      version: this.oss.signatureVersion,
      now: this.now(),
      expiresSeconds: req.expiresSeconds,
      contentLength: req.contentLength,
      ...(req.fields && { fields: req.fields }),
    });
    return {
      url: bucketUrl(publicUrlBase(this.oss, req.accelerate ?? this.oss.accelerate), this.oss.bucket),
      fields,
      expiresAt,
    };
  }

  /** True when V4 signing is in use, so headers such as Content-Length can be bound. */
  get canBindHeaders(): boolean {
    return this.oss.signatureVersion === 'v4';
  }
}
