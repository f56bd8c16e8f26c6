/** A byte range wanted from a stream read once from start to end. */
export interface Capture {
  start: number;
  length: number;
  /** Called with the bytes, or `undefined` when the stream ended first or had already passed `start`. */
  done(bytes: Buffer | undefined): void;
}

/**
 * Planned ranges handed over one at a time, in order of `start`: the scanner makes each capture only when
 * the stream reaches it, so a plan of 50,000 ranges costs no 50,000 callbacks held from the start.
 */
export interface PlannedCaptures {
  readonly count: number;
  startOf(index: number): number;
  captureAt(index: number): Capture;
}

function planOf(captures: readonly Capture[]): PlannedCaptures {
  return {
    count: captures.length,
    startOf: (i) => (captures[i] as Capture).start,
    captureAt: (i) => captures[i] as Capture,
  };
}

/**
 * Collects byte ranges while an object streams past exactly once, so everything the checks need comes
 * from the same pass that computes the SHA-256. Captures are handed over as they complete and may ask for
 * further ranges (a local header, then the data after it); memory is the sum of captures in flight.
 */
export class SequentialScanner {
  private position = 0;
  private next = 0;
  private readonly pending: Capture[] = [];
  private active: Array<{ capture: Capture; buffer: Buffer; filled: number }> = [];

  private readonly planned: PlannedCaptures;

  /** `planned` must be sorted by `start`. */
  constructor(planned: readonly Capture[] | PlannedCaptures) {
    this.planned = Array.isArray(planned) ? planOf(planned) : (planned as PlannedCaptures);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.position;
  }

  /** Asks for a range at or after the current position (the data following a header just read). */
  add(capture: Capture): void {
    if (capture.length === 0) {
      capture.done(Buffer.alloc(0));
      return;
    }
    let i = this.pending.length;
    while (i > 0 && (this.pending[i - 1] as Capture).start > capture.start) i--;
    this.pending.splice(i, 0, capture);
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    const end = this.position + chunk.length;
    let progressed = true;
    while (progressed) {
      progressed = this.activate(chunk, end);
      const still: typeof this.active = [];
      for (const a of this.active) {
        const from = a.capture.start + a.filled;
        if (from < end) {
          const take = Math.min(a.capture.length - a.filled, end - from);
          chunk.copy(a.buffer, a.filled, from - this.position, from - this.position + take);
          a.filled += take;
        }
        if (a.filled === a.capture.length) {
          a.capture.done(a.buffer);
          progressed = true;
        } else still.push(a);
      }
      this.active = still;
      if (progressed) progressed = this.hasStartBefore(end);
    }
    this.position = end;
  }

  /** The stream is over: every capture not yet complete gets `undefined`. */
  end(): void {
    for (const a of this.active) a.capture.done(undefined);
    this.active = [];
    while (this.nextStart() !== undefined) this.take().done(undefined);
  }

  private hasStartBefore(end: number): boolean {
    const start = this.nextStart();
    return start !== undefined && start < end;
  }

  private activate(chunk: Buffer, end: number): boolean {
    let any = false;
    for (let start = this.nextStart(); start !== undefined && start < end; start = this.nextStart()) {
      const c = this.take();
      any = true;
      if (c.start < this.position) c.done(undefined);
      else if (c.length === 0) c.done(Buffer.alloc(0));
      // Most captures (a local header, a class's first bytes) lie inside one chunk: a view, no copy.
      // Receivers use the bytes before the next chunk arrives, so the view never outlives its purpose.
      else if (c.start + c.length <= end)
        c.done(chunk.subarray(c.start - this.position, c.start - this.position + c.length));
      else this.active.push({ capture: c, buffer: Buffer.allocUnsafe(c.length), filled: 0 });
    }
    return any;
  }

  /** Where the next capture (planned or added) starts; a planned one goes first on a tie. */
  private nextStart(): number | undefined {
    const a = this.next < this.planned.count ? this.planned.startOf(this.next) : undefined;
    const b = this.pending[0]?.start;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  private take(): Capture {
    const b = this.pending[0];
    if (b !== undefined && (this.next >= this.planned.count || b.start < this.planned.startOf(this.next)))
      return this.pending.shift() as Capture;
    return this.planned.captureAt(this.next++);
  }
}
