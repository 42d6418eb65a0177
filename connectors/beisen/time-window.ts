// Beisen's time windows: local China time (UTC+8, no offset in the text, as its examples write it),
// at most 90 days each, covering [from, to) back to back.

const chinaOffsetMs = 8 * 3_600_000;
const dayMs = 86_400_000;
export const maxWindowDays = 90;

/** 2021-01-01T00:00:00 in China time. */
export function chinaDateTime(at: Date): string {
  return new Date(at.getTime() + chinaOffsetMs).toISOString().slice(0, 19);
}

/** The calendar day in China, e.g. 2021-01-01: when a start date has come. */
export function chinaDay(at: Date): string {
  return chinaDateTime(at).slice(0, 10);
}

/** Parses Beisen's local text (2021-01-01T00:00:00 or 2021-01-01) back to an instant; NaN when it is not one. */
export function parseChinaDateTime(text: string): number {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2}))?$/.exec(text.trim());
  if (!match) return Number.NaN;
  return Date.parse(`${match[1]}T${match[2] ?? '00:00:00'}Z`) - chinaOffsetMs;
}

export function* timeWindows(from: Date, to: Date, days: number): Generator<{ startTime: string; stopTime: string }> {
  if (!Number.isInteger(days) || days < 1 || days > maxWindowDays) throw new Error(`window days must be 1 to ${maxWindowDays}`);
  for (let start = from.getTime(); start < to.getTime(); start += days * dayMs) {
    const stop = Math.min(start + days * dayMs, to.getTime());
    yield { startTime: chinaDateTime(new Date(start)), stopTime: chinaDateTime(new Date(stop)) };
  }
}
