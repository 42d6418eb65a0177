// The watermark of an HR source's incremental reads (Beisen, Moka): where the last listing began, in
// the vendor's own time text, plus the people kept out only because their start date is still to
// come. Nothing changes in HR on a start day, so such a person is never listed by a changed-since read:
// the watermark carries their id, the day and when their record last changed, and the read on that
// day fetches the record again by its change time.
import { z } from 'zod';
import { invalidInput } from '../errors';

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
