// Group commit of item outcomes: outcomes gather for a few milliseconds (or until a group is full)
// and go in one transaction, instead of one transaction each. Crash safety does not depend on it:
// an outcome not yet written leaves its item planned (a create also marked attempted), and the
// retry sends it again or, for a create, looks it up first.
import type { ItemOutcomeRecord } from '../db/repos/sync-runs';

type WriteOutcomes = (records: ItemOutcomeRecord[]) => Promise<void>;

export interface OutcomeRecorderOptions {
  /** a group this large is written at once (default 64) */
  maxGroup?: number;
  /** a smaller group waits at most this long for company (default 25 ms) */
  maxDelayMs?: number;
}

export class OutcomeRecorder {
  private waiting: { record: ItemOutcomeRecord; committed: () => void }[] = [];
  private writing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private failure?: { error: unknown };
  private readonly maxGroup: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly write: WriteOutcomes,
    options: OutcomeRecorderOptions = {},
  ) {
    this.maxGroup = options.maxGroup ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 100;
  }

  /** Queues an outcome; `committed` runs once it is in the database. */
  add(record: ItemOutcomeRecord, committed: () => void): void {
    this.waiting.push({ record, committed });
    if (this.waiting.length >= this.maxGroup) this.startWrite();
    else this.timer ??= setTimeout(() => this.startWrite(), this.maxDelayMs);
  }

  /** True once a write failed: the caller stops sending, the error comes out of flush(). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Writes everything queued and waits for it; throws the first write error. */
  async flush(): Promise<void> {
    // Outcomes that arrive during a write wait for a timer: flush writes them too before it returns.
    while (!this.failure && (this.writing || this.waiting.length > 0)) {
      this.startWrite();
      await this.writing;
    }
    if (this.failure) throw this.failure.error;
  }

  private startWrite(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
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
        // What gathered during the write goes next, at once if the group is full.
        if (this.waiting.length >= this.maxGroup) this.startWrite();
        else if (this.waiting.length > 0) this.timer ??= setTimeout(() => this.startWrite(), this.maxDelayMs);
      });
  }
}
