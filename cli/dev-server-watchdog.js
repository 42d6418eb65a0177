#!/usr/bin/env node
// Runs the Temporal dev server for `sync-center start` (cli/temporal-dev-server.ts) and makes it
// die with `start`, however `start` ends. Node has no PR_SET_PDEATHSIG, so `start` holds this
// process's stdin pipe instead: the kernel closes that pipe when `start` exits for any reason,
// SIGKILL included, and the watchdog then stops the server. It also polls its parent pid, should
// the pipe's other end ever outlive `start`. Plain JavaScript, no tsx: it is up in milliseconds.
// `start` spawns it as a process-group leader and the server stays in its group, so killing the
// group (what `start` does on exit) takes both. Only a SIGKILL of this watchdog alone, between its
// polls, could orphan the server.
//   node dev-server-watchdog.js <temporal executable> <args…>; fd 3 receives the server's pid.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const [executable, ...args] = process.argv.slice(2);
const parentPid = process.ppid;
const server = spawn(executable, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;

function stop() {
  if (stopping) return;
  stopping = true;
  server.kill('SIGTERM');
  // Nobody waits for a server whose `start` is gone: a stuck shutdown is cut short.
  setTimeout(() => server.kill('SIGKILL'), 3000).unref();
}

server.once('spawn', () => {
  try {
    fs.writeSync(3, `${server.pid}\n`);
  } catch {
    stop(); // `start` is already gone
  }
});
server.once('error', (err) => {
  process.stderr.write(`cannot run ${executable}: ${err.message}\n`);
  process.exit(127);
});
server.once('exit', (code, signal) => process.exit(code ?? (signal === 'SIGTERM' ? 0 : 1)));

process.stdin.on('data', () => undefined);
process.stdin.once('end', stop);
process.stdin.once('error', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('SIGHUP', stop);
setInterval(() => {
  if (process.ppid !== parentPid) stop();
}, 500).unref();
