// China time (UTC+8, no daylight saving), as Chinese HR systems write dates: local text without an
// offset, and the calendar day a start date is compared with.

const chinaOffsetMs = 8 * 3_600_000;

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
