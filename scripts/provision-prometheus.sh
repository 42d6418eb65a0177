#!/bin/sh
# Installs Debian's prometheus (which brings promtool) for the scrape test of deploy/prometheus.yml,
# when missing. Runs as root where apt-get exists (CI, the dev container); elsewhere it says what to
# install and exits 0, so it never fails an install. The package's own prometheus service is not
# started (policy-rc.d): the test starts its own on a free loopback port with a temporary config.
set -e
if [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "provision-prometheus: install prometheus (Debian: apt-get install prometheus) to run the Prometheus scrape test" >&2
  exit 0
fi
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null
echo "provision-prometheus: installed prometheus $(dpkg-query -W -f '${Version}' prometheus)" >&2
