import { createHash } from 'node:crypto';
import { NameSet } from '../names/name-set';
import { PackedNames } from '../names/packed-names';
import { readCentralDirectory, type ZipEntryInfo } from './central-directory';
import {
  isCheckedClass,
  isFlinkRuntimeClass,
  isManifest,
  isNestedLibrary,
  isPomProperties,
  isSignatureFile,
  loggingKind,
  unsafePathReason,
} from './entry-kinds';
import { inflatePrefix, inflateWhole } from './inflate-prefix';
import { parseManifest, parsePomProperties } from './manifest';
import { bufferSource, type RandomAccessSource, withCentralDirectory } from './random-access';
import { StreamReadAhead } from './read-ahead';
import { SequentialScanner } from './sequential-scan';

/** A count with a few example names, so a finding can name what it is about without listing thousands. */
export interface Sample {
  count: number;
  examples: string[];
}

/** Maven coordinates found in `META-INF/maven/…/pom.properties`. */
export interface EmbeddedModule {
  groupId: string;
  artifactId: string;
  version: string;
  /** The `pom.properties` entry it came from. */
  path: string;
}

/** A `lib/*.jar` inside the JAR. */
export interface NestedJar {
  path: string;
  size: number;
  sha256?: string;
  facts?: JarFacts;
  /** Why it was not inspected (too large, unreadable). */
  skipped?: string;
}

/** Everything one pass over a JAR established; the checks (`shared/catalog/checks`) turn it into findings. */
export interface JarFacts {
  size: number;
  /** Hex SHA-256 of all bytes; absent when the pass did not reach the end. */
  sha256?: string;
  /** How the central directory read went; only `ok` means the entry facts are complete. */
  directory: 'ok' | 'not-zip' | 'corrupt' | 'strong-encryption';
  directoryMessage?: string;
  /** The time budget ran out before the pass finished. */
  timedOut: boolean;
  /** The stream delivered fewer bytes than the object's size. */
  truncated: boolean;
  entries: number;
  classes: number;
  unsafePaths: Sample;
  encrypted: Sample;
  unsupportedMethods: Sample;
  duplicates: Sample;
  /** Entries whose local header or data could not be read. */
  corruptEntries: Sample;
  /** Sum of the declared uncompressed sizes. */
  declaredUncompressed: number;
  /** The entry with the highest compression ratio among those of at least 1 MiB uncompressed. */
  maxRatio?: { name: string; ratio: number; uncompressed: number };
  manifestPresent: boolean;
  manifest?: Record<string, string>;
  /** Class-file major version → classes with it. */
  classMajors: Map<number, Sample>;
  /**
   * Names of every entry, for looking up the entry class (`NameSet`): exact while few, by hash past
   * 16,384, so a 50,000-entry JAR holds no 50,000 strings; a false yes then comes once in 2^64 lookups.
   */
  names: { has(name: string): boolean };
  embedded: EmbeddedModule[];
  signatureFiles: string[];
  /** Logging piece → the first entry that shows it. */
  logging: Map<string, string>;
  flinkClasses: Sample;
  nested: NestedJar[];
}

/** How to inspect. */
export interface InspectOptions {
  /** The whole object, start to end, read once. */
  openStream(): Promise<AsyncIterable<Buffer> | Iterable<Buffer>>;
  /** Epoch ms after which the inspection stops and reports `timedOut`. */
  deadline: number;
  /** `lib/*.jar` larger than this (uncompressed) are listed but not opened. */
  maxNestedBytes: number;
  /** Inspect `lib/*.jar` (only in the outer JAR: one level deep). */
  nested: boolean;
}

/** What the pass reads an entry's data for. */
enum Want {
  ClassHeader,
  Manifest,
  Pom,
  NestedJar,
}

const EXAMPLES = 5;
const CLASS_HEADER_INPUT = 2048;
const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_POM_BYTES = 64 * 1024;
const RATIO_MIN_BYTES = 1024 * 1024;
/** Bytes of the stream read (and hashed) while the directory is still being read. */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

function sample(): Sample {
  return { count: 0, examples: [] };
}

function note(s: Sample, example: string): void {
  s.count++;
  if (s.examples.length < EXAMPLES) s.examples.push(example);
}

/**
 * Inspects a JAR (or any ZIP): the central directory through ranged reads on `source`, then one
 * sequential pass over `openStream()` that computes the SHA-256 and picks out the manifest, class headers,
 * `pom.properties` and nested JARs. Memory stays bounded by the largest nested JAR inspected, whatever the
 * size of the outer one. Malformed bytes end in facts that say so; only storage failures reject.
 */
export async function inspectJar(source: RandomAccessSource, options: InspectOptions): Promise<JarFacts> {
  const names = new NameSet();
  const facts: JarFacts = {
    size: source.size,
    directory: 'ok',
    timedOut: false,
    truncated: false,
    entries: 0,
    classes: 0,
    unsafePaths: sample(),
    encrypted: sample(),
    unsupportedMethods: sample(),
    duplicates: sample(),
    corruptEntries: sample(),
    declaredUncompressed: 0,
    manifestPresent: false,
    classMajors: new Map(),
    names,
    embedded: [],
    signatureFiles: [],
    logging: new Map(),
    flinkClasses: sample(),
    nested: [],
  };

  // The streaming GET starts now, so its round trip and first megabytes overlap the ranged reads of the
  // directory: what arrives before the plan below exists is hashed and held (a few MiB at most); then
  // the socket pauses until the pass reads on.
  const hash = createHash('sha256');
  const stream = new StreamReadAhead(
    Promise.resolve(options.openStream()),
    source.size,
    (bytes) => hash.update(bytes),
    READ_AHEAD_BYTES,
  );
  // What the pass reads, one row per wanted entry in directory order, kept as columns: a JAR of 50,000
  // classes must not hold 50,000 entry objects through the whole pass. Captures are made from these rows
  // only as the stream reaches each entry; the rare manifest, pom or nested JAR keeps its whole entry.
  const rowName = new PackedNames();
  const rowOffset: number[] = [];
  const rowMethod: number[] = [];
  const rowBytes: number[] = [];
  const rowFor: Want[] = [];
  const rowEntry = new Map<number, ZipEntryInfo>();
  // Work on captured entries that waits for the stream pass: nested JARs, and entries zlib must inflate.
  const later: Array<() => Promise<void>> = [];
  const readData = (entry: ZipEntryInfo, length: number, purpose: Want) => {
    if (purpose !== Want.ClassHeader) rowEntry.set(rowName.size, entry);
    rowName.add(entry.name);
    rowOffset.push(entry.localHeaderOffset);
    rowMethod.push(entry.compressionMethod);
    rowBytes.push(length);
    rowFor.push(purpose);
  };
  const use = (row: number, data: Buffer): void => {
    const purpose = rowFor[row] as Want;
    if (purpose === Want.ClassHeader) {
      const header = classHeader(rowMethod[row] as number, data);
      if (header === undefined) return;
      const s = facts.classMajors.get(header) ?? sample();
      facts.classMajors.set(header, s);
      // Only the first few names of each version are kept as examples: only those are decoded.
      if (s.examples.length < EXAMPLES) note(s, rowName.get(row));
      else s.count++;
      return;
    }
    const name = rowName.get(row);
    const entry = rowEntry.get(row) as ZipEntryInfo;
    if (purpose === Want.Manifest) {
      const manifest = (bytes: Buffer | undefined) => {
        if (bytes) facts.manifest = parseManifest(bytes.toString('utf8'));
        else note(facts.corruptEntries, `${name} (cannot be decompressed)`);
      };
      const bytes = inflateSmall(entry, data, MAX_MANIFEST_BYTES);
      if (bytes) manifest(bytes);
      else later.push(async () => manifest(await inflate(entry, data, MAX_MANIFEST_BYTES)));
    } else if (purpose === Want.Pom) {
      const pom = (bytes: Buffer | undefined) => {
        const coordinates = bytes && parsePomProperties(bytes.toString('utf8'));
        if (coordinates) facts.embedded.push({ ...coordinates, path: name });
      };
      const bytes = inflateSmall(entry, data, MAX_POM_BYTES);
      if (bytes) pom(bytes);
      else later.push(async () => pom(await inflate(entry, data, MAX_POM_BYTES)));
    } else
      later.push(async () => {
        facts.nested.push(await inspectNested(name, entry, data, options));
      });
  };

  const plan = (entry: ZipEntryInfo): void => {
    const name = entry.name;
    facts.entries++;
    if (names.has(name)) note(facts.duplicates, name);
    else names.add(name, '');
    const unsafe = unsafePathReason(name);
    if (unsafe) note(facts.unsafePaths, `${name} (${unsafe})`);
    facts.declaredUncompressed += entry.uncompressedSize;
    if (entry.uncompressedSize >= RATIO_MIN_BYTES) {
      const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
      if (!facts.maxRatio || ratio > facts.maxRatio.ratio)
        facts.maxRatio = { name, ratio, uncompressed: entry.uncompressedSize };
    }
    if (name.endsWith('.class')) facts.classes++;
    if (isSignatureFile(name)) facts.signatureFiles.push(name);
    const logging = loggingKind(name);
    if (logging && !facts.logging.has(logging)) facts.logging.set(logging, name);
    if (isFlinkRuntimeClass(name)) note(facts.flinkClasses, name);
    if (entry.encrypted) {
      note(facts.encrypted, name);
      return;
    }
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      note(facts.unsupportedMethods, `${name} (method ${entry.compressionMethod})`);
      return;
    }
    if (isCheckedClass(name)) {
      const want = entry.compressionMethod === 0 ? 8 : CLASS_HEADER_INPUT;
      readData(entry, Math.min(entry.compressedSize, want), Want.ClassHeader);
    } else if (isManifest(name)) {
      facts.manifestPresent = true;
      if (entry.uncompressedSize <= MAX_MANIFEST_BYTES) readData(entry, entry.compressedSize, Want.Manifest);
    } else if (isPomProperties(name)) {
      if (entry.uncompressedSize <= MAX_POM_BYTES) readData(entry, entry.compressedSize, Want.Pom);
    } else if (options.nested && isNestedLibrary(name)) {
      if (entry.uncompressedSize > options.maxNestedBytes) {
        facts.nested.push({
          path: name,
          size: entry.uncompressedSize,
          skipped: `larger than the ${options.maxNestedBytes} bytes inspected for a nested JAR`,
        });
      } else {
        readData(entry, entry.compressedSize, Want.NestedJar);
      }
    }
  };

  let directory: Awaited<ReturnType<typeof readCentralDirectory>>;
  try {
    directory = await readCentralDirectory(await withCentralDirectory(source), {
      deadline: options.deadline,
      onEntry: plan,
    });
  } catch (error) {
    stream.close();
    throw error;
  }
  if (!directory.ok) {
    if (directory.reason === 'timeout') facts.timedOut = true;
    else if (/strong encryption/i.test(directory.message)) facts.directory = 'strong-encryption';
    else facts.directory = directory.reason;
    facts.directoryMessage = directory.message;
  }

  // In the order of the local headers (the directory's order is usually that, but need not be).
  const order = Uint32Array.from(rowOffset.keys()).sort(
    (a, b) => (rowOffset[a] as number) - (rowOffset[b] as number) || a - b,
  );
  const scanner: SequentialScanner = new SequentialScanner({
    count: order.length,
    startOf: (i) => rowOffset[order[i] as number] as number,
    // First the local header (its name and extra field lengths say where the data starts), then the data.
    captureAt: (i) => {
      const row = order[i] as number;
      const offset = rowOffset[row] as number;
      return {
        start: offset,
        length: 30,
        done: (header) => {
          if (header?.readUInt32LE(0) !== 0x04034b50) {
            note(facts.corruptEntries, `${rowName.get(row)} (no local header at offset ${offset})`);
            return;
          }
          const start = offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
          scanner.add({
            start,
            length: Math.min(rowBytes[row] as number, Math.max(0, source.size - start)),
            done: (data) => {
              if (!data) note(facts.corruptEntries, `${rowName.get(row)} (data past the end of the file)`);
              else use(row, data);
            },
          });
        },
      };
    },
  });
  try {
    for await (const bytes of stream.chunks()) {
      scanner.push(bytes);
      for (let work = later.shift(); work; work = later.shift()) await work();
      if (Date.now() > options.deadline) {
        facts.timedOut = true;
        break;
      }
    }
  } finally {
    stream.close();
  }
  scanner.end();
  if (!facts.timedOut) {
    if (stream.read < source.size) facts.truncated = true;
    else facts.sha256 = hash.digest('hex');
  }
  return facts;
}

async function inspectNested(
  path: string,
  entry: ZipEntryInfo,
  data: Buffer,
  options: InspectOptions,
): Promise<NestedJar> {
  const maxBytes = options.maxNestedBytes;
  const bytes = await inflate(entry, data, maxBytes);
  if (!bytes) return { path, size: entry.uncompressedSize, skipped: 'its compressed data cannot be decompressed' };
  const facts = await inspectJar(bufferSource(bytes), {
    openStream: async () => [bytes],
    deadline: options.deadline,
    maxNestedBytes: maxBytes,
    nested: false,
  });
  return facts.sha256 === undefined
    ? { path, size: bytes.length, facts }
    : { path, size: bytes.length, sha256: facts.sha256, facts };
}

/** Entries up to this size are inflated here in JavaScript (`inflateWhole`); larger ones, by zlib. */
const INLINE_INFLATE_MAX = 64 * 1024;

/**
 * A stored entry's bytes (at most `max`), or a small entry's when JavaScript inflates it to exactly its
 * declared size; `undefined` sends it to zlib (`inflate`), which decides as it always has. zlib is loaded
 * only for such an entry or a nested JAR.
 */
function inflateSmall(entry: ZipEntryInfo, data: Buffer, max: number): Buffer | undefined {
  if (entry.compressionMethod === 0) return data.subarray(0, Math.min(data.length, max));
  if (entry.uncompressedSize > Math.min(INLINE_INFLATE_MAX, max)) return undefined;
  return inflateWhole(data, entry.uncompressedSize);
}

let zlib: Promise<typeof import('node:zlib')> | undefined;

/** The entry's bytes, at most `max`, or `undefined` when zlib cannot inflate them within that. */
async function inflate(entry: ZipEntryInfo, data: Buffer, max: number): Promise<Buffer | undefined> {
  if (entry.compressionMethod === 0) return data.subarray(0, Math.min(data.length, max));
  zlib ??= import('node:zlib');
  const { inflateRawSync } = await zlib;
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(1, max) });
  } catch {
    return undefined;
  }
}

/** The class-file major version (bytes 6–7 after the magic `CAFEBABE`), or `undefined` when unreadable. */
function classHeader(compressionMethod: number, data: Buffer): number | undefined {
  // Only the first 8 bytes matter: inflate just those, from the start of the stream.
  const head = compressionMethod === 8 ? inflatePrefix(data, 8) : data;
  if (!head || head.length < 8 || head.readUInt32BE(0) !== 0xcafebabe) return undefined;
  return head.readUInt16BE(6);
}
