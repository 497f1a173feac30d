#!/usr/bin/env python3
"""`execute_sql select 1` over `supamcp serve --http` on loopback: latency of sequential calls on one keep-alive
connection (p50/p99), throughput of N concurrent clients (calls/s, p99), and the server's peak RSS, beside the
same call over stdio in the same run.

Usage: python3 benches/bench_http.py [--calls 2000] [--clients 8]
Needs: a release build (target/release/supamcp), PostgreSQL server binaries (a throwaway cluster is started).
"""
import argparse, http.client, json, os, statistics, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import BIN, INIT, start_cluster, stop_clusters, peak_rss_mib  # noqa: E402

TOKEN = "bench-token-" + "x" * 32
CALL = {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "execute_sql", "arguments": {"sql": "select 1"}}}


class HttpSession:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream"}
        reply, headers = self.post(INIT)
        self.headers["Mcp-Session-Id"] = headers.get("mcp-session-id", "")
        self.headers["Mcp-Protocol-Version"] = "2025-06-18"
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}, expect_reply=False)
        self.next_id = 10

    def post(self, message, expect_reply=True):
        self.conn.request("POST", "/mcp", json.dumps(message), self.headers)
        response = self.conn.getresponse()
        body = response.read().decode()
        headers = {k.lower(): v for k, v in response.getheaders()}
        if not expect_reply:
            return None, headers
        for line in body.splitlines():
            if line.startswith("data: ") and line[6:].strip():
                return json.loads(line[6:]), headers
        return json.loads(body), headers

    def call(self):
        self.next_id += 1
        started = time.perf_counter()
        reply, _ = self.post(dict(CALL, id=self.next_id))
        elapsed = (time.perf_counter() - started) * 1000
        assert not reply["result"].get("isError"), reply
        return elapsed



def stdio_latency(url, calls):
    proc = subprocess.Popen([BIN, "--database-url", url, "--features", "core"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={"PATH": os.environ["PATH"]})
    def send(message):
        proc.stdin.write((json.dumps(message) + "\n").encode()); proc.stdin.flush()
        while True:
            reply = json.loads(proc.stdout.readline())
            if reply.get("id") == message.get("id"):
                return reply
    send(INIT)
    proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'); proc.stdin.flush()
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        send(dict(CALL, id=100 + i))
        samples.append((time.perf_counter() - started) * 1000)
    proc.stdin.close(); proc.wait()
    return samples


def pct(samples, p):
    return round(sorted(samples)[min(len(samples) - 1, int(len(samples) * p))], 3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-http-")
    cluster = start_cluster(work, port=55496)
    url = f"postgresql://postgres@/postgres?host={cluster[2]}&port=55496"
    port = 18790
    env = {"PATH": os.environ["PATH"], "SUPAMCP_HTTP_TOKEN": TOKEN, "SUPAMCP_LOG": "error"}
    server = subprocess.Popen([BIN, "--database-url", url, "--features", "core", "--data-dir",
                               os.path.join(work, "data"), "serve", "--http", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(1.0)
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        session = HttpSession(port)
        for _ in range(50):
            session.call()
        sequential = [session.call() for _ in range(args.calls)]
        per_client = args.calls // args.clients
        latencies, lock = [], threading.Lock()
        def worker():
            mine = HttpSession(port)
            samples = [mine.call() for _ in range(per_client)]
            with lock:
                latencies.extend(samples)
        threads = [threading.Thread(target=worker) for _ in range(args.clients)]
        started = time.perf_counter()
        for t in threads: t.start()
        for t in threads: t.join()
        elapsed = time.perf_counter() - started
        report = {"load_average_1m": load, "http_sequential": {"calls": args.calls, "p50_ms": pct(sequential, 0.5),
                  "p99_ms": pct(sequential, 0.99)},
                  "http_concurrent": {"clients": args.clients, "calls": len(latencies),
                                      "calls_per_s": round(len(latencies) / elapsed), "p50_ms": pct(latencies, 0.5),
                                      "p99_ms": pct(latencies, 0.99)},
                  "http_peak_rss_mib": round(peak_rss_mib(server.pid), 1)}
        stdio = stdio_latency(url, args.calls)
        report["stdio_sequential"] = {"p50_ms": pct(stdio, 0.5), "p99_ms": pct(stdio, 0.99)}
        print(json.dumps(report, indent=1))
    finally:
        server.terminate(); server.wait()
        stop_clusters([cluster], work)


if __name__ == "__main__":
    main()
