// Every workflow takes its activities from workflows/activity-proxies.ts, where each has bounded
// retries (workflows/bounded-retries.test.ts): a proxy built elsewhere would escape that bound.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

test('no workflow module builds its own activity proxy', () => {
  const dir = path.join(__dirname, '..', 'workflows');
  const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'activity-proxies.ts' && !f.startsWith('testing'));
  expect(sources.length).toBeGreaterThan(5);
  const ownProxies = sources.filter((f) => /proxy(Local)?Activities\s*[<(]/.test(readFileSync(path.join(dir, f), 'utf8')));
  expect(ownProxies).toEqual([]);
});
