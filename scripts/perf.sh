#!/usr/bin/env bash
# perf.sh: ecbench's own performance on one machine (issue 7, part 1).
#
#   scripts/perf.sh            # or: make perf
#
# Starts valkey-server and redis-server pinned to CPU 0 and drives them from
# CPU 1. Measures, and prints as a Markdown table:
#   1. closed loop, pipeline 1 and 16: ecbench bench against the valkey server
#      alone vs valkey-benchmark with the same connections (50), value size
#      (32 B), key range (100k) and 1:1 GET/SET mix, alternating A,B,A,B over
#      ROUNDS rounds; median ops/s, ratio, client CPU microseconds per op;
#   2. open-loop accuracy at 10k and 50k requests/s offered: achieved/offered
#      and the schedule lag's p50, p99, p99.9 and max over every request
#      (run.json);
#   3. the cost of a /metrics scrape of `ecbench run` with two targets and six
#      workloads with every op label populated (median, p99 of 100 scrapes,
#      exposition size), and ecbench's RSS after warm-up.
# Bounded to about 3 minutes with the defaults; everything it starts is
# stopped on exit. Needs bash, Go, python3, curl, taskset, valkey-server,
# redis-server and valkey-benchmark. Environment knobs (defaults in brackets):
#   ROUNDS [3]  DURATION [10s]  WARMUP [2s]  DEPTHS ["1 16"]  CONNS [50]
#   KEYS [100000]  SIZE [32]  OPEN_RATES ["10000 50000"]  SERVER_CPU [0]
#   CLIENT_CPU [1]  VB_N_1 [250000]  VB_N_16 [3000000] (valkey-benchmark -n per
#   test at each depth, so that SET+GET take about as long as DURATION)
#   OUT [a temporary directory]: raw results, kept only when set.
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
DEPTHS=${DEPTHS:-"1 16"}
CONNS=${CONNS:-50}
KEYS=${KEYS:-100000}
SIZE=${SIZE:-32}
OPEN_RATES=${OPEN_RATES:-"10000 50000"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
VB_PORT=${VB_PORT:-16380}
RD_PORT=${RD_PORT:-16379}
METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:19478}
KEEP=${OUT:+1}
OUT=${OUT:-$(mktemp -d -t ecbench-perf.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for tool in go python3 curl taskset valkey-server redis-server valkey-benchmark; do
	command -v "$tool" >/dev/null || { echo "perf.sh: $tool not found" >&2; exit 2; }
done
if [ "$(nproc)" -lt 2 ]; then
	echo "perf.sh: needs 2 CPUs (server on $SERVER_CPU, client on $CLIENT_CPU)" >&2
	exit 2
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

log "building bin/ecbench"
go build -o bin/ecbench ./cmd/ecbench
ECB=$PWD/bin/ecbench

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

# py runs the helper below: a python3 program pinned to the server CPU so
# that its sampling does not steal the client CPU.
py() { taskset -c "$SERVER_CPU" python3 "$OUT/perf.py" "$@"; }
cat >"$OUT/perf.py" <<'PY'
import csv, json, os, re, statistics, subprocess, sys, time, datetime, urllib.request

TCK = os.sysconf("SC_CLK_TCK")

def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)

def parse_time(s):
    m = re.match(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-].*)$", s)
    frac = (m.group(2) or ".0")[:7]
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.datetime.fromisoformat(m.group(1) + frac + tz).timestamp()

def secs(d):
    """Seconds of a Go duration string such as 1m2.5s, 12.3ms or 850µs."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)", d)
    if d != "0s" and "".join(n + u for n, u in parts) != d:
        sys.exit(f"perf.py: not a Go duration: {d!r}")
    return sum(float(n) * units[u] for n, u in parts)

def latest(resdir):
    runs = sorted(os.listdir(resdir))
    return os.path.join(resdir, runs[-1])

def run_sampled(cmd, logpath):
    """Runs cmd, sampling its CPU ticks every 0.25 s. Returns the samples."""
    samples = []
    with open(logpath, "w") as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        while p.poll() is None:
            try:
                samples.append((time.time(), cpu_ticks(p.pid)))
            except OSError:
                pass
            time.sleep(0.25)
        if p.returncode != 0:
            sys.exit(f"perf.py: {cmd[0:4]} exited {p.returncode}; see {logpath}")
    return samples

def window_cpu(samples, t0, t1):
    """CPU seconds per wall second between t0 and t1, from the samples."""
    inside = [s for s in samples if t0 <= s[0] <= t1]
    if len(inside) < 2:
        return float("nan")
    (a, ca), (b, cb) = inside[0], inside[-1]
    return (cb - ca) / TCK / (b - a)

def summary_ops(rundir):
    ops = sent = dropped = 0
    with open(os.path.join(rundir, "summary.csv")) as f:
        for row in csv.DictReader(f):
            ops += float(row["throughput_per_s"])
            dropped += int(row["dropped"])
            sent += int(row["ok"]) + int(row["miss"]) + int(row["errors"])
    return ops, sent, dropped

def ecbench_closed(args):
    # ecbench_closed BIN CONFIG RESDIR LOG
    binp, cfg, resdir, logp = args
    samples = run_sampled(["taskset", "-c", os.environ["CLIENT_CPU"], binp, "bench", "--config", cfg], logp)
    rundir = latest(resdir)
    meta = json.load(open(os.path.join(rundir, "run.json")))["meta"]
    end, dur = parse_time(meta["end"]), secs(meta["duration"])
    # The measured phase is the last `duration` before end; leave 1 s of
    # margin on each side so preload, warm-up and shutdown are not counted.
    cpu = window_cpu(samples, end - dur + 1, end - 0.5)
    ops, _, _ = summary_ops(rundir)
    print(json.dumps({"tool": "ecbench", "ops": ops, "cpu_us_per_op": cpu / ops * 1e6, "dir": rundir}))

def vb(args):
    # vb PORT CONNS DEPTH SIZE KEYS N LOG
    port, conns, depth, size, keys, n, logp = args
    cmd = ["/usr/bin/time", "-f", "TIME %U %S %e", "taskset", "-c", os.environ["CLIENT_CPU"],
           "valkey-benchmark", "-p", port, "-c", conns, "-P", depth, "-d", size, "-r", keys,
           "-t", "set,get", "-n", n, "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    open(logp, "w").write(out.stdout + out.stderr)
    rps = {}
    for row in csv.reader(out.stdout.splitlines()):
        if row and row[0] in ("SET", "GET"):
            rps[row[0]] = float(row[1])
    u, s, e = [float(x) for x in re.search(r"TIME (\S+) (\S+) (\S+)", out.stderr).groups()]
    n = int(n)
    # SET and GET run one after the other, n requests each: the 1:1 mix's
    # throughput is all requests over the time both took.
    ops = 2 * n / (n / rps["SET"] + n / rps["GET"])
    print(json.dumps({"tool": "valkey-benchmark", "ops": ops, "cpu_us_per_op": (u + s) / (2 * n) * 1e6}))

def openloop(args):
    # openloop BIN CONFIG RESDIR LOG RATE
    binp, cfg, resdir, logp, rate = args
    run_sampled(["taskset", "-c", os.environ["CLIENT_CPU"], binp, "bench", "--config", cfg], logp)
    rundir = latest(resdir)
    d = json.load(open(os.path.join(rundir, "run.json")))
    dur = secs(d["meta"]["duration"])
    _, sent, dropped = summary_ops(rundir)
    # ecbench records every request's schedule lag (run.json generator[]):
    # exact quantiles over the measured phase, not samples of a gauge.
    g = d["generator"][0]
    lag = lambda k: secs(g[k]) if g.get(k, "0s") != "0s" else 0.0
    print(json.dumps({"offered": float(rate), "achieved": sent / dur, "dropped": dropped,
                      "lag_p50_s": lag("schedule_lag_p50"), "lag_p99_s": lag("schedule_lag_p99"),
                      "lag_p999_s": lag("schedule_lag_p999"), "lag_max_s": lag("max_schedule_lag")}))

def scrape(args):
    # scrape URL PID N EXPECTED_SERIES
    url, pid, n, expected = args[0], args[1], int(args[2]), int(args[3])
    deadline = time.time() + 60
    while True:  # until every (target, workload, op) has a request counted
        body = urllib.request.urlopen(url, timeout=5).read().decode()
        seen = set()
        for line in body.splitlines():
            if line.startswith("ecbench_ops_total{"):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
                if float(line.rsplit(" ", 1)[1]) > 0:
                    seen.add((labels.get("target"), labels.get("workload"), labels.get("op")))
        if len(seen) >= expected or time.time() > deadline:
            break
        time.sleep(1)
    times = []
    size = 0
    for _ in range(n):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", url],
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        size = int(out[1])
    times.sort()
    rss = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    print(json.dumps({"series_with_data": len(seen), "expected": expected,
                      "median_s": statistics.median(times), "p99_s": times[min(n - 1, int(0.99 * n))],
                      "bytes": size, "rss_bytes": rss}))

def table(args):
    # table RESULTS_JSONL: prints the Markdown report
    rows = [json.loads(l) for l in open(args[0]) if l.strip()]
    med = statistics.median
    print("| pipeline | valkey-benchmark ops/s | ecbench ops/s | ratio (target) | valkey-benchmark CPU µs/op | ecbench CPU µs/op | CPU ratio (target) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for depth in sorted({r["depth"] for r in rows if r["kind"] == "closed"}):
        vbr = [r for r in rows if r["kind"] == "closed" and r["depth"] == depth and r["tool"] == "valkey-benchmark"]
        ecr = [r for r in rows if r["kind"] == "closed" and r["depth"] == depth and r["tool"] == "ecbench"]
        vo, eo = med([r["ops"] for r in vbr]), med([r["ops"] for r in ecr])
        vc, ec = med([r["cpu_us_per_op"] for r in vbr]), med([r["cpu_us_per_op"] for r in ecr])
        tr = "≥ 1.2" if depth == 1 else "≥ 0.95"
        tc = "≤ 0.85" if depth == 1 else "—"
        print(f"| {depth} | {vo:,.0f} | {eo:,.0f} | {eo / vo:.2f} ({tr}) | {vc:.2f} | {ec:.2f} | {ec / vc:.2f} ({tc}) |")
    print()
    print("Rounds (ops/s): " + "; ".join(
        f"p{r['depth']} {r['tool']} {r['ops']:,.0f}" for r in rows if r["kind"] == "closed"))
    print()
    print("| open loop offered req/s | achieved req/s | achieved/offered (target ±1%) | dropped | lag p50 | lag p99 (target < 1 ms at 10k) | lag p99.9 | lag max |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in (r for r in rows if r["kind"] == "open"):
        ms = lambda k: f"{r[k] * 1e3:.3f} ms"
        print(f"| {r['offered']:,.0f} | {r['achieved']:,.1f} | {r['achieved'] / r['offered']:.4f} | {r['dropped']} | "
              f"{ms('lag_p50_s')} | {ms('lag_p99_s')} | {ms('lag_p999_s')} | {ms('lag_max_s')} |")
    print()
    for r in (r for r in rows if r["kind"] == "scrape"):
        print("| /metrics scrape (2 targets, 6 workloads) | value | target |")
        print("|---|---:|---:|")
        print(f"| op series with data | {r['series_with_data']} of {r['expected']} | all |")
        print(f"| scrape median | {r['median_s'] * 1e3:.2f} ms | |")
        print(f"| scrape p99 (100 scrapes) | {r['p99_s'] * 1e3:.2f} ms | < 25 ms |")
        print(f"| exposition size | {r['bytes'] / 1024:,.0f} KiB | |")
        print(f"| ecbench RSS after warm-up | {r['rss_bytes'] / 2**20:.1f} MiB | < 64 MiB |")

globals()[sys.argv[1]](sys.argv[2:])
PY

RESULTS=$OUT/results.jsonl
: >"$RESULTS"
export CLIENT_CPU

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
bench: {duration: $DURATION, warmup: $WARMUP, results: $OUT/closed}
EOF
}

# 1. Closed loop: A (valkey-benchmark), B (ecbench), alternating.
for depth in $DEPTHS; do
	closed_config "$depth" "$OUT/closed-$depth.yaml"
	nvar=VB_N_$depth
	n=${!nvar:-$((250000 * (depth < 12 ? depth : 12)))} # about 5 s per test at the reference rates
	for round in $(seq "$ROUNDS"); do
		log "closed loop pipeline $depth round $round: valkey-benchmark"
		py vb "$VB_PORT" "$CONNS" "$depth" "$SIZE" "$KEYS" "$n" "$OUT/vb-$depth-$round.log" |
			python3 -c "import json,sys; r=json.load(sys.stdin); r.update(kind='closed', depth=$depth, round=$round); print(json.dumps(r))" >>"$RESULTS"
		log "closed loop pipeline $depth round $round: ecbench"
		py ecbench_closed "$ECB" "$OUT/closed-$depth.yaml" "$OUT/closed" "$OUT/ec-$depth-$round.log" |
			python3 -c "import json,sys; r=json.load(sys.stdin); r.update(kind='closed', depth=$depth, round=$round); print(json.dumps(r))" >>"$RESULTS"
	done
done

# 2. Open loop accuracy.
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
bench: {duration: $DURATION, warmup: $WARMUP, results: $OUT/open}
EOF
	log "open loop at $rate req/s"
	py openloop "$ECB" "$OUT/open-$rate.yaml" "$OUT/open" "$OUT/open-$rate.log" "$rate" |
		python3 -c "import json,sys; r=json.load(sys.stdin); r.update(kind='open'); print(json.dumps(r))" >>"$RESULTS"
done

# 3. Scrape cost and RSS: the daemon, two targets, six workloads, every op.
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
taskset -c "$CLIENT_CPU" "$ECB" run --config "$OUT/daemon.yaml" >"$OUT/daemon.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
sleep "${SCRAPE_WARMUP:-20}"
# 2 targets x (6 + 6 + 7 + 7 + 7 + 9) ops
py scrape "http://$METRICS_ADDR/metrics" "$DPID" 100 84 |
	python3 -c "import json,sys; r=json.load(sys.stdin); r.update(kind='scrape'); print(json.dumps(r))" >>"$RESULTS"
curl -s "http://$METRICS_ADDR/metrics" >"$OUT/exposition.txt"
kill "$DPID" && wait "$DPID" 2>/dev/null || true

echo
echo "ecbench perf, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),"
echo "$CONNS connections, ${SIZE}-byte values, 1:1 GET/SET over $KEYS keys, $ROUNDS rounds of $DURATION; servers on CPU $SERVER_CPU, client on CPU $CLIENT_CPU"
echo "valkey: $(valkey-server --version | cut -d' ' -f3), redis: $(redis-server --version | cut -d' ' -f3)"
echo
py table "$RESULTS"
if [ -n "$KEEP" ]; then echo; echo "raw results: $OUT"; fi
