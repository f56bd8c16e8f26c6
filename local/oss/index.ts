import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PackError } from '../../shared/errors';
import { redactUrls } from '../../shared/log/redact';
import { ServerClock } from './clock';
import type { OssEventPayload, Subscription } from './events';
import { type Fault, FaultRegistry } from './faults';
import { RestoreWatcher } from './handlers/restore';
import type { Deliver, DeliveryOptions } from './notifications';
import { Notifier } from './notifications';
import { type OssServerOptions, resolveOptions } from './options';
import { createOssHttpServer } from './server';
import { DiskBackend } from './store/disk';
import { ObjectEngine } from './store/engine';
import { MemoryBackend } from './store/memory';

export type { OssEvent, OssEventPayload, Subscription } from './events';
export type { Fault } from './faults';
export type { DeliveryOptions } from './notifications';
export type { OssServerOptions } from './options';
export { DEFAULT_ACCOUNT_ID, DEFAULT_PORT } from './options';
export type { TemporaryCredentials } from './sts';
export { mintTemporaryCredentials } from './sts';

/** A running server. */
export interface RunningOssServer {
  /** e.g. `http://127.0.0.1:9100`. */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (aborting them after a grace period), flushes storage. */
  close(): Promise<void>;
  notifications: {
    /**
     * Subscribes like an FC OSS trigger: `events` such as `oss:ObjectCreated:*` or
     * `oss:ObjectRemoved:DeleteObject`, optional key prefix/suffix. `deliver` receives the exact FC OSS
     * trigger payload and may throw to have it retried. Returns the unsubscribe function.
     */
    subscribe(sub: Subscription, deliver: (payload: OssEventPayload) => Promise<void>): () => void;
    /** Resolves when no delivery is queued, running or waiting for a retry. */
    idle(): Promise<void>;
    /** Test knobs: duplicate deliveries, reordering window, retry policy. */
    configure(options: DeliveryOptions): void;
  };
  /**
   * The clock objects are stamped with (docs/local-oss-server.md "Clock"): `setOffset(-40 * 86_400_000)`
   * makes the writes that follow 40 days old; `setOffset(0)` goes back to the real time.
   */
  clock: {
    now(): Date;
    readonly offsetMs: number;
    setOffset(ms: number): void;
  };
  /** Fault injection per operation name (`PutObject`, `GetObject`…, or `*`). */
  faults: {
    set(op: string, fault: Fault): void;
    clear(): void;
    /** The faults set, with `remaining` requests for those limited by `times`. */
    list(): Record<string, Fault & { remaining?: number }>;
  };
}

/** How long `close()` lets in-flight requests run before cutting their connections. */
const CLOSE_GRACE_MS = 10_000;

/**
 * Starts an OSS-compatible server (docs/local-oss-server.md): in memory, or on disk under `dataDir`.
 * Rejects with a PackError `PORT_IN_USE` naming the port when it is taken.
 */
export async function startOssServer(options: OssServerOptions): Promise<RunningOssServer> {
  const o = resolveOptions(options);
  // Request lines carry presigned query strings: print them as the pack's logger would, signatures redacted.
  const sink = o.log;
  const requestLog = sink && ((line: string) => sink(redactUrls(line)));
  const log = requestLog ?? (() => {});
  const backend = o.dataDir === undefined ? new MemoryBackend() : await DiskBackend.open(o.dataDir, log);
  const clock = new ServerClock(o.now, o.clockOffsetMs);
  let engine: ObjectEngine;
  try {
    engine = await ObjectEngine.open(backend, log);
    engine.now = () => clock.now();
    for (const name of o.buckets) {
      if (!engine.bucket(name))
        await engine.createBucket({
          name,
          created: clock.now(),
          storageClass: 'Standard',
          redundancy: 'LRS',
          acl: 'private',
        });
    }
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw error;
  }
  const notifier = new Notifier({ region: o.region, accountId: o.accountId, log });
  const restores = new RestoreWatcher(notifier, () => clock.now());
  const faults = new FaultRegistry();
  for (const [op, fault] of Object.entries(o.faults)) faults.set(op, fault);
  const { server, inflight } = createOssHttpServer({
    state: {
      engine,
      notifier,
      region: o.region,
      accountId: o.accountId,
      log,
      restoreTiming: { delayMs: o.restoreDelayMs, dayMs: o.restoreDayMs },
      restores,
      clock,
    },
    faults,
    addressing: { baseDomains: o.baseDomains },
    keys: o.accessKeys,
    requestLog,
    adminToken: o.adminToken,
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await engine.close().catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PackError(
        'PORT_IN_USE',
        `Port ${o.port} on ${o.host} is already in use; stop whatever listens there or choose another port (LOCAL_OSS_PORT).`,
        { cause: error },
      );
    }
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // Idle keep-alive connections go now; busy ones once their request is answered (each pass
        // closes what has become idle), and whatever is still busy after the grace period is cut, which
        // rolls its upload back.
        const deadline = Date.now() + CLOSE_GRACE_MS;
        for (;;) {
          server.closeIdleConnections();
          if (sockets.size === 0 && inflight.size === 0) break;
          if (Date.now() > deadline) {
            server.closeAllConnections();
            await Promise.allSettled([...inflight]);
            break;
          }
          if (inflight.size > 0) await Promise.race([Promise.allSettled([...inflight]), sleep(20)]);
          // A real turn of the event loop, so destroyed sockets get to emit 'close'.
          await sleep(5);
        }
        await stopped;
        restores.close();
        notifier.close();
        await engine.close();
      })();
      return closing;
    },
    notifications: {
      subscribe: (sub, deliver: Deliver) => notifier.subscribe(sub, deliver),
      idle: () => notifier.idle(),
      configure: (opts) => notifier.configure(opts),
    },
    clock: {
      now: () => new Date(clock.now()),
      get offsetMs() {
        return clock.offsetMs;
      },
      setOffset(ms: number) {
        if (!Number.isSafeInteger(ms))
          throw new PackError('OSS_SERVER_OPTION_INVALID', 'clock offset must be a whole number of milliseconds');
        clock.offsetMs = ms;
      },
    },
    faults: {
      set: (op, fault) => faults.set(op, fault),
      clear: () => faults.clear(),
      list: () => faults.list(),
    },
  };
}
