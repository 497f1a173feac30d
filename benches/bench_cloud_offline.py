#!/usr/bin/env python3
"""Start -> tools/list with the cloud group configured (an access token, --project-ref) and the Management API
unreachable (--api-url at a closed loopback port, and a blackholed address): the time from spawn to the
initialize reply, and to the tools/list reply, over N runs; every tools/list must succeed and list the cloud
tools (the official server fails its whole tools/list offline: -32603 "fetch failed").

Usage: python3 benches/bench_cloud_offline.py [--runs 20] [--bin PATH]
Needs: a build of supamcp (default: $CARGO_TARGET_DIR/release/supamcp, else target/release/supamcp).
"""
import argparse, json, os, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}


def default_bin():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "supamcp")


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(binary, api_url, extra):
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "SUPAMCP_LOG": "warn",
           "SUPABASE_ACCESS_TOKEN": "sbp_bench_token_not_real_0000000000000000"}
    with tempfile.TemporaryDirectory() as data_dir:
        argv = [binary, "serve", "--features", "cloud", "--api-url", api_url, "--data-dir", data_dir] + extra
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        proc.stdin.write((json.dumps(INIT) + "\n").encode())
        proc.stdin.flush()
        json.loads(proc.stdout.readline())
        initialized = time.perf_counter() - started
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
                         b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n')
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
        listed = time.perf_counter() - started
        proc.stdin.close()
        proc.wait(timeout=10)
    if "error" in reply:
        raise SystemExit(f"tools/list failed: {reply['error']}")
    names = [tool["name"] for tool in reply["result"]["tools"]]
    return initialized, listed, names


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--bin", default=default_bin())
    args = parser.parse_args()
    if not os.path.exists(args.bin):
        sys.exit(f"build first (cargo build --release), or pass --bin: {args.bin} is missing")
    cases = [
        ("closed loopback port", f"http://127.0.0.1:{closed_port()}", []),
        ("closed port, --project-ref", f"http://127.0.0.1:{closed_port()}", ["--project-ref", "abcdefghijklmnopqrst"]),
        ("unroutable address (TEST-NET-1)", "http://192.0.2.1:9", []),
    ]
    print(f"binary: {args.bin}; {args.runs} runs per case; load: {open('/proc/loadavg').read().split()[:3]}")
    for label, url, extra in cases:
        inits, lists, names = [], [], []
        for _ in range(args.runs):
            initialized, listed, names = one_run(args.bin, url, extra)
            inits.append(initialized * 1000)
            lists.append(listed * 1000)
        assert "list_branches" in names, names
        print(f"{label:34} tools={len(names):2}  start->initialize median {statistics.median(inits):6.1f} ms"
              f" (max {max(inits):6.1f})  start->tools/list median {statistics.median(lists):6.1f} ms"
              f" (max {max(lists):6.1f})  errors: 0/{args.runs}")


if __name__ == "__main__":
    main()
