#!/usr/bin/env python3
"""Benchmark of the monitoring group on a throwaway cluster with the Supabase fixture and a 1,000-table schema.

  1. `supamcp call get_advisors '{}'` (security and performance) on 1,000 tables: median and worst wall time of
     the whole process (start, connect, 17 lints, reply), end to end. Target: <= 1 s.
  2. `supamcp call health_check '{}'` on the small database (the fixture alone): target <= 200 ms.
  3. Side by side, in the same run: `psql -c 'select 1'` (process start and connect alone), and the
     Supabase CLI's `inspect db` meaning through psql: the db-stats and table-stats SQL of `inspect_db`, run by
     psql against `supamcp call inspect_db` for the same report.

Usage: python3 benches/bench_monitoring.py [--tables 1000] [--runs 10]
Needs: a release build (cargo build --release), PostgreSQL server binaries with contrib, psql.
"""
import argparse, json, os, pwd, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import as_pg, pg_bindir  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/supamcp")
FIXTURES = os.path.join(ROOT, "fixtures/sql")
PORT = 55497


def start_cluster(work):
    """initdb with supabase_admin as the bootstrap superuser, as the Supabase image does."""
    bindir = pg_bindir()
    data, sock = os.path.join(work, "data"), os.path.join(work, "sock")
    os.makedirs(sock)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        for p in (work, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    subprocess.run(as_pg([f"{bindir}/initdb", "-D", data, "-U", "supabase_admin", "--auth=trust", "-E", "UTF8"]),
                   check=True, stdout=subprocess.DEVNULL)
    opts = (f"-k {sock} -p {PORT} -c listen_addresses='' -c fsync=off -c wal_level=logical "
            "-c shared_preload_libraries=pg_stat_statements")
    subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-l", os.path.join(work, "log"), "-w", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    return bindir, data, sock


def psql(sock, sql, db="postgres", user="supabase_admin"):
    subprocess.run(["psql", "-h", sock, "-p", str(PORT), "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1", "-q",
                    "-c", sql], check=True, stdout=subprocess.DEVNULL)


def schema_sql(tables):
    """Tables like an app's: a primary key (every 10th has none), a foreign key to auth.users (every 3rd
    indexed), RLS with an auth.uid() policy on half, a duplicate index on every 20th, a definer view every 50th."""
    return f"""
    set role postgres;
    do $$
    begin
      for i in 1..{tables} loop
        if i % 10 = 0 then
          execute format('create table public.t%s (id bigint, owner uuid references auth.users (id), name text, created_at timestamptz default now())', i);
        else
          execute format('create table public.t%s (id bigint generated always as identity primary key, owner uuid references auth.users (id), name text, created_at timestamptz default now())', i);
        end if;
        if i % 3 = 0 then execute format('create index on public.t%s (owner)', i); end if;
        if i % 2 = 0 then
          execute format('alter table public.t%s enable row level security', i);
          execute format('create policy own on public.t%s for all to authenticated using (auth.uid() = owner)', i);
        end if;
        if i % 20 = 0 then
          execute format('create index t%s_name_a on public.t%s (name)', i, i);
          execute format('create index t%s_name_b on public.t%s (name)', i, i);
        end if;
        if i % 50 = 0 then execute format('create view public.v%s as select * from public.t%s', i, i); end if;
      end loop;
    end $$;
    reset role;
    analyze;
    """


def timed(argv, runs, env=None):
    samples = []
    out = b""
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, env=env)
        samples.append((time.perf_counter() - t0) * 1000)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(argv[:3])} failed: {proc.stdout.decode()[-500:]} {proc.stderr.decode()[-500:]}")
        out = proc.stdout
    samples = samples[1:]  # the first run warms the page cache
    return statistics.median(samples), max(samples), out


def call(url, tool, args):
    return [BIN, "--database-url", url, "--features", "monitoring", "call", tool, json.dumps(args)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    work = tempfile.mkdtemp(prefix="supamcp-bench-mon-")
    os.chmod(work, 0o755)
    bindir, data, sock = start_cluster(work)
    env = {**os.environ, "SUPAMCP_LOG": "error", "SUPAMCP_DATA_DIR": os.path.join(work, "supamcp")}
    try:
        psql(sock, open(os.path.join(FIXTURES, "supabase_roles.sql")).read())
        for db in ("small", "big"):
            psql(sock, f"create database {db}")
            psql(sock, open(os.path.join(FIXTURES, "supabase_fixture.sql")).read(), db=db)
            psql(sock, "create extension pg_stat_statements with schema extensions", db=db)
        t0 = time.perf_counter()
        psql(sock, schema_sql(args.tables), db="big")
        print(f"built {args.tables} tables in {time.perf_counter() - t0:.1f} s")
        url = lambda db: f"postgres://postgres@/{db}?host={sock}&port={PORT}&sslmode=disable"

        med, worst, out = timed(call(url("big"), "get_advisors", {}), args.runs, env)
        reply = json.loads(out)
        summary = reply.get("summary", {})
        print(f"get_advisors, {args.tables} tables, both types: median {med:.0f} ms, worst {worst:.0f} ms "
              f"({len(reply.get('findings', []))} returned of {sum(summary.values())}: {summary}) target <= 1000 ms")
        for kind in ("security", "performance"):
            med_k, worst_k, _ = timed(call(url("big"), "get_advisors", {"type": kind}), args.runs, env)
            print(f"get_advisors type={kind}: median {med_k:.0f} ms, worst {worst_k:.0f} ms")

        med_h, worst_h, out = timed(call(url("small"), "health_check", {}), args.runs, env)
        health = json.loads(out)
        print(f"health_check, small database: median {med_h:.0f} ms, worst {worst_h:.0f} ms "
              f"(server-side {health.get('elapsed_ms')} ms, status {health.get('status')}) target <= 200 ms")

        base = ["psql", "-h", sock, "-p", str(PORT), "-U", "postgres", "-d", "big", "-Atqc"]
        med_p, _, _ = timed(base + ["select 1"], args.runs)
        print(f"baseline psql -c 'select 1' (process start + connect): median {med_p:.0f} ms")
        for report, sql in (
            ("table-stats", "select n.nspname, c.relname, pg_size_pretty(pg_table_size(c.oid)), "
             "pg_size_pretty(pg_indexes_size(c.oid)), pg_size_pretty(pg_total_relation_size(c.oid)), "
             "c.reltuples::int8, s.seq_scan from pg_class c join pg_namespace n on n.oid = c.relnamespace "
             "left join pg_stat_user_tables s on s.relid = c.oid where c.relkind in ('r','p','m') "
             "and n.nspname not in ('auth','storage','extensions','pg_catalog','information_schema') "
             "and n.nspname !~ '^pg_' order by pg_total_relation_size(c.oid) desc limit 101"),
            ("index-stats", "select s.schemaname, s.relname, s.indexrelname, pg_size_pretty(pg_relation_size(s.indexrelid)), "
             "s.idx_scan from pg_stat_user_indexes s order by pg_relation_size(s.indexrelid) desc limit 101"),
        ):
            med_s, _, _ = timed(call(url("big"), "inspect_db", {"report": report}), args.runs, env)
            med_q, _, _ = timed(base + [sql], args.runs)
            print(f"inspect_db {report}: supamcp call median {med_s:.0f} ms vs psql with the same SQL {med_q:.0f} ms "
                  f"(ratio {med_s / med_q:.2f})")
    finally:
        subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]), stdout=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
