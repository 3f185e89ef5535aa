#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests, the edge-function tests, the page validator
# (java runs the Nu Html Checker that npm installs) and the benchmarks use, when missing.
set -euo pipefail
need=()
command -v newsboat >/dev/null || need+=(newsboat)
command -v chromium >/dev/null || need+=(chromium)
command -v hugo >/dev/null || need+=(hugo)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v java >/dev/null || need+=(default-jre-headless)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
