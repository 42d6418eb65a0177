// Which events a finished run raises and the message each becomes. Which runs count as refused
// credentials is their recorded failure class (activities/notify-run-credentials.test.ts).
import { composeMessage, messageText, runEvents, type RunFacts } from './notifications';

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  taskId: 't1',
  taskName: 'Hub to WeCom',
  runId: 'r1',
  trigger: 'schedule',
  status: 'succeeded',
  counters: { succeeded: 3, failed: 0 },
  pendingDeletes: 0,
  guardHeld: 0,
  credentialFailures: 0,
  ...over,
});

test('each outcome raises its events, a clean run none', () => {
  expect(runEvents(facts())).toEqual([]);
  expect(runEvents(facts({ status: 'failed', credentialFailures: 1 }))).toEqual(['run_failed', 'credentials_failing']);
  expect(runEvents(facts({ status: 'partially_failed', pendingDeletes: 2, guardHeld: 1 }))).toEqual(['run_partially_failed', 'deletions_pending', 'guard_tripped']);
});

test('messages carry the counts and absolute links under SYNC_CENTER_PUBLIC_URL', () => {
  const partial = composeMessage('run_partially_failed', facts({ status: 'partially_failed', counters: { succeeded: 7, failed: 2 }, publicUrl: 'https://sync.example.com/' }));
  expect(messageText(partial)).toContain('2 item(s) failed, 7 succeeded');
  expect(partial.link).toBe('https://sync.example.com/api/v1/runs/r1/items?status=failed');
  const pending = composeMessage('deletions_pending', facts({ pendingDeletes: 4 }));
  expect(pending).toMatchObject({ title: '4 deletion(s) wait for approval: Hub to WeCom', details: { count: 4, approvalsUrl: '/api/v1/pending-deletions?taskId=t1&status=PENDING' } });
});

