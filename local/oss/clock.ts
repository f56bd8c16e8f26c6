/**
 * The server's clock for everything an object's state depends on: Last-Modified, bucket and upload
 * creation, delete markers, restores. Tests and `npm start` shift it to write objects "in the past" (an
 * aged tree of checkpoints) without waiting (docs/local-oss-server.md "Clock"). Request signatures are
 * still checked against the real time: clients sign with theirs.
 */
export class ServerClock {
  constructor(
    private readonly source: () => number = Date.now,
    /** Added to `source()`: negative writes in the past. */
    public offsetMs = 0,
  ) {}

  /** Epoch ms. */
  now(): number {
    return this.source() + this.offsetMs;
  }

  /** Epoch ms, whole seconds: OSS's Last-Modified has a resolution of one second. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000) * 1000;
  }
}
