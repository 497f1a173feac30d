#!/usr/bin/env python3
"""create_backup and restore_backup side by side with pg_dump and pg_restore, on the same data in one run: about
1 GB across 10 tables in a throwaway cluster,
  1. pg_dump -Fc (its default gzip compression) to a file,
  2. supamcp create_backup (zstd, multi-threaded, + AES-256-GCM, + per-table checksums), release build,
  3. pg_restore -j2 of the pg_dump archive into a new database,
  4. supamcp restore_backup of its backup into a new database (hash pre-check, decryption, pg_restore from the
     stream, post-check of every table's rows and checksum), and again with jobs=2 (decrypted to a temporary
     file, pg_restore -j2),
with wall times, archive sizes and supamcp's peak RSS (GNU time).

Usage: python3 benches/bench_backup.py [--megabytes 1000] [--tables 10]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import BIN, as_pg, rss_of_wait, start_cluster, timed  # noqa: E402

KEY = "5c" * 32


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--megabytes", type=int, default=1000)
    ap.add_argument("--tables", type=int, default=10)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="supamcp-bench-backup-")
    os.chmod(work, 0o755)  # the cluster runs as the postgres user, which must enter it
    data = os.path.join(work, "pg")
    os.makedirs(data)
    bindir, pgdata, sock = start_cluster(data, 55496)
    port = "55496"

    def psql(db="postgres"):
        return ["psql", "-h", sock, "-p", port, "-U", "postgres", "-d", db, "-q", "-v", "ON_ERROR_STOP=1"]

    def supamcp(tool, arguments, rss_file):
        url = f"postgres://postgres@{sock.replace('/', '%2F')}:{port}/postgres"
        argv = [BIN, "--database-url", url, "--data-dir", os.path.join(work, "data"),
                "--backup-dir", os.path.join(work, "backups"), "call", tool, json.dumps(arguments)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(timed(argv, rss_file), stdout=subprocess.PIPE,
                                env={**os.environ, "SUPAMCP_LOG": "warn", "SUPAMCP_BACKUP_KEY": KEY})
        out = proc.stdout.read()
        rss = rss_of_wait(proc, rss_file)
        elapsed = time.perf_counter() - t0
        assert proc.returncode == 0, out
        return json.loads(out), elapsed, rss

    try:
        rows = args.megabytes * 1_000_000 // 170 // args.tables
        print(f"== building {args.tables} tables x {rows:,} rows (~{args.megabytes} MB)")
        for i in range(args.tables):
            subprocess.run(psql() + ["-c", f"create table t{i:02} (id bigint primary key, n numeric, "
                "h text, j jsonb, t timestamptz, u uuid, f bool); "
                f"insert into t{i:02} select g, g * 1.5, md5(g::text) || md5((g+1)::text), "
                "jsonb_build_object('g', g, 'tag', 'x'), now(), md5(g::text)::uuid, g % 2 = 0 "
                f"from generate_series(1, {rows}) g"], check=True)
        size = subprocess.run(psql() + ["-At", "-c", "select pg_database_size('postgres')"],
                              capture_output=True, text=True, check=True).stdout.strip()
        print(f"source database: {int(size) / 1e6:.0f} MB")

        archive = os.path.join(work, "dump.fc")
        t0 = time.perf_counter()
        subprocess.run([os.path.join(bindir, "pg_dump"), "-Fc", "-h", sock, "-p", port, "-U", "postgres",
                        "-f", archive, "postgres"], check=True)
        dump_time = time.perf_counter() - t0

        created, backup_time, backup_rss = supamcp("create_backup", {}, os.path.join(work, "rss_backup"))
        backup_id = created["id"]
        backup_size = created["manifest"]["archive"]["size"]

        subprocess.run(psql() + ["-c", "create database via_pg_restore"], check=True)
        t0 = time.perf_counter()
        subprocess.run([os.path.join(bindir, "pg_restore"), "-j2", "-h", sock, "-p", port, "-U", "postgres",
                        "-d", "via_pg_restore", archive], check=True)
        restore_time = time.perf_counter() - t0

        restored, ours_restore, restore_rss = supamcp(
            "restore_backup", {"backup_id": backup_id, "target": {"new_database": {"name": "via_supamcp"}}},
            os.path.join(work, "rss_restore"))
        parallel, ours_parallel, parallel_rss = supamcp(
            "restore_backup", {"backup_id": backup_id, "target": {"new_database": {"name": "via_supamcp_j2"}},
                               "jobs": 2}, os.path.join(work, "rss_restore_j2"))

        print(f"pg_dump -Fc                      {dump_time:7.2f} s   archive {os.path.getsize(archive) / 1e6:7.1f} MB")
        print(f"supamcp create_backup (zstd+AES) {backup_time:7.2f} s   archive {backup_size / 1e6:7.1f} MB   "
              f"peak RSS {backup_rss:6.1f} MB   {len(created['manifest']['tables'])} tables checksummed")
        print(f"pg_restore -j2                   {restore_time:7.2f} s")
        for label, reply, took, rss in (("restore_backup (stream)", restored, ours_restore, restore_rss),
                                        ("restore_backup jobs=2", parallel, ours_parallel, parallel_rss)):
            print(f"supamcp {label:24} {took:7.2f} s   peak RSS {rss:6.1f} MB   {reply['tables_verified']} tables "
                  f"verified (pre-checks {reply['precheck_ms'] / 1000:.2f} s, pg_restore {reply['pg_restore_ms'] / 1000:.2f} s, "
                  f"post-check {reply['verify_ms'] / 1000:.2f} s)")
        print(f"create_backup vs pg_dump -Fc: {dump_time / backup_time:5.2f}x as fast; restore_backup vs pg_restore -j2: "
              f"{ours_restore / restore_time:5.2f}x the time streamed, {ours_parallel / restore_time:5.2f}x with jobs=2")
    finally:
        subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", pgdata, "-m", "immediate", "stop"]), stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
