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
// Written last: a venv without it is an interrupted install. (The venv is built in place, not renamed:
// its scripts' shebangs name its own python.)
const marker = path.join(venv, '.complete');

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
  if (have(binary) && fs.existsSync(marker)) return;
  const python = findPython();
  if (!python) {
    console.warn('[sync-center] python3 with venv not found: the SCIM compliance checker is not provisioned.');
    return;
  }
  console.log(`[sync-center] installing scim2-cli ${SCIM2_CLI} into ${venv}`);
  fs.mkdirSync(cacheRoot, { recursive: true });
  fs.rmSync(venv, { recursive: true, force: true });
  execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `scim2-cli==${SCIM2_CLI}`], { stdio: 'inherit' });
  fs.writeFileSync(marker, `scim2-cli ${SCIM2_CLI}\n`);
}

try {
  main();
} catch (err) {
  // Never fail `npm install` for this: only the compliance suite needs it, and it says so.
  console.warn(`[sync-center] could not provision scim2-cli: ${err.message}`);
}

module.exports = { scimCliBinary: binary, scimCliReady: () => have(binary) && fs.existsSync(marker) };
