#!/usr/bin/env node
// Puts `scim2-server` (a third-party SCIM 2.0 service provider, PyPI) into .tools/ for the SCIM
// client's tests, from a venv cached per user (scripts/pypi-venv.js), pinned to one version.
// test/support/scim-server.ts finds it in .tools/ or, failing that, straight in the cache.
'use strict';
const { pypiVenv } = require('./pypi-venv');

const SCIM2_SERVER = '0.8.3';

const scimServer = pypiVenv({
  name: `scim2-server-${SCIM2_SERVER}`,
  label: `scim2-server ${SCIM2_SERVER}`,
  packages: [`scim2-server==${SCIM2_SERVER}`],
  binaries: ['scim2-server'],
  trustUnmarked: true,
});

/** Where the cached binary lives (also read by the tests). */
const cachedBinary = () => scimServer.binary('scim2-server');

if (require.main === module) scimServer.provision({ link: true });

module.exports = { SCIM2_SERVER, cachedBinary };
