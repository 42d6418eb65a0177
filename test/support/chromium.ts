// Debian's Chromium for the console's browser tests, driven by playwright-core (which ships no
// browser). Where chromium or the CJK font is missing, scripts/provision-chromium.sh installs them
// (apt-get, as root) first, as test/support/slapd.ts does for slapd.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { provision } from './system-binaries';

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const cjkFont = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';

export function chromiumPath(): string {
  let found = candidates.find((p) => existsSync(p));
  if (!found || !existsSync(cjkFont)) {
    provision('chromium');
    found = candidates.find((p) => existsSync(p));
  }
  if (!found) throw new Error('chromium is not installed and could not be installed: apt-get install chromium fonts-wqy-zenhei');
  return found;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI and the dev container run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
