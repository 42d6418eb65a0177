// The scim-push benchmark's client in a process of its own (bench/scim-push.ts): in the API's
// process its HTTP client took CPU the server then lacked, and the figures measured both. The parent
// sends one phase at a time over IPC; the answer is its latencies, wall time and status counts.
// It speaks node:http with keep-alive connections, one per request in flight: fetch (undici) took
// about twice the CPU per request, which on this 2-core machine the API and Postgres then lacked.
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface ClientSetup {
  type: 'setup';
  base: string;
  token: string;
  users: number;
  lookups: number;
  concurrency: number;
}

export type PhaseName = 'post' | 'patch' | 'lookup' | 'racers';

export interface PhaseResult {
  type: 'phase';
  latencies: number[];
  wallMs: number;
  statuses: [number, number][];
  /** look-ups answering no user, another user, or a stale title */
  wrong: number;
  /** process.resourceUsage().maxRSS of this process, MB */
  peakRssMb: number;
  /** CPU time (user + system) this process spent in the phase, ms */
  cpuMs: number;
}

const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const userName = (i: number) => `bench.user.${i}@acme.test`;

function client(setup: ClientSetup) {
  const headers = { authorization: `Bearer ${setup.token}`, 'content-type': 'application/scim+json' };
  const ids: string[] = new Array<string>(setup.users);
  let wrong = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: setup.concurrency + 16 });
  const call = (method: string, path: string, body?: object): Promise<{ status: number; json: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const payload = body ? JSON.stringify(body) : undefined;
      const req = httpRequest(`${setup.base}${path}`, { method, agent, headers: payload ? { ...headers, 'content-length': Buffer.byteLength(payload) } : headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });

  /** `count` requests with `concurrency` in flight (`racers`: all at once). */
  async function run(count: number, concurrency: number, request: (i: number) => Promise<number>): Promise<PhaseResult> {
    wrong = 0;
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < count; i = next++) {
          const t = performance.now();
          const status = await request(i);
          latencies.push(performance.now() - t);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { type: 'phase', latencies, wallMs, statuses: [...statuses], wrong, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), cpuMs: (used.user + used.system) / 1000 };
  }

  const phases: Record<PhaseName, () => Promise<PhaseResult>> = {
    post: () =>
      run(setup.users, setup.concurrency, async (i) => {
        const res = await call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', enterprise], userName: userName(i), displayName: `User ${i}`, active: true, title: 'Staff', emails: [{ value: userName(i), type: 'work', primary: true }], [enterprise]: { employeeNumber: `B${i}` } });
        ids[i] = res.json.id as string;
        return res.status;
      }),
    patch: () => run(setup.users, setup.concurrency, async (i) => (await call('PATCH', `/Users/${ids[i]}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: `Title ${i}` }] })).status),
    lookup: () =>
      run(setup.lookups, setup.concurrency, async (i) => {
        const wanted = (i * 7919) % setup.users;
        const res = await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName(wanted).toUpperCase()}"`)}`);
        const found = res.json.Resources as { id: string; title: string }[];
        if (found.length !== 1 || found[0].id !== ids[wanted] || found[0].title !== `Title ${wanted}`) wrong++;
        return res.status;
      }),
    // 16 identical creates at once: one 201, fifteen 409s
    racers: () => run(16, 16, async () => (await call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'bench.racer', active: true })).status),
  };
  return phases;
}

if (process.send) {
  let phases: ReturnType<typeof client> | undefined;
  process.on('message', (message: ClientSetup | { type: 'run'; phase: PhaseName } | { type: 'exit' }) => {
    if (message.type === 'setup') phases = client(message);
    else if (message.type === 'exit') process.disconnect();
    else
      phases![message.phase]().then(
        (result) => process.send!(result),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  });
  process.send({ type: 'ready' });
}
