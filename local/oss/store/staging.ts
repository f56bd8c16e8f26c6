import { createHash } from 'node:crypto';
import { Crc64 } from '../crc64';
import type { BlobSink, StagedBlob } from './types';

export interface StageLimits {
  /** Bytes beyond which the upload is refused. */
  maxBytes?: number;
  /** The error to throw when `maxBytes` is passed (EntityTooLarge by default at the call site). */
  tooLarge?: () => Error;
  /** Continue a CRC (AppendObject) instead of starting from zero. */
  crcFrom?: string;
  /** Continue an MD5 (AppendObject); the hash object is updated in place. */
  md5?: ReturnType<typeof createHash>;
}

/**
 * Streams a body into a sink while computing its MD5, CRC-64 and size, one chunk at a time: memory stays
 * flat whatever the body size, and the source is only read as fast as the sink writes (backpressure).
 * On any failure the sink is aborted, so a partial body is never published.
 */
export async function stageStream(
  sink: BlobSink,
  source: AsyncIterable<Uint8Array>,
  limits: StageLimits = {},
): Promise<Omit<StagedBlob, 'token'> & { token: string }> {
  const md5 = limits.md5 ?? createHash('md5');
  const crc = limits.crcFrom !== undefined ? Crc64.resume(limits.crcFrom) : new Crc64();
  let size = 0;
  try {
    for await (const raw of source) {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      size += chunk.length;
      if (limits.maxBytes !== undefined && size > limits.maxBytes)
        throw (limits.tooLarge ?? (() => new RangeError('body too large')))();
      md5.update(chunk);
      crc.update(chunk);
      await sink.write(chunk);
    }
    const token = await sink.finish();
    return { token, size, md5: limits.md5 ? md5.copy().digest() : md5.digest(), crc64: crc.digest() };
  } catch (error) {
    await sink.abort().catch(() => undefined);
    throw error;
  }
}
