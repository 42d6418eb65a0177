// The apply fence as one attempt sees it: before each vendor write, is this attempt still the
// batch's owner (db/repos/apply-leases.ts)? Items waiting at the same time share one check, so the
// cost is one query per database round trip, not one per item.
import type { Db } from '../db/client';
import { SupersededAttemptError, assertApplyLease, type ApplyLease } from '../db/repos/apply-leases';

export class AttemptFence {
  private checking?: Promise<void>;
  private refusal?: unknown;

  constructor(
    private readonly db: Db,
    readonly lease: ApplyLease,
  ) {}

  /** True once a check found a newer attempt: nothing more may start. */
  get superseded(): boolean {
    return this.refusal !== undefined;
  }

  /** Resolves while this attempt owns the batch; rejects with SupersededAttemptError (for good) once it does not. */
  check(): Promise<void> {
    if (this.refusal !== undefined) return Promise.reject(this.refusal);
    this.checking ??= assertApplyLease(this.db, this.lease)
      .catch((error: unknown) => {
        if (error instanceof SupersededAttemptError) this.refusal = error;
        throw error;
      })
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }
}
