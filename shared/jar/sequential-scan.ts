/** A byte range wanted from a stream read once from start to end. */
export interface Capture {
  start: number;
  length: number;
  /** Called with the bytes, or `undefined` when the stream ended first or had already passed `start`. */
  done(bytes: Buffer | undefined): void;
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

  /** `planned` must be sorted by `start`. */
  constructor(private readonly planned: readonly Capture[]) {}

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
      progressed = this.activate(end);
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
    while (this.peek()) this.take()?.done(undefined);
  }

  private hasStartBefore(end: number): boolean {
    const c = this.peek();
    return c !== undefined && c.start < end;
  }

  private activate(end: number): boolean {
    let any = false;
    for (let c = this.peek(); c !== undefined && c.start < end; c = this.peek()) {
      this.take();
      any = true;
      if (c.start < this.position) c.done(undefined);
      else if (c.length === 0) c.done(Buffer.alloc(0));
      else this.active.push({ capture: c, buffer: Buffer.allocUnsafe(c.length), filled: 0 });
    }
    return any;
  }

  private peek(): Capture | undefined {
    const a = this.planned[this.next];
    const b = this.pending[0];
    if (a === undefined) return b;
    if (b === undefined) return a;
    return b.start < a.start ? b : a;
  }

  private take(): Capture | undefined {
    const a = this.planned[this.next];
    const b = this.pending[0];
    if (b !== undefined && (a === undefined || b.start < a.start)) return this.pending.shift();
    this.next++;
    return a;
  }
}
