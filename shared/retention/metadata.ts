/**
 * Reads a Flink checkpoint/savepoint `_metadata` file (format versions 1–4, Flink 1.2 to 2.2) and
 * extracts every piece of state it names, by walking the structure as Flink's own deserializers do
 * (docs/state-pruner.md §2). It never throws: anything it cannot read completely and exactly is an
 * `UnreadableMetadata` with a stable code, which the planner treats as "keep everything in scope".
 */
import { ByteCursor, CursorError } from './byte-cursor';
import { walkJavaObjectStream } from './java-serialization';

/** A file named by absolute URI (`oss://…`, `file:/…`, `hdfs://…`): shared state, or exclusive state of checkpoints. */
export interface AbsoluteReference {
  kind: 'absolute';
  uri: string;
  size: number;
}

/** A file named relative to the directory holding `_metadata` (exclusive state, savepoints since Flink 1.11). */
export interface RelativeReference {
  kind: 'relative';
  name: string;
  size: number;
}

/** State stored inside `_metadata` itself; `name` only looks like a path, no file exists. */
export interface InlineReference {
  kind: 'inline';
  name: string;
  size: number;
}

export type StateReference = AbsoluteReference | RelativeReference | InlineReference;

export interface ReadableMetadata {
  readable: true;
  version: number;
  checkpointId: bigint;
  operators: number;
  references: StateReference[];
  /** Strings of the checkpoint properties (version 4), such as `SavepointType` or `NATIVE`. */
  properties: string[];
}

export type UnreadableCode =
  | 'METADATA_EMPTY'
  | 'METADATA_BAD_MAGIC'
  | 'METADATA_UNKNOWN_VERSION'
  | 'METADATA_TRUNCATED'
  | 'METADATA_TRAILING_BYTES'
  | 'METADATA_UNKNOWN_HANDLE'
  | 'METADATA_INVALID'
  // Set by the reading side, not the parser: the bytes could not be had at all.
  | 'METADATA_ARCHIVED'
  | 'METADATA_TOO_LARGE'
  | 'METADATA_GONE'
  | 'METADATA_READ_FAILED';

export interface UnreadableMetadata {
  readable: false;
  code: UnreadableCode;
  message: string;
  /** Byte offset where reading stopped, when known. */
  offset?: number;
  version?: number;
}

export type MetadataReadResult = ReadableMetadata | UnreadableMetadata;

/** `Checkpoints.HEADER_MAGIC_NUMBER`. */
export const METADATA_MAGIC = 0x4960672d;
export const SUPPORTED_METADATA_VERSIONS = [1, 2, 3, 4] as const;

// Type bytes of state handles (MetadataV2V3SerializerBase), docs/state-pruner.md §2.3.
const NULL_HANDLE = 0;
const BYTE_STREAM = 1;
const FILE_STREAM = 2;
const KEY_GROUPS = 3;
const PARTITIONABLE_OPERATOR = 4;
const INCREMENTAL_KEY_GROUPS = 5;
const RELATIVE_STREAM = 6;
const SAVEPOINT_KEY_GROUPS = 7;
const CHANGELOG = 8;
const CHANGELOG_BYTE_INCREMENT = 9;
const CHANGELOG_FILE_INCREMENT = 10;
const INCREMENTAL_KEY_GROUPS_V2 = 11;
const KEY_GROUPS_V2 = 12;
const CHANGELOG_FILE_INCREMENT_V2 = 13;
const CHANGELOG_V2 = 14;
const SEGMENT_FILE = 15;
const EMPTY_SEGMENT_FILE = 16;
const SEGMENT_PARTITIONABLE_OPERATOR = 17;

const MASTER_STATE_MAGIC = 0xc96b1696 | 0;
const MAX_NESTING = 8;

class UnknownHandle extends Error {
  constructor(
    readonly what: string,
    readonly type: number,
    readonly offset: number,
  ) {
    super(`unknown ${what} handle type ${type}`);
  }
}

/** Reads `_metadata` bytes. Pure, total and linear in the input size. */
export function readMetadata(bytes: Uint8Array): MetadataReadResult {
  if (bytes.length === 0) return unreadable('METADATA_EMPTY', 'the file is empty');
  const c = new ByteCursor(bytes);
  let version: number | undefined;
  try {
    const magic = c.i32('the magic number');
    if (magic !== METADATA_MAGIC)
      return unreadable('METADATA_BAD_MAGIC', `magic number is 0x${(magic >>> 0).toString(16)}, not 0x4960672d`, 0);
    version = c.i32('the format version');
    if (!(SUPPORTED_METADATA_VERSIONS as readonly number[]).includes(version))
      return unreadable(
        'METADATA_UNKNOWN_VERSION',
        `format version ${version} is not one this reader knows (1–4)`,
        4,
        version,
      );
    const body = new BodyReader(c, version);
    const result = body.read();
    if (c.remaining > 0)
      return unreadable(
        'METADATA_TRAILING_BYTES',
        `${c.remaining} unexpected bytes after the end of the metadata`,
        c.offset,
        version,
      );
    return result;
  } catch (error) {
    if (error instanceof CursorError)
      return unreadable(
        error.reason === 'TRUNCATED' ? 'METADATA_TRUNCATED' : 'METADATA_INVALID',
        error.message,
        error.offset,
        version,
      );
    if (error instanceof UnknownHandle)
      return unreadable('METADATA_UNKNOWN_HANDLE', error.message, error.offset, version);
    return unreadable('METADATA_INVALID', error instanceof Error ? error.message : String(error), c.offset, version);
  }
}

function unreadable(code: UnreadableCode, message: string, offset?: number, version?: number): UnreadableMetadata {
  return {
    readable: false,
    code,
    message,
    ...(offset === undefined ? {} : { offset }),
    ...(version === undefined ? {} : { version }),
  };
}

class BodyReader {
  private readonly refs: StateReference[] = [];
  private operators = 0;

  constructor(
    private readonly c: ByteCursor,
    private readonly version: number,
  ) {}

  read(): ReadableMetadata {
    const c = this.c;
    const checkpointId = c.i64('the checkpoint id');
    if (checkpointId < 0n) throw new CursorError('INVALID', `negative checkpoint id ${checkpointId}`, 8);
    if (this.version >= 2) {
      const masters = c.count('number of master states', 8);
      for (let i = 0; i < masters; i++) this.masterState();
    }
    const operators = c.count('number of operator states', 16);
    for (let i = 0; i < operators; i++) {
      if (this.version === 1) this.taskStateV1();
      else this.operatorState();
    }
    this.operators = operators;
    const properties = this.version >= 4 ? walkJavaObjectStream(c) : [];
    return {
      readable: true,
      version: this.version,
      checkpointId,
      operators: this.operators,
      references: this.refs,
      properties,
    };
  }

  private masterState(): void {
    const c = this.c;
    if (c.i32('master state magic') !== MASTER_STATE_MAGIC)
      throw new CursorError('INVALID', 'bad magic number in a master state', c.offset - 4);
    const n = c.i32('master state length');
    if (n <= 0) throw new CursorError('INVALID', `master state length ${n}`, c.offset - 4);
    const end = c.offset + n;
    if (n > c.remaining) throw new CursorError('TRUNCATED', 'file ends inside a master state', c.offset);
    c.i32('master state version');
    c.utf('master state name');
    c.skip(c.count('master state payload length'), 'master state payload');
    if (c.offset !== end) throw new CursorError('INVALID', 'master state length does not match its content', c.offset);
  }

  /** Version 1 (Flink 1.2): task states with chained handles per subtask. */
  private taskStateV1(): void {
    const c = this.c;
    c.skip(16, 'a job vertex id');
    c.i32('parallelism');
    c.i32('max parallelism');
    c.i32('chain length');
    const subtasks = c.count('number of subtask states', 4);
    for (let i = 0; i < subtasks; i++) {
      c.i32('subtask index');
      c.i64('subtask duration');
      const legacy = c.count('number of legacy operator states');
      for (let j = 0; j < legacy; j++) this.streamHandle();
      for (const what of ['managed operator states', 'raw operator states']) {
        const chained = c.count(`number of ${what}`);
        for (let j = 0; j < chained; j++) this.operatorStateHandle();
      }
      this.keyedStateHandle(0);
      this.keyedStateHandle(0);
    }
  }

  /** Versions 2–4. */
  private operatorState(): void {
    const c = this.c;
    c.skip(16, 'an operator id');
    c.i32('parallelism');
    c.i32('max parallelism');
    if (this.version === 2) c.i32('chain length');
    else {
      const coordinator = this.streamHandle();
      if (coordinator !== undefined && coordinator !== BYTE_STREAM)
        throw new CursorError('INVALID', 'coordinator state is not stored inline', c.offset);
    }
    const subtasks = c.i32('number of subtask states');
    if (subtasks === -1 && this.version >= 3) return; // a fully finished operator
    if (subtasks < 0 || subtasks * 4 > c.remaining)
      throw new CursorError(
        subtasks < 0 ? 'INVALID' : 'TRUNCATED',
        `number of subtask states is ${subtasks}`,
        c.offset,
      );
    for (let i = 0; i < subtasks; i++) {
      const index = c.i32('subtask index');
      // Since Flink 1.14 a finished subtask is written as -(index + 1), with no state after it.
      if (index < 0 && this.version >= 3) continue;
      if (index < 0) throw new CursorError('INVALID', `negative subtask index ${index}`, c.offset - 4);
      this.subtaskState();
    }
  }

  private subtaskState(): void {
    const c = this.c;
    if (this.version === 2) {
      c.i64('subtask duration');
      const legacy = c.count('number of legacy operator states');
      for (let j = 0; j < legacy; j++) this.streamHandle();
    }
    if (c.i32('managed operator state flag') !== 0) this.operatorStateHandle();
    if (c.i32('raw operator state flag') !== 0) this.operatorStateHandle();
    this.keyedStateHandle(0);
    this.keyedStateHandle(0);
    if (this.version >= 3) {
      for (const what of ['input channel states', 'result subpartition states']) {
        const n = c.count(`number of ${what}`, 4);
        for (let i = 0; i < n; i++) this.channelStateHandle();
      }
    }
  }

  private channelStateHandle(): void {
    const c = this.c;
    c.i32('channel subtask index');
    c.i32('channel gate or partition index');
    c.i32('channel index');
    const offsets = c.count('number of channel state offsets', 8);
    c.skip(offsets * 8, 'channel state offsets');
    c.i64('channel state size');
    this.streamHandle();
  }

  private operatorStateHandle(): void {
    const c = this.c;
    const at = c.offset;
    const type = c.u8('an operator state handle type');
    if (type === NULL_HANDLE) return;
    if (type !== PARTITIONABLE_OPERATOR && !(type === SEGMENT_PARTITIONABLE_OPERATOR && this.version >= 4))
      throw new UnknownHandle('operator state', type, at);
    const entries = c.count('number of operator state names', 3);
    for (let i = 0; i < entries; i++) {
      c.utf('an operator state name');
      const mode = c.u8('a distribution mode');
      if (mode > 2) throw new CursorError('INVALID', `distribution mode ${mode}`, c.offset - 1);
      const offsets = c.count('number of partition offsets', 8);
      c.skip(offsets * 8, 'partition offsets');
    }
    if (type === SEGMENT_PARTITIONABLE_OPERATOR) {
      c.utf('a file-merging directory');
      c.u8('an empty-segment flag');
    }
    this.streamHandle();
  }

  private keyedStateHandle(depth: number): void {
    const c = this.c;
    if (depth > MAX_NESTING) throw new CursorError('INVALID', 'keyed state handles nested too deeply', c.offset);
    const at = c.offset;
    const type = c.u8('a keyed state handle type');
    if (type === NULL_HANDLE) return;
    if (this.version === 1 && type !== KEY_GROUPS) throw new UnknownHandle('keyed state', type, at);
    switch (type) {
      case KEY_GROUPS:
      case KEY_GROUPS_V2:
      case SAVEPOINT_KEY_GROUPS: {
        this.keyGroupRange(true);
        this.streamHandle();
        if (type === KEY_GROUPS_V2) c.utf('a state handle id');
        return;
      }
      case INCREMENTAL_KEY_GROUPS:
      case INCREMENTAL_KEY_GROUPS_V2: {
        c.i64('incremental checkpoint id');
        c.utf('backend identifier');
        c.i32('start key group');
        c.i32('number of key groups');
        if (type === INCREMENTAL_KEY_GROUPS_V2) c.i64('checkpointed size');
        this.streamHandle();
        for (const what of ['shared', 'private']) {
          const n = c.count(`number of ${what} state files`, 3);
          for (let i = 0; i < n; i++) {
            c.utf(`a ${what} state file's local name`);
            this.streamHandle();
          }
        }
        if (type === INCREMENTAL_KEY_GROUPS_V2) c.utf('a state handle id');
        return;
      }
      case CHANGELOG:
      case CHANGELOG_V2: {
        c.i32('start key group');
        c.i32('number of key groups');
        c.i64('checkpointed size');
        for (const what of ['materialized', 'non-materialized']) {
          const n = c.count(`number of ${what} handles`);
          for (let i = 0; i < n; i++) this.keyedStateHandle(depth + 1);
        }
        c.i64('materialization id');
        if (type === CHANGELOG_V2) c.i64('checkpoint id');
        c.utf('a state handle id');
        return;
      }
      case CHANGELOG_BYTE_INCREMENT: {
        c.i32('start key group');
        c.i32('number of key groups');
        c.i64('first sequence number');
        c.i64('last sequence number');
        const changes = c.count('number of changes', 8);
        for (let i = 0; i < changes; i++) {
          c.i32('a key group');
          c.skip(c.count('change length'), 'a change');
        }
        c.utf('a state handle id');
        return;
      }
      case CHANGELOG_FILE_INCREMENT:
      case CHANGELOG_FILE_INCREMENT_V2: {
        c.i32('start key group');
        c.i32('number of key groups');
        const n = c.count('number of changelog files', 9);
        for (let i = 0; i < n; i++) {
          c.i64('an offset');
          this.streamHandle();
        }
        c.i64('state size');
        c.i64('checkpointed size');
        c.utf('a state handle id');
        if (type === CHANGELOG_FILE_INCREMENT_V2) c.utf('a storage identifier');
        return;
      }
      default:
        throw new UnknownHandle('keyed state', type, at);
    }
  }

  private keyGroupRange(withOffsets: boolean): void {
    const c = this.c;
    c.i32('start key group');
    const groups = c.count('number of key groups', withOffsets ? 8 : 0);
    if (withOffsets) c.skip(groups * 8, 'key group offsets');
  }

  /** Reads one stream state handle and records the file it names; returns its type, or undefined for null. */
  private streamHandle(): number | undefined {
    const c = this.c;
    const at = c.offset;
    const type = c.u8('a stream state handle type');
    switch (type) {
      case NULL_HANDLE:
        return undefined;
      case FILE_STREAM: {
        const size = c.i64('file size');
        const uri = c.utf('a file path');
        if (uri.length === 0) throw new CursorError('INVALID', 'empty file path', at);
        this.refs.push({ kind: 'absolute', uri, size: Number(size) });
        return type;
      }
      case BYTE_STREAM: {
        const name = c.utf('an inline handle name');
        const n = c.count('inline state length');
        c.skip(n, 'inline state');
        this.refs.push({ kind: 'inline', name, size: n });
        return type;
      }
      case RELATIVE_STREAM: {
        if (this.version < 3) throw new UnknownHandle('stream state', type, at);
        const name = c.utf('a relative file name');
        const size = c.i64('file size');
        if (name.length === 0 || name.includes('/') || name === '.' || name === '..')
          throw new CursorError('INVALID', `relative file name ${JSON.stringify(name)} is not a plain name`, at);
        this.refs.push({ kind: 'relative', name, size: Number(size) });
        return type;
      }
      case KEY_GROUPS: {
        this.keyGroupRange(true);
        this.streamHandle();
        return type;
      }
      case SEGMENT_FILE: {
        if (this.version < 4) throw new UnknownHandle('stream state', type, at);
        c.i64('segment start');
        const size = c.i64('segment size');
        c.utf('a logical file id');
        c.i32('a state scope');
        const uri = c.utf('a physical file path');
        this.refs.push({ kind: 'absolute', uri, size: Number(size) });
        return type;
      }
      case EMPTY_SEGMENT_FILE:
        if (this.version < 4) throw new UnknownHandle('stream state', type, at);
        return type;
      default:
        throw new UnknownHandle('stream state', type, at);
    }
  }
}
