/** Trigger coalescing rules, as pure functions. */
import { capRequesters, debounceDeadline, MAX_CHANGED_IDS, MAX_REQUESTERS, mergeTrigger, nextPendingRun, REQUESTERS_OVERFLOW, throttleDeadline, validateTrigger, withoutRun } from './pending-runs';

test('real-time triggers union their ids; a manual one makes the run full and labels it', () => {
  let state = mergeTrigger({}, { trigger: 'realtime', changedIds: ['a', 'b'] }, 'r1', 100);
  state = mergeTrigger(state.pending, { trigger: 'realtime', changedIds: ['b', 'c'] }, 'r2', 200);
  expect(state).toMatchObject({ runId: 'r1', coalesced: true });
  expect(state.pending.real).toMatchObject({ trigger: 'realtime', full: false, changedIds: ['a', 'b', 'c'], firstTriggerAt: 100, lastTriggerAt: 200 });
  state = mergeTrigger(state.pending, { trigger: 'manual' }, 'r3', 300);
  state = mergeTrigger(state.pending, { trigger: 'schedule' }, 'r4', 400);
  expect(state.pending.real).toMatchObject({ runId: 'r1', trigger: 'manual', full: true, changedIds: [] });
});

test('dry runs wait apart from real runs, and real ones go first', () => {
  const dry = mergeTrigger({}, { trigger: 'manual', dryRun: true }, 'dry', 1);
  const both = mergeTrigger(dry.pending, { trigger: 'realtime', changedIds: ['a'] }, 'real', 2);
  expect(both.coalesced).toBe(false);
  expect(nextPendingRun(both.pending)?.runId).toBe('real');
  expect(nextPendingRun(withoutRun(both.pending, 'real'))?.runId).toBe('dry');
});

test('too many changed ids turn a real-time run into a full one', () => {
  const ids = Array.from({ length: MAX_CHANGED_IDS + 1 }, (_, i) => `u${i}`);
  const state = mergeTrigger({}, { trigger: 'realtime', changedIds: ids }, 'r', 0);
  expect(state.pending.real).toMatchObject({ full: true, changedIds: [], trigger: 'realtime' });
});

test('real-time runs slide their deadline but never past ten windows; others start at once', () => {
  const realtime = mergeTrigger({}, { trigger: 'realtime', changedIds: ['a'] }, 'r', 0).pending.real!;
  expect(debounceDeadline({ ...realtime, lastTriggerAt: 500 }, 1000)).toBe(1500);
  expect(debounceDeadline({ ...realtime, lastTriggerAt: 9800 }, 1000)).toBe(10000);
  const manual = mergeTrigger({}, { trigger: 'manual' }, 'm', 50).pending.real!;
  expect(debounceDeadline(manual, 1000)).toBe(50);
});

test('leading edge: a real-time run starts at once, or when the window of the last run start ends; it never slides', () => {
  let realtime = mergeTrigger({}, { trigger: 'realtime', changedIds: ['a'] }, 'r', 5000).pending.real!;
  expect(throttleDeadline(realtime, 1000, undefined)).toBe(5000); // no run yet
  expect(throttleDeadline(realtime, 1000, 3000)).toBe(5000); // the last run started more than a window ago
  expect(throttleDeadline(realtime, 1000, 4600)).toBe(5600); // within the window: when it ends
  realtime = mergeTrigger({ real: realtime }, { trigger: 'realtime', changedIds: ['b'] }, 'r2', 5500).pending.real!;
  expect(throttleDeadline(realtime, 1000, 4600)).toBe(5600); // a later event does not move it
  const coalesced = mergeTrigger({}, { trigger: 'realtime', changedIds: ['a'], coalesced: true }, 'c', 5000).pending.real!;
  expect(throttleDeadline(coalesced, 1000, 4600)).toBe(5000);
  const manual = mergeTrigger({ real: realtime }, { trigger: 'manual' }, 'm', 5200).pending.real!;
  expect(throttleDeadline(manual, 1000, 4600)).toBe(5000);
});

test('a malformed trigger is refused naming the field', () => {
  expect(() => validateTrigger({ trigger: 'hourly' as 'manual' })).toThrow('trigger: expected one of manual, schedule, realtime, got "hourly"');
  expect(() => validateTrigger({ trigger: 'realtime', changedIds: [''] })).toThrow('changedIds: expected an array of non-empty strings');
  expect(() => validateTrigger({ trigger: 'manual', dryRun: 'yes' as unknown as boolean })).toThrow('dryRun: expected a boolean');
});

test('a manual trigger with ids (retry of failed items) stays partial and starts at once', () => {
  let state = mergeTrigger({}, { trigger: 'manual', changedIds: ['u1', 'u2'] }, 'r1', 100);
  expect(state.pending.real).toMatchObject({ runId: 'r1', trigger: 'manual', full: false, changedIds: ['u1', 'u2'] });
  expect(debounceDeadline(state.pending.real!, 1000)).toBe(100);
  state = mergeTrigger(state.pending, { trigger: 'realtime', changedIds: ['u3'] }, 'r2', 150);
  expect(state.pending.real).toMatchObject({ runId: 'r1', trigger: 'manual', full: false, changedIds: ['u1', 'u2', 'u3'] });
  state = mergeTrigger(state.pending, { trigger: 'schedule' }, 'r3', 200);
  expect(state.pending.real).toMatchObject({ runId: 'r1', full: true, changedIds: [] });
});

describe('coalesced triggers (hub writes of an upstream run)', () => {
  const coalesced = (ids: string[]) => ({ trigger: 'realtime' as const, changedIds: ids, coalesced: true });

  test('a run of only coalesced triggers starts at once, and later ones join it without waiting', () => {
    let state = mergeTrigger({}, coalesced(['a']), 'r1', 100);
    expect(state.pending.real).toMatchObject({ coalesced: true, trigger: 'realtime', changedIds: ['a'] });
    expect(debounceDeadline(state.pending.real!, 1000)).toBe(100);
    state = mergeTrigger(state.pending, coalesced(['b']), 'r2', 400);
    expect(state).toMatchObject({ runId: 'r1', coalesced: true });
    expect(debounceDeadline(state.pending.real!, 1000)).toBe(100);
  });

  test('a plain trigger (a hub API edit) brings back the window; a coalesced one after it does not slide it', () => {
    let state = mergeTrigger({}, coalesced(['a']), 'r1', 100);
    state = mergeTrigger(state.pending, { trigger: 'realtime', changedIds: ['b'] }, 'r2', 200);
    expect(state.pending.real!.coalesced).toBeUndefined();
    expect(debounceDeadline(state.pending.real!, 1000)).toBe(1200);
    state = mergeTrigger(state.pending, coalesced(['c']), 'r3', 900);
    expect(state.pending.real).toMatchObject({ changedIds: ['a', 'b', 'c'], lastTriggerAt: 900, debouncedTriggerAt: 200 });
    expect(debounceDeadline(state.pending.real!, 1000)).toBe(1200);
  });

  test('a coalesced trigger joining a debounced run keeps its deadline, and the ten-window cap still holds', () => {
    let state = mergeTrigger({}, { trigger: 'realtime', changedIds: ['a'] }, 'r1', 0);
    state = mergeTrigger(state.pending, coalesced(['b']), 'r2', 700);
    expect(debounceDeadline(state.pending.real!, 1000)).toBe(1000);
    state = mergeTrigger(state.pending, { trigger: 'realtime', changedIds: ['c'] }, 'r3', 9500);
    expect(debounceDeadline(state.pending.real!, 1000)).toBe(10000);
  });

  test('a pending run carried over from before the option slides from its last trigger, as it did', () => {
    const legacy = { runId: 'old', trigger: 'realtime' as const, dryRun: false, full: false, changedIds: ['a'], firstTriggerAt: 0, lastTriggerAt: 300 };
    expect(debounceDeadline(legacy, 1000)).toBe(1300);
    const joined = mergeTrigger({ real: legacy }, coalesced(['b']), 'r2', 800).pending.real!;
    expect(joined.coalesced).toBeUndefined();
    expect(debounceDeadline(joined, 1000)).toBe(1300);
  });

  test('coalesced must be a boolean', () => {
    expect(() => validateTrigger({ trigger: 'realtime', changedIds: ['a'], coalesced: 'yes' as unknown as boolean })).toThrow('coalesced: expected a boolean');
  });
});

test('requesters past the cap are never dropped silently: the run records the overflow marker instead', () => {
  let state = mergeTrigger({}, { trigger: 'manual', requestedBy: 'token:r0:0' }, 'r', 0);
  for (let i = 1; i <= MAX_REQUESTERS + 5; i++) state = mergeTrigger(state.pending, { trigger: 'manual', requestedBy: `token:r${i}:${i}` }, 'r', i);
  const requestedBy = state.pending.real!.requestedBy!;
  expect(requestedBy).toHaveLength(MAX_REQUESTERS);
  expect(requestedBy.at(-1)).toBe(REQUESTERS_OVERFLOW);
  expect(requestedBy.filter((r) => r === REQUESTERS_OVERFLOW)).toHaveLength(1);
  expect(requestedBy.slice(0, -1)).toEqual(Array.from({ length: MAX_REQUESTERS - 1 }, (_, i) => `token:r${i}:${i}`));
  // A requester already listed adds nothing; at exactly the cap no marker is needed.
  const names = Array.from({ length: MAX_REQUESTERS }, (_, i) => `n${i}`);
  expect(capRequesters(names)).toEqual(names);
  expect(capRequesters([...names, 'one more'])).toEqual([...names.slice(0, -1), REQUESTERS_OVERFLOW]);
});
