/**
 * The host side of one function instance: a child `node` process running `bootstrap.cjs` with the
 * function's bundle loaded, warm between invocations and serving one at a time. It enforces the function's
 * timeout by killing the process, as FC does, and turns the child's output into labelled lines.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FcContext } from '../../shared/fc/types';
import { RuntimeError, type RuntimeErrorCode } from './errors';
import type { FunctionSpec } from './s-yaml';

/** The least time an instance gets to load its handler, whatever the function's timeout. */
const LOAD_TIMEOUT_FLOOR_SECONDS = 30;

const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.cjs', import.meta.url));

/** FC's error payload: what a failed invocation returns instead of the function's value. */
export interface FcFunctionError {
  errorMessage: string;
  errorType: string;
  stackTrace?: string[];
}

/**
 * How an invocation ended. `unhandled`: the handler threw or rejected; `timeout`: it ran past the
 * function's timeout and the instance was killed; `crashed`: the process died mid-invocation.
 */
export type InvocationOutcome =
  | { ok: true; payload: Buffer }
  | { ok: false; kind: 'unhandled' | 'timeout' | 'crashed'; error: FcFunctionError };

/** The serialisable part of the FC context; the child adds `logger`. */
export type WireContext = Omit<FcContext, 'logger' | 'tracing'>;

/** One line a function wrote, with where it came from. `requestId` is "" for output outside any invocation. */
export interface OutputLine {
  functionName: string;
  instanceId: string;
  requestId: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface InstanceOptions {
  spec: FunctionSpec;
  /** The complete environment of the process (the caller assembles s.yaml env, FC system variables, overrides). */
  env: Record<string, string>;
  instanceId: string;
  onOutput: (line: OutputLine) => void;
  /** Called once when the process exits for any reason after it was ready. */
  onExit?: (instance: FunctionInstance) => void;
  /** Cloud endpoints to send to local servers (see {@link CloudRoutes}); none when absent. */
  routes?: CloudRoutes;
}

/**
 * Which cloud endpoints an instance sends to loopback: OSS endpoints of `region` to `ossPort`, FC API
 * endpoints of `region` to `fcPort` (docs/local-runtime.md, "Cloud endpoints").
 */
export interface CloudRoutes {
  region: string;
  ossPort?: number;
  fcPort?: number;
}

type ChildMessage =
  | { t: 'ready'; loadMs: number }
  | { t: 'load-error'; code: RuntimeErrorCode; message: string; detail?: string }
  | { t: 'out'; stream: 'stdout' | 'stderr'; requestId: string; text: string }
  | { t: 'result'; id: number; ok: true; payload: Uint8Array }
  | { t: 'result'; id: number; ok: false; error: FcFunctionError }
  | { t: 'fatal'; id?: number; error: FcFunctionError };

/** A fresh FC_INSTANCE_ID-style id. */
export function newInstanceId(): string {
  return `c-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
}

export class FunctionInstance {
  readonly id: string;
  readonly spec: FunctionSpec;
  /** Milliseconds the bundle took to load (the cold start). */
  loadMs = 0;
  private child!: ChildProcess;
  private nextId = 1;
  private pending:
    | { id: number; requestId: string; resolve: (outcome: InvocationOutcome) => void; timer: NodeJS.Timeout }
    | undefined;
  private exited = false;
  /** Set the moment the instance is condemned (timeout, fatal error, stop), before the exit event arrives. */
  private doomed = false;
  private readonly partial = { stdout: '', stderr: '' };
  private lastRequestId = '';

  private constructor(private readonly options: InstanceOptions) {
    this.id = options.instanceId;
    this.spec = options.spec;
  }

  /**
   * Starts a process and loads the bundle. Rejects with `BUNDLE_MISSING`, `HANDLER_LOAD_FAILED`,
   * `HANDLER_MISSING` or `HANDLER_LOAD_TIMEOUT`, naming the function and file, and leaves no process behind.
   */
  static async start(options: InstanceOptions): Promise<FunctionInstance> {
    const { spec } = options;
    if (
      !existsSync(spec.codeDir) ||
      !['.js', '.cjs', '.mjs', ''].some((ext) => existsSync(join(spec.codeDir, spec.handlerModule + ext)))
    ) {
      throw new RuntimeError(
        'BUNDLE_MISSING',
        `Function ${spec.name}: no bundle at ${join(spec.codeDir, `${spec.handlerModule}.js`)} (handler ${spec.handler}); build it first (npm run build)`,
      );
    }
    const instance = new FunctionInstance(options);
    await instance.spawn();
    return instance;
  }

  private spawn(): Promise<void> {
    const { spec } = this.options;
    return new Promise<void>((resolve, reject) => {
      const args = [spec.codeDir, spec.handlerModule, spec.handlerExport];
      if (this.options.routes) args.push(JSON.stringify({ routes: this.options.routes }));
      const child = fork(BOOTSTRAP, args, {
        cwd: spec.codeDir,
        env: this.options.env,
        // Plain node: no loaders inherited from the parent (tsx, vitest). Source maps make stacks point at TypeScript.
        execArgv: ['--enable-source-maps'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'advanced',
      });
      this.child = child;
      let ready = false;
      // Loading is not the invocation: FC bounds an instance's start on its own, not by the function's timeout,
      // so a function with a 1 s timeout still gets time to load on a busy machine.
      const loadSeconds = Math.max(spec.timeout, LOAD_TIMEOUT_FLOOR_SECONDS);
      const loadTimer = setTimeout(() => {
        settle(
          new RuntimeError(
            'HANDLER_LOAD_TIMEOUT',
            `Function ${spec.name}: ${this.bundlePath()} did not finish loading within ${loadSeconds}s`,
          ),
        );
      }, loadSeconds * 1000);
      const settle = (error?: Error) => {
        if (ready) return;
        ready = true;
        clearTimeout(loadTimer);
        if (error) {
          child.kill('SIGKILL');
          reject(error);
        } else resolve();
      };

      // Output that bypasses process.stdout (native code, fs.writeSync(1)) still arrives here.
      child.stdout?.on('data', (chunk: Buffer) => this.output('stdout', this.lastRequestId, chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => this.output('stderr', this.lastRequestId, chunk.toString('utf8')));
      child.on('message', (message: ChildMessage) => {
        switch (message.t) {
          case 'ready':
            this.loadMs = message.loadMs;
            settle();
            break;
          case 'load-error':
            if (message.detail) this.output('stderr', '', `${message.detail}\n`);
            settle(new RuntimeError(message.code, `Function ${spec.name}: ${message.message}`));
            break;
          case 'out':
            this.output(message.stream, message.requestId, message.text);
            break;
          case 'result':
            this.finish(
              message.id,
              message.ok
                ? { ok: true, payload: toBuffer(message.payload) }
                : { ok: false, kind: 'unhandled', error: message.error },
            );
            break;
          case 'fatal':
            this.doomed = true;
            this.output(
              'stderr',
              this.lastRequestId,
              `Uncaught ${message.error.errorType}: ${message.error.errorMessage}\n`,
            );
            if (message.id !== undefined)
              this.finish(message.id, { ok: false, kind: 'unhandled', error: message.error });
            break;
        }
      });
      child.on('error', (error) =>
        settle(
          new RuntimeError(
            'HANDLER_LOAD_FAILED',
            `Function ${spec.name}: cannot start node for ${this.bundlePath()}: ${error.message}`,
          ),
        ),
      );
      child.on('exit', (code, signal) => {
        this.exited = true;
        this.flushOutput();
        settle(
          new RuntimeError(
            'HANDLER_LOAD_FAILED',
            `Function ${spec.name}: the instance exited while loading ${this.bundlePath()} (${signal ?? `exit code ${code}`})`,
          ),
        );
        const pending = this.pending;
        if (pending) {
          this.finish(pending.id, {
            ok: false,
            kind: 'crashed',
            error: {
              errorMessage: `Process exited unexpectedly before completing request (${signal ?? `exit code ${code}`})`,
              errorType: 'ProcessExited',
            },
          });
        }
        if (ready) this.options.onExit?.(this);
      });
    });
  }

  /** True when the process is alive and not serving an invocation. */
  get idle(): boolean {
    return this.alive && this.pending === undefined;
  }

  get alive(): boolean {
    return !this.exited && !this.doomed;
  }

  /**
   * Runs one invocation. Never rejects for function failures: they come back as an outcome. On timeout
   * the process is killed (FC recycles a timed-out instance too).
   */
  invoke(event: Buffer, context: WireContext): Promise<InvocationOutcome> {
    if (this.pending) throw new Error(`instance ${this.id} is busy`); // the pool never does this
    if (!this.alive) {
      return Promise.resolve({
        ok: false,
        kind: 'crashed',
        error: { errorMessage: 'Instance is not running', errorType: 'ProcessExited' },
      });
    }
    const id = this.nextId++;
    this.lastRequestId = context.requestId;
    return new Promise<InvocationOutcome>((resolve) => {
      const seconds = this.spec.timeout;
      const timer = setTimeout(() => {
        this.doomed = true;
        this.finish(id, {
          ok: false,
          kind: 'timeout',
          error: { errorMessage: `Function timed out after ${seconds} seconds`, errorType: 'FunctionTimeoutError' },
        });
        this.child.kill('SIGKILL');
      }, seconds * 1000);
      this.pending = { id, requestId: context.requestId, resolve, timer };
      this.child.send({ t: 'invoke', id, event, context });
    });
  }

  /** Stops the process; resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.doomed = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }

  private finish(id: number, outcome: InvocationOutcome): void {
    const pending = this.pending;
    if (!pending || pending.id !== id) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    this.flushOutput();
    pending.resolve(outcome);
  }

  /** Splits output into lines; a partial line waits for its end (or the end of the invocation). */
  private output(stream: 'stdout' | 'stderr', requestId: string, text: string): void {
    const buffered = this.partial[stream] + text;
    const lines = buffered.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.emit(stream, requestId, line);
  }

  private flushOutput(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.emit(stream, this.lastRequestId, this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  private emit(stream: 'stdout' | 'stderr', requestId: string, text: string): void {
    this.options.onOutput({
      functionName: this.spec.name,
      instanceId: this.id,
      requestId,
      stream,
      text: text.replace(/\r$/, ''),
    });
  }

  private bundlePath(): string {
    return join(this.spec.codeDir, `${this.spec.handlerModule}.js`);
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
