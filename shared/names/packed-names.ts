/**
 * Strings appended to one growing UTF-8 buffer and read back by their index. Holding the entry names of
 * a JAR of 50,000 classes this way costs their bytes and an offset each, outside the JavaScript heap,
 * instead of 50,000 string objects the garbage collector has to copy and keep track of.
 */
export class PackedNames {
  private bytes = Buffer.allocUnsafe(64 * 1024);
  private ends = new Uint32Array(1024);
  private used = 0;
  private count = 0;

  /** How many names were added. */
  get size(): number {
    return this.count;
  }

  /** Appends `name`; returns its index. */
  add(name: string): number {
    const need = Buffer.byteLength(name, 'utf8');
    if (this.used + need > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + need));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.used += this.bytes.write(name, this.used, 'utf8');
    this.ends[this.count] = this.used;
    return this.count++;
  }

  /** The name added as `index`. */
  get(index: number): string {
    if (!(index >= 0 && index < this.count)) throw new RangeError(`no name at index ${index} of ${this.count}`);
    const start = index === 0 ? 0 : (this.ends[index - 1] as number);
    return this.bytes.toString('utf8', start, this.ends[index]);
  }
}
