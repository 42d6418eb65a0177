#!/usr/bin/env node
// Installs `aiosmtpd` (a real SMTP server, PyPI) into a venv cached per user (scripts/pypi-venv.js)
// for the email-notification tests: test/support/smtp-server.ts starts it on a free port.
'use strict';
const { pypiVenv } = require('./pypi-venv');

const AIOSMTPD = '1.4.6';

const smtpServer = pypiVenv({ name: `aiosmtpd-${AIOSMTPD}`, label: `aiosmtpd ${AIOSMTPD}`, packages: [`aiosmtpd==${AIOSMTPD}`], binaries: ['aiosmtpd', 'python'] });

if (require.main === module) smtpServer.provision();

module.exports = { AIOSMTPD, aiosmtpdPython: smtpServer.binary('python'), aiosmtpdReady: smtpServer.ready };
