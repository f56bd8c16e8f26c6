import { MAX_PRESIGN_SECONDS } from '../../../shared/storage/limits';
import { parseV4Timestamp, V4_ALGORITHM } from '../../../shared/storage/signing';
import { OssErrors } from '../errors';

/** The parts of a request that signatures cover, as the server received them. */
export interface SignedRequest {
  method: string;
  /** Lowercase names; values decoded from the wire (UTF-8 bytes carried as latin1 are turned back into text). */
  headers: Readonly<Record<string, string | undefined>>;
  /** Decoded query pairs in wire order. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Names that appeared on the wire as `name=` with nothing after the "=" (see verify.ts). */
  emptyWithEquals: ReadonlySet<string>;
}

/** What a request claims about who signed it and how. */
export type AuthClaim =
  | { kind: 'anonymous' }
  | {
      kind: 'v1';
      form: 'header' | 'query';
      accessKeyId: string;
      signature: string;
      /** The string-to-sign's Date line: `x-oss-date`/`Date`, or the `Expires` seconds for URLs. */
      date: string;
      /** Header form: when the request says it was signed; query form: when the URL expires. */
      time: Date;
      securityToken?: string;
    }
  | {
      kind: 'v4';
      form: 'header' | 'query';
      accessKeyId: string;
      day: string;
      region: string;
      product: string;
      additionalHeaders: string[];
      signature: string;
      /** `x-oss-date`, ISO 8601 basic. */
      timestamp: string;
      time: Date;
      /** Query form only: lifetime in seconds from `time`. */
      expiresSeconds?: number;
      securityToken?: string;
    };

const first = (query: SignedRequest['query'], name: string): string | undefined => query.find(([k]) => k === name)?.[1];

/**
 * Reads the credentials a request carries (docs/oss-protocol.md §1, §2), without checking them. Malformed
 * credentials are the errors OSS gives for them.
 */
export function readAuthClaim(req: SignedRequest): AuthClaim {
  const authorization = req.headers.authorization;
  const has = (name: string) => req.query.some(([k]) => k === name);
  const v1Query = has('OSSAccessKeyId') || has('Signature') || has('Expires');
  const v4Query = has('x-oss-signature') || has('x-oss-credential') || has('x-oss-signature-version');
  if (authorization !== undefined && (v1Query || v4Query)) {
    throw OssErrors.invalidArgument(
      'Authorization header and query string authentication cannot be used at the same time.',
    );
  }
  if (authorization !== undefined)
    return authorization.startsWith('OSS4-') ? v4Header(req, authorization) : v1Header(req, authorization);
  if (v4Query) return v4FromQuery(req);
  if (v1Query) return v1FromQuery(req);
  return { kind: 'anonymous' };
}

function v1Header(req: SignedRequest, authorization: string): AuthClaim {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw OssErrors.invalidArgument('Authorization header is invalid.', 'Authorization', authorization);
  const date = req.headers['x-oss-date'] ?? req.headers.date;
  const ms = date === undefined ? NaN : Date.parse(date);
  if (date === undefined || Number.isNaN(ms)) throw OssErrors.accessDenied('OSS authentication requires a valid Date.');
  const token = req.headers['x-oss-security-token'];
  return {
    kind: 'v1',
    form: 'header',
    accessKeyId: m[1]!,
    signature: m[2]!,
    date,
    time: new Date(ms),
    ...(token ? { securityToken: token } : {}),
  };
}

function v1FromQuery(req: SignedRequest): AuthClaim {
  const accessKeyId = first(req.query, 'OSSAccessKeyId');
  const signature = first(req.query, 'Signature');
  const expires = first(req.query, 'Expires');
  if (!accessKeyId || !signature || !expires) {
    throw OssErrors.accessDenied(
      'Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters',
    );
  }
  if (!/^\d{1,12}$/.test(expires))
    throw OssErrors.accessDenied('Expires should be a valid Unix time in seconds.', [['Expires', expires]]);
  const token = first(req.query, 'security-token') ?? req.headers['x-oss-security-token'];
  return {
    kind: 'v1',
    form: 'query',
    accessKeyId,
    signature,
    date: expires,
    time: new Date(Number(expires) * 1000),
    ...(token ? { securityToken: token } : {}),
  };
}

/** `AK/yyyymmdd/region/product/aliyun_v4_request`. */
function parseCredential(credential: string): { accessKeyId: string; day: string; region: string; product: string } {
  const parts = credential.split('/');
  if (parts.length < 5 || parts.at(-1) !== 'aliyun_v4_request' || !/^\d{8}$/.test(parts.at(-4)!)) {
    throw OssErrors.invalidArgument(
      'Invalid credential in Authorization header or x-oss-credential.',
      'Credential',
      credential,
      '0002-00000201',
    );
  }
  const [day, region, product] = parts.slice(-4, -1) as [string, string, string];
  return { accessKeyId: parts.slice(0, -4).join('/'), day, region, product };
}

function parseAdditional(list: string | undefined): string[] {
  if (list === undefined) return [];
  const names = list.split(';').map((h) => h.trim().toLowerCase());
  if (names.some((h) => h === ''))
    throw OssErrors.invalidArgument('AdditionalHeaders is invalid.', 'AdditionalHeaders', list, '0002-00000209');
  return names;
}

function v4Header(req: SignedRequest, authorization: string): AuthClaim {
  const rest = authorization.trim();
  if (!rest.startsWith(`${V4_ALGORITHM} `))
    throw OssErrors.invalidArgument('Authorization header is invalid.', 'Authorization', authorization);
  const fields = new Map<string, string>();
  for (const part of rest.slice(V4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) throw OssErrors.invalidArgument('Authorization header is invalid.', 'Authorization', authorization);
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (!credential || !signature)
    throw OssErrors.invalidArgument('Authorization header is invalid.', 'Authorization', authorization);
  const timestamp = req.headers['x-oss-date'];
  const time = timestamp === undefined ? undefined : parseV4Timestamp(timestamp);
  if (timestamp === undefined || time === undefined)
    throw OssErrors.accessDenied(
      'The x-oss-date header is missing or not in ISO 8601 basic format.',
      [],
      '0002-00000212',
    );
  const sha = req.headers['x-oss-content-sha256'];
  if (sha !== 'UNSIGNED-PAYLOAD') {
    throw OssErrors.invalidArgument(
      'x-oss-content-sha256 must be UNSIGNED-PAYLOAD.',
      'x-oss-content-sha256',
      sha ?? '',
      '0002-00000214',
    );
  }
  const token = req.headers['x-oss-security-token'];
  return {
    kind: 'v4',
    form: 'header',
    ...parseCredential(credential),
    additionalHeaders: parseAdditional(fields.get('AdditionalHeaders')),
    signature,
    timestamp,
    time,
    ...(token ? { securityToken: token } : {}),
  };
}

function v4FromQuery(req: SignedRequest): AuthClaim {
  const version = first(req.query, 'x-oss-signature-version');
  const credential = first(req.query, 'x-oss-credential');
  const timestamp = first(req.query, 'x-oss-date');
  const expires = first(req.query, 'x-oss-expires');
  const signature = first(req.query, 'x-oss-signature');
  if (!version || !credential || !timestamp || !expires || !signature) {
    throw OssErrors.accessDenied(
      'Query-string authentication version 4 requires the x-oss-signature-version, x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature parameters.',
      [],
      '0002-00000215',
    );
  }
  if (version !== V4_ALGORITHM)
    throw OssErrors.invalidArgument('Unsupported x-oss-signature-version.', 'x-oss-signature-version', version);
  const time = parseV4Timestamp(timestamp);
  if (!time) throw OssErrors.invalidArgument('x-oss-date is not in ISO 8601 basic format.', 'x-oss-date', timestamp);
  if (!/^\d{1,7}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_PRESIGN_SECONDS) {
    throw OssErrors.invalidArgument(
      `x-oss-expires must be between 1 and ${MAX_PRESIGN_SECONDS} seconds.`,
      'x-oss-expires',
      expires,
      '0002-00000232',
    );
  }
  const token = first(req.query, 'x-oss-security-token') ?? req.headers['x-oss-security-token'];
  return {
    kind: 'v4',
    form: 'query',
    ...parseCredential(credential),
    additionalHeaders: parseAdditional(first(req.query, 'x-oss-additional-headers')),
    signature,
    timestamp,
    time,
    expiresSeconds: Number(expires),
    ...(token ? { securityToken: token } : {}),
  };
}
