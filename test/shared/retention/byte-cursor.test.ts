import { describe, expect, it } from 'vitest';
import { ByteCursor, CursorError } from '../../../shared/retention/byte-cursor';

/** `DataOutputStream.writeUTF` framing: a big-endian u16 length, then the bytes as given. */
const framed = (...bytes: number[]) => new Uint8Array([bytes.length >> 8, bytes.length & 0xff, ...bytes]);

const failure = (bytes: Uint8Array): CursorError => {
  try {
    new ByteCursor(bytes).utf();
  } catch (error) {
    if (error instanceof CursorError) return error;
    throw error;
  }
  throw new Error('expected a CursorError');
};

describe('ByteCursor.utf (Java modified UTF-8)', () => {
  it('reads ASCII and every one-, two- and three-byte form, as Java writes them', () => {
    expect(new ByteCursor(framed(...Buffer.from('oss://bucket/chk-1/_metadata'))).utf()).toBe(
      'oss://bucket/chk-1/_metadata',
    );
    // U+00E9 é: C3 A9. NUL: C0 80 (never a 0 byte). U+4F5C 作: E4 BD 9C.
    expect(new ByteCursor(framed(0x61, 0xc3, 0xa9, 0xc0, 0x80, 0xe4, 0xbd, 0x9c)).utf()).toBe('aé\u0000作');
    // U+1F600 as its surrogate pair D83D DE00, each in three bytes.
    expect(new ByteCursor(framed(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80)).utf()).toBe('\u{1F600}');
  });

  it('reads strings one after another from a view inside a larger buffer', () => {
    const backing = new Uint8Array([9, 9, ...framed(0x61, 0x62), ...framed(0xc3, 0xa9), ...framed()]);
    const cursor = new ByteCursor(backing.subarray(2));
    expect([cursor.utf(), cursor.utf(), cursor.utf()]).toEqual(['ab', 'é', '']);
    expect(cursor.remaining).toBe(0);
  });

  it('refuses a 0 byte, a byte no form starts with and a cut-off form as INVALID, with the offset', () => {
    expect(failure(framed(0x61, 0x00))).toMatchObject({ reason: 'INVALID', offset: 3 });
    expect(failure(framed(0x61, 0xff))).toMatchObject({ reason: 'INVALID', offset: 3 });
    expect(failure(framed(0xe4, 0xbd))).toMatchObject({ reason: 'INVALID', offset: 2 });
  });

  it('refuses a length longer than the rest of the file, or a file ending inside the length, as TRUNCATED', () => {
    expect(failure(new Uint8Array([0, 5, 0x61]))).toMatchObject({ reason: 'TRUNCATED' });
    const cut = failure(new Uint8Array([0]));
    expect(cut).toMatchObject({ reason: 'TRUNCATED', offset: 0 });
    expect(cut.message).toContain('length of a string');
  });
});
