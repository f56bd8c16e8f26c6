import { PackError } from '../errors';

/** Stable codes of storage failures; OSS's own code is kept in `ossCode`. */
export type StorageErrorCode =
  | 'OSS_NOT_FOUND'
  | 'OSS_ALREADY_EXISTS'
  | 'OSS_ACCESS_DENIED'
  | 'OSS_PRECONDITION_FAILED'
  | 'OSS_INVALID_RANGE'
  | 'OSS_OBJECT_ARCHIVED'
  | 'OSS_THROTTLED'
  | 'OSS_UNAVAILABLE'
  | 'OSS_NETWORK'
  | 'OSS_INVALID_REQUEST'
  | 'OSS_REQUEST_FAILED';

export interface StorageErrorDetails {
  operation: string;
  key?: string;
  /** HTTP status; absent for network failures. */
  status?: number;
  /** OSS's error code (`NoSuchKey`, `SlowDown`…). */
  ossCode?: string;
  requestId?: string;
}

/** A failed object-store operation. The message names the operation and key, never credentials or signatures. */
export class StorageError extends PackError {
  declare readonly code: StorageErrorCode;
  readonly details: StorageErrorDetails;

  constructor(code: StorageErrorCode, message: string, details: StorageErrorDetails, options?: { cause?: unknown }) {
    super(code, message, options);
    this.details = details;
  }

  /** True when trying again may succeed: throttling, 5xx and network failures. */
  get retryable(): boolean {
    return this.code === 'OSS_THROTTLED' || this.code === 'OSS_UNAVAILABLE' || this.code === 'OSS_NETWORK';
  }
}

/** The fields of an ali-oss (or urllib) error that classification reads. */
interface ClientErrorShape {
  name?: string;
  code?: string;
  status?: number;
  requestId?: string;
  message?: string;
}

const NETWORK_NAMES = new Set([
  'RequestError',
  'ResponseError',
  'ConnectionTimeoutError',
  'ResponseTimeoutError',
  'SocketAssignError',
]);

/**
 * Turns whatever the OSS client threw into a `StorageError`. ali-oss reports network failures with
 * status -1 and timeouts with -2 (lib/client.js requestError).
 */
export function toStorageError(error: unknown, operation: string, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ClientErrorShape;
  const status = typeof e.status === 'number' && e.status > 0 ? e.status : undefined;
  const ossCode = typeof e.code === 'string' ? e.code : undefined;
  const details: StorageErrorDetails = {
    operation,
    ...(key !== undefined && { key }),
    ...(status !== undefined && { status }),
    ...(ossCode && { ossCode }),
    ...(e.requestId && { requestId: e.requestId }),
  };
  const what = `${operation}${key !== undefined ? ` ${JSON.stringify(key)}` : ''}`;
  const code = classify(status, ossCode, e);
  const reason =
    status === undefined
      ? `network error (${e.name ?? 'Error'}: ${e.message ?? 'no message'})`
      : `OSS answered ${status} ${ossCode ?? ''}`.trim();
  return new StorageError(code, `${what} failed: ${reason}`, details, { cause: error });
}

function classify(status: number | undefined, ossCode: string | undefined, e: ClientErrorShape): StorageErrorCode {
  if (status === undefined) {
    return e.status === -1 || e.status === -2 || NETWORK_NAMES.has(e.name ?? '') || /^E[A-Z]+$/.test(ossCode ?? '')
      ? 'OSS_NETWORK'
      : 'OSS_REQUEST_FAILED';
  }
  if (status === 404) return 'OSS_NOT_FOUND';
  if (status === 409 && ossCode === 'FileAlreadyExists') return 'OSS_ALREADY_EXISTS';
  if (status === 412) return 'OSS_PRECONDITION_FAILED';
  if (status === 416) return 'OSS_INVALID_RANGE';
  // OSS refuses to read an archived object that is not restored (docs/oss-protocol.md §4.2).
  if (status === 403 && ossCode === 'InvalidObjectState') return 'OSS_OBJECT_ARCHIVED';
  if (status === 403) return 'OSS_ACCESS_DENIED';
  if (status === 503 || status === 429 || ossCode === 'SlowDown' || ossCode === 'Throttling') return 'OSS_THROTTLED';
  if (status >= 500) return 'OSS_UNAVAILABLE';
  if (status >= 400) return 'OSS_INVALID_REQUEST';
  return 'OSS_REQUEST_FAILED';
}

/**
 * The `StorageError` an OSS answer of `status` with error `ossCode` becomes: for stores that are not
 * the OSS client (the in-memory store) and must fail exactly as the adapter does.
 */
export function ossAnswerError(
  operation: string,
  key: string | undefined,
  status: number,
  ossCode: string,
): StorageError {
  return toStorageError({ status, code: ossCode, name: `${ossCode}Error` }, operation, key);
}
