# Sourced by the provision-*.sh scripts: apt_install NAME PURPOSE PACKAGE... installs Debian packages
# the tests need. As root where apt-get exists (CI, the dev container) it installs them without
# starting their services (policy-rc.d); elsewhere it says what to install and returns 0, so an
# install never fails for it.
apt_install() {
  name=$1 purpose=$2
  shift 2
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    echo "$name: install $* (Debian: apt-get install $*) $purpose" >&2
    return 0
  fi
  policy=/usr/sbin/policy-rc.d
  created_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
  fi
  trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
  echo "$name: installed $(dpkg-query -W -f '${Package} ${Version}  ' "$@")" >&2
}
