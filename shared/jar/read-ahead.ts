/**
 * The one sequential read of an artifact, started before anyone knows what to pick out of it: while the
 * central directory is still being fetched and parsed, the stream's first bytes are hashed and held (up
 * to a bound), so the time the directory takes is also time the download makes progress. Once the plan
 * exists, `chunks()` yields the held bytes and then the rest of the stream, each byte exactly once.
 */
export class StreamReadAhead {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private stopped = false;
  private iterator: Iterator<Buffer> | AsyncIterator<Buffer> | undefined;
  private ended = false;
  private readonly reading: Promise<void>;
  private stream: AsyncIterable<Buffer> | Iterable<Buffer> | undefined;
  /** Bytes read from the stream so far (held or handed out), at most `size`. */
  read = 0;

  /**
   * `onBytes` sees every byte once, in order, as it arrives (the hash); `size` is where the object ends
   * (bytes past it are dropped); at most `limit` bytes are held before the plan exists.
   */
  constructor(
    opening: Promise<AsyncIterable<Buffer> | Iterable<Buffer>>,
    private readonly size: number,
    private readonly onBytes: (bytes: Buffer) => void,
    private readonly limit: number,
  ) {
    this.reading = opening.then(async (stream) => {
      this.stream = stream;
      this.iterator =
        Symbol.asyncIterator in stream
          ? stream[Symbol.asyncIterator]()
          : (stream as Iterable<Buffer>)[Symbol.iterator]();
      while (!this.stopped && this.heldBytes < this.limit && this.read < this.size) {
        const bytes = await this.next();
        if (!bytes) break;
        this.held.push(bytes);
        this.heldBytes += bytes.length;
      }
    });
    // Awaited by chunks(); a reader abandoned before that (the directory failed) must not leave an
    // unhandled rejection behind.
    this.reading.catch(() => {});
  }

  /** Every byte of the object in order: first what was read ahead, then the rest of the stream. */
  async *chunks(): AsyncGenerator<Buffer> {
    this.stopped = true;
    await this.reading;
    while (this.held.length > 0) {
      const bytes = this.held.shift() as Buffer;
      this.heldBytes -= bytes.length;
      yield bytes;
    }
    for (;;) {
      const bytes = this.read < this.size ? await this.next() : undefined;
      if (!bytes) return;
      yield bytes;
    }
  }

  /** Stops the download (a stream that has one is destroyed). */
  close(): void {
    this.stopped = true;
    this.held.length = 0;
    const close = (stream: unknown) => (stream as { destroy?: () => void } | undefined)?.destroy?.();
    if (this.stream) close(this.stream);
    else
      this.reading.then(
        () => close(this.stream),
        () => {},
      );
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.ended) return undefined;
    const r = await (this.iterator as AsyncIterator<Buffer>).next();
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    const chunk = r.value;
    const bytes = this.read + chunk.length > this.size ? chunk.subarray(0, this.size - this.read) : chunk;
    this.read += bytes.length;
    this.onBytes(bytes);
    return bytes;
  }
}
