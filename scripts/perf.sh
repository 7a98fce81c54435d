#!/usr/bin/env bash
# perf.sh: ecbench's own performance on one machine, counted by the server
# (issue 20; docs/performance.md has the method and the results).
#
#   scripts/perf.sh            # or: make perf
#   MEMTIER=/path/to/memtier_benchmark OUT=/tmp/perf make perf
#
# Starts valkey-server (and redis-server, for the scrape test) pinned to
# SERVER_CPU and runs every load generator pinned to CLIENT_CPU:
#   1. closed loop at each pipeline depth of DEPTHS: ecbench, valkey-benchmark
#      and memtier_benchmark (when found on PATH or at $MEMTIER; the table
#      says when it was absent), all with CONNS connections, SIZE-byte values,
#      a 1:1 GET/SET mix over KEYS keys filled beforehand. Every tool is
#      measured the same way, by the server: scripts/perf.py samples INFO
#      total_commands_processed and the client's /proc CPU time together, and
#      takes a steady WINDOW in the middle of each run (valkey-benchmark: half
#      of it in each of its SET and GET phases, harmonic mean). The tools run
#      in a different order in every round; the table shows medians over
#      ROUNDS rounds with their spread (min–max);
#   2. open-loop accuracy at OPEN_RATES requests/s (achieved/offered, the
#      schedule lag over every request, from run.json);
#   3. the recording cost (BenchmarkRecord in package metrics);
#   4. a /metrics scrape of `ecbench run` with two targets and six workloads
#      (median, p99 of 100 scrapes, exposition size) and ecbench's RSS.
# About 7 minutes with the defaults; everything it starts is stopped on exit.
# Needs bash, Go, python3, curl, taskset, valkey-server, redis-server and
# valkey-benchmark. Environment knobs (defaults in brackets):
#   ROUNDS [3]  DURATION [10] (seconds each tool runs)  WINDOW [6] (seconds
#   measured in the middle)  WARMUP [2s]  DEPTHS ["1 16"]  CONNS [50]
#   KEYS [100000]  SIZE [32]  OPEN_RATES ["10000 50000"]  SERVER_CPU [0]
#   CLIENT_CPU [1]  MEMTIER [memtier_benchmark on PATH]  SKIP ["" or any of
#   "open record scrape"]  ONLY [every tool, or a list of them such as
#   "ecbench": for a variant of one tool, e.g. GOMAXPROCS=2 CLIENT_CPU=0,1]
#   BINARY [bin/ecbench, built from the tree]: another build to measure
#   OUT [a temporary directory]: raw results, kept only when set.
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WINDOW=${WINDOW:-6}
WARMUP=${WARMUP:-2s}
DEPTHS=${DEPTHS:-"1 16"}
CONNS=${CONNS:-50}
KEYS=${KEYS:-100000}
SIZE=${SIZE:-32}
OPEN_RATES=${OPEN_RATES:-"10000 50000"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
SKIP=${SKIP:-}
VB_PORT=${VB_PORT:-16380}
RD_PORT=${RD_PORT:-16379}
METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:19478}
KEEP=${OUT:+1}
OUT=${OUT:-$(mktemp -d -t ecbench-perf.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PERF_PY=$PWD/scripts/perf.py

for tool in go python3 curl taskset valkey-server redis-server valkey-benchmark valkey-cli; do
	command -v "$tool" >/dev/null || { echo "perf.sh: $tool not found" >&2; exit 2; }
done
if [ "$(nproc)" -lt 2 ]; then
	echo "perf.sh: needs 2 CPUs (server on $SERVER_CPU, client on $CLIENT_CPU)" >&2
	exit 2
fi
MEMTIER_NOTE=""
if [ -n "${MEMTIER:-}" ]; then
	[ -x "$MEMTIER" ] || { echo "perf.sh: MEMTIER=$MEMTIER is not an executable" >&2; exit 2; }
elif command -v memtier_benchmark >/dev/null; then
	MEMTIER=$(command -v memtier_benchmark)
else
	MEMTIER_NOTE="not on PATH and \$MEMTIER not set; it is not in the package registries: build it from its source"
fi

PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null || true
	done
	[ -n "$KEEP" ] || rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[perf %s] %s\n' "$(date +%T)" "$*" >&2; }
skipped() { [[ " $SKIP " == *" $1 "* ]]; }

if [ -n "${BINARY:-}" ]; then
	ECB=$BINARY # another build, to compare two (not ECBENCH_*: ecbench reads those as config)
else
	log "building bin/ecbench"
	go build -o bin/ecbench ./cmd/ecbench
	ECB=$PWD/bin/ecbench
fi

start_server() { # binary port
	taskset -c "$SERVER_CPU" "$1" --port "$2" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$OUT" --logfile "$OUT/$1.log" &
	PIDS+=($!)
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "perf.sh: $1 did not start on port $2" >&2
	exit 1
}
start_server valkey-server "$VB_PORT"
start_server redis-server "$RD_PORT"

# py runs perf.py pinned to the server CPU, so that its sampling does not
# take time from the client CPU.
py() { taskset -c "$SERVER_CPU" python3 "$PERF_PY" "$@"; }
client() { taskset -c "$CLIENT_CPU" "$@"; }

RESULTS=$OUT/results.jsonl
: >"$RESULTS"

closed_config() { # depth file
	cat >"$2" <<EOF
log: {level: warn, format: console}
targets:
  - {name: valkey, engine: valkey, addrs: [127.0.0.1:$VB_PORT], pool_size: $CONNS}
workloads:
  - name: kv
    type: kv
    keys: {count: $KEYS}
    values: {size: $SIZE}
    ops: {get: 1, set: 1}
    preload: true
    pipeline: $1
    max_inflight: $CONNS
    rate: {type: closed, workers: $CONNS}
probes: {availability: {enabled: false}}
bench: {duration: ${DURATION}s, warmup: $WARMUP, results: $OUT/closed}
EOF
}

# Every tool's GETs hit: ecbench preloads its keys in each run; memtier's key
# space is filled once here; valkey-benchmark's GET phase follows its SET
# phase over the same key range.
if [ -n "${MEMTIER:-}" ]; then
	log "filling memtier's $KEYS keys"
	"$MEMTIER" -s 127.0.0.1 -p "$VB_PORT" -t 1 -c 1 --pipeline 64 -d "$SIZE" --key-minimum 1 \
		--key-maximum "$KEYS" --key-pattern P:P --ratio 1:0 -n allkeys --hide-histogram >"$OUT/memtier-fill.log" 2>&1
fi

declare -A VB_N # valkey-benchmark -n per phase, sized from its last rate
run_tool() { # tool depth round
	local tool=$1 depth=$2 round=$3 log=$OUT/$1-$2-$3.log
	case $tool in
	ecbench)
		py measure ecbench "$depth" "$round" "$VB_PORT" "$WINDOW" "$log" -- \
			taskset -c "$CLIENT_CPU" "$ECB" bench --config "$OUT/closed-$depth.yaml" >>"$RESULTS" ;;
	memtier)
		py measure memtier "$depth" "$round" "$VB_PORT" "$WINDOW" "$log" -- \
			taskset -c "$CLIENT_CPU" "$MEMTIER" -s 127.0.0.1 -p "$VB_PORT" -t 1 -c "$CONNS" \
			--pipeline "$depth" -d "$SIZE" --key-minimum 1 --key-maximum "$KEYS" --key-pattern R:R \
			--ratio 1:1 --test-time "$DURATION" --distinct-client-seed --hide-histogram >>"$RESULTS" ;;
	valkey-benchmark)
		# Each phase lasts at least about DURATION/2: sized from the fastest
		# rate it has reached (the first round's guess: 100k/s × depth, at
		# most 1M/s), longer when the server runs slower.
		local n=${VB_N[$depth]:-$(( (depth < 10 ? 100000 * depth : 1000000) * DURATION / 2 ))}
		py measure valkey-benchmark "$depth" "$round" "$VB_PORT" "$WINDOW" "$log" -- \
			taskset -c "$CLIENT_CPU" valkey-benchmark -p "$VB_PORT" -c "$CONNS" -P "$depth" -d "$SIZE" \
			-r "$KEYS" -t set,get -n "$n" -q >>"$RESULTS"
		local measured
		measured=$(tail -1 "$RESULTS" | python3 -c "import json,sys; print(int(json.load(sys.stdin)['ops'] * $DURATION / 2))")
		if [ -z "${VB_N[$depth]:-}" ] || [ "$measured" -gt "${VB_N[$depth]}" ]; then
			VB_N[$depth]=$measured
		fi ;;
	esac
}

# 1. Closed loop: every tool in every round, in a rotating order.
TOOLS=(ecbench valkey-benchmark)
[ -n "${MEMTIER:-}" ] && TOOLS+=(memtier)
if [ -n "${ONLY:-}" ]; then
	read -r -a TOOLS <<<"$ONLY"
fi
for depth in $DEPTHS; do
	closed_config "$depth" "$OUT/closed-$depth.yaml"
	for round in $(seq "$ROUNDS"); do
		for i in $(seq 0 $(( ${#TOOLS[@]} - 1 ))); do
			tool=${TOOLS[$(( (i + round - 1) % ${#TOOLS[@]} ))]}
			log "closed loop pipeline $depth round $round: $tool"
			run_tool "$tool" "$depth" "$round"
		done
	done
done

# 2. Open loop accuracy.
if ! skipped open; then
	for rate in $OPEN_RATES; do
		cat >"$OUT/open-$rate.yaml" <<EOF
log: {level: warn, format: console}
targets:
  - {name: valkey, engine: valkey, addrs: [127.0.0.1:$VB_PORT], pool_size: $CONNS}
workloads:
  - name: kv
    type: kv
    keys: {count: $KEYS}
    values: {size: $SIZE}
    ops: {get: 1, set: 1}
    pipeline: 1
    max_inflight: 1000
    rate: {type: constant, rate: $rate}
probes: {availability: {enabled: false}}
bench: {duration: ${DURATION}s, warmup: $WARMUP, results: $OUT/open}
EOF
		log "open loop at $rate req/s"
		py openloop "$ECB" "$OUT/open-$rate.yaml" "$OUT/open" "$OUT/open-$rate.log" "$rate" "$CLIENT_CPU" >>"$RESULTS"
	done
fi

# 3. Recording one result (the hot path's sink).
if ! skipped record; then
	log "BenchmarkRecord"
	client go test -run '^$' -bench 'BenchmarkRecord$' -benchmem -count 1 ./metrics/ >"$OUT/record.txt"
	py record "$OUT/record.txt" >>"$RESULTS"
fi

# 4. Scrape cost and RSS: the daemon, two targets, six workloads, every op.
if ! skipped scrape; then
	cat >"$OUT/daemon.yaml" <<EOF
listen: $METRICS_ADDR
log: {level: warn, format: console}
targets:
  - {name: redis, engine: redis, addrs: [127.0.0.1:$RD_PORT]}
  - {name: valkey, engine: valkey, addrs: [127.0.0.1:$VB_PORT]}
workloads:
  - {name: kv, type: kv, ops: {get: 1, set: 1, set_ttl: 1, mget: 1, incr: 1, del: 1}, rate: {type: constant, rate: 300}}
  - {name: kv2, type: kv, keys: {distribution: zipfian, zipf_exponent: 0.99}, ops: {get: 1, set: 1, set_ttl: 1, mget: 1, incr: 1, del: 1}, rate: {type: constant, rate: 300}}
  - {name: list, type: list, keys: {count: 1000}, ops: {lpush: 1, rpush: 1, lpop: 1, rpop: 1, lrange: 1, llen: 1, lindex: 1}, rate: {type: constant, rate: 300}}
  - {name: hash, type: hash, keys: {count: 1000}, ops: {hset: 1, hget: 1, hmget: 1, hgetall: 1, hincrby: 1, hdel: 1, hlen: 1}, rate: {type: constant, rate: 300}}
  - {name: set, type: set, keys: {count: 1000}, ops: {sadd: 1, srem: 1, sismember: 1, smembers: 1, scard: 1, srandmember: 1, sinter: 1}, rate: {type: constant, rate: 300}}
  - {name: zset, type: zset, keys: {count: 1000}, ops: {zadd: 1, zincrby: 1, zscore: 1, zrank: 1, zrange: 1, zrangebyscore: 1, zrevrange: 1, zrem: 1, zcard: 1}, rate: {type: constant, rate: 300}}
EOF
	log "daemon with 2 targets x 6 workloads: warming up, then 100 scrapes"
	# Not through client(): $! must be ecbench's own pid (taskset execs it),
	# for its RSS and to stop it, not a subshell's.
	taskset -c "$CLIENT_CPU" "$ECB" run --config "$OUT/daemon.yaml" >"$OUT/daemon.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	sleep "${SCRAPE_WARMUP:-20}"
	# 2 targets x (6 + 6 + 7 + 7 + 7 + 9) ops
	py scrape "http://$METRICS_ADDR/metrics" "$DPID" 100 84 >>"$RESULTS"
	curl -s "http://$METRICS_ADDR/metrics" >"$OUT/exposition.txt"
	kill "$DPID" && wait "$DPID" 2>/dev/null || true
fi

echo
echo "ecbench perf, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
echo "$CONNS connections, ${SIZE}-byte values, 1:1 GET/SET over $KEYS keys; $ROUNDS rounds, each tool ${DURATION}s with the middle ${WINDOW}s counted; servers on CPU $SERVER_CPU, client on CPU $CLIENT_CPU"
echo "valkey $(valkey-server --version | cut -d' ' -f3 | cut -d= -f2), redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2), memtier: ${MEMTIER:+$("$MEMTIER" --version | head -1)}${MEMTIER_NOTE:+absent}"
echo
py table "$RESULTS" "${MEMTIER_NOTE:-present}"
if [ -n "$KEEP" ]; then echo; echo "raw results: $OUT"; fi
