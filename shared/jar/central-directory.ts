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
    const held = this.source.readHeld?.(position, length);
    if (held) {
      // Synchronous on purpose: the caller's entry loop (see readCentralDirectory) keeps the stack flat.
      held.copy(buffer, offset);
      callback(null, held.length);
      return;
    }
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
 * The entry name as yauzl would decode it. Names in JARs are ASCII almost always, and for ASCII bytes
 * UTF-8 and CP437 agree: decode those in one native call. yauzl's CP437 path builds the string a
 * character at a time, which leaves a tree of string pieces per name (about 1 KiB each, retained for
 * the whole run); the rare non-ASCII name goes through yauzl and is then made flat.
 */
function entryName(raw: RawEntry): string {
  const bytes = raw.fileNameRaw;
  let plain = true;
  for (let i = 0; i < bytes.length && plain; i++) plain = (bytes[i] as number) < 0x80;
  // An Info-ZIP Unicode Path field (0x7075) may override the name; yauzl decides whether it applies.
  for (let i = 0; i < raw.extraFields.length && plain; i++) plain = raw.extraFields[i]?.id !== 0x7075;
  if (plain) return bytes.toString('latin1');
  const name = (yauzl as LowLevel).getFileNameLowLevel(raw.generalPurposeBitFlag, bytes, raw.extraFields, true);
  return Buffer.from(name, 'utf8').toString('utf8');
}

/**
 * Reads the ZIP central directory with yauzl over ranged reads. Names are decoded here without yauzl's
 * name validation (strict names off, strings not decoded by yauzl), so unsafe names reach the checks
 * instead of aborting the read. A storage failure rejects (the caller retries); anything wrong with the
 * bytes resolves `ok: false` with the entries read so far. Stops at `deadline` (epoch ms).
 */
export async function readCentralDirectory(
  source: RandomAccessSource,
  options: {
    deadline?: number;
    maxEntries?: number;
    /**
     * Receives each entry as it is read, instead of the result's `entries` (then empty): a caller that
     * keeps only what it needs of each entry does not hold tens of thousands of objects at once.
     */
    onEntry?: (entry: ZipEntryInfo) => void;
  } = {},
): Promise<CentralDirectory> {
  const reader = new SourceReader(source);
  const entries: ZipEntryInfo[] = [];
  const onEntry = options.onEntry ?? ((entry: ZipEntryInfo) => entries.push(entry));
  let count = 0;
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
        // Reads served from memory complete synchronously, so asking for the next entry from inside the
        // 'entry' handler would recurse once per entry: a loop asks instead, the handler only flags it.
        let wanted = false;
        let looping = false;
        const next = () => {
          wanted = true;
          if (looping) return;
          looping = true;
          while (wanted) {
            wanted = false;
            zip.readEntry();
          }
          looping = false;
        };
        zip.on('entry', (raw: RawEntry) => {
          count++;
          onEntry({
            name: entryName(raw),
            compressionMethod: raw.compressionMethod,
            compressedSize: raw.compressedSize,
            uncompressedSize: raw.uncompressedSize,
            localHeaderOffset: raw.relativeOffsetOfLocalHeader,
            encrypted: (raw.generalPurposeBitFlag & 0x41) !== 0,
          });
          // The clock is read for the first entry and then every 1,024: cheap next to a budget in seconds.
          if (count % 1024 === 1 && Date.now() > deadline) {
            zip.close();
            return fail('timeout', `the central directory was not read within the time budget (${count} entries read)`);
          }
          if (count > maxEntries) {
            zip.close();
            return fail('corrupt', `more than ${maxEntries} entries`);
          }
          next();
        });
        next();
      },
    );
  });
  if (reader.failure) throw reader.failure.error;
  return result;
}
