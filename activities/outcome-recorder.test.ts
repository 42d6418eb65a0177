import type { ItemOutcomeRecord } from '../db/repos/sync-runs';
import { OutcomeRecorder } from './outcome-recorder';

const record = (itemId: number): ItemOutcomeRecord => ({ itemId, outcome: { status: 'succeeded' } });

/** A write that stays open until the test lets it finish. */
function controlledWriter() {
  const written: number[][] = [];
  const open: (() => void)[] = [];
  const write = (records: ItemOutcomeRecord[]) =>
    new Promise<void>((resolve) => {
      open.push(() => {
        written.push(records.map((r) => r.itemId));
        resolve();
      });
    });
  const finishNext = async () => {
    while (open.length === 0) await new Promise((r) => setImmediate(r));
    open.shift()!();
  };
  return { write, written, finishNext };
}

test('flush writes an outcome that arrived while an earlier group was being written', async () => {
  // Seen in CI: the last item's outcome waited on the group timer when flush() returned, so the
  // run was finished (and counted) with that item still planned.
  const writer = controlledWriter();
  const recorder = new OutcomeRecorder(writer.write, { maxGroup: 10, maxDelayMs: 60_000 });
  const committed: number[] = [];
  recorder.add(record(1), () => committed.push(1));
  const flushing = recorder.flush(); // starts the write of [1]
  recorder.add(record(2), () => committed.push(2)); // arrives while [1] is written
  let flushed = false;
  void flushing.then(() => (flushed = true));
  await writer.finishNext(); // [1] lands
  await writer.finishNext(); // [2] must be written by the same flush, not by a 60 s timer
  await flushing;
  expect(flushed).toBe(true);
  expect(writer.written).toEqual([[1], [2]]);
  expect(committed).toEqual([1, 2]);
}, 5_000);

test('outcomes gather into one group until the delay, and a full group is written at once', async () => {
  const writes: number[][] = [];
  const recorder = new OutcomeRecorder(async (records) => void writes.push(records.map((r) => r.itemId)), { maxGroup: 3, maxDelayMs: 20 });
  for (const id of [1, 2, 3, 4]) recorder.add(record(id), () => undefined);
  await new Promise((r) => setTimeout(r, 60));
  expect(writes).toEqual([[1, 2, 3], [4]]);
  await recorder.flush();
  expect(writes).toEqual([[1, 2, 3], [4]]);
});

test('a failed write stops the recorder and comes out of flush; later outcomes are not written', async () => {
  const writes: number[][] = [];
  let calls = 0;
  const recorder = new OutcomeRecorder(
    async (records) => {
      calls += 1;
      if (calls === 1) throw new Error('connection reset');
      writes.push(records.map((r) => r.itemId));
    },
    { maxGroup: 1, maxDelayMs: 5 },
  );
  recorder.add(record(1), () => undefined);
  await expect(recorder.flush()).rejects.toThrow('connection reset');
  expect(recorder.failed).toBe(true);
  recorder.add(record(2), () => undefined);
  await expect(recorder.flush()).rejects.toThrow('connection reset');
  expect(writes).toEqual([]);
});
