#!/usr/bin/env node
// The package `bin`: runs the TypeScript CLI through tsx's hooks, in this very process, so
// Ctrl-C and SIGTERM reach it directly (no wrapper process in between). Both hooks: require()
// for the static imports, the ESM one for the lazy `import()` of commands and fakes.
'use strict';
require('tsx/cjs');
require('tsx/esm/api').register();
require('./main.ts').runCli(process.argv.slice(2));
