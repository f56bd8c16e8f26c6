import { PackError } from '../../shared/errors';

/**
 * An error OSS would answer with: HTTP status, `<Code>`, `<Message>` and any error-specific elements
 * (`<Condition>`, `<StringToSign>`…). Messages are OSS's own wording (docs/oss-protocol.md §5) so that clients
 * matching on them behave as against the real service.
 */
export class OssError extends PackError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    /** Extra `<Error>` children, in order. */
    readonly details: ReadonlyArray<readonly [string, string]> = [],
    /** OSS error code ("EC"), when known. */
    readonly ec?: string,
    /** Extra response headers (e.g. `x-oss-next-append-position`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, message);
  }
}

type Details = ReadonlyArray<readonly [string, string]>;
const err = (
  status: number,
  code: string,
  message: string,
  details: Details = [],
  ec?: string,
  headers?: Record<string, string>,
) => new OssError(status, code, message, details, ec, headers);

/** Constructors for every error the server answers with, named after the OSS code. */
export const OssErrors = {
  accessDenied: (
    message = 'You have no right to access this object because of bucket acl.',
    details: Details = [],
    ec?: string,
  ) => err(403, 'AccessDenied', message, details, ec),
  requestExpired: (expires: Date, now: Date, ec: string) =>
    err(
      403,
      'AccessDenied',
      'Request has expired.',
      [
        ['Expires', expires.toISOString()],
        ['ServerTime', now.toISOString()],
      ],
      ec,
    ),
  invalidAccessKeyId: (accessKeyId: string) =>
    err(
      403,
      'InvalidAccessKeyId',
      'The OSS Access Key Id you provided does not exist in our records.',
      [['OSSAccessKeyId', accessKeyId]],
      '0002-00000002',
    ),
  invalidSecurityToken: (token: string) =>
    err(
      403,
      'InvalidSecurityToken',
      'The security token you provided is invalid.',
      [['SecurityToken', token]],
      '0002-00000006',
    ),
  securityTokenExpired: (token: string) =>
    err(
      403,
      'SecurityTokenExpired',
      'The security token you provided has expired.',
      [['SecurityToken', token]],
      '0002-00000007',
    ),
  signatureDoesNotMatch: (details: Details, ec?: string) =>
    err(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      details,
      ec,
    ),
  requestTimeTooSkewed: (requestTime: string, now: Date) =>
    err(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      [
        ['RequestTime', requestTime],
        ['ServerTime', now.toISOString()],
      ],
      '0002-00000040',
    ),
  invalidArgument: (message: string, name?: string, value?: string, ec?: string) =>
    err(
      400,
      'InvalidArgument',
      message,
      name === undefined
        ? []
        : [
            ['ArgumentName', name],
            ['ArgumentValue', value ?? ''],
          ],
      ec,
    ),
  invalidRequest: (message: string) => err(400, 'InvalidRequest', message),
  invalidUri: () => err(400, 'InvalidURI', "Couldn't parse the specified URI."),
  invalidBucketName: (bucket: string) =>
    err(400, 'InvalidBucketName', 'The specified bucket is not valid.', [['BucketName', bucket]]),
  invalidObjectName: (message: string) => err(400, 'InvalidObjectName', message),
  noSuchBucket: (bucket: string) =>
    err(404, 'NoSuchBucket', 'The specified bucket does not exist.', [['BucketName', bucket]], '0015-00000101'),
  noSuchKey: (key: string, headers?: Record<string, string>) =>
    err(404, 'NoSuchKey', 'The specified key does not exist.', [['Key', key]], '0026-00000001', headers),
  noSuchVersion: (versionId: string) =>
    err(404, 'NoSuchVersion', 'The specified version does not exist.', [['VersionId', versionId]]),
  deleteMarkerMethodNotAllowed: (versionId: string) =>
    err(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', [], undefined, {
      'x-oss-delete-marker': 'true',
      'x-oss-version-id': versionId,
    }),
  noSuchUpload: (uploadId: string) =>
    err(
      404,
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      [['UploadId', uploadId]],
      '0042-00000002',
    ),
  noSuchCors: () => err(404, 'NoSuchCORSConfiguration', 'The CORS Configuration does not exist.'),
  noSuchLifecycle: () => err(404, 'NoSuchLifecycle', 'No Row found in Lifecycle Table.'),
  bucketAlreadyExists: (
    bucket: string,
    message = 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
  ) => err(409, 'BucketAlreadyExists', message, [['BucketName', bucket]]),
  bucketNotEmpty: (bucket: string) =>
    err(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty.', [['BucketName', bucket]]),
  fileAlreadyExists: (ec = '0026-00000002') =>
    err(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.', [], ec),
  invalidDigest: (ec = '0017-00000502') =>
    err(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', [], ec),
  invalidCrc64: () =>
    err(400, 'InvalidCRC64', 'The x-oss-hash-crc64ecma you specified does not match what we calculated.'),
  missingContentLength: () => err(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'),
  entityTooSmall: (ec?: string) =>
    err(400, 'EntityTooSmall', 'Your proposed upload smaller than the minimum allowed size.', [], ec),
  entityTooLarge: (ec?: string) =>
    err(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', [], ec),
  invalidPart: () =>
    err(
      400,
      'InvalidPart',
      "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
      [],
      '0042-00000210',
    ),
  invalidPartOrder: () =>
    err(
      400,
      'InvalidPartOrder',
      'The list of parts was not in ascending order. Parts list must specified in order by part number.',
      [],
      '0042-00000209',
    ),
  malformedXml: () =>
    err(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    ),
  invalidRange: () => err(416, 'InvalidRange', 'The requested range cannot be satisfied.'),
  preconditionFailed: (condition: string) =>
    err(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', [
      ['Condition', condition],
    ]),
  positionNotEqualToLength: (next: number) =>
    err(409, 'PositionNotEqualToLength', 'Position is not equal to file length', [], '0026-00000016', {
      'x-oss-next-append-position': String(next),
    }),
  invalidObjectState: () => err(403, 'InvalidObjectState', "The operation is not valid for the object's state"),
  operationNotSupported: () => err(400, 'OperationNotSupported', 'The operation is not supported for this resource'),
  restoreAlreadyInProgress: () => err(409, 'RestoreAlreadyInProgress', 'The restore operation is in progress.'),
  objectNotAppendable: () => err(409, 'ObjectNotAppendable', 'The object is not appendable'),
  invalidEncryption: () =>
    err(
      400,
      'InvalidEncryptionAlgorithmError',
      'The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4.',
    ),
  tooManyTags: () => err(400, 'BadRequest', 'Object tags cannot be greater than 10'),
  invalidTag: (message: string) => err(400, 'InvalidTag', message),
  notImplemented: (what: string) => err(501, 'NotImplemented', `${what} is not implemented by the local OSS server.`),
  methodNotAllowed: (method: string) =>
    err(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', [['Method', method]]),
  malformedPost: (message = 'The body of your POST request is not well-formed multipart/form-data.') =>
    err(400, 'MalformedPOSTRequest', message),
  invalidPolicy: (message: string) => err(400, 'InvalidPolicyDocument', `Invalid Policy: ${message}`),
  incorrectFileCount: () =>
    err(400, 'IncorrectNumberOfFilesInPOSTRequest', 'POST requires exactly one file upload per request.'),
  notMultipart: () =>
    err(400, 'RequestIsNotMultiPartContent', 'Bucket POST must be of the enclosure-type multipart/form-data.'),
  fieldTooLong: (field: string) =>
    err(400, 'FieldItemTooLong', 'Your POST request fields preceding the upload file was too large.', [
      ['FieldName', field],
    ]),
  corsForbidden: (message: string) => err(403, 'AccessForbidden', message),
  internalError: () => err(500, 'InternalError', 'We encountered an internal error. Please try again.'),
  slowDown: () => err(503, 'SlowDown', 'Please reduce your request rate.'),
  requestTimeout: () =>
    err(
      400,
      'RequestTimeout',
      'Your socket connection to the server was not read from or written to within the timeout period.',
    ),
  incompleteBody: () =>
    err(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
};
