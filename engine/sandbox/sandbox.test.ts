// The sandbox itself, with the save-time checks bypassed: prototype-chain payloads of the JSONata
// advisories reach neither the process's environment nor child_process, and the memory budget holds.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createExpressionSandbox, type ExpressionSandbox } from './pool';
import { probeRealm } from './realm';

const secret = `secret-key-${process.pid}-${Date.now()}`;
const marker = path.join(os.tmpdir(), `sync-center-pwned-${process.pid}`);
const label = 'fieldMapping.0.expression';

// Shapes of the published proofs of concept (GHSA-8gq3-vp5j-2grp, GHSA-2943-5xfg-gq5f, and the
// $clone / $merge.* chain of GHSA-66mm-25pp-rfff), aimed at the secret key and at child_process.
const payloads = [
  `(__lookupSetter__('__proto__')(constructor); __defineGetter__('l', constructor("return process.env.SYNC_CENTER_SECRET_KEY")); valueOf().l)`,
  `(__lookupSetter__('__proto__')(constructor); __defineGetter__('l', constructor("return process.getBuiltinModule('child_process').execSync('touch ${marker}').toString()")); valueOf().l)`,
  `($hasOwnProperty := $spread($string); $__proto__ := $constructor; $constructor("return process.env.SYNC_CENTER_SECRET_KEY")())`,
  `($clone := function($o) { $o }; $m := ($merge.*)[1]; $f := $m.constructor; $f("return process.env.SYNC_CENTER_SECRET_KEY")())`,
  `$lookup($lookup($lookup($, "con" & "structor"), "con" & "structor")("return process.env.SYNC_CENTER_SECRET_KEY"), "x")`,
  `$string($.constructor.constructor("return process.env")())`,
  `$eval("$lowercase(name)")`,
];

describe('expression sandbox', () => {
  let sandbox: ExpressionSandbox;
  const previous = process.env.SYNC_CENTER_SECRET_KEY;
  beforeAll(() => {
    process.env.SYNC_CENTER_SECRET_KEY = secret;
    sandbox = createExpressionSandbox({ workers: 1 });
  });
  afterAll(async () => {
    await sandbox.close();
    if (previous === undefined) delete process.env.SYNC_CENTER_SECRET_KEY;
    else process.env.SYNC_CENTER_SECRET_KEY = previous;
    fs.rmSync(marker, { force: true });
  });

  it.each(payloads)('a prototype-chain payload reads no secret and runs no command: %s', async (payload) => {
    const rows = await sandbox.evaluate([{ text: payload, label }], [{ name: 'Alice', attributes: {} }]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
    // Refused, or a path that leads nowhere: nothing is produced either way.
    const row = rows[0];
    if (row.ok) expect(row.values.filter((value) => value !== undefined)).toEqual([]);
    else expect(row.message).toMatch(/^fieldMapping\.0\.expression failed: .+/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('evaluates ordinary expressions on plain data, and drops function values', async () => {
    const rows = await sandbox.evaluate(
      [{ text: '$lowercase(email)', label }, { text: '$keys(attributes)', label: 'fieldMapping.1.expression' }, { text: 'function($x) { $x }', label: 'fieldMapping.2.expression' }],
      [{ email: 'A@B.example', attributes: { level: 3, constructor: 'x' } }],
    );
    expect(rows).toEqual([{ ok: true, values: ['a@b.example', ['level', 'constructor'], undefined] }]);
  });

  it('the realm has no process, no code generation from strings and no prototype accessors', () => {
    expect(probeRealm('typeof process')).toBe('undefined');
    expect(probeRealm('typeof require')).toBe('undefined');
    expect(probeRealm('(function () {}).constructor')).toBeUndefined();
    expect(probeRealm('Object.getPrototypeOf(async function () {}).constructor')).toBeUndefined();
    expect(probeRealm('({}).__proto__')).toBeUndefined();
    expect(probeRealm('typeof ({}).__lookupGetter__')).toBe('undefined');
    expect(() => probeRealm('Function("return 1")()')).toThrow(/Code generation from strings disallowed/);
  });

  it('an expression past the memory budget fails its item and the thread is replaced', async () => {
    const small = createExpressionSandbox({ workers: 1, budget: { memoryMb: 32, timeMs: 10_000 } });
    try {
      const rows = await small.evaluate([{ text: '$count($split($pad("", 10000000, "ab"), ""))', label }], [{ n: 1 }, { n: 2 }]);
      expect(rows[0]).toMatchObject({ ok: false, expression: 0, message: 'fieldMapping.0.expression exceeded its 32 MB memory budget' });
      const after = await small.evaluate([{ text: 'n * 2', label }], [{ n: 21 }]);
      expect(after).toEqual([{ ok: true, values: [42] }]);
    } finally {
      await small.close();
    }
  });

  it('refuses to evaluate when process-wide heap flags override the thread heap limit', () => {
    // V8 heap flags (--max-old-space-size, --max-semi-space-size, e.g. from NODE_OPTIONS) apply to
    // every isolate and win over a worker's resourceLimits: the budget above would silently not hold.
    const script = `
      const { createExpressionSandbox } = require(${JSON.stringify(path.join(__dirname, 'pool.ts'))});
      const sandbox = createExpressionSandbox({ workers: 1, budget: { memoryMb: 32 } });
      sandbox.evaluate([{ text: 'n * 2', label: 'fieldMapping.0.expression' }], [{ n: 21 }])
        .then((rows) => console.log(JSON.stringify({ rows })), (error) => console.log(JSON.stringify({ error: error.message })))
        .finally(() => sandbox.close());`;
    const run = (flags: string[]) => {
      const out = execFileSync(process.execPath, [...flags, '-r', 'tsx/cjs', '-e', script], { cwd: path.join(__dirname, '..', '..'), env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 30_000 });
      return JSON.parse(out.trim().split('\n').pop()!);
    };
    expect(run([])).toEqual({ rows: [{ ok: true, values: [42] }] });
    for (const flag of ['--max-old-space-size=2048', '--max-semi-space-size=64']) {
      const { error } = run([flag]);
      expect(error).toMatch(/^the expression sandbox cannot enforce its 32 MB memory budget: a thread's heap limit is \d+ MB/);
      expect(error).toMatch(/--max-old-space-size or --max-semi-space-size/);
    }
  });

  it('a value larger than the output limit fails its item', async () => {
    const rows = await sandbox.evaluate([{ text: '$pad("", 20000, "x")', label }], [{}]);
    expect(rows[0]).toMatchObject({ ok: false, expression: 0, message: 'fieldMapping.0.expression gave a value of 20002 characters; the limit is 16384' });
  });

  // What crosses back is parsed on the main thread: bounded per user across all expressions, in
  // characters, values and depth, so a small text cannot become a large heap.
  it('bounds what one user\'s values may hold across all expressions', async () => {
    const rows = await sandbox.evaluate(
      [
        { text: '$pad("", 9000, "x")', label },
        { text: '$pad("", 9000, "y")', label: 'fieldMapping.1.expression' },
      ],
      [{}],
    );
    expect(rows[0]).toMatchObject({ ok: false, expression: 1, message: "fieldMapping.1.expression brought this user's values to 18004 characters; the limit is 16384" });
    const many = await sandbox.evaluate([{ text: '$map([1..5400], function($v){{}})', label }], [{}]);
    expect(many[0]).toMatchObject({ ok: false, expression: 0, message: "fieldMapping.0.expression brought this user's values to 5401 items; the limit is 500" });
    const deep = await sandbox.evaluate([{ text: '($f := function($n) { $n = 0 ? 1 : {"a": $f($n - 1)} }; $f(40))', label }], [{}]);
    expect(deep[0]).toMatchObject({ ok: false, expression: 0, message: 'fieldMapping.0.expression gave a value nested 40 deep; the limit is 32' });
    const fine = await sandbox.evaluate([{ text: '{"groups": $map([1..300], function($v){ "g" & $v }), "level": {"a": {"b": 1}}}', label }], [{}]);
    expect(fine[0]).toMatchObject({ ok: true });
  });
});
