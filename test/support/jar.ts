import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * A valid JAR (a stored, uncompressed ZIP) of about `size` bytes: a manifest and one entry of random bytes,
 * so the file neither compresses nor repeats, and a validator can open it.
 */
export function makeJar(size: number, entryClass = 'com.example.Job'): Buffer {
  const manifest = Buffer.from(`Manifest-Version: 1.0\r\nMain-Class: ${entryClass}\r\n\r\n`);
  const filler = randomBytes(Math.max(0, size - 400));
  const entries = [
    { name: 'META-INF/MANIFEST.MF', data: manifest },
    { name: 'data/payload.bin', data: filler },
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(10, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
