// Which read a run's snapshot step does (activities/incremental-read.ts), and what a watermark is valid for.
import { decideRead, readConfigHash, type ReadDecisionInput } from './incremental-read';

const now = new Date('2026-12-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const config = { connector: { kind: 'ldap', settings: { url: 'ldap://x', baseDn: 'dc=x' } }, fieldMapping: [{ target: 'title', source: 'title' }] };
const input = (overrides: Partial<ReadDecisionInput> = {}): ReadDecisionInput => ({
  trigger: 'schedule',
  direction: 'upstream',
  incremental: { enabled: true, fullRunEveryHours: 24 },
  capable: true,
  stored: { watermark: '20261201110000Z', fullReadAt: hoursAgo(2), readConfig: readConfigHash(config) },
  readConfig: readConfigHash(config),
  now,
  ...overrides,
});

it('a scheduled run with a watermark, within fullRunEveryHours of the last full read, reads the changes since it', () => {
  expect(decideRead(input())).toEqual({ kind: 'incremental', since: '20261201110000Z', reason: expect.any(String) });
  expect(decideRead(input({ stored: { ...input().stored!, fullReadAt: hoursAgo(23.9) } })).kind).toBe('incremental');
});

it.each([
  ['a manual run', { trigger: 'manual' as const }, 'manual run'],
  ['the first run', { stored: undefined }, 'no watermark yet (first run, or none succeeded)'],
  ['the periodic full run', { stored: { ...input().stored!, fullReadAt: hoursAgo(24) } }, 'full run due (every 24 h)'],
  ['a run after the settings changed', { readConfig: readConfigHash({ ...config, connector: { ...config.connector, settings: { ...config.connector.settings, userFilter: '(uid=*)' } } }) }, 'the source settings or field mapping changed since the last full read'],
])('%s reads everything and takes a watermark first', (_label, overrides, reason) => {
  expect(decideRead(input(overrides))).toEqual({ kind: 'full', reason, takeWatermark: true });
});

it.each([
  ['incremental reads off', { incremental: { enabled: false, fullRunEveryHours: 24 } }],
  ['no incremental setting', { incremental: undefined }],
  ['a downstream task', { direction: 'downstream' as const }],
  ['a source that cannot list changes', { capable: false }],
])('%s: a full read and no watermark', (_label, overrides) => {
  expect(decideRead(input(overrides))).toMatchObject({ kind: 'full', takeWatermark: false });
});

it('hashes settings in any key order alike, and a field mapping change differently', () => {
  const reordered = { ...config, connector: { kind: 'ldap', settings: { baseDn: 'dc=x', url: 'ldap://x' } } };
  expect(readConfigHash(reordered)).toBe(readConfigHash(config));
  expect(readConfigHash({ ...config, fieldMapping: [] })).not.toBe(readConfigHash(config));
});
