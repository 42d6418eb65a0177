#!/usr/bin/env node
// Puts `scim2-server` (a third-party SCIM 2.0 service provider, PyPI) into .tools/ for the SCIM
// client's tests: the same per-user cached venv as provision-temporal.js, pinned to one version.
// test/support/scim-server.ts finds it in .tools/ or, failing that, straight in the cache.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SCIM2_SERVER = '0.8.3';
const BINARY = 'scim2-server';

const root = path.resolve(__dirname, '..');
const toolsDir = process.env.SYNC_CENTER_TOOLS_DIR || path.join(root, '.tools');
const cacheRoot = process.env.SYNC_CENTER_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'sync-center');
const venv = path.join(cacheRoot, `scim2-server-${SCIM2_SERVER}`);

/** Where the cached binary lives (also read by the tests). */
function cachedBinary() {
  return path.join(venv, 'bin', BINARY);
}

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
    console.warn('[sync-center] python3 with venv not found: scim2-server not provisioned; the SCIM client tests against it will fail.');
    return false;
  }
  console.log(`[sync-center] installing scim2-server ${SCIM2_SERVER} into ${venv}`);
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = `${venv}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  execFileSync(python, ['-m', 'venv', tmp], { stdio: 'inherit' });
  execFileSync(path.join(tmp, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `scim2-server==${SCIM2_SERVER}`], { stdio: 'inherit' });
  // Rename only when complete, so an interrupted install is never mistaken for a cached one. The
  // venv's scripts name their interpreter by absolute path, so rewrite the shebangs after the move.
  fs.rmSync(venv, { recursive: true, force: true });
  fs.renameSync(tmp, venv);
  const bin = path.join(venv, 'bin');
  for (const name of fs.readdirSync(bin)) {
    const file = path.join(bin, name);
    if (!fs.statSync(file).isFile()) continue;
    const text = fs.readFileSync(file, 'utf8');
    if (text.startsWith(`#!${tmp}`)) fs.writeFileSync(file, text.split(tmp).join(venv));
  }
  return true;
}

function main() {
  if (!have(cachedBinary()) && !install()) return;
  fs.mkdirSync(toolsDir, { recursive: true });
  const link = path.join(toolsDir, BINARY);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(cachedBinary(), link);
  console.log(`[sync-center] scim2-server ${SCIM2_SERVER} ready in ${toolsDir}`);
}

module.exports = { SCIM2_SERVER, cachedBinary };

if (require.main === module) {
  try {
    main();
  } catch (err) {
    // Never fail `npm install` for this: only the SCIM client's tests need it.
    console.warn(`[sync-center] could not provision scim2-server: ${err.message}`);
  }
}
