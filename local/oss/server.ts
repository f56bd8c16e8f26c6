import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AddressingConfig, bucketFromHost, resolveTargets } from './addressing';
import { ADMIN_PREFIX, handleAdmin } from './admin';
import { readAuthClaim } from './auth/claim';
import { verifyRequest } from './auth/verify';
import { corsResponseHeaders } from './cors';
import { OssError, OssErrors } from './errors';
import type { FaultRegistry } from './faults';
import * as buckets from './handlers/buckets';
import * as listing from './handlers/listing';
import * as multipart from './handlers/multipart';
import * as objects from './handlers/objects';
import { postObjectHandler } from './handlers/post-object';
import { restoreObject } from './handlers/restore';
import type { Handler, ServerState } from './handlers/types';
import * as versioning from './handlers/versioning';
import { RequestContext } from './http/context';
import { type Operation, route } from './router';

export interface HttpServerConfig {
  state: ServerState;
  faults: FaultRegistry;
  addressing: AddressingConfig;
  keys: ReadonlyArray<{ accessKeyId: string; accessKeySecret: string }>;
  requestLog: ((line: string) => void) | undefined;
  /** Enables the admin endpoint (admin.ts) for this bearer token. */
  adminToken: string | undefined;
}

type Access = 'never' | 'read' | 'write' | 'handler';

/** What an anonymous request may do: decided from the bucket ACL, or left to the handler (object ACLs, POST policies). */
const ANONYMOUS: Partial<Record<Operation, Access>> = {
  GetObject: 'handler',
  HeadObject: 'handler',
  GetObjectMeta: 'handler',
  PostObject: 'handler',
  ListObjects: 'read',
  ListObjectsV2: 'read',
  ListObjectVersions: 'read',
  PutObject: 'write',
  AppendObject: 'write',
  CopyObject: 'write',
  DeleteObject: 'write',
  DeleteMultipleObjects: 'write',
  InitiateMultipartUpload: 'write',
  UploadPart: 'write',
  UploadPartCopy: 'write',
  CompleteMultipartUpload: 'write',
  AbortMultipartUpload: 'write',
  ListParts: 'write',
};

/** Builds the HTTP server: one request → address → auth → route → fault → handler, errors as OSS XML. */
export function createOssHttpServer(config: HttpServerConfig): { server: Server; inflight: Set<Promise<void>> } {
  const { state } = config;
  const handlers: Record<Exclude<Operation, 'Options'>, Handler> = {
    ListBuckets: buckets.listBuckets,
    PutBucket: buckets.putBucket,
    DeleteBucket: buckets.deleteBucket,
    HeadBucket: buckets.headBucket,
    GetBucketInfo: buckets.getBucketInfo,
    GetBucketLocation: buckets.getBucketLocation,
    PutBucketAcl: buckets.putBucketAcl,
    GetBucketAcl: buckets.getBucketAcl,
    PutBucketCors: buckets.putBucketCors,
    GetBucketCors: buckets.getBucketCors,
    DeleteBucketCors: buckets.deleteBucketCors,
    PutBucketLifecycle: buckets.putBucketLifecycle,
    GetBucketLifecycle: buckets.getBucketLifecycle,
    DeleteBucketLifecycle: buckets.deleteBucketLifecycle,
    PutBucketVersioning: versioning.putBucketVersioning,
    GetBucketVersioning: versioning.getBucketVersioning,
    ListObjectVersions: versioning.listObjectVersions,
    ListObjects: listing.listObjects,
    ListObjectsV2: listing.listObjectsV2,
    ListMultipartUploads: multipart.listMultipartUploads,
    DeleteMultipleObjects: objects.deleteMultipleObjects,
    PostObject: postObjectHandler({ keys: config.keys }),
    PutObject: objects.putObject,
    CopyObject: objects.copyObject,
    AppendObject: objects.appendObject,
    GetObject: objects.getObject,
    HeadObject: objects.getObject,
    GetObjectMeta: objects.getObjectMeta,
    DeleteObject: objects.deleteObject,
    PutObjectAcl: objects.putObjectAcl,
    GetObjectAcl: objects.getObjectAcl,
    PutObjectTagging: objects.putObjectTagging,
    GetObjectTagging: objects.getObjectTagging,
    DeleteObjectTagging: objects.deleteObjectTagging,
    RestoreObject: restoreObject,
    InitiateMultipartUpload: multipart.initiateMultipartUpload,
    UploadPart: multipart.uploadPart,
    UploadPartCopy: multipart.uploadPartCopy,
    CompleteMultipartUpload: multipart.completeMultipartUpload,
    AbortMultipartUpload: multipart.abortMultipartUpload,
    ListParts: multipart.listParts,
  };

  const hostId = (bucket: string) =>
    bucket ? `${bucket}.oss-${state.region}.aliyuncs.com` : `oss-${state.region}.aliyuncs.com`;

  async function dispatch(ctx: RequestContext): Promise<void> {
    const targets = resolveTargets(ctx.headers.host, ctx.rawPath, config.addressing);
    ctx.target = targets[0]!;
    const bucketName = ctx.target.bucket;
    const bucket = bucketName === '' ? undefined : state.engine.bucket(bucketName);
    // Granted before authentication so that browsers can read error responses too.
    ctx.cors = corsResponseHeaders(bucket?.config.cors, ctx.headers.origin, ctx.method);
    if (ctx.method === 'OPTIONS') {
      buckets.answerPreflight(ctx, state);
      return;
    }
    if (bucketName !== '' && !bucket && !targets.some((t) => t.key === '' && ctx.method === 'PUT'))
      throw OssErrors.noSuchBucket(bucketName);
    const signed = { method: ctx.method, headers: ctx.headers, query: ctx.query, emptyWithEquals: ctx.emptyWithEquals };
    const claim = readAuthClaim(signed);
    const { target, principal } = verifyRequest(claim, signed, targets, {
      keys: config.keys,
      region: state.region,
      now: new Date(),
    });
    ctx.target = target;
    ctx.principal = principal;
    const routed = route(ctx.method, target, ctx.query, ctx.headers);
    if ('unsupported' in routed) throw OssErrors.notImplemented(`The "${routed.unsupported}" sub-resource`);
    if ('methodNotAllowed' in routed) throw OssErrors.methodNotAllowed(ctx.method);
    const op = routed.op as Exclude<Operation, 'Options'>;
    ctx.op = op;

    const fault = config.faults.next(op);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.action === 'reset') {
      ctx.req.socket.destroy();
      return;
    }
    if (fault.action === 'internal-error') throw OssErrors.internalError();
    if (fault.action === 'slow-down') throw OssErrors.slowDown();

    if (op !== 'PutBucket' && op !== 'ListBuckets') state.engine.requireBucket(target.bucket);
    if (!principal) {
      const access = ANONYMOUS[op] ?? 'never';
      const acl = target.bucket === '' ? 'private' : (state.engine.bucket(target.bucket)?.config.acl ?? 'private');
      const allowed =
        access === 'handler' ||
        (access === 'read' && acl !== 'private') ||
        (access === 'write' && acl === 'public-read-write');
      if (!allowed) throw OssErrors.accessDenied('You have no right to access this bucket because of bucket acl.');
    }
    await handlers[op](ctx, state);
  }

  /** A path-style request under /_local/ when the admin endpoint is on. */
  const isAdmin = (req: IncomingMessage) =>
    config.adminToken !== undefined &&
    (req.url ?? '').startsWith(ADMIN_PREFIX) &&
    bucketFromHost((req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase(), config.addressing) === undefined;

  async function onAdmin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await handleAdmin(req, res, { token: config.adminToken!, faults: config.faults, log: state.log });
    } catch (error) {
      state.log(`admin request ${req.method} ${req.url} failed: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        `${JSON.stringify({ error: { code: 'INTERNAL', message: 'The admin request failed; see the server log.' } })}\n`,
      );
    }
    config.requestLog?.(`${res.statusCode} ${req.method} ${req.url?.split('?')[0]} admin`);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): Promise<void> {
    if (isAdmin(req)) return onAdmin(req, res);
    const started = Date.now();
    const ctx = new RequestContext(req, res, hostId, expectContinue);
    try {
      await dispatch(ctx);
    } catch (error) {
      if (error instanceof OssError) ctx.sendError(error);
      else if (isClientGone(error, req)) res.destroy();
      else {
        state.log(
          `internal error on ${ctx.method} ${req.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        ctx.sendError(OssErrors.internalError());
      }
    }
    // A request answered before its body was read (an error, a refused upload): discard the rest so the
    // client, which may still be sending, finishes and reads the answer instead of seeing a reset.
    if (!req.complete && !req.destroyed) {
      req.unpipe();
      req.resume();
    }
    config.requestLog?.(`${res.statusCode} ${ctx.method} ${req.url} ${ctx.op ?? '-'} ${Date.now() - started}ms`);
  }

  const inflight = new Set<Promise<void>>();
  const track = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => {
    const task = onRequest(req, res, expectContinue);
    inflight.add(task);
    void task.finally(() => inflight.delete(task));
  };
  const server = createServer(
    {
      requestTimeout: 0,
      headersTimeout: 60_000,
      keepAliveTimeout: 5_000,
      maxHeaderSize: 64 * 1024,
      // OSS takes a request with both Content-Length and Transfer-Encoding: chunked (ali-oss sends one for a
      // stream given an explicit Content-Length) and reads the chunked body; Node's strict parser refuses
      // it with 400 before any handler runs. Lenient parsing lets the chunked body win, as on OSS
      // (docs/local-oss-server.md "Known differences").
      insecureHTTPParser: true,
    },
    (req, res) => track(req, res, false),
  );
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => track(req, res, true));
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy(error);
  });
  return { server, inflight };
}

/** An upload the client abandoned: nothing to answer. */
function isClientGone(error: unknown, req: IncomingMessage): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    req.destroyed ||
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (error as Error | undefined)?.message === 'aborted'
  );
}
