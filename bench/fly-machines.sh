#!/usr/bin/env bash
# Bench for issue 4: N (default 1,000) simulated machine creates, then repeated
# lists and gets, all through the fly-machines client against a real fly-local
# process in simulate mode (machines without processes). Reports calls/s and
# latency per phase, and fly-local's RSS (idle, after the run, and peak).
#
#   bench/fly-machines.sh                 # 1000 machines, 16 in flight, 50 lists
#   MACHINES=5000 CONCURRENCY=32 bench/fly-machines.sh
#
# Release builds; results are printed and saved under bench/results/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."

machines="${MACHINES:-1000}"
concurrency="${CONCURRENCY:-16}"
lists="${LISTS:-50}"
token="bench-token"

# Two invocations: a target filter such as --example applies to every package given.
cargo build --release --quiet -p fly-local --bin fly-local
cargo build --release --quiet -p fly-machines --example bench_machines
fly_local="target/release/fly-local"
driver="target/release/examples/bench_machines"

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
"$fly_local" serve --listen "127.0.0.1:$port" --data "$data/state" --token "$token" --simulate >"$data/fly-local.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

# Readiness: fly-local's health endpoint (poll until it answers, at most 30 s).
for _ in $(seq 300); do
  if curl -fsS "$url/__fly-local/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$data/fly-local.log" >&2; echo "fly-local exited" >&2; exit 1; fi
  sleep 0.1
done
curl -fsS "$url/__fly-local/health" >/dev/null || { cat "$data/fly-local.log" >&2; echo "fly-local not ready" >&2; exit 1; }

rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
idle_rss="$(rss_kb VmRSS)"
result="$("$driver" --url "$url" --token "$token" --machines "$machines" --concurrency "$concurrency" --lists "$lists")"
after_rss="$(rss_kb VmRSS)"
peak_rss="$(rss_kb VmHWM)"

mkdir -p bench/results
out="bench/results/fly-machines-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$result" "$idle_rss" "$after_rss" "$peak_rss" "$out" <<'PY'
import json, sys
result = json.loads(sys.argv[1])
result["fly_local_rss_kb"] = {"idle": int(sys.argv[2]), "after": int(sys.argv[3]), "peak": int(sys.argv[4])}
with open(sys.argv[5], "w") as f:
    json.dump(result, f, indent=2)
print(f"fly-machines bench: {result['machines']} machines, {result['concurrency']} in flight (saved to {sys.argv[5]})")
print(f"{'phase':<18}{'calls':>8}{'errors':>8}{'seconds':>10}{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
for p in result["phases"]:
    print(f"{p['phase']:<18}{p['calls']:>8}{p['errors']:>8}{p['seconds']:>10.2f}{p['calls_per_sec']:>10.0f}{p['p50_ms']:>9.2f}{p['p99_ms']:>9.2f}")
print(f"client decode of one {result['machines']}-machine list ({result['list_body_bytes']/1024:.0f} KiB): {result['client_decode_ms_per_list']:.1f} ms")
rss = result["fly_local_rss_kb"]
print(f"fly-local RSS: idle {rss['idle']/1024:.1f} MiB, after {rss['after']/1024:.1f} MiB, peak {rss['peak']/1024:.1f} MiB")
PY
