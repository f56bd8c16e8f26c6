/**
 * Test-only writer of Flink `_metadata` files, format version 3, following docs/state-pruner.md §2:
 * one operator with one subtask whose keyed state is an incremental RocksDB handle. Shared files are
 * named by absolute URI, exclusive files by name relative to the checkpoint directory (or by absolute
 * URI, as checkpoints before Flink 1.11 did), small state inline.
 */
export interface MetadataSpec {
  checkpointId?: number;
  /** Absolute URIs, e.g. `oss://bucket/…/shared/<uuid>`. */
  shared?: string[];
  /** File names in the directory of `_metadata`. */
  relative?: string[];
  /** Absolute URIs of exclusive files. */
  absolute?: string[];
  /** Inline handle names (no file exists). */
  inline?: string[];
}

class Out {
  private readonly parts: Buffer[] = [];
  u8(v: number) {
    this.parts.push(Buffer.from([v]));
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
  }
  i64(v: number | bigint) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
  }
  utf(s: string) {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    this.parts.push(len, b);
  }
  bytes(b: Buffer) {
    this.parts.push(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

type Handle = { kind: 'absolute'; uri: string } | { kind: 'relative'; name: string } | { kind: 'inline'; name: string };

function streamHandle(o: Out, h: Handle | undefined): void {
  if (!h) {
    o.u8(0);
    return;
  }
  if (h.kind === 'absolute') {
    o.u8(2);
    o.i64(1234);
    o.utf(h.uri);
  } else if (h.kind === 'relative') {
    o.u8(6);
    o.utf(h.name);
    o.i64(1234);
  } else {
    o.u8(1);
    o.utf(h.name);
    o.i32(3);
    o.bytes(Buffer.from([1, 2, 3]));
  }
}

/** Serialises a version-3 `_metadata` naming exactly the files of `spec`. */
export function writeMetadata(spec: MetadataSpec): Buffer {
  const o = new Out();
  o.i32(0x4960672d);
  o.i32(3);
  o.i64(spec.checkpointId ?? 1);
  o.i32(0); // master states
  o.i32(1); // operators
  o.i64(42n);
  o.i64(43n);
  o.i32(1); // parallelism
  o.i32(128); // max parallelism
  streamHandle(o, undefined); // coordinator state
  o.i32(1); // subtasks
  o.i32(0); // subtask index
  const relative = (spec.relative ?? []).map((name) => ({ kind: 'relative', name }) as Handle);
  const absolute = (spec.absolute ?? []).map((uri) => ({ kind: 'absolute', uri }) as Handle);
  const inline = (spec.inline ?? []).map((name) => ({ kind: 'inline', name }) as Handle);
  const privates = [...relative, ...absolute, ...inline];
  // managed operator state: one partitionable handle on the first private file (or none)
  const first = privates.shift();
  if (first) {
    o.i32(1);
    o.u8(4);
    o.i32(1);
    o.utf('_default_');
    o.u8(0);
    o.i32(1);
    o.i64(0);
    streamHandle(o, first);
  } else o.i32(0);
  o.i32(0); // raw operator state
  // managed keyed state: incremental handle with shared and private files
  o.u8(5);
  o.i64(spec.checkpointId ?? 1);
  o.utf('0b5d6a4c-0000-4000-8000-000000000000');
  o.i32(0);
  o.i32(128);
  streamHandle(o, privates.shift());
  const shared = spec.shared ?? [];
  o.i32(shared.length);
  shared.forEach((uri, i) => {
    o.utf(`${String(i).padStart(6, '0')}.sst`);
    streamHandle(o, { kind: 'absolute', uri });
  });
  o.i32(privates.length);
  for (const h of privates) {
    o.utf('MANIFEST-000001');
    streamHandle(o, h);
  }
  o.u8(0); // raw keyed state
  o.i32(0); // input channel state
  o.i32(0); // result subpartition state
  return o.done();
}
