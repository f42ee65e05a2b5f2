#!/usr/bin/env python3
"""Operator scale benchmark: N OpenClaw resources in one directory, reconciled
by `openclaw-operator up` against a fly-local in simulate mode (machines
without processes), run as its own process so the operator's RSS is its own.

Measures, and prints as JSON:
  converge_s            time from start until every resource is Ready
  peak_rss_mb           the operator process's peak RSS (VmHWM)
  calls_per_resource    API calls (all routes) per resource until convergence
  writes_per_resource   mutating API calls per resource until convergence
  steady_writes         mutating API calls during two full resyncs after
                        convergence (target 0)

Usage: bench/operator_scale.py [--resources 1000] [--resync 10] [--binary PATH]
                               [--fly-local PATH]
(defaults: target/release/openclaw-operator and target/release/fly-local,
built if missing). Mutating calls are counted from fly-local's request log.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RESOURCE = """apiVersion: openclaw.ai/v1alpha1
kind: OpenClaw
metadata:
  name: bench-{i:04d}
  namespace: bench
spec:
  runtime: rust
  fly: {{ region: iad }}
  gateway:
    auth:
      token: {{ env: BENCH_GATEWAY_TOKEN }}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def api_calls(metrics_text):
    """(total, mutating) API calls from the operator's /metrics."""
    total = mutating = 0
    for line in metrics_text.splitlines():
        m = re.match(r'openclaw_operator_api_calls_total\{route="([A-Z]+) [^"]*",status="[^"]*"\} (\d+)', line)
        if m:
            n = int(m.group(2))
            total += n
            if m.group(1) not in ("GET", "HEAD"):
                mutating += n
    return total, mutating


def fly_get(base, token, path):
    req = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def last_seq(base, token):
    return max((r["seq"] for r in fly_get(base, token, "/__fly-local/requests")["requests"]), default=0)


def mutating_since(base, token, seq):
    reqs = fly_get(base, token, f"/__fly-local/requests?since={seq}")["requests"]
    return sum(1 for r in reqs if r["mutating"] and r["seq"] > seq)


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--resources", type=int, default=1000)
    ap.add_argument("--resync", type=int, default=10, help="seconds")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/openclaw-operator"))
    ap.add_argument("--fly-local", default=os.path.join(ROOT, "target/release/fly-local"))
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args()
    for path, pkg in ((args.binary, "openclaw-operator"), (args.fly_local, "fly-local")):
        if not os.path.exists(path):
            subprocess.run(["cargo", "build", "--release", "-p", pkg], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="operator-bench-")
    resources = os.path.join(work, "resources")
    os.makedirs(resources)
    for i in range(args.resources):
        with open(os.path.join(resources, f"bench-{i:04d}.yaml"), "w") as f:
            f.write(RESOURCE.format(i=i))
    fl_port, port, token = free_port(), free_port(), "bench-fly-token"
    fl_log = open(os.path.join(work, "fly-local.log"), "w")
    fly = subprocess.Popen(
        [args.fly_local, "serve", "--simulate", "--listen", f"127.0.0.1:{fl_port}",
         "--data", os.path.join(work, "fly-local"), "--token", token],
        env=dict(os.environ, RUST_LOG="warn"), stdout=fl_log, stderr=fl_log)
    fl_base = f"http://127.0.0.1:{fl_port}"
    for _ in range(200):
        try:
            get(f"{fl_base}/__fly-local/health")
            break
        except OSError:
            time.sleep(0.05)
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(work, "state"),
               BENCH_GATEWAY_TOKEN="bench-token", RUST_LOG="warn",
               FLY_API_TOKEN=token, FLY_FLAPS_BASE_URL=fl_base)
    log = open(os.path.join(work, "operator.log"), "w")
    proc = subprocess.Popen(
        [args.binary, "up", "--no-table", "-f", resources, "--check-interval", "1s",
         "--resync", f"{args.resync}s", "--metrics-addr", f"127.0.0.1:{port}"],
        env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    start = time.monotonic()
    try:
        ready = 0
        while True:
            if proc.poll() is not None:
                sys.exit(f"operator exited ({proc.returncode}); see {log.name}")
            if time.monotonic() - start > args.timeout:
                sys.exit(f"not converged after {args.timeout}s ({ready}/{args.resources} Ready)")
            try:
                m = re.search(r'openclaw_operator_resources_by_phase\{phase="Ready"\} (\d+)', get(f"{base}/metrics"))
                ready = int(m.group(1)) if m else 0
            except OSError:
                ready = 0
            if ready == args.resources:
                break
            time.sleep(0.2)
        converge = time.monotonic() - start
        total, writes = api_calls(get(f"{base}/metrics"))
        seq = last_seq(fl_base, token)
        time.sleep(2 * args.resync + 1)
        total2, writes2 = api_calls(get(f"{base}/metrics"))
        logged_writes = mutating_since(fl_base, token, seq)
        result = {
            "resources": args.resources,
            "converge_s": round(converge, 2),
            "peak_rss_mb": round(peak_rss_mb(proc.pid), 1),
            "calls_per_resource": round(total / args.resources, 2),
            "writes_per_resource": round(writes / args.resources, 2),
            "steady_writes": writes2 - writes,
            "steady_writes_in_fly_local_log": logged_writes,
            "steady_reads_per_resync_per_resource": round((total2 - total - (writes2 - writes)) / args.resources / 2, 2),
        }
        print(json.dumps(result, indent=2))
    finally:
        for p in (proc, fly):
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
