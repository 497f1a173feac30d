#!/usr/bin/env python3
"""Type generation benchmark: `supamcp gen types` vs postgres-meta 0.99's one-shot generation
(`PG_META_GENERATE_TYPES=typescript`, what `supabase gen types typescript --db-url` runs), in one run on the
same databases: 100 and 1,000 tables (with enums, foreign keys, views and functions). Prints the median
wall time and the peak RSS (os.wait4) of both, their ratios, and whether the outputs are byte-identical.

Usage: python3 benches/bench_typegen.py [--runs 5] [--meta-runs 3] [--sizes 100,1000]
Needs: a release build (cargo build --release), PostgreSQL server binaries, node, and postgres-meta in .tools
(npm install --prefix .tools @supabase/postgres-meta@0.99.0; scripts/test.sh installs it).
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import as_pg, start_cluster  # noqa: E402  (the same throwaway cluster, port 55499)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/supamcp")
META = os.path.join(ROOT, ".tools/node_modules/@supabase/postgres-meta/dist/server/server.js")
PORT = 55499


def schema_sql(tables):
    """`tables` tables of 8 columns; every 10th has an enum column, every table but the first a foreign key to
    the previous one; a view and a function per 20 tables."""
    out = ["create type public.state as enum ('new', 'active', 'archived');"]
    for i in range(tables):
        fk = f", parent_id bigint references public.t{i - 1:04d} (id)" if i else ""
        enum = ", state public.state not null default 'new'" if i % 10 == 0 else ""
        out.append(
            f"create table public.t{i:04d} (id bigint generated always as identity primary key, name text not null, "
            f"note text, amount numeric, tags text[] not null default '{{}}', data jsonb, "
            f"created_at timestamptz not null default now(){fk}{enum});")
        if i % 20 == 0:
            out.append(f"create view public.v{i:04d} as select id, name, amount from public.t{i:04d};")
            out.append(f"create function public.f{i:04d}(p_id bigint, p_limit int default 10) returns setof "
                       f"public.t{i:04d} language sql stable as 'select * from public.t{i:04d} where id = p_id';")
    return "\n".join(out)


def timed(argv, env=None):
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed")
    return elapsed, usage.ru_maxrss / 1024.0, out


def measure(argv, runs, env=None):
    results = [timed(argv, env) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), max(r[1] for r in results), results[0][2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--meta-runs", type=int, default=3)
    ap.add_argument("--sizes", default="100,1000")
    args = ap.parse_args()
    for path in (BIN, META):
        if not os.path.exists(path):
            sys.exit(f"missing {path}: see the usage at the top of this file")
    work = tempfile.mkdtemp(prefix="bench-typegen-")
    bindir, data, sock = start_cluster(work)
    psql = shutil.which("psql") or f"{bindir}/psql"
    try:
        print(f"{'tables':>7} {'supamcp ms':>11} {'pg-meta ms':>11} {'speed-up':>9} "
              f"{'supamcp MB':>11} {'pg-meta MB':>11} {'RSS ratio':>10}  identical")
        for size in [int(s) for s in args.sizes.split(",")]:
            db = f"bench_{size}"
            subprocess.run([psql, "-h", sock, "-p", str(PORT), "-U", "postgres", "-d", "postgres", "-qc",
                            f"create database {db}"], check=True)
            subprocess.run([psql, "-h", sock, "-p", str(PORT), "-U", "postgres", "-d", db, "-q", "-v",
                            "ON_ERROR_STOP=1"], input=schema_sql(size).encode(), check=True, stdout=subprocess.DEVNULL)
            url = f"postgres://postgres@/{db}?host={sock}&port={PORT}&sslmode=disable"
            ours = measure([BIN, "--database-url", url, "gen", "types", "--schema", "public"], args.runs)
            env = dict(os.environ, PG_META_DB_URL=f"postgresql://postgres@localhost:{PORT}/{db}?host={sock}",
                       PG_META_GENERATE_TYPES="typescript", PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS="public",
                       PG_META_GENERATE_TYPES_DETECT_ONE_TO_ONE_RELATIONSHIPS="true")
            theirs = measure(["node", META], args.meta_runs, env)
            print(f"{size:>7} {ours[0] * 1000:>11.1f} {theirs[0] * 1000:>11.1f} {theirs[0] / ours[0]:>8.1f}x "
                  f"{ours[1]:>11.1f} {theirs[1]:>11.1f} {theirs[1] / ours[1]:>9.1f}x  {ours[2] == theirs[2]}")
    finally:
        subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
