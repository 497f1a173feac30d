#!/usr/bin/env python3
"""Benchmarks of the core group, side by side with the standard tools, in one run on the same data.

  1. start to first `initialize` reply and idle peak RSS: supamcp vs the official Supabase MCP server (Node,
     `--features database`, installed with npm into .tools/bench);
  2. `execute_sql select 1` round trip over an open MCP session vs a direct tokio-postgres loop on the same socket;
  3. a 5-million-row query spilled to disk: supamcp's time and peak RSS vs `psql -c "\\copy (query) to file"`.

Usage: python3 benches/bench_core.py [--rows 5000000] [--skip-node]
Needs: a release build (cargo build --release --examples), PostgreSQL server binaries, psql, GNU time, node/npm.
"""
import argparse, json, os, pwd, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/supamcp")
SELECT1 = os.path.join(ROOT, "target/release/examples/bench_select1")
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}


def pg_bindir():
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
    for d in [out.stdout.strip()] + sorted(__import__("glob").glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if d and os.path.exists(os.path.join(d, "initdb")):
            return d
    sys.exit("no PostgreSQL server binaries (initdb) found")


def as_pg(argv):
    return ["runuser", "-u", "postgres", "--"] + argv if os.geteuid() == 0 else argv


def start_cluster(work, port=55499, superuser="postgres"):
    bindir = pg_bindir()
    data, sock = os.path.join(work, "data"), os.path.join(work, "sock")
    os.makedirs(sock)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        for p in (work, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    subprocess.run(as_pg([f"{bindir}/initdb", "-D", data, "-U", superuser, "--auth=trust", "-E", "UTF8"]),
                   check=True, stdout=subprocess.DEVNULL)
    opts = f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off -c shared_buffers=256MB"
    subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-l", os.path.join(work, "log"), "-w", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    return bindir, data, sock


def stop_clusters(clusters, work):
    """Stops the clusters start_cluster started (immediate mode) and removes the work directory."""
    for bindir, data, _ in clusters:
        subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), stdout=subprocess.DEVNULL)
    __import__("shutil").rmtree(work, ignore_errors=True)


def peak_rss_mib(pid):
    """The peak resident set (VmHWM) of a live process, MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024.0


def rpc(proc, message):
    """Sends one JSON-RPC line to a stdio MCP server and returns the reply with the same id."""
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()
    while True:
        reply = json.loads(proc.stdout.readline())
        if reply.get("id") == message.get("id"):
            return reply


def timed(argv, rss_file):
    """argv wrapped in GNU time, which writes the peak RSS (KB) to rss_file. (A child forked straight from
    Python would report Python's own pages as its floor.)"""
    return ["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv


def rss_of_wait(proc, rss_file):
    proc.wait()
    with open(rss_file) as f:
        return int(f.read().strip().splitlines()[-1]) / 1024.0  # MB


def startup(argv, runs=15):
    """Median ms from spawn to the initialize reply, and the peak RSS of an idle session (initialize + tools/list)."""
    times, rss = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        rss_file = tempfile.mktemp(prefix="supamcp-rss-")
        proc = subprocess.Popen(timed(argv, rss_file), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdin.write((json.dumps(INIT) + "\n").encode()); proc.stdin.flush()
        reply = json.loads(proc.stdout.readline() or "{}")
        times.append((time.perf_counter() - t0) * 1000)
        assert reply.get("result", {}).get("serverInfo"), f"{argv[0]} did not initialise: {reply}"
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        proc.stdin.write(b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n'); proc.stdin.flush()
        listed = json.loads(proc.stdout.readline() or "{}")
        assert listed.get("result", {}).get("tools"), f"{argv[0]} listed no tools: {listed}"
        proc.stdin.close()
        rss.append(rss_of_wait(proc, rss_file))
    return statistics.median(times), max(rss)


def round_trips(url, n=2000):
    proc = subprocess.Popen([BIN, "--database-url", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={**os.environ, "SUPAMCP_LOG": "warn"})
    send = lambda m: (proc.stdin.write((json.dumps(m) + "\n").encode()), proc.stdin.flush())
    send(INIT); proc.stdout.readline()
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    samples = []
    for i in range(n + 50):
        t0 = time.perf_counter()
        send({"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
              "params": {"name": "execute_sql", "arguments": {"sql": "select 1"}}})
        reply = json.loads(proc.stdout.readline())
        assert reply.get("result", {}).get("isError") is False, reply
        if i >= 50:
            samples.append((time.perf_counter() - t0) * 1000)
    proc.stdin.close(); proc.wait()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--skip-node", action="store_true")
    args = ap.parse_args()
    for path in (BIN, SELECT1):
        if not os.path.exists(path):
            sys.exit(f"missing {path}: run cargo build --release --examples")
    work = tempfile.mkdtemp(prefix="supamcp-bench-")
    bindir, data, sock = start_cluster(work)
    url = f"postgres://postgres@{sock.replace('/', '%2F')}:55499/postgres"
    psql = ["psql", "-h", sock, "-p", "55499", "-U", "postgres", "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
    try:
        print("== 1. start-up and idle memory")
        ours = startup([BIN, "--database-url", url])
        print(f"supamcp              start {ours[0]:7.1f} ms   peak RSS {ours[1]:6.1f} MB")
        if not args.skip_node:
            bench = os.path.join(ROOT, ".tools/bench")
            entry = os.path.join(bench, "node_modules/@supabase/mcp-server-supabase/dist/cli.js")
            if not os.path.exists(entry):
                subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", bench,
                                "@supabase/mcp-server-supabase"], check=True)
            node = startup(["node", entry, "--access-token", "dummy", "--project-ref", "abcdefghijklmnopqrst",
                            "--features", "database"], runs=7)
            print(f"official (Node)      start {node[0]:7.1f} ms   peak RSS {node[1]:6.1f} MB")
            print(f"ratio                start {node[0] / ours[0]:7.1f}x   memory {node[1] / ours[1]:6.1f}x less")

        print("== 2. execute_sql select 1 round trip")
        median, p95 = round_trips(url)
        base = json.loads(subprocess.run([SELECT1, url, "2000"], capture_output=True, text=True, check=True).stdout)
        print(f"supamcp over MCP     median {median:6.3f} ms   p95 {p95:6.3f} ms")
        print(f"tokio-postgres loop  median {base['median_us'] / 1000:6.3f} ms   p95 {base['p95_us'] / 1000:6.3f} ms")

        print(f"== 3. {args.rows:,} rows spilled to disk")
        subprocess.run(psql + ["-c", f"create table big as select g as id, md5(g::text) as h, "
                                     f"timestamptz '2026-01-01' + g * interval '1 second' as t, g % 7 = 0 as flag "
                                     f"from generate_series(1, {args.rows}) g"], check=True)
        subprocess.run(psql + ["-c", "vacuum analyze big"], check=True)
        out = os.path.join(work, "copy.txt")
        t0 = time.perf_counter()
        rss_file = os.path.join(work, "psql.rss")
        proc = subprocess.Popen(timed(psql + ["-c", f"\\copy (select * from big) to '{out}'"], rss_file))
        psql_rss = rss_of_wait(proc, rss_file)
        psql_s = time.perf_counter() - t0
        copy_bytes = os.path.getsize(out)
        os.remove(out)
        data_dir = os.path.join(work, "supamcp-data")
        t0 = time.perf_counter()
        rss_file = os.path.join(work, "supamcp.rss")
        proc = subprocess.Popen(timed([BIN, "--database-url", url, "--data-dir", data_dir, "call", "execute_sql",
                                       json.dumps({"sql": "select * from big", "timeout_ms": 600000})], rss_file),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "SUPAMCP_LOG": "warn"})
        reply = proc.stdout.read()
        ours_rss = rss_of_wait(proc, rss_file)
        ours_s = time.perf_counter() - t0
        spilled = json.loads(reply)["spilled"]
        assert spilled["rows"] == args.rows, spilled
        print(f"psql \\copy           {psql_s:6.2f} s   {copy_bytes / psql_s / 1e6:7.1f} MB/s text   peak RSS {psql_rss:6.1f} MB")
        print(f"supamcp execute_sql  {ours_s:6.2f} s   {spilled['bytes'] / ours_s / 1e6:7.1f} MB/s json   peak RSS {ours_rss:6.1f} MB")
        print(f"throughput vs psql   {psql_s / ours_s * 100:5.0f} % (rows per second)")
    finally:
        subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
