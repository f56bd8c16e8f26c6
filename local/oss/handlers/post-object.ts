import { timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { MAX_SINGLE_PUT_BYTES } from '../../../shared/storage/limits';
import {
  parseV4Timestamp,
  V4_ALGORITHM,
  v1Signature,
  v4Signature,
  v4SigningKey,
} from '../../../shared/storage/signing';
import { OssErrors } from '../errors';
import { quoteEtag } from '../etag';
import type { RequestContext } from '../http/context';
import { keyProblem } from '../keys';
import { checkPostConditions, decodePostPolicy } from '../post-policy';
import { checkTemporaryCredentials } from '../sts';
import { el } from '../xml';
import { attrsFromHeaders } from './object-attrs';
import { commitNormalObject } from './publish';
import { sseHeaders, versionHeader } from './response';
import type { Handler, ServerState } from './types';

/** Form fields other than the file may be at most 4 KB each (docs/oss-protocol.md §3). */
const MAX_FIELD_BYTES = 4096;
/** A `file` sent as a plain form field is held in memory; larger contents must be sent as a file part. */
const MAX_PLAIN_FILE_BYTES = 16 * 1024 * 1024;

interface FormStart {
  fields: Map<string, string>;
  file: Readable;
  filename: string;
  mimeType: string;
}

/**
 * Reads form fields up to the file part. The file must be the last field; fields after it are ignored,
 * as OSS ignores them.
 */
function readUntilFile(ctx: RequestContext): Promise<FormStart> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // A `file` sent as a plain field (FormData.append('file', 'text'), form-data) carries the content,
      // so plain fields may be larger than the 4 KB other fields are held to (checked below).
      parser = busboy({
        headers: ctx.req.headers,
        limits: { fieldSize: MAX_PLAIN_FILE_BYTES + 1, files: 1, fields: 100 },
      });
    } catch {
      reject(OssErrors.malformedPost());
      return;
    }
    const fields = new Map<string, string>();
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      ctx.req.unpipe(parser);
      reject(error);
    };
    parser.on('field', (name, value, info) => {
      if (settled) return;
      if (name.toLowerCase() === 'file') {
        // OSS takes a plain `file` field's value as the object's content; fields after it are ignored.
        if (info.valueTruncated) return fail(OssErrors.entityTooLarge());
        settled = true;
        ctx.req.unpipe(parser);
        ctx.req.resume();
        resolve({ fields, file: Readable.from([Buffer.from(value, 'utf8')]), filename: '', mimeType: '' });
        return;
      }
      if (info.valueTruncated || Buffer.byteLength(value) > MAX_FIELD_BYTES) fail(OssErrors.fieldTooLong(name));
      else fields.set(name.toLowerCase(), value);
    });
    parser.on('file', (name, stream, info) => {
      if (settled) {
        stream.resume();
        return;
      }
      if (name.toLowerCase() !== 'file') {
        stream.resume();
        fail(OssErrors.invalidArgument('The name of the file field must be "file".', 'file', name));
        return;
      }
      settled = true;
      resolve({ fields, file: stream, filename: info.filename ?? '', mimeType: info.mimeType });
    });
    parser.on('error', () => fail(OssErrors.malformedPost()));
    parser.on('close', () => fail(OssErrors.incorrectFileCount()));
    const body = ctx.body();
    (body as unknown as Readable).pipe(parser);
  });
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Finds the secret for a form's access key (root or STS) or throws OSS's error for it. */
function secretFor(keys: ServerStateKeys, accessKeyId: string, token: string | undefined): string {
  if (accessKeyId.startsWith('STS.')) {
    if (!token) throw OssErrors.invalidAccessKeyId(accessKeyId);
    const check = checkTemporaryCredentials(accessKeyId, token, keys.keys, new Date());
    if (!check.ok)
      throw check.reason === 'expired' ? OssErrors.securityTokenExpired(token) : OssErrors.invalidSecurityToken(token);
    return check.accessKeySecret;
  }
  const key = keys.keys.find((k) => k.accessKeyId === accessKeyId);
  if (!key) throw OssErrors.invalidAccessKeyId(accessKeyId);
  return key.accessKeySecret;
}

/** The access keys the server accepts. */
export interface ServerStateKeys {
  keys: ReadonlyArray<{ accessKeyId: string; accessKeySecret: string }>;
}

/**
 * Verifies a form's signature over its base64 policy: V1 (`OSSAccessKeyId`, `Signature` =
 * base64 HMAC-SHA1) or V4 (`x-oss-credential`, `x-oss-date`, `x-oss-signature` = hex HMAC-SHA256 with
 * the day's signing key). Returns false for an unsigned form.
 */
function verifyFormSignature(state: ServerState, keys: ServerStateKeys, fields: Map<string, string>): boolean {
  const policy = fields.get('policy');
  const token = fields.get('x-oss-security-token');
  if (fields.has('x-oss-signature') || fields.has('x-oss-credential') || fields.has('x-oss-signature-version')) {
    const credential = fields.get('x-oss-credential');
    const date = fields.get('x-oss-date');
    const signature = fields.get('x-oss-signature');
    if (!policy || !credential || !date || !signature || fields.get('x-oss-signature-version') !== V4_ALGORITHM) {
      throw OssErrors.invalidArgument(
        'Signature version 4 forms need policy, x-oss-signature-version, x-oss-credential, x-oss-date and x-oss-signature.',
      );
    }
    const parts = credential.split('/');
    if (parts.length < 5 || parts.at(-1) !== 'aliyun_v4_request')
      throw OssErrors.invalidArgument('Invalid x-oss-credential.', 'x-oss-credential', credential);
    const [day, region, product] = parts.slice(-4, -1) as [string, string, string];
    const accessKeyId = parts.slice(0, -4).join('/');
    const time = parseV4Timestamp(date);
    if (!time || date.slice(0, 8) !== day) throw OssErrors.invalidArgument('Invalid x-oss-date.', 'x-oss-date', date);
    if (region !== state.region || product !== 'oss')
      throw OssErrors.invalidArgument(
        'Invalid signing region or product in x-oss-credential.',
        'x-oss-credential',
        credential,
      );
    if (Date.now() - time.getTime() > 7 * 86_400_000)
      throw OssErrors.accessDenied('Request has expired.', [['ServerTime', new Date().toISOString()]]);
    const secret = secretFor(keys, accessKeyId, token);
    const expected = v4Signature(v4SigningKey(secret, day, region, product), policy);
    if (!same(expected, signature))
      throw OssErrors.signatureDoesNotMatch([
        ['StringToSign', policy],
        ['SignatureProvided', signature],
        ['OSSAccessKeyId', accessKeyId],
      ]);
    return true;
  }
  const accessKeyId = fields.get('ossaccesskeyid');
  const signature = fields.get('signature');
  if (accessKeyId === undefined && signature === undefined && policy === undefined) return false;
  if (!accessKeyId || !signature || !policy) {
    throw OssErrors.invalidArgument(
      'Bucket POST must contain all of OSSAccessKeyId, policy and Signature when one is present.',
    );
  }
  const secret = secretFor(keys, accessKeyId, token);
  // The string to sign of a V1 form is the base64 policy itself.
  if (!same(v1Signature(secret, policy), signature))
    throw OssErrors.signatureDoesNotMatch([
      ['StringToSign', policy],
      ['SignatureProvided', signature],
      ['OSSAccessKeyId', accessKeyId],
    ]);
  return true;
}

/** PostObject (docs/oss-protocol.md §3): browser form uploads checked against a signed policy. */
export function postObjectHandler(keys: ServerStateKeys): Handler {
  return async (ctx, state) => {
    const { bucket } = ctx.target!;
    const config = state.engine.requireBucket(bucket).config;
    if (!/^multipart\/form-data/i.test(ctx.headers['content-type'] ?? '')) throw OssErrors.notMultipart();
    const form = await readUntilFile(ctx);
    try {
      const { fields } = form;
      const rawKey = fields.get('key');
      if (rawKey === undefined)
        throw OssErrors.invalidArgument('Bucket POST must contain a field named key.', 'key', '');
      const key = rawKey.replace(/\$\{filename\}/g, form.filename);
      const problem = keyProblem(key);
      if (problem) throw problem;
      fields.set('key', key);
      const signed = verifyFormSignature(state, keys, fields);
      let range = { min: 0, max: MAX_SINGLE_PUT_BYTES };
      if (signed) {
        const policy = decodePostPolicy(fields.get('policy')!, new Date());
        const bounds = checkPostConditions(policy, fields, bucket);
        range = { min: bounds.min, max: Math.min(bounds.max, MAX_SINGLE_PUT_BYTES) };
      } else if (config.acl !== 'public-read-write') {
        throw OssErrors.accessDenied('You have no right to access this bucket because of bucket acl.');
      }
      const headerLike: Record<string, string | undefined> = Object.fromEntries(fields);
      const attrs = attrsFromHeaders(
        headerLike,
        config,
        form.mimeType && form.mimeType !== 'application/octet-stream' ? form.mimeType : 'application/octet-stream',
      );
      const forbid = (fields.get('x-oss-forbid-overwrite') ?? '').toLowerCase() === 'true';
      if (forbid && state.engine.wouldOverwrite(bucket, key)) throw OssErrors.fileAlreadyExists();
      const staged = await state.engine.stage(form.file as AsyncIterable<Uint8Array>, {
        maxBytes: range.max,
        tooLarge: () => OssErrors.entityTooLarge(),
      });
      if (staged.size < range.min) {
        await state.engine.discard(staged);
        throw OssErrors.entityTooSmall();
      }
      const { committed, etag } = await commitNormalObject(
        ctx,
        state,
        'ObjectCreated:PostObject',
        { bucket, key, forbidOverwrite: forbid },
        staged,
        attrs,
      );
      const headers = {
        etag: quoteEtag(etag),
        'x-oss-hash-crc64ecma': staged.crc64,
        ...sseHeaders(committed.record),
        ...versionHeader(committed.record, config),
      };
      const redirect = fields.get('success_action_redirect');
      if (redirect) {
        const url = new URL(redirect);
        url.searchParams.set('bucket', bucket);
        url.searchParams.set('key', key);
        url.searchParams.set('etag', quoteEtag(etag));
        ctx.send(303, { ...headers, location: url.toString() });
        return;
      }
      const status = fields.get('success_action_status');
      if (status === '201') {
        const host = ctx.headers.host ?? `${bucket}.oss-${state.region}.aliyuncs.com`;
        ctx.sendXml(
          201,
          el('PostResponse', [
            el('Bucket', bucket),
            el('Location', `http://${host}/${encodeURIComponent(key)}`),
            el('Key', key),
            el('ETag', quoteEtag(etag)),
          ]),
          headers,
        );
        return;
      }
      ctx.send(status === '200' ? 200 : 204, headers);
    } catch (error) {
      // Stop reading the upload: the response is an error either way.
      form.file.resume();
      throw error;
    }
  };
}
