import { PackError } from '../errors';

/** Error codes the HTTP API answers with, and their status. Stable: clients match on them. */
export const API_ERRORS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INVALID_REQUEST: 400,
  NAMESPACE_INVALID: 400,
  NAME_INVALID: 400,
  EXTENSION_NOT_ALLOWED: 400,
  EXPIRY_OUT_OF_RANGE: 400,
  UPLOAD_TOO_LARGE: 413,
  ARTIFACT_NOT_FOUND: 404,
  UPLOAD_NOT_FOUND: 404,
  SBOM_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ALREADY_EXISTS: 409,
  UPLOAD_INCOMPLETE: 409,
  OBJECT_ARCHIVED: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  STORAGE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** An error the API reports to the caller as `{"error":{"code","message","requestId"}}` with its status. */
export class ApiError extends PackError {
  declare readonly code: ApiErrorCode;
  readonly status: number;

  constructor(code: ApiErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = API_ERRORS[code];
  }
}
