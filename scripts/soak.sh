#!/usr/bin/env bash
# Soak check: runs the daemon against local redis-server and valkey-server
# with every workload type and both probes for DURATION (default 10m),
# samples ecbench's RSS, goroutines and open file descriptors from /metrics
# every 10 s, and fails if, after warm-up (a fifth of the run, at most 2m),
# any of them grew by more than 5% (mean of the last three samples against
# the mean of the first three after warm-up). Writes a Markdown table to
# SOAK_OUT (default soak-results.md). Cleans up everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

duration=${DURATION:-10m}
out=${SOAK_OUT:-soak-results.md}
secs=600
case "$duration" in *s) secs=${duration%s} ;; *m) secs=$(( ${duration%m} * 60 )) ;; *h) secs=$(( ${duration%h} * 3600 )) ;; esac
warmup=$(( secs / 5 < 120 ? secs / 5 : 120 ))
interval=10

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
redis_port=$(free_port); valkey_port=$(free_port); metrics_port=$(free_port)
dir=$(mktemp -d -t ecbench-soak.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

for e in redis valkey; do
  port=$redis_port; [ "$e" = valkey ] && port=$valkey_port
  mkdir -p "$dir/$e"
  "$e-server" --bind 127.0.0.1 --port "$port" --dir "$dir/$e" --save "" --appendonly no --logfile "$dir/$e/server.log" &
  pids+=($!)
done

cat > "$dir/ecbench.yaml" <<YAML
listen: 127.0.0.1:$metrics_port
summary_interval: 60s
targets:
  - {name: redis, engine: redis, addrs: ["127.0.0.1:$redis_port"]}
  - {name: valkey, engine: valkey, addrs: ["127.0.0.1:$valkey_port"]}
probes:
  availability: {enabled: true}
  integrity: {enabled: true, verify_delay: 5s}
workloads:
  - {name: kv, keys: {count: 100000, distribution: zipfian}, values: {min_size: 16, max_size: 1024},
     ops: {get: 60, set: 20, set_ttl: 5, mget: 5, incr: 5, del: 5}, rate: {type: sine, mean: 1000, amplitude: 500, period: 1m}}
  - {name: list, type: list, keys: {count: 1000}, rate: {type: constant, rate: 300}}
  - {name: hash, type: hash, keys: {count: 1000}, rate: {type: burst, base: 200, peak: 800, period: 30s, length: 5s}}
  - {name: set, type: set, keys: {count: 1000}, rate: {type: constant, rate: 300}}
  - {name: zset, type: zset, keys: {count: 1000}, pipeline: 4, rate: {type: constant, rate: 100}}
YAML

mkdir -p bin
go build -o bin/ecbench ./cmd/ecbench
bin/ecbench run --config "$dir/ecbench.yaml" --log-level warn 2> "$dir/ecbench.log" &
daemon=$!
pids=("$daemon" "${pids[@]}")

metric() { # name -> value from /metrics
  curl -fsS "http://127.0.0.1:$metrics_port/metrics" | awk -v n="$1" '$1 == n {v = $2} END {print v}'
}
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$metrics_port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

echo "soak: $duration against redis :$redis_port and valkey :$valkey_port; warm-up ${warmup}s; sampling every ${interval}s"
samples="$dir/samples.tsv"
start=$(date +%s)
while :; do
  now=$(date +%s); t=$(( now - start ))
  [ "$t" -gt "$secs" ] && break
  kill -0 "$daemon" 2>/dev/null || { echo "soak: ecbench exited early:"; tail -20 "$dir/ecbench.log"; exit 1; }
  printf '%s\t%s\t%s\t%s\n' "$t" "$(metric process_resident_memory_bytes)" "$(metric go_goroutines)" "$(metric process_open_fds)" >> "$samples"
  sleep "$interval"
done

kill -INT "$daemon"; wait "$daemon" || true
pids=("${pids[@]:1}")

python3 - "$samples" "$warmup" "$duration" "$out" <<'PY'
import sys
path, warmup, duration, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
after = [r for r in rows if r[0] >= warmup]
if len(after) < 6:
    sys.exit(f"soak: only {len(after)} samples after warm-up; run longer")
names = ["RSS (MiB)", "goroutines", "open fds"]
lines = [f"# Soak: {duration}, {len(rows)} samples, warm-up {warmup}s", "",
         "| quantity | first 3 after warm-up | last 3 | growth | max |", "| --- | --- | --- | --- | --- |"]
failed = []
for i, name in enumerate(names, start=1):
    scale = 1 / 2**20 if i == 1 else 1
    first = sum(r[i] for r in after[:3]) / 3 * scale
    last = sum(r[i] for r in after[-3:]) / 3 * scale
    peak = max(r[i] for r in after) * scale
    growth = (last - first) / first * 100 if first else 0
    lines.append(f"| {name} | {first:.1f} | {last:.1f} | {growth:+.1f}% | {peak:.1f} |")
    if growth > 5:
        failed.append(f"{name} grew {growth:.1f}%")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
if failed:
    sys.exit("soak: FAILED: " + "; ".join(failed))
print("soak: ok")
PY
