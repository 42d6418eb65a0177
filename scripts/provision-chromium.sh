#!/bin/sh
# Installs Debian's chromium and a CJK font (fonts-wqy-zenhei, so Chinese renders in screenshots)
# for the console's browser tests, when missing. Runs as root where apt-get exists (CI, the dev
# container); elsewhere it says what to install and exits 0, so it never fails an install.
set -e
have_browser() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }
have_font() { [ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; }
if have_browser && have_font; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "provision-chromium: install chromium and fonts-wqy-zenhei (Debian: apt-get install chromium fonts-wqy-zenhei) to run the console's browser tests" >&2
  exit 0
fi
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-wqy-zenhei >/dev/null
echo "provision-chromium: installed chromium $(dpkg-query -W -f '${Version}' chromium)" >&2
