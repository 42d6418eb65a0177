#!/usr/bin/env node
// Builds the web console (console/) into console/dist with Vite. `npm install` runs it (postinstall);
// `npm start` and `npm run demo` run it with --if-stale, which builds only when a source is newer
// than the bundle (or there is none). The bundle is never committed.
// Where console/ is absent (the Docker image installs with only scripts/ copied) it says so and exits 0.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'console');
const bundle = path.join(root, 'dist', 'index.html');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

async function main() {
  if (!fs.existsSync(path.join(root, 'vite.config.ts'))) {
    console.error('build-console: no console/ sources here; skipped (run `npm run build:console` where they are)');
    return;
  }
  if (process.argv.includes('--if-stale') && fs.existsSync(bundle)) {
    const lock = path.join(__dirname, '..', 'package-lock.json');
    const sources = Math.max(newestSource(root), fs.existsSync(lock) ? fs.statSync(lock).mtimeMs : 0);
    if (fs.statSync(bundle).mtimeMs >= sources) return;
  }
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'vite.config.ts'), root, logLevel: 'warn' });
  console.error(`build-console: built console/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(`build-console: ${err instanceof Error ? err.stack || err.message : String(err)}`);
  process.exit(1);
});
