#!/usr/bin/env bash
# One install command for a fresh machine (Debian 12, root or sudo): the Debian packages
# the test servers and the demo need, then this package with its dev extras. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

mapfile -t wanted < <(grep -v '^\s*#' deploy/debian-packages.txt | awk 'NF {print $1}')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Packaged daemons must not start on install: tests and the demo start their own.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  $SUDO rm -f /usr/sbin/policy-rc.d
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".[dev]"
echo "setup: done ($("$PYTHON" -m pytest --version 2>&1 | head -1); readiness $("$PYTHON" -c 'import importlib.metadata as m; print(m.version("readiness"))'))"
