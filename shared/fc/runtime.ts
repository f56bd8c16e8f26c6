/**
 * The one wrapper every function's handler goes through, in the manner of Powertools'
 * `injectLambdaContext`: the function's credentials kept current across invocations (FC hands each
 * invocation the role's latest STS keys), a per-invocation logger and deadline, and the same error
 * policy for every trigger kind.
 *
 * Error policy. HTTP: a malformed event is a 400, anything thrown a 500, both as the pack's JSON error
 * without internals. OSS, timer and custom events: a malformed event is logged and answered, not thrown,
 * because a retry would fail the same way; any other error is logged with its code and rethrown, so FC's
 * asynchronous retry applies (docs/fc-runtime.md §2.4).
 */
import type { Credentials } from '../config';
import { describeError } from '../errors';
import type { HttpApp, HttpRequest } from '../http/types';
import { createLogger, type Logger, redactUrls } from '../log';
import { resolveCredentials } from '../storage/credentials';
import { codeCacheState } from './code-cache-state';
import type { FcOssEvent, FcTimerEvent } from './events';
import { requestFromEvent, resultFromResponse } from './http-app';
import { parseHttpEvent, parseOssEvent, parseTimerEvent } from './parse';
import type { FcContext, FcHandler, FcHttpResult } from './types';

export interface FunctionRuntimeOptions {
  /** The function's name, on every log line as `fn`. */
  name: string;
  /** Credentials from the environment, used when FC passes none (no role; the local stack without STS). */
  envCredentials?: Credentials | undefined;
  /** The base logger; a JSON-lines logger on stdout by default. */
  logger?: Logger;
  /** The clock, in epoch ms (tests). */
  now?: () => number;
}

/** What a function holds at module level: built once at cold start, shared by every invocation. */
export interface FunctionRuntime {
  readonly name: string;
  /** The function's logger (with `fn`); invocations log through `Invocation.logger`. */
  readonly logger: Logger;
  /**
   * The credentials to use now: the newest `context.credentials` seen, else the environment's. Pass it
   * (not its result) to stores and signers built at cold start, so they always sign with current keys.
   * Throws `CREDENTIALS_MISSING` when there are none.
   */
  credentials(): Credentials;
  /** Starts an invocation: takes its credentials and returns its `Invocation`. The handlers call it. */
  begin(context: FcContext): Invocation;
}

/** One invocation as a function's code sees it. */
export interface Invocation {
  readonly requestId: string;
  readonly context: FcContext;
  /** The function's logger with this invocation's `requestId`. */
  readonly logger: Logger;
  /** Epoch ms at which FC ends the invocation (start + the function's timeout); Infinity when unknown. */
  readonly deadline: number;
  /** Milliseconds left before `deadline`, never negative. */
  remainingMs(): number;
}

/** What a function does with one parsed event. */
export type EventRun<E, R> = (event: E, invocation: Invocation) => Promise<R> | R;

/** Creates the module-level runtime of one function. */
export function createFunctionRuntime(options: FunctionRuntimeOptions): FunctionRuntime {
  const now = options.now ?? Date.now;
  const logger = (options.logger ?? createLogger()).child({ fn: options.name });
  // A cache built for this bundle that V8 refused means FC's Node differs from the build's: say so once
  // per instance, since every cold start then compiles the bundle (docs/fc-runtime.md §8).
  const cache = codeCacheState()?.status;
  if (cache === 'rejected' || cache === 'stale')
    logger.info('code cache not used; cold starts compile the bundle', { codeCache: cache, node: process.version });
  let latest: Credentials | undefined;
  return {
    name: options.name,
    logger,
    credentials: () => resolveCredentials(latest, options.envCredentials),
    begin(context) {
      const given = context.credentials;
      // Rotated STS keys replace older ones; an invocation without keys keeps the last ones seen.
      if (given?.accessKeyId && given.accessKeySecret) latest = { ...given };
      const started = now();
      const timeout = context.function?.timeout;
      const deadline = typeof timeout === 'number' && timeout > 0 ? started + timeout * 1000 : Number.POSITIVE_INFINITY;
      return {
        requestId: context.requestId,
        context,
        logger: logger.child({ requestId: context.requestId }),
        deadline,
        remainingMs: () => Math.max(0, deadline - now()),
      };
    },
  };
}

/**
 * The FC handler of an HTTP function serving `app`. The app receives the request with FC's request id;
 * a malformed event is a 400 `EVENT_INVALID`, a throw that escapes the app a 500 `INTERNAL`, both as
 * `{"error":{"code","message","requestId"}}` with a fixed message (the detail goes to the log only).
 */
export function httpHandler(runtime: FunctionRuntime, app: HttpApp): FcHandler {
  return async (raw, context): Promise<FcHttpResult> => {
    const invocation = runtime.begin(context);
    let request: HttpRequest;
    try {
      request = requestFromEvent(parseHttpEvent(raw), invocation.requestId);
    } catch (error) {
      logFailure(invocation, 'event.invalid', error);
      return jsonError(400, 'EVENT_INVALID', 'Malformed HTTP trigger event', invocation.requestId);
    }
    try {
      return resultFromResponse(await app.handle(request));
    } catch (error) {
      logFailure(invocation, 'request.failed', error, { method: request.method, path: request.path });
      return jsonError(500, 'INTERNAL', 'Internal server error', invocation.requestId);
    }
  };
}

/** The FC handler of a function on an OSS trigger: `run` gets the parsed `{events}`. */
export function ossHandler<R>(runtime: FunctionRuntime, run: EventRun<FcOssEvent, R>): FcHandler {
  return eventHandler(runtime, parseOssEvent, run);
}

/** The FC handler of a function on a timer trigger: `run` gets the parsed timer event. */
export function timerHandler<R>(runtime: FunctionRuntime, run: EventRun<FcTimerEvent, R>): FcHandler {
  return eventHandler(runtime, parseTimerEvent, run);
}

/** What an event handler answers for a malformed event: the same error shape as the HTTP API's. */
export interface EventRejection {
  error: { code: string; message: string; requestId: string };
}

/**
 * The FC handler of a function taking any event `parse` accepts (several trigger kinds, or a
 * hand-written JSON event from `npm run invoke`). Whatever `parse` throws makes the event malformed:
 * logged and answered with an `EventRejection`, never retried. What `run` throws is logged and rethrown.
 */
export function eventHandler<E, R>(
  runtime: FunctionRuntime,
  parse: (raw: Buffer) => E,
  run: EventRun<E, R>,
): FcHandler {
  return async (raw, context): Promise<R | EventRejection> => {
    const invocation = runtime.begin(context);
    let event: E;
    try {
      event = parse(raw);
    } catch (error) {
      const { code } = logFailure(invocation, 'event.invalid', error);
      return { error: { code, message: messageOf(error), requestId: invocation.requestId } };
    }
    try {
      return await run(event, invocation);
    } catch (error) {
      logFailure(invocation, 'invocation.failed', error);
      throw error;
    }
  };
}

/** Logs a failure with its stable code (the redacting logger strips secrets); returns the code. */
function logFailure(
  invocation: Invocation,
  event: string,
  error: unknown,
  fields: Record<string, unknown> = {},
): { code: string } {
  const code = codeOf(error, event === 'event.invalid' ? 'EVENT_INVALID' : 'INTERNAL');
  invocation.logger.error(event, {
    code,
    error: describeError(error),
    // The stack is what makes an unexpected failure debuggable; a PackError's message says it all.
    ...(error instanceof Error && !(typeof (error as { code?: unknown }).code === 'string') && { stack: error.stack }),
    ...fields,
  });
  return { code };
}

function codeOf(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : fallback;
}

function messageOf(error: unknown): string {
  return redactUrls(error instanceof Error ? error.message : String(error));
}

function jsonError(statusCode: number, code: string, message: string, requestId: string): FcHttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code, message, requestId } }),
    isBase64Encoded: false,
  };
}
