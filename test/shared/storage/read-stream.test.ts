import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readStream } from '../../../shared/storage/read-stream';

describe('readStream', () => {
  it('joins every chunk, strings included, and drops what comes past the limit', async () => {
    expect((await readStream(Readable.from([Buffer.from('ab'), 'cd', Buffer.from('e')]))).toString()).toBe('abcde');
    expect((await readStream(Readable.from([]))).length).toBe(0);
    // The limit keeps whole chunks while the total stays within it; the stream is still read to its end.
    const source = Readable.from([Buffer.from('12345'), Buffer.from('67890'), Buffer.from('x')]);
    expect((await readStream(source, 7)).toString()).toBe('12345');
    expect(source.readableEnded).toBe(true);
  });

  it('rejects a stream that fails, or that closes before its end', async () => {
    const failing = new PassThrough();
    const read = readStream(failing);
    failing.write('partial');
    failing.destroy(new Error('connection reset'));
    await expect(read).rejects.toThrow('connection reset');

    const cut = new PassThrough();
    const early = readStream(cut);
    cut.write('partial');
    cut.destroy();
    await expect(early).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
