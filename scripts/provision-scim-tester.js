#!/usr/bin/env node
// Installs the SCIM compliance checker (`scim2-tester` through its CLI `scim2-cli`, from PyPI) into a
// venv cached per user (scripts/pypi-venv.js). The jest suite api/scim/compliance.test.ts runs
// `<venv>/bin/scim … test` against the real API.
'use strict';
const { pypiVenv } = require('./pypi-venv');

const SCIM2_CLI = '0.6.0';

const scimCli = pypiVenv({ name: `scim2-cli-${SCIM2_CLI}`, label: `scim2-cli ${SCIM2_CLI}`, packages: [`scim2-cli==${SCIM2_CLI}`], binaries: ['scim'] });

if (require.main === module) scimCli.provision();

module.exports = { scimCliBinary: scimCli.binary('scim'), scimCliReady: scimCli.ready };
