#!/bin/sh
# Installs Debian's prometheus (which brings promtool) for the scrape test of deploy/prometheus.yml,
# when missing. The test starts its own on a free loopback port with a temporary config, never the
# package's service.
set -e
. "$(dirname "$0")/apt-install.sh"
if [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; then exit 0; fi
apt_install provision-prometheus "to run the Prometheus scrape test" prometheus
