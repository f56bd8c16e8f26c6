/**
 * Writes ZIP/JAR files for tests, byte by byte, so each check can be given exactly the malformation it
 * looks for (an unsafe name, an encrypted flag, a duplicate, a lying size) — things no ZIP library writes.
 */
import { deflateRawSync } from 'node:zlib';

export interface ZipEntrySpec {
  name: string;
  data?: Buffer | string;
  /** Default: deflate for data over 64 bytes. */
  method?: 'store' | 'deflate';
  /** Sets the traditional-encryption flag and adds its 12-byte header (the data is not really encrypted). */
  encrypted?: boolean;
  /** Overrides the declared uncompressed size in the central directory. */
  declaredSize?: number;
  /** The name's raw bytes, written without the UTF-8 flag (so readers decode them as CP437). */
  rawName?: Buffer;
  /** Extra fields, written after the name in the local and central headers. */
  extra?: Buffer;
  /**
   * Sizes and CRC in a data descriptor after the data (general purpose bit 3), zeros in the local
   * header: how streaming writers (and many build tools) write entries.
   */
  dataDescriptor?: boolean;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ZIP polynomial). */
export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A ZIP file with the given entries, in order. */
export function buildZip(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const method = (e.method ?? (data.length > 64 ? 'deflate' : 'store')) === 'deflate' ? 8 : 0;
    const packed = method === 8 ? deflateRawSync(data) : data;
    // Traditional encryption prefixes the data with a 12-byte header (the bytes need not decrypt).
    const body = e.encrypted ? Buffer.concat([Buffer.alloc(12, 7), packed]) : packed;
    const name = e.rawName ?? Buffer.from(e.name, 'utf8');
    const extra = e.extra ?? Buffer.alloc(0);
    const flags = (e.rawName ? 0 : 0x800) | (e.encrypted ? 1 : 0) | (e.dataDescriptor ? 8 : 0);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    if (!e.dataDescriptor) {
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(body.length, 18);
      local.writeUInt32LE(data.length, 22);
    }
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const descriptor = Buffer.alloc(e.dataDescriptor ? 16 : 0);
    if (e.dataDescriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(body.length, 8);
      descriptor.writeUInt32LE(data.length, 12);
    }
    locals.push(local, name, extra, body, descriptor);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.declaredSize ?? data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name, extra);
    offset += 30 + name.length + extra.length + body.length + descriptor.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A class file of the given major version (52 = Java 8, 55 = 11, 61 = 17), padded to look real. */
export function classFile(major: number, padding = 200): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0xcafebabe, 0);
  head.writeUInt16BE(0, 4);
  head.writeUInt16BE(major, 6);
  const body = Buffer.alloc(padding);
  for (let i = 0; i < padding; i++) body[i] = (i * 31 + major) & 0xff;
  return Buffer.concat([head, body]);
}

/** A manifest with the given main attributes. */
export function manifest(attributes: Record<string, string> = {}): string {
  return `${Object.entries({ 'Manifest-Version': '1.0', ...attributes })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
}

/** `META-INF/maven/<g>/<a>/pom.properties` entry for embedded coordinates. */
export function pom(groupId: string, artifactId: string, version: string): ZipEntrySpec {
  return {
    name: `META-INF/maven/${groupId}/${artifactId}/pom.properties`,
    data: `#Generated by Maven\nversion=${version}\ngroupId=${groupId}\nartifactId=${artifactId}\n`,
  };
}

/** A clean Flink job JAR: manifest with Main-Class, its classes (Java 11), its own pom.properties. */
export function jobJar(extra: readonly ZipEntrySpec[] = [], options: { mainClass?: string } = {}): Buffer {
  return buildZip([
    { name: 'META-INF/MANIFEST.MF', data: manifest({ 'Main-Class': options.mainClass ?? 'com.example.Job' }) },
    { name: 'com/example/Job.class', data: classFile(55) },
    { name: 'com/example/Mapper.class', data: classFile(55, 3000) },
    pom('com.example', 'job', '1.0.0'),
    ...extra,
  ]);
}
