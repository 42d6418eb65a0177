// Where an upstream task's next incremental read starts (task_read_watermarks), advanced by a run that succeeded.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { taskReadWatermarks } from '../schema';

export type ReadWatermark = typeof taskReadWatermarks.$inferSelect;

export async function getReadWatermark(db: Db, taskId: string): Promise<ReadWatermark | undefined> {
  const [row] = await db.select().from(taskReadWatermarks).where(eq(taskReadWatermarks.taskId, taskId));
  return row;
}

/**
 * Stores the watermark a succeeded run read. A full read also moves fullReadAt; an incremental one
 * keeps it. A run that started before the stored one (a late retry of finishRun) changes nothing.
 */
export async function advanceReadWatermark(
  db: Db,
  input: { taskId: string; runId: string; runStartedAt: Date; watermark: string; readConfig: string; fullRead: boolean },
): Promise<void> {
  const row = { taskId: input.taskId, watermark: input.watermark, runId: input.runId, runStartedAt: input.runStartedAt, readConfig: input.readConfig, updatedAt: new Date() };
  if (!input.fullRead) {
    // Without a full read before it there is nothing to continue from.
    await db
      .update(taskReadWatermarks)
      .set(row)
      .where(sql`${taskReadWatermarks.taskId} = ${input.taskId} and ${taskReadWatermarks.runStartedAt} <= ${input.runStartedAt.toISOString()}`);
    return;
  }
  await db
    .insert(taskReadWatermarks)
    .values({ ...row, fullReadAt: input.runStartedAt })
    .onConflictDoUpdate({
      target: taskReadWatermarks.taskId,
      set: { ...row, fullReadAt: input.runStartedAt },
      setWhere: sql`${taskReadWatermarks.runStartedAt} <= ${input.runStartedAt.toISOString()}`,
    });
}
