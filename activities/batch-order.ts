// Which apply batches may run at the same time. Batches are slices of 200 items of the plan order
// (departments top-down, users, the manager pass, leaders, disables); inside a batch the apply step
// already keeps that order where it matters (activities/dependency-order.ts). Across batches the
// same rule holds, batch-wide: batch b may start only once every earlier batch with an item that
// writes what one of b's items reads or writes (or reads what it writes) has finished. A user
// create waits for the batch that created its department; the leader pass waits for the batches
// that created the leaders; users of departments that already exist wait for nothing.
import type { PlanAction } from '../engine/plan-types';
import { touchedEntities } from './apply-entities';

export interface BatchedAction {
  batch: number;
  /** only planned items are applied by the run's batches (staged ones wait for an approval) */
  planned: boolean;
  action: PlanAction;
}

/**
 * For each batch 0..batches-1, the last earlier batch it must wait for (-1: none). The workflow
 * starts batch b once batches 0..after[b] have all finished; batches start in order.
 * `items` must come in plan order (ascending batch).
 */
export function batchPrerequisites(items: Iterable<BatchedAction>, batches: number): number[] {
  const order = createBatchOrder();
  for (const item of items) order.add(item);
  return order.result(batches);
}

/**
 * batchPrerequisites fed one item at a time, as the plan step streams its items to storage: it keeps
 * only the entity keys of the items, not the actions, which are let go once stored.
 */
export function createBatchOrder() {
  const after: number[] = [];
  /** entity key → last batch (before the current one) whose items write it / read it */
  const lastWrite = new Map<string, number>();
  const lastRead = new Map<string, number>();
  let current = -1;
  let pending: { writes: string[]; reads: string[] }[] = [];
  const close = () => {
    if (current < 0) return;
    for (const { writes, reads } of pending) {
      for (const key of writes) lastWrite.set(key, current);
      for (const key of reads) lastRead.set(key, current);
    }
    pending = [];
  };
  return {
    add({ batch, planned, action }: BatchedAction): void {
      if (!planned) return;
      if (batch < current) throw new Error(`batchPrerequisites: items out of plan order (batch ${batch} after ${current})`);
      if (batch !== current) {
        close();
        current = batch;
      }
      const touched = touchedEntities(action);
      let wait = after[batch] ?? -1;
      for (const key of touched.writes) wait = Math.max(wait, lastWrite.get(key) ?? -1, lastRead.get(key) ?? -1);
      for (const key of touched.reads) wait = Math.max(wait, lastWrite.get(key) ?? -1);
      after[batch] = wait;
      pending.push(touched);
    },
    /** the answer for batches 0..batches-1 (items of later batches are ignored) */
    result(batches: number): number[] {
      return Array.from({ length: batches }, (_, b) => after[b] ?? -1);
    },
  };
}
