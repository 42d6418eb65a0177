#!/bin/sh
# Installs Debian's chromium and a CJK font (fonts-wqy-zenhei, so Chinese renders in screenshots)
# for the console's browser tests, when missing.
set -e
. "$(dirname "$0")/apt-install.sh"
have_browser() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }
have_font() { [ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; }
if have_browser && have_font; then exit 0; fi
apt_install provision-chromium "to run the console's browser tests" chromium fonts-wqy-zenhei
