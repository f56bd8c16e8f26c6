import { type ByteCursor, CursorError } from './byte-cursor';

/**
 * Walks one object written by Java's `ObjectOutputStream` (version-4 `_metadata` ends with the
 * checkpoint properties in this encoding, docs/state-pruner.md §2.5) without instantiating anything.
 * It only checks that the grammar is complete and well formed, so that a truncated or corrupted tail
 * is detected; it returns the strings and enum constant names it met, for the report.
 */
export function walkJavaObjectStream(cursor: ByteCursor): string[] {
  const magic = cursor.u16('Java serialization magic');
  const version = cursor.u16('Java serialization version');
  if (magic !== 0xaced || version !== 5)
    throw new CursorError('INVALID', 'checkpoint properties are not a Java serialization stream', cursor.offset - 4);
  const walker = new Walker(cursor);
  walker.content(0);
  return walker.strings;
}

const TC_NULL = 0x70;
const TC_REFERENCE = 0x71;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_ARRAY = 0x75;
const TC_CLASS = 0x76;
const TC_BLOCKDATA = 0x77;
const TC_ENDBLOCKDATA = 0x78;
const TC_LONGSTRING = 0x7c;
const TC_ENUM = 0x7e;
const BASE_HANDLE = 0x7e0000;

const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;
const SC_EXTERNALIZABLE = 0x04;
const SC_BLOCK_DATA = 0x08;

const PRIMITIVE_SIZE: Record<string, number> = { B: 1, C: 2, D: 8, F: 4, I: 4, J: 8, S: 2, Z: 1 };
const MAX_DEPTH = 32;

interface ClassDesc {
  kind: 'desc';
  name: string;
  flags: number;
  fields: Array<{ type: string }>;
  superDesc: ClassDesc | null;
}

type Handle = ClassDesc | { kind: 'string'; value: string } | { kind: 'other' };

class Walker {
  readonly strings: string[] = [];
  private readonly handles: Handle[] = [];

  constructor(private readonly c: ByteCursor) {}

  private fail(message: string): never {
    throw new CursorError('INVALID', `checkpoint properties: ${message}`, this.c.offset);
  }

  private assign(h: Handle): number {
    this.handles.push(h);
    return this.handles.length - 1;
  }

  private reference(): Handle {
    const raw = this.c.i32('an object reference');
    const h = this.handles[raw - BASE_HANDLE];
    if (h === undefined) this.fail(`reference to unknown handle ${raw}`);
    return h;
  }

  content(depth: number): Handle | null {
    if (depth > MAX_DEPTH) this.fail('objects nested too deeply');
    const tc = this.c.u8('a type code');
    switch (tc) {
      case TC_NULL:
        return null;
      case TC_REFERENCE:
        return this.reference();
      case TC_CLASSDESC:
        return this.classDescBody(depth);
      case TC_STRING:
      case TC_LONGSTRING: {
        const value = tc === TC_STRING ? this.c.utf('a serialized string') : this.longString();
        const h: Handle = { kind: 'string', value };
        this.assign(h);
        this.strings.push(value);
        return h;
      }
      case TC_ENUM: {
        this.classDesc(depth);
        this.assign({ kind: 'other' });
        const name = this.content(depth + 1);
        if (name?.kind !== 'string') this.fail('enum constant without a name');
        return name;
      }
      case TC_OBJECT: {
        const desc = this.classDesc(depth);
        if (!desc) this.fail('object without a class');
        this.assign({ kind: 'other' });
        this.classData(desc, depth);
        return { kind: 'other' };
      }
      case TC_ARRAY: {
        const desc = this.classDesc(depth);
        if (!desc?.name.startsWith('[')) this.fail('array without an array class');
        const length = this.c.count('array length');
        this.assign({ kind: 'other' });
        const component = desc.name.charAt(1);
        const size = PRIMITIVE_SIZE[component];
        if (size !== undefined) this.c.skip(size * length, 'array elements');
        else for (let i = 0; i < length; i++) this.content(depth + 1);
        return { kind: 'other' };
      }
      case TC_CLASS: {
        this.classDesc(depth);
        this.assign({ kind: 'other' });
        return { kind: 'other' };
      }
      default:
        return this.fail(`unsupported type code 0x${tc.toString(16)}`);
    }
  }

  private longString(): string {
    const len = this.c.i64('long string length');
    if (len < 0n || len > BigInt(this.c.remaining)) this.fail('long string longer than the file');
    const n = Number(len);
    this.c.skip(n, 'a long string');
    return `<${n} bytes>`;
  }

  /** A class descriptor in any of its forms: new, reference or null. */
  private classDesc(depth: number): ClassDesc | null {
    const h = this.content(depth + 1);
    if (h === null) return null;
    if (h.kind !== 'desc') this.fail('expected a class descriptor');
    return h;
  }

  private classDescBody(depth: number): ClassDesc {
    const name = this.c.utf('a class name');
    this.c.i64('a serialVersionUID');
    const desc: ClassDesc = { kind: 'desc', name, flags: 0, fields: [], superDesc: null };
    this.assign(desc);
    desc.flags = this.c.u8('class flags');
    const fieldCount = this.c.u16('field count');
    for (let i = 0; i < fieldCount; i++) {
      const type = String.fromCharCode(this.c.u8('a field type'));
      this.c.utf('a field name');
      if (type === 'L' || type === '[') {
        const typeName = this.content(depth + 1);
        if (typeName?.kind !== 'string') this.fail('object field without a type name');
      } else if (PRIMITIVE_SIZE[type] === undefined) {
        this.fail(`unknown field type ${JSON.stringify(type)}`);
      }
      desc.fields.push({ type });
    }
    this.annotations(depth);
    desc.superDesc = this.classDesc(depth);
    return desc;
  }

  private annotations(depth: number): void {
    for (;;) {
      const next = this.c.peek('a type code');
      if (next === TC_ENDBLOCKDATA) {
        this.c.u8();
        return;
      }
      if (next === TC_BLOCKDATA) {
        this.c.u8();
        this.c.skip(this.c.u8('block length'), 'block data');
      } else if (next === 0x7a) {
        this.c.u8();
        this.c.skip(this.c.count('block length'), 'block data');
      } else {
        this.content(depth + 1);
      }
    }
  }

  private classData(desc: ClassDesc, depth: number): void {
    const chain: ClassDesc[] = [];
    for (let d: ClassDesc | null = desc; d; d = d.superDesc) chain.unshift(d);
    for (const d of chain) {
      if (d.flags & SC_EXTERNALIZABLE) {
        if (!(d.flags & SC_BLOCK_DATA)) this.fail(`externalizable class ${d.name} in the old protocol`);
        this.annotations(depth);
        continue;
      }
      if (!(d.flags & SC_SERIALIZABLE)) continue;
      for (const f of d.fields) {
        const size = PRIMITIVE_SIZE[f.type];
        if (size !== undefined) this.c.skip(size, 'a field value');
        else this.content(depth + 1);
      }
      if (d.flags & SC_WRITE_METHOD) this.annotations(depth);
    }
  }
}
