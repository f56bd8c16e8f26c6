/**
 * Every key a run deleted (or, in a dry run, would delete), for its report, without holding them all:
 * the first `INLINE_DELETED` go into the report itself, the rest into numbered NDJSON parts next to it,
 * written as they fill (docs/state-pruner.md §6.1).
 */
import type { ObjectStore } from '../storage/port';
import type { PlannedDeletion } from './plan';

/** Keys listed in the report itself; also the audit trail's cap on per-key events. */
export const INLINE_DELETED = 10_000;
/** Keys per part (about 2 MB of NDJSON). */
export const PART_DELETED = 10_000;

export type DeletedEntry = Pick<PlannedDeletion, 'key' | 'size' | 'reason' | 'storageClass'>;

export class DeletedLog {
  readonly inline: DeletedEntry[] = [];
  readonly parts: string[] = [];
  readonly errors: string[] = [];
  private lines: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private previous: Promise<void> = Promise.resolve();
  private inFlight = 0;

  /** `partPrefix` + `-00001.ndjson` … name the parts. */
  constructor(
    private readonly store: ObjectStore,
    private readonly partPrefix: string,
    private readonly inlineMax = INLINE_DELETED,
    private readonly partMax = PART_DELETED,
  ) {}

  add(d: PlannedDeletion): void {
    const entry: DeletedEntry = { key: d.key, size: d.size, reason: d.reason, storageClass: d.storageClass };
    if (this.inline.length < this.inlineMax) {
      this.inline.push(entry);
      return;
    }
    this.lines.push(JSON.stringify(entry));
    if (this.lines.length >= this.partMax) this.writePart();
  }

  /**
   * Resolves once at most one part is being written: the planner waits here, so that parts cannot pile
   * up in memory when the store is slower than the planning.
   */
  async settled(): Promise<void> {
    if (this.inFlight > 1) await this.previous;
  }

  /** Writes the last part and waits for every part to be written. */
  async flush(): Promise<void> {
    if (this.lines.length > 0) this.writePart();
    await this.writing;
  }

  private writePart(): void {
    const key = `${this.partPrefix}-${String(this.parts.length + 1).padStart(5, '0')}.ndjson`;
    const body = `${this.lines.join('\n')}\n`;
    this.lines = [];
    this.parts.push(key);
    this.inFlight++;
    this.previous = this.writing;
    this.writing = this.writing.then(() =>
      this.store.put(key, body, { contentType: 'application/x-ndjson' }).then(
        () => {
          this.inFlight--;
        },
        (error: unknown) => {
          this.inFlight--;
          this.errors.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
        },
      ),
    );
  }
}
