#!/bin/sh
# Installs Debian's slapd and ldap-utils for the LDAP connector's tests and benchmark, when missing.
# The tests start their own unprivileged slapd from a temporary cn=config, never the package's service.
set -e
. "$(dirname "$0")/apt-install.sh"
if command -v slapadd >/dev/null 2>&1 || [ -x /usr/sbin/slapadd ]; then
  [ -x /usr/bin/ldapsearch ] && exit 0
fi
apt_install provision-slapd "to run the LDAP tests" slapd ldap-utils
