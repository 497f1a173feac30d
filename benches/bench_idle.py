#!/usr/bin/env python3
"""Idle memory of `supamcp serve`, read from /proc/<pid>/status of the live process (VmRSS now, VmHWM peak)
at each step of a session: after initialize, after tools/list, after `execute_sql select 1` (the pool is
open), after enabling every group. Also the tools/list sizes: the default list and `--features all`.

Usage: python3 benches/bench_idle.py [--runs 5]
Needs: a release build (target/release/supamcp), PostgreSQL server binaries (a throwaway cluster is started).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import BIN, INIT, start_cluster, stop_clusters  # noqa: E402


def status_mib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                fields[key] = int(value.split()[0])
    return fields["VmRSS"] / 1024.0, fields["VmHWM"] / 1024.0, fields["Threads"]


class Session:
    def __init__(self, argv, env):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env)
        self.next_id = 1

    def request(self, method, params=None):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            reply = json.loads(line)
            if reply.get("id") == self.next_id:
                return reply, len(line)

    def start(self):
        self.proc.stdin.write((json.dumps(INIT) + "\n").encode())
        self.proc.stdin.flush()
        self.proc.stdout.readline()
        self.proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.proc.stdin.flush()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def one_run(url, data_dir):
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "SUPAMCP_LOG": "warn"}
    session = Session([BIN, "serve", "--database-url", url, "--data-dir", data_dir], env)
    session.start()
    steps = {"initialize": status_mib(session.proc.pid)}
    _, list_bytes = session.request("tools/list")
    steps["tools/list"] = status_mib(session.proc.pid)
    session.request("tools/call", {"name": "execute_sql", "arguments": {"sql": "select 1"}})
    steps["execute_sql select 1"] = status_mib(session.proc.pid)
    groups, _ = session.request("tools/call", {"name": "list_tool_groups", "arguments": {}})
    for group in groups["result"]["structuredContent"]["groups"]:
        if group["offered"]:
            session.request("tools/call", {"name": "enable_tool_group", "arguments": {"group": group["group"]}})
    _, all_bytes = session.request("tools/list")
    steps["every group enabled + tools/list"] = status_mib(session.proc.pid)
    session.close()
    return steps, list_bytes, all_bytes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    work = tempfile.mkdtemp(prefix="supamcp-bench-idle-")
    cluster = start_cluster(work, port=55497)
    url = f"postgresql://postgres@/postgres?host={cluster[2]}&port=55497"
    try:
        runs = [one_run(url, tempfile.mkdtemp(dir=work)) for _ in range(args.runs)]
    finally:
        stop_clusters([cluster], work)
    print(f"load average: {os.getloadavg()[0]:.2f}; {args.runs} runs; MiB (1 MiB = 1,048,576 bytes)")
    for step in runs[0][0]:
        rss = [r[0][step][0] for r in runs]
        hwm = [r[0][step][1] for r in runs]
        threads = runs[0][0][step][2]
        print(f"{step:34} RSS median {statistics.median(rss):5.1f}  peak (VmHWM) max {max(hwm):5.1f}  threads {threads}")
    print(f"tools/list reply: default {runs[0][1]} bytes, every group enabled {runs[0][2]} bytes")


if __name__ == "__main__":
    main()
