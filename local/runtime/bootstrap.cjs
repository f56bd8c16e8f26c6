'use strict';
/**
 * One FC 3.0 function instance: run with plain `node` (no TypeScript loader), it loads the function's
 * bundle once, reports `ready` (or exactly why it cannot), then serves invocations one at a time over the
 * IPC channel, the way a built-in nodejs runtime instance does. Everything written to stdout/stderr goes
 * to the parent over the same channel, tagged with the current request id, so the parent can label each
 * line and lines can never overtake the result they belong to.
 *
 * Before the function's code loads, the code directory becomes the root of a deployed package (module
 * type, lookup of packages and FC's built-in modules: ./child/code-package.cjs) and, when the local stack
 * says so, requests for cloud endpoints of the local region go to the local servers
 * (./child/cloud-routes.cjs).
 *
 * argv: <codeDir> <handler module, e.g. "index"> <export name, e.g. "handler"> [<options JSON>]
 * options: {"routes": {"region": "cn-hangzhou", "ossPort": 9100, "fcPort": 9002}}
 */
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const { installCodePackage, registerEsmHooks } = require('./child/code-package.cjs');

const [codeDir, handlerModule, handlerExport, optionsJson] = process.argv.slice(2);
const options = optionsJson ? JSON.parse(optionsJson) : {};
let currentRequestId = '';
let currentInvocation;

function send(message) {
  if (process.connected) process.send(message);
}

function captureStream(stream, name) {
  stream.write = function write(chunk, encoding, callback) {
    const text =
      typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    send({ t: 'out', stream: name, requestId: currentRequestId, text });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}
captureStream(process.stdout, 'stdout');
captureStream(process.stderr, 'stderr');

// The parent owns this process: when it goes away, so do we.
process.on('disconnect', () => process.exit(0));

/** FC's error payload for a thrown value: `{errorMessage, errorType, stackTrace}`. */
function toFcError(error) {
  if (error instanceof Error) {
    const stack =
      typeof error.stack === 'string'
        ? error.stack
            .split('\n')
            .slice(1)
            .map((l) => l.trim())
        : [];
    return { errorMessage: error.message, errorType: error.name || 'Error', stackTrace: stack };
  }
  return {
    errorMessage: typeof error === 'string' ? error : util.inspect(error),
    errorType: typeof error,
    stackTrace: [],
  };
}

function fail(code, message, detail) {
  send({ t: 'load-error', code, message, detail });
  process.exitCode = 1;
  // Give the IPC message time to leave before the channel closes.
  setTimeout(() => process.exit(1), 50);
}

function findModuleFile() {
  const base = path.resolve(codeDir, handlerModule);
  for (const candidate of [`${base}.js`, `${base}.cjs`, `${base}.mjs`, base]) {
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next extension
    }
  }
  return undefined;
}

function makeLogger() {
  const line =
    (level) =>
    (...args) => {
      process.stdout.write(`${new Date().toISOString()} ${currentRequestId} [${level}] ${util.format(...args)}\n`);
    };
  return { debug: line('DEBUG'), info: line('INFO'), warn: line('WARN'), error: line('ERROR'), log: line('INFO') };
}

/** FC's conversion of return values: a Buffer as-is, an object to JSON, anything else to a string. */
function toPayload(value) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value === 'object') return Buffer.from(JSON.stringify(value), 'utf8');
  return Buffer.from(String(value), 'utf8');
}

function callHandler(handler, event, context) {
  // Handlers that take a callback (a third parameter) finish through it, as the runtime has always allowed.
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const returned = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

async function main() {
  const started = Date.now();
  const file = findModuleFile();
  if (!file) return fail('BUNDLE_MISSING', `no ${handlerModule}.js (or .cjs/.mjs) in ${codeDir}`);
  let mod;
  try {
    const codePackage = installCodePackage(codeDir);
    const esm = codePackage.formatOf(fs.realpathSync(file)) === 'module';
    if (options.routes) require('./child/cloud-routes.cjs').installCloudRoutes(options.routes, { eager: esm });
    if (esm) {
      registerEsmHooks(codePackage);
      mod = await import(pathToFileURL(file).href);
    } else {
      mod = require(file);
    }
  } catch (error) {
    return fail(
      'HANDLER_LOAD_FAILED',
      `${file} threw while loading: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
  }
  const handler = mod && (typeof mod[handlerExport] === 'function' ? mod[handlerExport] : mod.default?.[handlerExport]);
  if (typeof handler !== 'function') {
    const exported = mod && typeof mod === 'object' ? Object.keys(mod).join(', ') || 'nothing' : typeof mod;
    return fail(
      'HANDLER_MISSING',
      `${file} does not export a function named "${handlerExport}" (it exports: ${exported})`,
    );
  }

  process.on('message', (message) => {
    if (message?.t !== 'invoke') return;
    const { id, event, context: wire } = message;
    currentRequestId = wire.requestId;
    currentInvocation = id;
    const context = { ...wire, logger: makeLogger() };
    const eventBuffer = Buffer.from(event.buffer, event.byteOffset, event.byteLength);
    callHandler(handler, eventBuffer, context)
      .then(
        (value) => {
          let payload;
          try {
            payload = toPayload(value);
          } catch (error) {
            send({ t: 'result', id, ok: false, error: toFcError(error) });
            return;
          }
          send({ t: 'result', id, ok: true, payload });
        },
        (error) => send({ t: 'result', id, ok: false, error: toFcError(error) }),
      )
      .finally(() => {
        currentInvocation = undefined;
      });
  });

  // An exception nobody caught kills the instance, as it does on FC; the parent fails the invocation.
  process.on('uncaughtException', (error) => {
    send({ t: 'fatal', id: currentInvocation, error: toFcError(error) });
    setTimeout(() => process.exit(129), 50);
  });

  send({ t: 'ready', loadMs: Date.now() - started });
}

main().catch((error) => fail('HANDLER_LOAD_FAILED', `bootstrap failed: ${error?.message}`, error?.stack));
