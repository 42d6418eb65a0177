// docker-compose.yml, the production shape (issues 11 and 18). There is no Docker engine where the
// tests run, so this checks the file itself: Temporal on maintained, pinned images, started in the
// order Temporal's server samples use, and its frontend and Web UI published on loopback only
// (whoever reaches them can signal workflows, e.g. an approval under any name, bypassing the API's roles).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: unknown;
  ports?: (string | { published?: string | number; host_ip?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  secrets?: (string | { source: string; target?: string })[];
}

const compose = parse(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; secrets?: Record<string, { environment?: string; file?: string }> };
const services = compose.services;

/** service → { dependency: condition }; the short list form means service_started. */
function dependsOn(name: string): Record<string, string> {
  const deps = services[name]?.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

/** Every service the named one waits for, directly or not. */
function upstreamOf(name: string, seen = new Set<string>()): Set<string> {
  for (const dep of Object.keys(dependsOn(name))) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    upstreamOf(dep, seen);
  }
  return seen;
}

const commandText = (service: Service) => [service.entrypoint, service.command].flat().filter(Boolean).join('\n');

test('the services of the production shape, and no deprecated auto-setup image', () => {
  expect(Object.keys(services).sort()).toEqual(['api', 'postgresql', 'prometheus', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker']);
  for (const service of Object.values(services)) expect(service.image ?? '').not.toMatch(/auto-setup/);
  expect(services.temporal.image).toMatch(/^temporalio\/server:/);
  expect(services['temporal-schema'].image).toMatch(/^temporalio\/admin-tools:/);
  expect(services['temporal-namespace'].image).toMatch(/^temporalio\/admin-tools:/);
  expect(services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
});

test('every image from a registry is pinned to an exact version', () => {
  for (const [name, service] of Object.entries(services)) {
    if (service.build) continue; // the app, built from this repo
    expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:v?\d+(\.\d+)+$/) });
  }
  // Temporal's server and its admin tools move together: the schema tool must match the server.
  expect(services['temporal-schema'].image!.split(':')[1]).toBe(services.temporal.image!.split(':')[1]);
  expect(services['temporal-namespace'].image!.split(':')[1]).toBe(services.temporal.image!.split(':')[1]);
});

test('start-up order: Postgres healthy → schema set up → server healthy → namespace registered → API and worker', () => {
  expect(dependsOn('temporal-schema')).toEqual({ postgresql: 'service_healthy' });
  expect(dependsOn('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
  expect(dependsOn('temporal-namespace')).toEqual({ temporal: 'service_healthy' });
  expect(dependsOn('temporal-ui')).toEqual({ temporal: 'service_healthy' });
  expect(dependsOn('api')).toEqual({ postgresql: 'service_healthy', 'temporal-namespace': 'service_completed_successfully' });
  expect(dependsOn('worker')).toEqual({ api: 'service_healthy', 'temporal-namespace': 'service_completed_successfully' });
  for (const app of ['api', 'worker']) expect([...upstreamOf(app)]).toEqual(expect.arrayContaining(['postgresql', 'temporal-schema', 'temporal', 'temporal-namespace']));
  // A healthy condition needs a healthcheck to be met at all.
  for (const name of ['postgresql', 'temporal', 'api']) expect(services[name]).toHaveProperty('healthcheck.test');
});

test('the schema step sets up and updates both Temporal databases on Postgres; the namespace step registers the app’s namespace', () => {
  const schema = commandText(services['temporal-schema']);
  expect(schema).toMatch(/temporal-sql-tool --plugin postgres12/);
  for (const step of ['create', 'setup-schema -v 0.0', 'update-schema -d /etc/temporal/schema/postgresql/v12/$$schema/versioned']) expect(schema).toContain(`$$sql ${step}`);
  expect(schema).toContain('for db in temporal temporal_visibility');
  const namespace = commandText(services['temporal-namespace']);
  expect(namespace).toMatch(/temporal operator namespace describe -n default .*\|\| temporal operator namespace create -n default/);
});

test('Temporal (7233) and its Web UI (8233) are bound to 127.0.0.1 only; the setup steps publish nothing', () => {
  expect(services.temporal.ports).toEqual(['127.0.0.1:7233:7233']);
  expect(services['temporal-ui'].ports).toEqual(['127.0.0.1:8233:8080']);
  for (const name of ['temporal-schema', 'temporal-namespace', 'postgresql']) expect(services[name].ports).toBeUndefined();
  for (const [name, service] of Object.entries(services)) {
    if (!name.startsWith('temporal')) continue;
    for (const port of service.ports ?? []) expect(typeof port === 'string' ? port : port.host_ip).toMatch(/^127\.0\.0\.1(:|$)/);
  }
});

test('Prometheus scrapes the API, every worker and their Temporal SDK metrics, and is published on loopback only', () => {
  const prometheus = services.prometheus;
  expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
  expect(prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
  expect(prometheus.volumes).toContain('./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  const worker = services.worker.environment ?? {};
  expect(String(worker.SYNC_CENTER_WORKER_METRICS_PORT)).toBe('9465');
  expect(worker.SYNC_CENTER_TEMPORAL_METRICS_ADDRESS).toBe('0.0.0.0:9464');
  expect(services.worker.ports).toBeUndefined();
  const config = parse(readFileSync(join(__dirname, '..', 'deploy', 'prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path?: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
  };
  const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j]));
  expect(jobs['sync-center-api']).toMatchObject({ metrics_path: '/metrics', static_configs: [{ targets: ['api:3000'] }] });
  expect(jobs['sync-center-worker'].dns_sd_configs).toEqual([{ names: ['worker'], type: 'A', port: 9465 }]);
  expect(jobs['temporal-sdk'].dns_sd_configs).toEqual([{ names: ['worker'], type: 'A', port: 9464 }]);
});

test('the API and workers require the metrics token, and Prometheus sends it from the compose secret', () => {
  // Required (compose refuses to start without it), given to both app services.
  const raw = readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8');
  expect(raw).toMatch(/SYNC_CENTER_METRICS_TOKEN: \$\{SYNC_CENTER_METRICS_TOKEN:\?/);
  for (const app of ['api', 'worker']) expect(String(services[app].environment?.SYNC_CENTER_METRICS_TOKEN)).toMatch(/^\$\{SYNC_CENTER_METRICS_TOKEN:\?/);
  expect(compose.secrets?.['metrics-token']).toEqual({ environment: 'SYNC_CENTER_METRICS_TOKEN' });
  expect(services.prometheus.secrets).toEqual(['metrics-token']);
  const config = parse(readFileSync(join(__dirname, '..', 'deploy', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; authorization?: { type?: string; credentials_file?: string } }[] };
  const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j]));
  for (const job of ['sync-center-api', 'sync-center-worker']) expect(jobs[job].authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/metrics-token' });
});
