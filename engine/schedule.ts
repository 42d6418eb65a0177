// A task's schedule: its zod schema, the Temporal ScheduleSpec it becomes, and its next fire times.
import type { CalendarSpec, DayOfWeek, ScheduleSpec } from '@temporalio/client';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

export const scheduleEvery = ['monthly', 'weekly', 'daily', '6h', '2h'] as const;
export type ScheduleEvery = (typeof scheduleEvery)[number];

/** Index = cron day number (0 = Sunday), as Temporal's DAYS_OF_WEEK. */
export const weekdays = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof weekdays)[number];

/** The IANA name in its canonical spelling (Temporal loads zones case-sensitively), or null if unknown. */
export function canonicalTimeZone(name: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const TimeZone = z
  .string()
  .trim()
  .min(1)
  .transform((name, ctx) => {
    const zone = canonicalTimeZone(name);
    if (zone === null) ctx.addIssue({ code: 'custom', message: `unknown time zone "${name}"; use an IANA name such as Asia/Shanghai` });
    return zone ?? name;
  });

const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM between 00:00 and 23:59');

const WeekdayInput = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
  z
    .union([z.enum(weekdays), z.number().int().min(0).max(6)], { error: 'must be a weekday name (monday … sunday) or 0–6 with 0 = Sunday' })
    .transform((d): Weekday => (typeof d === 'number' ? weekdays[d] : d)),
);

/**
 * `every` at a clock time in a time zone. Defaults: `at` 00:00, `timezone` UTC, weekly on Monday,
 * monthly on day 1 (a day past a month's end skips that month, in Temporal and here alike).
 * 6h / 2h fire at `at` and every 6 / 2 hours from it around the clock.
 */
export const EverySchedule = z
  .strictObject({
    every: z.enum(scheduleEvery),
    at: ClockTime.default('00:00'),
    timezone: TimeZone.default('UTC'),
    dayOfWeek: WeekdayInput.optional(),
    dayOfMonth: z.number().int().min(1).max(31).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.dayOfWeek !== undefined && s.every !== 'weekly') ctx.addIssue({ code: 'custom', path: ['dayOfWeek'], message: 'only for every: "weekly"' });
    if (s.dayOfMonth !== undefined && s.every !== 'monthly') ctx.addIssue({ code: 'custom', path: ['dayOfMonth'], message: 'only for every: "monthly"' });
  })
  .transform((s) => ({
    ...s,
    ...(s.every === 'weekly' ? { dayOfWeek: s.dayOfWeek ?? ('monday' as Weekday) } : {}),
    ...(s.every === 'monthly' ? { dayOfMonth: s.dayOfMonth ?? 1 } : {}),
  }));

/** A five-field cron expression (or @daily and the like), read in `timezone` (default UTC). */
export const CronSchedule = z.strictObject({
  cron: z
    .string()
    .trim()
    .superRefine((text, ctx) => {
      const problem = cronProblem(text);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    }),
  timezone: TimeZone.default('UTC'),
});

/** docs/design.md lets `{ "cron": "…" }` replace the value of `every`: `{ every: { cron }, timezone }` reads as a cron schedule. */
const cronInEvery = (value: unknown): unknown => {
  if (typeof value !== 'object' || value === null) return value;
  const { every, ...rest } = value as { every?: unknown };
  if (typeof every !== 'object' || every === null || !('cron' in every)) return value;
  return { ...rest, cron: (every as { cron: unknown }).cron };
};

export const TaskSchedule = z.preprocess(cronInEvery, z.union([EverySchedule, CronSchedule]));
export type TaskSchedule = z.output<typeof TaskSchedule>;
export type TaskScheduleInput = z.input<typeof TaskSchedule>;

const cronShortcuts = new Set(['@yearly', '@monthly', '@weekly', '@daily', '@hourly']);
const cronFieldNames = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
const monthNames = new Set(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']);
const dayNames = new Set(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);

/**
 * Why an expression is refused, or null. Only syntax both Temporal and cron-parser read the same
 * way: five fields of numbers, names, `*`, ranges, lists and steps (no L, W, #, ? or seconds).
 */
export function cronProblem(text: string): string | null {
  if (cronShortcuts.has(text)) return null;
  const fields = text.split(/\s+/);
  if (fields.length !== 5 || text === '') return `cron "${text}" must have 5 fields: ${cronFieldNames.join(' ')} (or @hourly, @daily, @weekly, @monthly, @yearly)`;
  for (let f = 0; f < 5; f++) {
    for (const token of fields[f].split(/[,\-/]/)) {
      const name = token.toLowerCase();
      const ok = token === '*' || /^\d+$/.test(token) || (f === 3 && monthNames.has(name)) || (f === 4 && dayNames.has(name));
      if (!ok) return `cron "${text}": unsupported "${token}" in the ${cronFieldNames[f]} field`;
    }
  }
  // Temporal requires both day fields to match, classic cron either one: refuse the ambiguous case.
  if (fields[2] !== '*' && fields[4] !== '*') return `cron "${text}" restricts both day-of-month and day-of-week; use only one`;
  try {
    CronExpressionParser.parse(text);
  } catch (error) {
    return `cron "${text}": ${(error as Error).message}`;
  }
  return null;
}

function clock(at: string): { hour: number; minute: number } {
  const [hour, minute] = at.split(':').map(Number);
  return { hour, minute };
}

const everyHours: Partial<Record<ScheduleEvery, number>> = { '6h': 6, '2h': 2 };

/** The Temporal ScheduleSpec (client typings) for a task's schedule, always with its time zone. */
export function toScheduleSpec(schedule: TaskSchedule): ScheduleSpec & { timezone: string } {
  if ('cron' in schedule) return { cronExpressions: [schedule.cron], timezone: schedule.timezone };
  const { hour, minute } = clock(schedule.at);
  const step = everyHours[schedule.every];
  let calendar: CalendarSpec;
  if (step !== undefined) {
    calendar = { hour: { start: hour % step, end: 23, step }, minute, comment: `every ${schedule.every} from ${schedule.at}` };
  } else if (schedule.every === 'weekly') {
    const day = (schedule.dayOfWeek ?? 'monday').toUpperCase() as DayOfWeek;
    calendar = { dayOfWeek: day, hour, minute, comment: `weekly on ${schedule.dayOfWeek} at ${schedule.at}` };
  } else if (schedule.every === 'monthly') {
    calendar = { dayOfMonth: schedule.dayOfMonth ?? 1, hour, minute, comment: `monthly on day ${schedule.dayOfMonth} at ${schedule.at}` };
  } else {
    calendar = { hour, minute, comment: `daily at ${schedule.at}` };
  }
  return { calendars: [calendar], timezone: schedule.timezone };
}

/** The same schedule as a five-field cron expression, for computing fire times without Temporal. */
export function toCronExpression(schedule: TaskSchedule): string {
  if ('cron' in schedule) return schedule.cron;
  const { hour, minute } = clock(schedule.at);
  const step = everyHours[schedule.every];
  if (step !== undefined) return `${minute} ${hour % step}-23/${step} * * *`;
  if (schedule.every === 'weekly') return `${minute} ${hour} * * ${weekdays.indexOf(schedule.dayOfWeek ?? 'monday')}`;
  if (schedule.every === 'monthly') return `${minute} ${hour} ${schedule.dayOfMonth ?? 1} * *`;
  return `${minute} ${hour} * * *`;
}

/**
 * The next `n` fire times strictly after `from`, computed by cron-parser (independently of
 * Temporal) for "next run at". On a daylight-saving day a skipped clock time may differ by an hour.
 */
export function nextFireTimes(schedule: TaskSchedule, from: Date, n: number): Date[] {
  const expression = CronExpressionParser.parse(toCronExpression(schedule), { currentDate: from, tz: schedule.timezone });
  return expression.take(n).map((d) => d.toDate());
}
