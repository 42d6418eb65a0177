// The metric names and labels the dashboard and README promise exist, and vendor paths become
// bounded labels (no ids in them).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { apiLabel, metricsRegistry } from './metrics';

const databaseGauges = ['sync_center_runs', 'sync_center_pending_deletions', 'sync_center_webhook_inbox_backlog', 'sync_center_webhook_inbox_oldest_seconds'];

test('every sync_center metric the Grafana dashboard queries is one this code exports', async () => {
  const dashboard = readFileSync(path.join(__dirname, '..', 'deploy', 'grafana', 'sync-center-dashboard.json'), 'utf8');
  const queried = new Set([...dashboard.matchAll(/\b(sync_center_\w+)/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, '')));
  const exported = new Set([...(await metricsRegistry.getMetricsAsJSON()).map((m) => m.name), ...databaseGauges]);
  expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  expect(queried.size).toBeGreaterThanOrEqual(8);
});

test('vendor API labels keep the path and drop the ids', () => {
  expect(apiLabel('/cgi-bin/user/create')).toBe('/cgi-bin/user/create');
  expect(apiLabel('/open-apis/contact/v3/users/ou_7dab8a3d3cdcc9da365777c7ad535d62')).toBe('/open-apis/contact/v3/users/:id');
  expect(apiLabel('/open-apis/contact/v3/departments/od-4e6ac4d14bcd5071a37a39de902c7141/children')).toBe('/open-apis/contact/v3/departments/:id/children');
  expect(apiLabel('/scim/v2/Users/2819c223-7f76-453a-919d-413861904646')).toBe('/scim/v2/Users/:id');
  expect(apiLabel('/topapi/v2/user/get')).toBe('/topapi/v2/user/get');
  expect(apiLabel('/v1.0/oauth2/accessToken')).toBe('/v1.0/oauth2/accessToken');
  expect(apiLabel('/scim2/Users/u1')).toBe('/scim2/Users/:id');
});
