/**
 * Worker threads that encode slices of large batches while the main thread encodes the first, so an
 * instance with more than one vCPU uses them (docs/log-shipper.md §3). Workers start on first use and
 * are replaced when one fails; a slice whose worker failed is encoded by the caller instead.
 *
 * A slice is copied once, into its worker's input buffer; everything else moves by transfer, and is
 * reused: the input buffer comes back with the worker's answer, and the chunks it filled go back to it
 * once zlib has compressed them. Fresh pages cost more to fill than the lines cost to encode.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { CHUNK_BYTES } from './encode';
import { type EncodedSlice, encodeSlice, type SliceEncoder, type SliceJob, transferablesOf } from './slices';

/** Main → worker. */
type Request = { id: number; job: SliceJob } | { release: ArrayBuffer[] };
/** Worker → main: the slice, and the input buffer back. */
type Reply =
  | { id: number; slice: EncodedSlice; input: ArrayBuffer }
  | { id: number; error: string; input: ArrayBuffer };

interface Pending {
  resolve(slice: EncodedSlice): void;
  reject(error: Error): void;
  slot: number;
}

interface Running {
  worker: Worker;
  busy: number;
  /** The input buffer, when it is not with the worker. */
  input: ArrayBuffer | undefined;
}

let threadsModule: typeof import('node:worker_threads') | undefined;

/** Chunks a worker keeps for reuse between slices (MiB). */
const WORKER_SPARE_CHUNKS = 32;

/** `size` worker threads running `file` (a bundle that calls `serveIntakeWorker`). */
export class IntakeThreads implements SliceEncoder {
  private readonly workers: Array<Running | undefined>;
  private readonly pending = new Map<number, Pending>();
  private next = 0;

  constructor(
    private readonly file: string,
    readonly size: number,
  ) {
    this.workers = Array.from({ length: size }, () => undefined);
  }

  /** Encodes one slice on the least busy worker. */
  async encode(job: SliceJob): Promise<EncodedSlice> {
    // Loaded with the first large batch: requiring it costs a cold start several ms that most never use.
    threadsModule ??= await import('node:worker_threads');
    let slot = 0;
    for (let i = 1; i < this.size; i++) if ((this.workers[i]?.busy ?? 0) < (this.workers[slot]?.busy ?? 0)) slot = i;
    const entry = this.workers[slot] ?? this.start(slot);
    const id = ++this.next;
    const length = job.bytes.byteLength;
    // The worker's own copy, in memory reused from its last slice when that is large enough.
    let input = entry.input;
    entry.input = undefined;
    if (!input || input.byteLength < length) input = new ArrayBuffer(Math.ceil(length / CHUNK_BYTES) * CHUNK_BYTES);
    const bytes = new Uint8Array(input, 0, length);
    bytes.set(job.bytes);
    return new Promise<EncodedSlice>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      if (entry.busy++ === 0) entry.worker.ref();
      entry.worker.postMessage({ id, job: { ...job, bytes } } satisfies Request, [input]);
    });
  }

  /** Stops every worker; slices in flight fail. */
  async close(): Promise<void> {
    const running = this.workers.filter((w) => w !== undefined);
    this.workers.fill(undefined);
    await Promise.all(running.map((w) => w.worker.terminate()));
  }

  private start(slot: number): Running {
    const worker = new threadsModule!.Worker(this.file);
    const entry: Running = { worker, busy: 0, input: undefined };
    this.workers[slot] = entry;
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (--entry.busy === 0) worker.unref();
      if (!entry.input || entry.input.byteLength < reply.input.byteLength) entry.input = reply.input;
      if ('error' in reply) {
        waiting.reject(new Error(`log intake worker: ${reply.error}`));
        return;
      }
      const slice = reply.slice;
      slice.release = () => {
        const chunks = transferablesOf(slice).filter((b) => b.byteLength === CHUNK_BYTES);
        if (this.workers[slot] === entry && chunks.length > 0)
          worker.postMessage({ release: chunks } satisfies Request, chunks);
      };
      waiting.resolve(slice);
    });
    const fail = (error: Error) => {
      if (this.workers[slot] === entry) this.workers[slot] = undefined;
      for (const [id, waiting] of this.pending) {
        if (waiting.slot !== slot) continue;
        this.pending.delete(id);
        waiting.reject(error);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`log intake worker exited with code ${code}`)));
    return entry;
  }
}

/** The worker's side: encodes each slice it is sent and transfers the chunks back. */
export function serveIntakeWorker(port: MessagePort): void {
  const spare: ArrayBuffer[] = [];
  port.on('message', async (request: Request) => {
    if ('release' in request) {
      for (const chunk of request.release) if (spare.length < WORKER_SPARE_CHUNKS) spare.push(chunk);
      return;
    }
    const { id, job } = request;
    const input = job.bytes.buffer as ArrayBuffer;
    try {
      const slice = await encodeSlice(job, spare);
      port.postMessage({ id, slice, input } satisfies Reply, [...transferablesOf(slice), input]);
    } catch (error) {
      port.postMessage({ id, error: (error as Error).message ?? String(error), input } satisfies Reply, [input]);
    }
  });
}
