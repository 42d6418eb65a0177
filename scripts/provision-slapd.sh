#!/bin/sh
# Installs Debian's slapd and ldap-utils for the LDAP connector's tests and benchmark, when missing.
# Runs as root where apt-get exists (CI, the dev container); elsewhere it says what to install and
# exits 0, so `npm install` never fails for it. The package's own slapd service is not started
# (policy-rc.d): the tests start their own unprivileged slapd from a temporary cn=config.
set -e
if command -v slapadd >/dev/null 2>&1 || [ -x /usr/sbin/slapadd ]; then
  [ -x /usr/bin/ldapsearch ] && exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "provision-slapd: install slapd and ldap-utils (Debian: apt-get install slapd ldap-utils) to run the LDAP tests" >&2
  exit 0
fi
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slapd ldap-utils >/dev/null
echo "provision-slapd: installed slapd $(dpkg-query -W -f '${Version}' slapd)" >&2
