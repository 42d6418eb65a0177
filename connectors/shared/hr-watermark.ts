// The watermark of an HR source's incremental reads (Beisen, Moka): where the last listing began, in
// the vendor's own time text, plus the people kept out only because their start date is still to
// come. Nothing changes in HR on a start day, so such a person is never listed by a changed-since read:
// the watermark carries their id, the day and when their record last changed, and the read on that
// day fetches the record again by its change time.
import { z } from 'zod';
import type { Department, User } from '../../engine/model';
import { invalidInput } from '../errors';
import type { ReadByIdsResult } from '../types';

export interface PendingStart {
  /** the vendor's person id */
  id: string;
  /** the start day (China time), yyyy-MM-dd */
  day: string;
  /** when the record last changed, in the form the vendor's changed-since read takes */
  changed: string;
}

export interface HrWatermark {
  since: string;
  starts: PendingStart[];
}

/** More would be a company hiring in bulk ahead: they still start, by the next full run. */
export const maxPendingStarts = 5_000;

export function encodeHrWatermark(watermark: HrWatermark): string {
  return JSON.stringify({ since: watermark.since, starts: watermark.starts.slice(0, maxPendingStarts) });
}

/** A watermark this connector returned, or a clear error naming `watermark` (its text is not echoed: it holds ids). */
export function parseHrWatermark(text: unknown, vendor: string, time: { pattern: RegExp; valid: (value: string) => boolean; example: string }): HrWatermark {
  const stamp = z.string().regex(time.pattern).refine(time.valid);
  const schema = z.strictObject({
    since: stamp,
    starts: z.array(z.strictObject({ id: z.string().regex(/^\d{1,20}$/), day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), changed: stamp })).max(maxPendingStarts),
  });
  let json: unknown;
  try {
    json = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
    throw invalidInput('watermark', `not a ${vendor} watermark${where}: expected {"since":"${time.example}","starts":[…]} as this connector returns`);
  }
  return parsed.data;
}

/** The pending starts still to come after `today`, minus the people read again this time (their record decides anew). */
export function carriedStarts(starts: readonly PendingStart[], today: string, reread: (id: string) => boolean): PendingStart[] {
  return starts.filter((s) => s.day > today && !reread(s.id));
}

/** People kept out only by a start date still to come, as the vendor's `startOf` reads each record. */
export function pendingStartsOf<Employee>(employees: Iterable<Employee>, startOf: (employee: Employee) => PendingStart | undefined): PendingStart[] {
  const starts: PendingStart[] = [];
  for (const employee of employees) {
    const start = startOf(employee);
    if (start) starts.push(start);
  }
  return starts;
}

/**
 * The full read a watermark was taken with, kept for the readSnapshot of the same run: served once,
 * and only within `forMs` (the snapshot step follows the watermark step at once).
 */
export function preparedFullRead<Raw>(forMs = 10 * 60_000) {
  let kept: { raw: Raw; today: string; readAt: number } | undefined;
  return {
    keep(raw: Raw, today: string): void {
      kept = { raw, today, readAt: Date.now() };
    },
    take(): { raw: Raw; today: string } | undefined {
      const fresh = kept && Date.now() - kept.readAt < forMs ? kept : undefined;
      kept = undefined;
      return fresh;
    },
  };
}

/** A readByIds answer from a directory read whole (HR vendors read nothing by id). */
export function pickByIds(directory: { departments: Department[]; users: User[] }, ids: { departmentIds: string[]; userIds: string[] }): ReadByIdsResult {
  const wantedDepartments = new Set(ids.departmentIds);
  const wantedUsers = new Set(ids.userIds);
  const departments = directory.departments.filter((d) => wantedDepartments.has(d.id));
  const users = directory.users.filter((u) => wantedUsers.has(u.id));
  const foundDepartments = new Set(departments.map((d) => d.id));
  const foundUsers = new Set(users.map((u) => u.id));
  return {
    departments,
    users,
    missing: { departmentIds: ids.departmentIds.filter((id) => !foundDepartments.has(id)), userIds: ids.userIds.filter((id) => !foundUsers.has(id)) },
  };
}
