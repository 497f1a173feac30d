#!/usr/bin/env python3
"""list_users over 10,000 users, both paths, in one run on the same machine:

  API path: supamcp -> the test suite's fake GoTrue (examples/gotrue_fake, users in memory), beside the floor:
            the same admin request (GET /auth/v1/admin/users?page=1&per_page=50) sent straight to the fake.
  SQL path: GoTrue unreachable, supamcp reads auth.users on a throwaway cluster with the Supabase fixture and
            10,000 users written as GoTrue writes them, beside the floor: the same page read with psql.

For each: the first call of a fresh session (cold: connection or HTTP client opened), the median of 30 warm
calls of page 1 and of the last page, and supamcp's peak RSS (VmHWM) at the end.

Usage: python3 benches/bench_auth.py [--users 10000]
Needs: cargo build --release --examples; PostgreSQL server binaries and psql.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import BIN, INIT, ROOT, as_pg, start_cluster, stop_clusters, peak_rss_mib, rpc  # noqa: E402

FAKE = os.path.join(ROOT, "target/release/examples/gotrue_fake")
FIXTURES = os.path.join(ROOT, "fixtures/sql")
PER_PAGE = 50


def session(env_extra, args):
    env = {"PATH": os.environ["PATH"], "SUPAMCP_LOG": "error", **env_extra}
    proc = subprocess.Popen([BIN, "--features", "auth"] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    rpc(proc, INIT)
    proc.stdin.write((json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n").encode())
    proc.stdin.flush()
    return proc



def list_page(proc, page, call_id):
    started = time.perf_counter()
    reply = rpc(proc, {"jsonrpc": "2.0", "id": call_id, "method": "tools/call",
                        "params": {"name": "list_users", "arguments": {"page": page, "per_page": PER_PAGE}}})
    elapsed = (time.perf_counter() - started) * 1000
    result = reply["result"]
    assert not result.get("isError"), result
    return elapsed, result["structuredContent"]



def measure(proc, last_page):
    cold, listing = list_page(proc, 1, 10)
    page1 = [list_page(proc, 1, 100 + i)[0] for i in range(30)]
    last = [list_page(proc, last_page, 200 + i)[0] for i in range(30)]
    return {"cold_ms": round(cold, 2), "page1_median_ms": round(statistics.median(page1), 2),
            "last_page_median_ms": round(statistics.median(last), 2), "peak_rss_mib": round(peak_rss_mib(proc.pid), 1),
            "total": listing.get("total"), "rows": len(listing.get("users", [])), "note": bool(listing.get("note"))}


def api_path(users):
    fake = subprocess.Popen([FAKE, str(users)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    info = json.loads(fake.stdout.readline())
    try:
        request = urllib.request.Request(f"{info['url']}/auth/v1/admin/users?page=1&per_page={PER_PAGE}",
                                         headers={"apikey": info["service_key"],
                                                  "Authorization": f"Bearer {info['service_key']}"})
        floor = []
        for _ in range(30):
            started = time.perf_counter()
            urllib.request.urlopen(request).read()
            floor.append((time.perf_counter() - started) * 1000)
        proc = session({"SUPABASE_URL": info["url"], "SUPABASE_SERVICE_ROLE_KEY": info["service_key"]}, [])
        try:
            result = measure(proc, users // PER_PAGE)
        finally:
            proc.stdin.close()
            proc.wait()
        result["floor_direct_http_median_ms"] = round(statistics.median(floor), 2)
        return result
    finally:
        fake.stdin.close()
        fake.wait()


SEED = """
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change_token_new, email_change, raw_app_meta_data,
  raw_user_meta_data, created_at, updated_at, last_sign_in_at)
select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
  format('user%s@example.com', lpad(n::text, 5, '0')), '', now(), '', '', '', '',
  '{"provider": "email", "providers": ["email"]}', '{}', now() - make_interval(secs => n), now(), now()
from generate_series(1, {USERS}) as n;
insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
select id::text, id, jsonb_build_object('sub', id::text, 'email', email), 'email', created_at, updated_at
from auth.users;
analyze auth.users; analyze auth.identities;
"""


def sql_path(users, work):
    bindir, data, sock = cluster = start_cluster(work, port=55497, superuser="supabase_admin")
    try:
        return sql_measure(users, bindir, sock), cluster
    except BaseException:
        stop_clusters([cluster], work)
        raise


def sql_measure(users, bindir, sock):
    psql = as_pg([f"{bindir}/psql", "-h", sock, "-p", "55497", "-U", "supabase_admin", "-d", "postgres", "-q",
                  "-v", "ON_ERROR_STOP=1"])
    for name in ("supabase_roles.sql", "supabase_fixture.sql"):
        with open(os.path.join(FIXTURES, name)) as f:
            subprocess.run(psql, stdin=f, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(psql + ["-c", SEED.replace("{USERS}", str(users))], check=True, stdout=subprocess.DEVNULL)
    query = (f"select id, email, phone, raw_app_meta_data, email_confirmed_at, last_sign_in_at, banned_until "
             f"from auth.users order by created_at desc limit {PER_PAGE}")
    floor = []
    for _ in range(10):
        started = time.perf_counter()
        subprocess.run(psql + ["-c", query], check=True, stdout=subprocess.DEVNULL)
        floor.append((time.perf_counter() - started) * 1000)
    url = f"postgresql://supabase_admin@/postgres?host={sock}&port=55497"
    proc = session({"SUPABASE_URL": "http://127.0.0.1:9", "SUPABASE_SERVICE_ROLE_KEY": "unused-key-0123456789"},
                   ["--database-url", url])
    try:
        result = measure(proc, users // PER_PAGE)
    finally:
        proc.stdin.close()
        proc.wait()
    result["floor_psql_process_median_ms"] = round(statistics.median(floor), 2)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10000)
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    report = {"users": args.users, "per_page": PER_PAGE, "load_average_1m": load, "api": api_path(args.users)}
    work = tempfile.mkdtemp(prefix="bench-auth-")
    cluster = None
    try:
        report["sql"], cluster = sql_path(args.users, work)
    finally:
        stop_clusters([cluster] if cluster else [], work)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
