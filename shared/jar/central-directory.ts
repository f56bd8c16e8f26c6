import yauzl from 'yauzl';
import type { RandomAccessSource } from './random-access';

/** What the central directory says about one entry; only what the checks and the scan need. */
export interface ZipEntryInfo {
  name: string;
  /** 0 stored, 8 deflated; anything else cannot be read by the JVM's `java.util.zip`. */
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Traditional PKWARE or strong encryption flagged (general purpose bits 0 or 6). */
  encrypted: boolean;
}

/** The central directory read, or why it could not be. */
export type CentralDirectory =
  | { ok: true; entries: ZipEntryInfo[]; centralDirectoryOffset: number }
  | { ok: false; reason: 'not-zip' | 'corrupt' | 'timeout'; message: string; entries: ZipEntryInfo[] };

/** Raised by the source itself (a storage failure), as opposed to bytes that are not a valid ZIP. */
class SourceFailure {
  constructor(readonly error: unknown) {}
}

// yauzl reads through this; every read becomes one call on the source (itself block-cached).
class SourceReader extends yauzl.RandomAccessReader {
  failure: SourceFailure | undefined;

  constructor(private readonly source: RandomAccessSource) {
    super();
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    this.source.read(position, length).then(
      (bytes) => {
        bytes.copy(buffer, offset);
        callback(null, bytes.length);
      },
      (error: unknown) => {
        // Reading outside the object means the directory points nowhere: a corrupt ZIP, not an outage.
        if (!(error instanceof RangeError)) this.failure = new SourceFailure(error);
        callback(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }
}

interface RawEntry {
  fileNameRaw: Buffer;
  generalPurposeBitFlag: number;
  extraFields: Array<{ id: number; data: Buffer }>;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  relativeOffsetOfLocalHeader: number;
}

type LowLevel = typeof yauzl & {
  getFileNameLowLevel(flags: number, raw: Buffer, extra: Array<{ id: number; data: Buffer }>, strict: boolean): string;
};

/**
 * Reads the ZIP central directory with yauzl over ranged reads. Names are decoded here without yauzl's
 * name validation (strict names off, strings not decoded by yauzl), so unsafe names reach the checks
 * instead of aborting the read. A storage failure rejects (the caller retries); anything wrong with the
 * bytes resolves `ok: false` with the entries read so far. Stops at `deadline` (epoch ms).
 */
export async function readCentralDirectory(
  source: RandomAccessSource,
  options: { deadline?: number; maxEntries?: number } = {},
): Promise<CentralDirectory> {
  const reader = new SourceReader(source);
  const entries: ZipEntryInfo[] = [];
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const maxEntries = options.maxEntries ?? 2_000_000;

  const result = await new Promise<CentralDirectory>((resolve) => {
    const fail = (reason: 'not-zip' | 'corrupt' | 'timeout', message: string) =>
      resolve({ ok: false, reason, message, entries });
    (
      yauzl.fromRandomAccessReader as unknown as (
        r: unknown,
        size: number,
        o: object,
        cb: (err: Error | null, zip?: yauzl.ZipFile) => void,
      ) => void
    )(
      reader,
      source.size,
      { lazyEntries: true, autoClose: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: true },
      (err, zip) => {
        if (err || !zip) {
          const message = err?.message ?? 'unreadable';
          return fail(/signature not found/i.test(message) ? 'not-zip' : 'corrupt', message);
        }
        const cdOffset = (zip as unknown as { readEntryCursor: number }).readEntryCursor;
        zip.on('error', (e: Error) => fail('corrupt', e.message));
        zip.on('end', () => resolve({ ok: true, entries, centralDirectoryOffset: cdOffset }));
        zip.on('entry', (raw: RawEntry) => {
          entries.push({
            name: (yauzl as LowLevel).getFileNameLowLevel(
              raw.generalPurposeBitFlag,
              raw.fileNameRaw,
              raw.extraFields,
              true,
            ),
            compressionMethod: raw.compressionMethod,
            compressedSize: raw.compressedSize,
            uncompressedSize: raw.uncompressedSize,
            localHeaderOffset: raw.relativeOffsetOfLocalHeader,
            encrypted: (raw.generalPurposeBitFlag & 0x41) !== 0,
          });
          if (Date.now() > deadline) {
            zip.close();
            return fail(
              'timeout',
              `the central directory was not read within the time budget (${entries.length} entries read)`,
            );
          }
          if (entries.length > maxEntries) {
            zip.close();
            return fail('corrupt', `more than ${maxEntries} entries`);
          }
          zip.readEntry();
        });
        zip.readEntry();
      },
    );
  });
  if (reader.failure) throw reader.failure.error;
  return result;
}
