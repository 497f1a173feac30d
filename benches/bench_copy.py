#!/usr/bin/env python3
"""copy_database side by side with the standard tools, on the same data in one run: about 1 GB across 20 tables
copied from one throwaway cluster to another by
  1. pg_dump | psql (plain SQL),
  2. pg_dump -Fc then pg_restore -j2,
  3. supamcp copy (release build),
each into its own fresh database, with the wall time and supamcp's peak RSS.

Usage: python3 benches/bench_copy.py [--megabytes 1000] [--tables 20]
"""
import argparse, json, os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import BIN, rss_of_wait, start_cluster, stop_clusters, timed  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--megabytes", type=int, default=1000)
    ap.add_argument("--tables", type=int, default=20)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="supamcp-bench-copy-")
    os.chmod(work, 0o755)  # the clusters run as the postgres user, which must enter it
    src_dir, dst_dir = os.path.join(work, "src"), os.path.join(work, "dst")
    os.makedirs(src_dir); os.makedirs(dst_dir)
    clusters = [start_cluster(src_dir, 55497), start_cluster(dst_dir, 55498)]
    (bindir, _, src_sock), (_, _, dst_sock) = clusters
    def psql(sock, port, db="postgres"):
        return ["psql", "-h", sock, "-p", str(port), "-U", "postgres", "-d", db, "-q", "-v", "ON_ERROR_STOP=1"]
    try:
        rows = args.megabytes * 1_000_000 // 170 // args.tables
        print(f"== building {args.tables} tables x {rows:,} rows (~{args.megabytes} MB)")
        for i in range(args.tables):
            subprocess.run(psql(src_sock, 55497) + ["-c", f"create table t{i:02} (id bigint primary key, n numeric, "
                "h text, j jsonb, t timestamptz, u uuid, f bool); "
                f"insert into t{i:02} select g, g * 1.5, md5(g::text) || md5((g+1)::text), "
                "jsonb_build_object('g', g, 'tag', 'x'), now(), md5(g::text)::uuid, g % 2 = 0 "
                f"from generate_series(1, {rows}) g"], check=True)
        size = subprocess.run(psql(src_sock, 55497) + ["-At", "-c", "select pg_database_size('postgres')"],
                              capture_output=True, text=True, check=True).stdout.strip()
        print(f"source database: {int(size) / 1e6:.0f} MB")
        for db in ("via_psql", "via_restore", "via_supamcp"):
            subprocess.run(psql(dst_sock, 55498) + ["-c", f"create database {db}"], check=True)
        dump = os.path.join(bindir, "pg_dump")
        t0 = time.perf_counter()
        producer = subprocess.Popen([dump, "-h", src_sock, "-p", "55497", "-U", "postgres", "postgres"], stdout=subprocess.PIPE)
        subprocess.run(psql(dst_sock, 55498, "via_psql"), stdin=producer.stdout, check=True, stdout=subprocess.DEVNULL)
        producer.wait()
        plain = time.perf_counter() - t0
        archive = os.path.join(work, "dump.fc")
        t0 = time.perf_counter()
        subprocess.run([dump, "-Fc", "-h", src_sock, "-p", "55497", "-U", "postgres", "-f", archive, "postgres"], check=True)
        subprocess.run([os.path.join(bindir, "pg_restore"), "-j2", "-h", dst_sock, "-p", "55498", "-U", "postgres",
                        "-d", "via_restore", archive], check=True)
        restore = time.perf_counter() - t0
        config = os.path.join(work, "supamcp.toml")
        with open(config, "w") as f:
            f.write(f'[instances.src]\ndatabase_url = "postgres://postgres@{src_sock.replace("/", "%2F")}:55497/postgres"\n'
                    f'[instances.dst]\ndatabase_url = "postgres://postgres@{dst_sock.replace("/", "%2F")}:55498/via_supamcp"\n')
        rss_file = os.path.join(work, "rss")
        t0 = time.perf_counter()
        proc = subprocess.Popen(timed([BIN, "--config", config, "--data-dir", os.path.join(work, "data"), "copy", "src",
                                       "dst", "--yes", "--parallel", "4"], rss_file), stdout=subprocess.PIPE,
                                env={**os.environ, "SUPAMCP_LOG": "warn"})
        reply = json.loads(proc.stdout.read())
        rss = rss_of_wait(proc, rss_file)
        ours = time.perf_counter() - t0
        assert proc.returncode == 0, reply
        copied = sum(t["rows"] or 0 for t in reply["tables"])
        print(f"pg_dump | psql            {plain:7.2f} s")
        print(f"pg_dump -Fc + pg_restore -j2 {restore:7.2f} s")
        print(f"supamcp copy              {ours:7.2f} s   peak RSS {rss:6.1f} MB   {copied:,} rows, checksums verified")
        print(f"speed-up vs pg_dump|psql  {plain / ours:5.2f}x   vs pg_restore -j2 {restore / ours:5.2f}x")
    finally:
        stop_clusters(clusters, work)


if __name__ == "__main__":
    main()
