// Beisen's time windows: local China time (no offset in the text, as its examples write it), at
// most 90 days each, covering [from, to) back to back.

import { chinaDateTime } from '../shared/china-time';

export { chinaDateTime, chinaDay, parseChinaDateTime } from '../shared/china-time';

const dayMs = 86_400_000;
export const maxWindowDays = 90;

export function* timeWindows(from: Date, to: Date, days: number): Generator<{ startTime: string; stopTime: string }> {
  if (!Number.isInteger(days) || days < 1 || days > maxWindowDays) throw new Error(`window days must be 1 to ${maxWindowDays}`);
  for (let start = from.getTime(); start < to.getTime(); start += days * dayMs) {
    const stop = Math.min(start + days * dayMs, to.getTime());
    yield { startTime: chinaDateTime(new Date(start)), stopTime: chinaDateTime(new Date(stop)) };
  }
}
