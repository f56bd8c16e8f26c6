/**
 * Writes a large JAR to a file without holding it in memory: a manifest, `classes` class files (Java 11,
 * deflated, about 4 KiB each compressed) and incompressible resources (stored) making up the rest of
 * `size`. Shaped like the fat JARs that grow that big: many classes, most bytes in bundled binaries.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../shared/crc32';

/** Writes the JAR; resolves with its entry and class counts. */
export async function writeBenchJar(file: string, size: number): Promise<{ entries: number; classes: number }> {
  const out = createWriteStream(file);
  const central: Buffer[] = [];
  let offset = 0;
  let entries = 0;
  const write = (b: Buffer) =>
    new Promise<void>((resolve, reject) => {
      out.write(b, (e) => (e ? reject(e) : resolve()));
    });
  const add = async (name: string, data: Buffer, deflate: boolean) => {
    const body = deflate ? deflateRawSync(data) : data;
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    await write(Buffer.concat([local, nameBytes, body]));
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(deflate ? 8 : 0, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(body.length, 20);
    c.writeUInt32LE(data.length, 24);
    c.writeUInt16LE(nameBytes.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, nameBytes);
    offset += 30 + nameBytes.length + body.length;
    entries++;
  };

  await add('META-INF/MANIFEST.MF', Buffer.from('Manifest-Version: 1.0\r\nMain-Class: com.example.Job\r\n\r\n'), true);
  await add('com/example/Job.class', classBytes(0), true);
  // About a fifth of the bytes are classes (≈4 KiB compressed each), the rest binary resources.
  const classes = Math.max(10, Math.round((size * 0.2) / 4096));
  for (let i = 1; i < classes; i++) await add(`com/example/gen/p${i % 97}/C${i}.class`, classBytes(i), true);
  const chunk = 8 * 1024 * 1024;
  for (let i = 0; offset < size - 1024 * 1024; i++)
    await add(`native/blob-${i}.bin`, randomBytes(Math.min(chunk, size - offset - 512 * 1024)), false);
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Math.min(entries, 0xffff), 8);
  eocd.writeUInt16LE(Math.min(entries, 0xffff), 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  if (entries > 0xffff) throw new Error('the bench writer does not write ZIP64; use fewer entries');
  await write(Buffer.concat([cd, eocd]));
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return { entries, classes };
}

/** A class file of about 8 KiB that deflates to about 4 KiB: header, then half random, half repetitive. */
function classBytes(i: number): Buffer {
  const head = Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 55]);
  return Buffer.concat([head, randomBytes(3600), Buffer.alloc(4400, `method${i % 13};field;`)]);
}
