#!/usr/bin/env bash
# Installs the servers ecbench's run and test commands need, only where missing:
# redis-server (Debian), valkey-server (Debian bookworm-backports),
# prometheus/promtool (Debian), gcc for `go test -race` (cgo), and
# systemd-analyze (Debian's systemd package) to verify the service unit, and
# chromium (Debian) for the headless-browser test of the HTML report.
# Idempotent; needs root or sudo for apt only when something is missing.
set -euo pipefail

want=()
command -v redis-server >/dev/null || want+=(redis-server)
command -v prometheus >/dev/null && command -v promtool >/dev/null || want+=(prometheus)
command -v gcc >/dev/null || want+=(gcc libc6-dev)
command -v systemd-analyze >/dev/null || want+=(systemd) # verifies deploy/systemd/ecbench.service
command -v chromium >/dev/null || want+=(chromium) # report/browser_test.go renders the HTML report
need_valkey=0
command -v valkey-server >/dev/null && command -v valkey-benchmark >/dev/null || need_valkey=1 # valkey-benchmark: make perf
[ "${#want[@]}" -eq 0 ] && [ "$need_valkey" -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${want[*]} valkey-server" >&2; exit 1; }
  sudo="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
if [ "$need_valkey" -eq 1 ] && [ "$codename" = "bookworm" ] &&
   ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $sudo tee /etc/apt/sources.list.d/ecbench-backports.list >/dev/null
fi
$sudo apt-get update -qq
if [ "${#want[@]}" -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
if [ "$need_valkey" -eq 1 ]; then
  if [ "$codename" = "bookworm" ]; then
    $sudo apt-get install -y -qq --no-install-recommends -t bookworm-backports valkey-server valkey-tools >/dev/null
  else
    $sudo apt-get install -y -qq --no-install-recommends valkey-server valkey-tools >/dev/null
  fi
fi
# The Debian packages start system services on the default ports, which the
# quick start needs for its own servers. Stop only the services of packages
# installed just now: a server that was already there is left alone.
installed=()
for p in "${want[@]}"; do case "$p" in redis-server | prometheus) installed+=("$p") ;; esac; done
[ "$need_valkey" -eq 1 ] && installed+=(valkey-server)
if [ "${#installed[@]}" -gt 0 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  for svc in "${installed[@]}"; do $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true; done
fi
command -v redis-server valkey-server promtool prometheus gcc systemd-analyze chromium >/dev/null
