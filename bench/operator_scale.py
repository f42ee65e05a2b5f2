#!/usr/bin/env python3
"""Operator scale benchmark: N OpenClaw resources in one directory, reconciled
by `openclaw-operator up --simulate` against its embedded fly-local (machines
without processes).

Measures, and prints as JSON:
  converge_s            time from start until every resource is Ready
  peak_rss_mb           the operator process's peak RSS (VmHWM; fly-local is
                        embedded, so this includes it)
  calls_per_resource    API calls (all routes) per resource until convergence
  writes_per_resource   mutating API calls per resource until convergence
  steady_writes         mutating API calls during two full resyncs after
                        convergence (target 0)

Usage: bench/operator_scale.py [--resources 1000] [--resync 10] [--binary PATH]
(default binary: target/release/openclaw-operator, built if missing).
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
    ap.add_argument("--timeout", type=int, default=900)
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        subprocess.run(["cargo", "build", "--release", "-p", "openclaw-operator"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="operator-bench-")
    resources = os.path.join(work, "resources")
    os.makedirs(resources)
    for i in range(args.resources):
        with open(os.path.join(resources, f"bench-{i:04d}.yaml"), "w") as f:
            f.write(RESOURCE.format(i=i))
    port = free_port()
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(work, "state"),
               BENCH_GATEWAY_TOKEN="bench-token", RUST_LOG="warn")
    env.pop("FLY_API_TOKEN", None)
    log = open(os.path.join(work, "operator.log"), "w")
    proc = subprocess.Popen(
        [args.binary, "up", "--simulate", "--no-table", "-f", resources,
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
                status = json.loads(get(f"{base}/status"))["resources"]
                ready = sum(1 for r in status.values() if r["status"].get("phase") == "Ready")
            except OSError:
                ready = 0
            if ready == args.resources:
                break
            time.sleep(0.2)
        converge = time.monotonic() - start
        total, writes = api_calls(get(f"{base}/metrics"))
        time.sleep(2 * args.resync + 1)
        total2, writes2 = api_calls(get(f"{base}/metrics"))
        result = {
            "resources": args.resources,
            "converge_s": round(converge, 2),
            "peak_rss_mb": round(peak_rss_mb(proc.pid), 1),
            "calls_per_resource": round(total / args.resources, 2),
            "writes_per_resource": round(writes / args.resources, 2),
            "steady_writes": writes2 - writes,
            "steady_reads_per_resync_per_resource": round((total2 - total - (writes2 - writes)) / args.resources / 2, 2),
        }
        print(json.dumps(result, indent=2))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
