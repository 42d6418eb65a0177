// Issue 17: `npm run bench -- downstream` printed its table and then died of an unhandled
// "Channel has been shut down": a progress query still in flight (or in its retry back-off) when
// the worker stopped and the connection closed. The benchmark must end with exit code 0 and nothing
// unhandled, in process (PGlite) and with worker processes on Postgres.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { RunPhase } from '../workflows/definitions';
import { watchPhases } from './downstream';

jest.setTimeout(600_000);

const root = path.join(__dirname, '..');

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'run.ts'), ...args], { cwd: root, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const unhandled = /Channel has been shut down|Unhandled|unhandled|ERR_UNHANDLED_REJECTION|cleanup failed/;

test('the downstream benchmark (worker in process, PGlite) exits 0 after its table, nothing unhandled', async () => {
  const { code, stdout, stderr } = await runBench(['downstream', '--users', '200']);
  expect(stderr).not.toMatch(unhandled);
  expect(stdout).toMatch(/status succeeded/);
  expect(stdout).toMatch(/\| 200 \| in process \|/);
  expect(code).toBe(0);
});

test('the downstream benchmark with two worker processes on Postgres exits 0, every worker reporting its peak RSS', async () => {
  const { code, stdout, stderr } = await runBench(['downstream', '--users', '200', '--postgres', '--workers', '2']);
  expect(stderr).not.toMatch(unhandled);
  expect(stdout).toMatch(/status succeeded/);
  expect(stdout).toMatch(/rate-limit refusals: 0/);
  expect(stdout).toMatch(/peak RSS per worker process \(MB\): \d+, \d+/);
  expect(code).toBe(0);
});

test('--workers above 1 without --postgres is refused, naming the option', async () => {
  const { code, stderr } = await runBench(['downstream', '--users', '10', '--workers', '2']);
  expect(stderr).toMatch(/--workers: .*--postgres/);
  expect(code).toBe(1);
});

// The cause, deterministically: the old stop() only set a flag, so a query sent just before the run
// ended was still waiting when the worker stopped and the connection closed; it then failed,
// went into the client's retry back-off, and the retry threw on the closed channel.
test('watchPhases: stop() settles only once the query in flight has answered, and no query starts after it', async () => {
  let calls = 0;
  let answer: ((value: { phase: RunPhase }) => void) | undefined;
  const query = () => {
    calls += 1;
    return new Promise<{ phase: RunPhase }>((resolve) => (answer = resolve));
  };
  const clock = watchPhases(query, 0);
  await new Promise((resolve) => setImmediate(resolve));
  expect(calls).toBe(1);
  let stopped = false;
  const stopping = Promise.resolve(clock.stop()).then(() => (stopped = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(stopped).toBe(false);
  answer?.({ phase: 'done' });
  await stopping;
  expect(clock.seen.done).toBeDefined();
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(calls).toBe(1);
});
