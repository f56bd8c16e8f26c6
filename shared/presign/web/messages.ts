/**
 * What the page tells the user when the API or OSS refuses something. Pure: the API's JSON error and OSS's
 * XML error (docs/oss-protocol.md §5) in, one sentence that says what happened and what to do out.
 */

/** A failure the page can show as it is: `code` is stable, `message` is for people. */
export class PageError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** True when sending the same request again may work (network, throttling, an expired URL). */
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'PageError';
  }
}

/** What the network layer saw when a request failed before any answer came back. */
export function networkLost(what: string): PageError {
  return new PageError(
    'NETWORK',
    `The connection was lost while ${what}. Check your network; the page retries on its own when it is back.`,
    true,
  );
}

/** Reads `{"error":{"code","message"}}` from an API answer and words it for the user. */
export function apiFailure(status: number, body: unknown): PageError {
  const error = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${status}`;
  const detail = typeof error?.message === 'string' ? error.message : `The API answered ${status}.`;
  const ref = typeof error?.requestId === 'string' ? ` (request ${error.requestId})` : '';
  switch (code) {
    case 'UNAUTHENTICATED':
      return new PageError(code, 'The API token was refused: type a valid token in the Token field.');
    case 'FORBIDDEN':
      return new PageError(code, `No permission: ${detail}`);
    case 'NAME_INVALID':
    case 'NAMESPACE_INVALID':
    case 'EXTENSION_NOT_ALLOWED':
      return new PageError(code, `Name refused: ${detail}`);
    case 'UPLOAD_TOO_LARGE':
      return new PageError(code, `File too large: ${detail}`);
    case 'ALREADY_EXISTS':
      return new PageError(code, `${detail}`);
    case 'ARTIFACT_NOT_FOUND':
    case 'UPLOAD_NOT_FOUND':
      return new PageError(code, detail);
    case 'STORAGE_UNAVAILABLE':
      return new PageError(code, `Storage is busy or unavailable; try again in a moment.${ref}`, true);
    default:
      return new PageError(code, `${detail}${status >= 500 ? ref : ''}`, status >= 500);
  }
}

/** The fields of an OSS XML error document; missing ones are empty. */
export function parseOssError(xml: string): { code: string; message: string; requestId: string } {
  const field = (name: string) => {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
    return m ? decodeXml(m[1]!) : '';
  };
  return { code: field('Code'), message: field('Message'), requestId: field('RequestId') };
}

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Words an OSS refusal of a presigned request (`status` and its XML body) for the user. */
export function ossFailure(status: number, xml: string): PageError {
  const { code, message, requestId } = parseOssError(xml);
  const ref = requestId ? ` (OSS request ${requestId})` : '';
  if (code === 'AccessDenied' && /expired/i.test(message))
    return new PageError('URL_EXPIRED', 'The presigned URL expired before the transfer finished.', true);
  switch (code) {
    case 'FileAlreadyExists':
      return new PageError(code, 'A file with this name already exists; delete it first or choose another name.');
    case 'EntityTooLarge':
      return new PageError(code, 'File too large: OSS refused the upload as larger than allowed.');
    case 'SignatureDoesNotMatch':
      return new PageError(
        code,
        `OSS refused the signature: the file changed since the upload started, or a proxy altered the request${ref}.`,
      );
    case 'InvalidDigest':
      return new PageError(code, 'The file did not match its checksum; it changed while uploading. Try again.');
    case 'NoSuchUpload':
      return new PageError(code, 'This upload no longer exists in OSS (aborted, completed or expired); start again.');
    case 'AccessDenied':
    case 'InvalidAccessKeyId':
    case 'SecurityTokenExpired':
      return new PageError('NO_PERMISSION', `No permission: OSS answered "${message || code}"${ref}.`);
    case 'RequestTimeTooSkewed':
      return new PageError(code, "OSS refused the request: this computer's clock is wrong. Fix it and retry.");
    case 'NoSuchKey':
      return new PageError(code, 'The file no longer exists in OSS.');
  }
  if (status === 0) return networkLost('talking to OSS');
  if (status >= 500 || status === 429)
    return new PageError(code || `OSS_${status}`, `OSS is busy or unavailable (${status}); retrying.${ref}`, true);
  if (status === 403 && !code)
    return new PageError(
      'CORS_OR_PERMISSION',
      'OSS refused the request (403). If this is a real bucket, check its CORS rule allows this page (see the README).',
    );
  return new PageError(code || `OSS_${status}`, `OSS refused the request: ${message || `HTTP ${status}`}${ref}.`);
}
