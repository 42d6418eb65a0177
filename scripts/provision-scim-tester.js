#!/usr/bin/env node
// Installs the SCIM compliance checker (`scim2-tester` through its CLI `scim2-cli`, from PyPI) into a
// venv cached per user, like scripts/provision-temporal.js does for Temporal. The jest suite
// api/scim/compliance.test.ts runs `<venv>/bin/scim … test` against the real API.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SCIM2_CLI = '0.6.0';

const cacheRoot = process.env.SYNC_CENTER_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'sync-center');
const venv = path.join(cacheRoot, `scim2-cli-${SCIM2_CLI}`);
const binary = path.join(venv, 'bin', 'scim');

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

function main() {
  if (have(binary)) return;
  const python = findPython();
  if (!python) {
    console.warn('[sync-center] python3 with venv not found: the SCIM compliance checker is not provisioned.');
    return;
  }
  console.log(`[sync-center] installing scim2-cli ${SCIM2_CLI} into ${venv}`);
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = `${venv}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  execFileSync(python, ['-m', 'venv', tmp], { stdio: 'inherit' });
  execFileSync(path.join(tmp, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `scim2-cli==${SCIM2_CLI}`], { stdio: 'inherit' });
  // Rename only when complete, so an interrupted install is never mistaken for a cached one.
  fs.rmSync(venv, { recursive: true, force: true });
  fs.renameSync(tmp, venv);
}

try {
  main();
} catch (err) {
  // Never fail `npm install` for this: only the compliance suite needs it, and it says so.
  console.warn(`[sync-center] could not provision scim2-cli: ${err.message}`);
}

module.exports = { scimCliBinary: binary };
