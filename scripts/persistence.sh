#!/usr/bin/env bash
# The persistence-impact procedure, locally: starts four servers of ENGINE
# (redis or valkey; default valkey) on free loopback ports — persistence off,
# RDB (a snapshot whenever 1000 keys changed in 10 s, so several happen
# during a run), AOF with appendfsync everysec, AOF with appendfsync always —
# and runs `ecbench bench --config examples/persistence.yaml` three times,
# each setting against "off", then prints each comparison. Results go to
# results/persistence-<time>/<setting>/. DURATION overrides the measured time.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
engine=${ENGINE:-valkey}
duration=${DURATION:-30s}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=results/persistence-$stamp
dir=$(mktemp -d -t ecbench-persistence.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
declare -A port
start() { # name, server flags...
  local name=$1; shift
  port[$name]=$(free_port)
  mkdir -p "$dir/$name"
  "$engine-server" --bind 127.0.0.1 --port "${port[$name]}" --dir "$dir/$name" --logfile "$dir/$name/server.log" "$@" &
  pids+=($!)
}
start off --save "" --appendonly no
start rdb --save "10 1000" --appendonly no
start aof-everysec --save "" --appendonly yes --appendfsync everysec
start aof-always --save "" --appendonly yes --appendfsync always
sleep 0.5

mkdir -p bin "$out"
go build -o bin/ecbench ./cmd/ecbench
for setting in rdb aof-everysec aof-always; do
  echo "== $engine: $setting against off"
  ECBENCH_TARGETS_0_ADDRS="127.0.0.1:${port[off]}" ECBENCH_TARGETS_1_ADDRS="127.0.0.1:${port[$setting]}" \
  ECBENCH_TARGETS_1_NAME="$setting" ECBENCH_BENCH_RESULTS="$out/$setting" \
    bin/ecbench bench --config examples/persistence.yaml --duration "$duration" >/dev/null
done
for setting in rdb aof-everysec aof-always; do
  echo; echo "== $engine: $setting / off"
  bin/ecbench compare "$out/$setting"/*
done
echo; echo "results: $out"
