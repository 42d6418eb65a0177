// The spec toScheduleSpec builds, read back from a real Temporal dev server: the server's own
// "next action times" must equal what nextFireTimes computes with cron-parser.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startLocalTemporal } from '../test/support/temporal';
import { nextFireTimes, TaskSchedule, toScheduleSpec, type TaskScheduleInput } from './schedule';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startLocalTemporal();
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

const schedules: [string, TaskScheduleInput][] = [
  ['daily', { every: 'daily', at: '02:00', timezone: 'Asia/Shanghai' }],
  ['weekly', { every: 'weekly', at: '09:30', timezone: 'America/New_York', dayOfWeek: 'wednesday' }],
  ['monthly', { every: 'monthly', at: '23:15', timezone: 'Europe/Berlin', dayOfMonth: 28 }],
  ['6h', { every: '6h', at: '08:20', timezone: 'Asia/Kolkata' }],
  ['2h', { every: '2h', at: '01:05', timezone: 'UTC' }],
  ['cron', { cron: '45 7 * * mon-fri', timezone: 'Australia/Sydney' }],
];

describe('toScheduleSpec on a Temporal dev server', () => {
  it.each(schedules)('%s: the server fires when nextFireTimes says', async (label, input) => {
    const schedule = TaskSchedule.parse(input);
    const from = new Date();
    const handle = await env.client.schedule.create({
      scheduleId: `schedule-spec-${label}-${from.getTime()}`,
      spec: toScheduleSpec(schedule),
      action: { type: 'startWorkflow', workflowType: 'scheduleSpecProbe', taskQueue: 'schedule-spec-probe', args: [] },
      state: { paused: true, note: 'spec probe; never runs' },
    });
    try {
      const description = await handle.describe();
      const serverTimes = description.info.nextActionTimes.map((d) => d.toISOString());
      expect(serverTimes.length).toBeGreaterThanOrEqual(5);
      expect(nextFireTimes(schedule, from, serverTimes.length).map((d) => d.toISOString())).toEqual(serverTimes);
    } finally {
      await handle.delete();
    }
  });
});
