import { nextFireTimes, TaskSchedule, toScheduleSpec, type TaskScheduleInput } from './schedule';

const schedule = (input: TaskScheduleInput) => TaskSchedule.parse(input);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('toScheduleSpec', () => {
  it('daily at HH:MM in the time zone', () => {
    expect(toScheduleSpec(schedule({ every: 'daily', at: '02:00', timezone: 'Asia/Shanghai' }))).toEqual({
      calendars: [{ hour: 2, minute: 0, comment: 'daily at 02:00' }],
      timezone: 'Asia/Shanghai',
    });
  });

  it('weekly on a day (name or 0–6 with 0 = Sunday), Monday by default', () => {
    expect(toScheduleSpec(schedule({ every: 'weekly', at: '07:45', timezone: 'UTC', dayOfWeek: 'Friday' })).calendars).toEqual([
      { dayOfWeek: 'FRIDAY', hour: 7, minute: 45, comment: 'weekly on friday at 07:45' },
    ]);
    expect(toScheduleSpec(schedule({ every: 'weekly', at: '07:45', dayOfWeek: 0 })).calendars?.[0]).toMatchObject({ dayOfWeek: 'SUNDAY' });
    expect(toScheduleSpec(schedule({ every: 'weekly', at: '07:45' })).calendars?.[0]).toMatchObject({ dayOfWeek: 'MONDAY' });
  });

  it('monthly on a day, day 1 by default', () => {
    expect(toScheduleSpec(schedule({ every: 'monthly', at: '23:30', dayOfMonth: 15 })).calendars).toEqual([
      { dayOfMonth: 15, hour: 23, minute: 30, comment: 'monthly on day 15 at 23:30' },
    ]);
    expect(toScheduleSpec(schedule({ every: 'monthly', at: '23:30' })).calendars?.[0]).toMatchObject({ dayOfMonth: 1 });
  });

  it('every 6 h and 2 h from the start time, around the clock', () => {
    expect(toScheduleSpec(schedule({ every: '6h', at: '08:15', timezone: 'Europe/Paris' }))).toEqual({
      calendars: [{ hour: { start: 2, end: 23, step: 6 }, minute: 15, comment: 'every 6h from 08:15' }],
      timezone: 'Europe/Paris',
    });
    expect(toScheduleSpec(schedule({ every: '2h', at: '01:00' })).calendars?.[0]).toMatchObject({ hour: { start: 1, end: 23, step: 2 }, minute: 0 });
  });

  it('cron as is, UTC unless a time zone is given', () => {
    expect(toScheduleSpec(schedule({ cron: '*/15 9-17 * * mon-fri', timezone: 'America/New_York' }))).toEqual({
      cronExpressions: ['*/15 9-17 * * mon-fri'],
      timezone: 'America/New_York',
    });
    expect(toScheduleSpec(schedule({ cron: '@daily' }))).toEqual({ cronExpressions: ['@daily'], timezone: 'UTC' });
  });
});

describe('nextFireTimes', () => {
  const from = new Date('2025-01-01T00:00:00Z');

  it('honours the time zone: daily 02:00 Asia/Shanghai is 18:00 UTC the day before', () => {
    expect(iso(nextFireTimes(schedule({ every: 'daily', at: '02:00', timezone: 'Asia/Shanghai' }), from, 2))).toEqual([
      '2025-01-01T18:00:00.000Z',
      '2025-01-02T18:00:00.000Z',
    ]);
  });

  it('follows daylight saving time in the zone', () => {
    const nyc = schedule({ every: 'daily', at: '09:00', timezone: 'America/New_York' });
    expect(iso(nextFireTimes(nyc, new Date('2025-03-08T00:00:00Z'), 3))).toEqual([
      '2025-03-08T14:00:00.000Z',
      '2025-03-09T13:00:00.000Z',
      '2025-03-10T13:00:00.000Z',
    ]);
  });

  it('weekly, monthly and every 6 h', () => {
    expect(iso(nextFireTimes(schedule({ every: 'weekly', at: '02:30', timezone: 'Asia/Shanghai', dayOfWeek: 'friday' }), from, 2))).toEqual([
      '2025-01-02T18:30:00.000Z',
      '2025-01-09T18:30:00.000Z',
    ]);
    // Day 31 skips the months that have no 31st, as Temporal's calendar does.
    expect(iso(nextFireTimes(schedule({ every: 'monthly', at: '23:59', dayOfMonth: 31 }), from, 3))).toEqual([
      '2025-01-31T23:59:00.000Z',
      '2025-03-31T23:59:00.000Z',
      '2025-05-31T23:59:00.000Z',
    ]);
    expect(iso(nextFireTimes(schedule({ every: '6h', at: '08:00' }), from, 4))).toEqual([
      '2025-01-01T02:00:00.000Z',
      '2025-01-01T08:00:00.000Z',
      '2025-01-01T14:00:00.000Z',
      '2025-01-01T20:00:00.000Z',
    ]);
  });

  it('cron in its time zone, strictly after the given instant', () => {
    expect(iso(nextFireTimes(schedule({ cron: '0 9 * * mon', timezone: 'Asia/Tokyo' }), new Date('2025-01-06T00:00:00Z'), 2))).toEqual([
      '2025-01-13T00:00:00.000Z',
      '2025-01-20T00:00:00.000Z',
    ]);
  });
});

describe('TaskSchedule refusals', () => {
  it.each([
    [{ every: 'daily', at: '24:00' }, ['at'], 'must be HH:MM'],
    [{ every: 'daily', at: '2:00' }, ['at'], 'must be HH:MM'],
    [{ every: 'daily', timezone: 'Mars/Olympus' }, ['timezone'], 'unknown time zone "Mars/Olympus"'],
    [{ every: 'daily', dayOfWeek: 'monday' }, ['dayOfWeek'], 'only for every: "weekly"'],
    [{ every: 'weekly', dayOfWeek: 'someday' }, ['dayOfWeek'], 'weekday name'],
    [{ every: 'monthly', dayOfMonth: 32 }, ['dayOfMonth'], ''],
    [{ cron: '0 2 * *' }, ['cron'], 'must have 5 fields'],
    [{ cron: '0 0 L * *' }, ['cron'], 'unsupported "L"'],
    [{ cron: '61 * * * *' }, ['cron'], 'expected range 0-59'],
    [{ cron: '0 2 1 * mon' }, ['cron'], 'restricts both day-of-month and day-of-week'],
    [{ cron: '0 2 * * *', timezone: 'Nowhere' }, ['timezone'], 'unknown time zone'],
  ])('%j is refused at %j', (input, path, message) => {
    const result = TaskSchedule.safeParse(input);
    expect(result.success).toBe(false);
    const issues = result.error!.issues.flatMap((i) => (i.code === 'invalid_union' ? i.errors.reduce((a, b) => (b.length < a.length ? b : a)) : [i]));
    expect(issues).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
  });

  it('stores a time zone in its canonical spelling', () => {
    expect(schedule({ every: 'daily', at: '02:00', timezone: 'asia/shanghai' }).timezone).toBe('Asia/Shanghai');
  });
});

describe('cron written in place of every', () => {
  it('reads { every: { cron }, timezone } as a cron schedule, as docs/design.md spells it', () => {
    expect(TaskSchedule.parse({ every: { cron: '30 1 * * 1-5' }, timezone: 'Asia/Shanghai' })).toEqual({ cron: '30 1 * * 1-5', timezone: 'Asia/Shanghai' });
    expect(TaskSchedule.safeParse({ every: { cron: 'not a cron' } }).success).toBe(false);
  });
});
