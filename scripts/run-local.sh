#!/usr/bin/env bash
# The README's quick start: installs redis-server and valkey-server if they are
# missing, starts one of each on loopback (ports 6379 and 6380, data in a temp
# dir), and runs the ecbench daemon against both with examples/local.yaml.
# Ctrl-C stops everything it started. Override the ports with REDIS_PORT and
# VALKEY_PORT, the metrics address with ECBENCH_LISTEN.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

redis_port=${REDIS_PORT:-6379}
valkey_port=${VALKEY_PORT:-6380}
listen=${ECBENCH_LISTEN:-127.0.0.1:9478}
for p in "$redis_port" "$valkey_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "run-local: port $p on 127.0.0.1 is already in use; stop what listens there or set REDIS_PORT / VALKEY_PORT" >&2
    exit 1
  fi
done

data=$(mktemp -d -t ecbench-local.XXXXXX)
servers=()
daemon=""
# Children run in their own sessions (setsid) so a Ctrl-C reaches only this
# script, which then stops the daemon first (one signal: a graceful stop with a
# final summary) and the servers after it.
stop_all() {
  trap - INT TERM EXIT
  if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
    kill -INT "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  [ "${#servers[@]}" -gt 0 ] && kill "${servers[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start_server() { # engine port
  mkdir -p "$data/$1"
  setsid "$1-server" --bind 127.0.0.1 --port "$2" --dir "$data/$1" --save "" --appendonly no \
    --logfile "$data/$1/server.log" &
  servers+=($!)
}
start_server redis "$redis_port"
start_server valkey "$valkey_port"

mkdir -p bin
go build -o bin/ecbench ./cmd/ecbench
echo "ecbench: redis on 127.0.0.1:$redis_port, valkey on 127.0.0.1:$valkey_port (data in $data)"
echo "ecbench: metrics at http://$listen/metrics  (Ctrl-C stops everything)"
ECBENCH_TARGETS_0_ADDRS="127.0.0.1:$redis_port" ECBENCH_TARGETS_1_ADDRS="127.0.0.1:$valkey_port" \
  setsid bin/ecbench run --config examples/local.yaml --listen "$listen" --log-format console &
daemon=$!
wait "$daemon" || status=$?
daemon=""
exit "${status:-0}"
