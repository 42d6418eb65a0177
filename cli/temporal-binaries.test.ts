import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli, findTemporalTestServer } from './temporal-binaries';

function makeExecutable(dir: string, name: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
  return file;
}

describe('Temporal binary lookup', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bin-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('prefers the explicit env path over PATH and .tools/', () => {
    const explicit = makeExecutable(path.join(root, 'explicit'), 'my-temporal');
    makeExecutable(path.join(root, 'bin'), 'temporal');
    makeExecutable(path.join(root, 'tools'), 'temporal');
    const env = { TEMPORAL_CLI_PATH: explicit, PATH: path.join(root, 'bin') };
    expect(findTemporalCli({ env, toolsDir: path.join(root, 'tools') })).toBe(explicit);
  });

  it('uses PATH before .tools/, skipping non-executable files', () => {
    fs.mkdirSync(path.join(root, 'first'));
    fs.writeFileSync(path.join(root, 'first', 'temporal-test-server'), '', { mode: 0o644 });
    const onPath = makeExecutable(path.join(root, 'second'), 'temporal-test-server');
    makeExecutable(path.join(root, 'tools'), 'temporal-test-server');
    const env = { PATH: [path.join(root, 'first'), path.join(root, 'second')].join(path.delimiter) };
    expect(findTemporalTestServer({ env, toolsDir: path.join(root, 'tools') })).toBe(onPath);
  });

  it('falls back to .tools/, then to undefined (the SDK download)', () => {
    const inTools = makeExecutable(path.join(root, 'tools'), 'temporal');
    const env = { PATH: path.join(root, 'empty') };
    expect(findTemporalCli({ env, toolsDir: path.join(root, 'tools') })).toBe(inTools);
    expect(findTemporalTestServer({ env, toolsDir: path.join(root, 'tools') })).toBeUndefined();
  });

  it('rejects an explicit path that is not executable, naming the variable', () => {
    const env = { TEMPORAL_TEST_SERVER_PATH: path.join(root, 'missing') };
    expect(() => findTemporalTestServer({ env, toolsDir: root })).toThrow(/TEMPORAL_TEST_SERVER_PATH/);
  });

  it('finds the binaries `npm install` provisioned in this clone', () => {
    expect(findTemporalCli({ env: { PATH: '' } })).toMatch(/\.tools\/temporal$/);
    expect(findTemporalTestServer({ env: { PATH: '' } })).toMatch(/\.tools\/temporal-test-server$/);
  });
});
