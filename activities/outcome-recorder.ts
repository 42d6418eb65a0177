// Group commit of item outcomes: while one write is under way, the outcomes that finish meanwhile
// gather and go in the next transaction. At a low rate that is one item per write, as before; at
// a high rate it is one transaction for many items instead of one each.
import type { ItemOutcomeRecord } from '../db/repos/sync-runs';

type WriteOutcomes = (records: ItemOutcomeRecord[]) => Promise<void>;

export class OutcomeRecorder {
  private waiting: { record: ItemOutcomeRecord; committed: () => void }[] = [];
  private writing?: Promise<void>;
  private failure?: { error: unknown };

  constructor(private readonly write: WriteOutcomes) {}

  /** Queues an outcome; `committed` runs once it is in the database. */
  add(record: ItemOutcomeRecord, committed: () => void): void {
    this.waiting.push({ record, committed });
    this.startWrite();
  }

  /** True once a write failed: the caller stops sending, the error comes out of flush(). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Waits until every queued outcome is written; throws the first write error. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure.error;
  }

  private startWrite(): void {
    if (this.writing || this.failure || this.waiting.length === 0) return;
    const group = this.waiting;
    this.waiting = [];
    this.writing = this.write(group.map((g) => g.record))
      .then(
        () => group.forEach((g) => g.committed()),
        (error: unknown) => {
          this.failure = { error };
        },
      )
      .finally(() => {
        this.writing = undefined;
        this.startWrite();
      });
  }
}
