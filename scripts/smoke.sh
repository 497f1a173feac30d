#!/usr/bin/env bash
# Smoke suite: drives the real supamcp binary with `supamcp call TOOL JSON` through one representative round trip
# per tool group against a Supabase stack (the dockerised one of ci/supabase, a real self-hosted one, or the
# project's fakes in tests/integration/smoke), cleans up what it made, and prints one line per check:
#
#   PASS <check> <detail>     FAIL <check> <detail>     SKIP <check> <why>
#
# Usage: scripts/smoke.sh URL-or-env-file
#   a postgres:// or postgresql:// URL: the database only; the API groups need SUPABASE_URL,
#     SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY in the environment (else they are skipped);
#   a Supabase .env (POSTGRES_*, SUPABASE_PUBLIC_URL, ANON_KEY, SERVICE_ROLE_KEY): everything.
# Environment:
#   SUPAMCP               the binary (default: supamcp on PATH, else target/release or target/debug)
#   SUPAMCP_FUNCTIONS_DIR the stack's volumes/functions (default: volumes/functions beside the .env, if any)
#   SMOKE_CHECK_API=0     health_check without the API probes (auth, rest, storage); default 1
#   SMOKE_REQUIRE_ALL=1   a skipped check fails the run (for CI, where every group is expected)
#   SMOKE_RUN_ID          suffix of every object the suite creates (default: time and process id)
# Exit status: 0 when no check failed, 1 otherwise (2 for a usage error).
#
# Needs bash and jq. Every value reaches supamcp as its own argv entry; JSON is built with jq --arg, never by
# splicing strings.
set -uo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 URL-or-env-file" >&2
  exit 2
fi
if ! command -v jq >/dev/null 2>&1; then
  echo "FAIL setup jq is needed (apt-get install jq)"
  exit 1
fi

root=$(cd "$(dirname "$0")/.." && pwd)
SUPAMCP=${SUPAMCP:-$(bash "$root/scripts/find-supamcp.sh")}
if [ ! -x "$SUPAMCP" ]; then
  echo "FAIL setup no supamcp binary at $SUPAMCP (set SUPAMCP or run cargo build)"
  exit 1
fi

target=$1
case "$target" in
  postgres://* | postgresql://*) target_flags=(--database-url "$target") ;;
  *)
    if [ ! -f "$target" ]; then
      echo "FAIL setup $target is neither a postgres:// URL nor a readable .env file"
      exit 1
    fi
    env_file=$(cd "$(dirname "$target")" && pwd)/$(basename "$target")
    target_flags=(--env-file "$env_file")
    if [ -z "${SUPAMCP_FUNCTIONS_DIR:-}" ] && [ -d "$(dirname "$env_file")/volumes/functions" ]; then
      SUPAMCP_FUNCTIONS_DIR=$(dirname "$env_file")/volumes/functions
      export SUPAMCP_FUNCTIONS_DIR
    fi
    ;;
esac

run_id=${SMOKE_RUN_ID:-$(date +%s)_$$}
run_id=$(printf '%s' "$run_id" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_' '_')
table=supamcp_smoke_$run_id
bucket=supamcp-smoke-${run_id//_/-}
slug=supamcp-smoke-${run_id//_/-}
email=supamcp-smoke-${run_id//_/-}@example.com
token=smoke-$run_id
version=
jq_vars=(--arg table "$table" --arg bucket "$bucket" --arg slug "$slug" --arg email "$email" --arg token "$token")

work=$(mktemp -d "${TMPDIR:-/tmp}/supamcp-smoke.XXXXXX")
mkdir -p "$work/data" "$work/backups" "$work/migrations"
export SUPAMCP_LOG=${SUPAMCP_LOG:-warn}
common=("${target_flags[@]}" --allow-absolute-paths --data-dir "$work/data" --backup-dir "$work/backups")

failed=0
skipped=0
out=$work/out.json
err=$work/err.txt

pass() { printf 'PASS %s %s\n' "$1" "$2"; }
fail() {
  failed=$((failed + 1))
  printf 'FAIL %s %s\n' "$1" "$2"
}
skip() {
  skipped=$((skipped + 1))
  printf 'SKIP %s %s\n' "$1" "$2"
}

# call TOOL JSON: runs the tool; its JSON reply in $out, its error text in $err; the exit status of supamcp.
call() {
  "$SUPAMCP" "${common[@]}" call "$1" "$2" >"$out" 2>"$err"
}

# The first line of the tool's error, for a FAIL detail.
why() {
  local text
  text=$(grep -v '^[0-9T:.-]*Z *\(WARN\|INFO\)' "$err" | tr '\n' ' ' | cut -c1-300)
  [ -n "$text" ] || text=$(tr '\n' ' ' <"$out" | cut -c1-300)
  printf '%s' "${text:-no output}"
}

# q FILTER: jq on the last reply, raw output. The run's names are jq variables ($table, $email, $bucket, $slug,
# $token, $version), so filters never splice values into their text.
q() { jq -r "${jq_vars[@]}" "$1" "$out" 2>/dev/null; }

# check NAME TOOL JSON JQ-CONDITION DETAIL-FILTER: one call, PASS when the reply satisfies the condition.
check() {
  local name=$1 tool=$2 args=$3 condition=$4 detail=$5
  if ! call "$tool" "$args"; then
    fail "$name" "$tool: $(why)"
    return 1
  fi
  if [ "$(q "$condition")" != true ]; then
    fail "$name" "$tool replied without ($condition): $(tr '\n' ' ' <"$out" | cut -c1-300)"
    return 1
  fi
  pass "$name" "$(q "$detail")"
}

# ---- cleanup: whatever the checks created, newest first -------------------------------------------------
made_function=
made_bucket=
made_object=
made_user=
made_version=
rollbacks=()
cleanup() {
  set +e
  if [ -n "$made_function" ]; then
    if call delete_edge_function "$(jq -nc --arg s "$slug" '{function_slug: $s, confirm: true}')"; then
      pass cleanup.function "deleted $slug"
    else
      fail cleanup.function "$slug: $(why)"
    fi
  fi
  if [ -n "$made_object" ]; then
    call delete_objects "$(jq -nc --arg b "$bucket" '{bucket: $b, paths: ["smoke/hello.txt"], confirm: true}')" \
      || fail cleanup.object "$(why)"
  fi
  if [ -n "$made_bucket" ]; then
    if call delete_bucket "$(jq -nc --arg b "$bucket" '{bucket: $b, confirm: true}')"; then
      pass cleanup.bucket "deleted $bucket"
    else
      fail cleanup.bucket "$bucket: $(why)"
    fi
  fi
  if [ -n "$made_user" ]; then
    if call delete_user "$(jq -nc --arg u "$made_user" '{user_id: $u, confirm: true}')"; then
      pass cleanup.user "deleted $email"
    else
      fail cleanup.user "$made_user: $(why)"
    fi
  fi
  # Every applied migration, newest first: its down file runs and its history row goes.
  local i v
  for ((i = ${#rollbacks[@]} - 1; i >= 0; i--)); do
    v=${rollbacks[$i]}
    if call rollback_migration "$(jq -nc --arg v "$v" --arg d "$work/migrations" \
      '{version: $v, directory: $d, confirm: true}')"; then
      pass cleanup.migration "rolled back $v ($(q .name)), history row removed"
    else
      fail cleanup.migration "$v: $(why)"
    fi
  done
  rm -rf "$work"
}
finish() {
  local status=$?
  cleanup
  if [ "$failed" -gt 0 ]; then
    echo "smoke: $failed check(s) failed, $skipped skipped"
    exit 1
  fi
  if [ "$skipped" -gt 0 ] && [ "${SMOKE_REQUIRE_ALL:-0}" = 1 ]; then
    echo "smoke: $skipped check(s) skipped and SMOKE_REQUIRE_ALL=1"
    exit 1
  fi
  if [ "$status" -ne 0 ]; then
    echo "smoke: stopped (exit status $status) before every check ran"
    exit "$status"
  fi
  echo "smoke: all checks passed ($skipped skipped)"
  exit 0
}
trap finish EXIT
trap 'exit 130' INT TERM

# The group list of this configuration: which groups are offered, and why not.
groups_json=$work/groups.json
if ! "$SUPAMCP" "${common[@]}" --features all tools >"$work/tools.json" 2>"$err"; then
  fail setup "supamcp tools: $(why)"
  exit 1
fi
jq '.groups' "$work/tools.json" >"$groups_json"
# offered GROUP: exit 0 when the group's tools are offered; else prints why not.
offered() {
  local state
  state=$(jq -r --arg g "$1" '[.[] | select(.group == $g)][0] | if . == null then "unknown group" elif .enabled then "yes" else .reason end' "$groups_json")
  if [ "$state" = yes ]; then return 0; fi
  printf '%s' "$state"
  return 1
}

# ---- core ---------------------------------------------------------------------------------------------
check core.connection test_connection '{}' '.ok == true' '"\(.current_user)@\(.database), PostgreSQL \(.server_version)"' \
  || exit 1
check core.sql execute_sql '{"sql": "select 6 * 7 as answer"}' '.rows[0].answer == 42' '"select 6 * 7 = \(.rows[0].answer)"'

# ---- migrations: a CLI-compatible migration with its down file, applied, listed; rolled back at cleanup ---
if call create_migration "$(jq -nc --arg d "$work/migrations" --arg t "$table" '{
    name: "supamcp_smoke", directory: $d,
    sql: "create table public.\($t) (id bigint generated always as identity primary key, note text not null);",
    down_sql: "drop table public.\($t);"}')"; then
  version=$(q .version)
  jq_vars+=(--arg version "$version")
  if call apply_pending "$(jq -nc --arg d "$work/migrations" '{directory: $d}')"; then
    made_version=$version
    rollbacks+=("$version")
    if [ "$(q '[.applied[] | select(.version == $version)] | length')" = 1 ]; then
      check migrations.round_trip list_migrations "$(jq -nc --arg d "$work/migrations" '{directory: $d}')" \
        '[.migrations[] | select(.version == $version and .applied and .has_down)] | length == 1' \
        '"applied \($version) (create table \($table)), listed as applied with a down file"'
    else
      fail migrations.round_trip "apply_pending did not apply $version: $(tr '\n' ' ' <"$out" | cut -c1-300)"
    fi
  else
    fail migrations.round_trip "apply_pending: $(why)"
  fi
else
  fail migrations.round_trip "create_migration: $(why)"
fi

if [ -n "$made_version" ]; then
  check core.schema describe_table "$(jq -nc --arg t "$table" '{schema: "public", table: $t}')" \
    '[.columns[]? | .name] | index("note") != null' '"public.\(.table // .name // "table") has columns \([.columns[]? | .name] | join(", "))"'
  call execute_sql "$(jq -nc --arg t "$table" '{sql: "insert into public.\($t) (note) values ($1), ($2)", params: ["one", "two"]}')" \
    || fail core.write "execute_sql insert: $(why)"
fi

# ---- backups: a backup of the smoke table, verified --------------------------------------------------------
if [ -n "$made_version" ]; then
  if call create_backup "$(jq -nc --arg t "public.$table" '{tables: [$t], encrypt: false}')"; then
    backup_id=$(q .id)
    check backups.round_trip verify_backup "$(jq -nc --arg id "$backup_id" '{backup_id: $id}')" \
      '.tables_with_data == 1' '"\(.backup_id): \(.archive_bytes) bytes, \(.toc_entries) TOC entries, \(.tables_with_data) table with data"'
  else
    fail backups.round_trip "create_backup: $(why)"
  fi
else
  skip backups.round_trip "no smoke table (the migration check failed)"
fi

# ---- auth: a user created through GoTrue's admin API, read back; deleted at cleanup -------------------------
if reason=$(offered auth); then
  if call create_user "$(jq -nc --arg e "$email" '{email: $e, password: "Smoke-\($e)-pw-1", email_confirm: true,
      user_metadata: {source: "supamcp smoke"}, app_metadata: {}}')"; then
    made_user=$(q '.id // .user.id')
    check auth.round_trip get_user "$(jq -nc --arg u "$made_user" '{user_id: $u}')" \
      '(.email // .user.email) == $email' '"created and read back \($email) (\(.id // .user.id))"'
  else
    fail auth.round_trip "create_user: $(why)"
  fi
else
  skip auth.round_trip "$reason"
fi

# ---- storage: bucket, upload, list, download and compare; deleted at cleanup ---------------------------------
if reason=$(offered storage); then
  printf 'supamcp smoke %s\n' "$run_id" >"$work/hello.txt"
  if call create_bucket "$(jq -nc --arg b "$bucket" '{bucket: $b, public: false}')"; then
    made_bucket=1
    if call upload_object "$(jq -nc --arg b "$bucket" --arg f "$work/hello.txt" \
      '{bucket: $b, path: "smoke/hello.txt", file: $f, content_type: "text/plain"}')"; then
      made_object=1
      if call download_object "$(jq -nc --arg b "$bucket" --arg t "$work/hello.down.txt" \
        '{bucket: $b, path: "smoke/hello.txt", to: $t}')" && cmp -s "$work/hello.txt" "$work/hello.down.txt"; then
        check storage.round_trip list_objects "$(jq -nc --arg b "$bucket" '{bucket: $b, prefix: "smoke"}')" \
          'tostring | contains("hello.txt")' '"\($bucket): uploaded, listed and downloaded smoke/hello.txt unchanged"'
      else
        fail storage.round_trip "download_object (or the bytes differ): $(why)"
      fi
    else
      fail storage.round_trip "upload_object: $(why)"
    fi
  else
    fail storage.round_trip "create_bucket: $(why)"
  fi
else
  skip storage.round_trip "$reason"
fi

# ---- functions: deploy into the functions directory, invoke through the gateway; deleted at cleanup ---------
if ! reason=$(offered functions); then
  skip functions.round_trip "$reason"
elif [ -z "${SUPAMCP_FUNCTIONS_DIR:-}" ]; then
  skip functions.round_trip "no SUPAMCP_FUNCTIONS_DIR (the stack's volumes/functions) to deploy into"
else
  source_ts='Deno.serve(async (req) => {
  const body = await req.text();
  return new Response(JSON.stringify({ smoke: true, method: req.method, body }), {
    headers: { "content-type": "application/json" },
  });
});
'
  if call deploy_edge_function "$(jq -nc --arg n "$slug" --arg s "$source_ts" \
    '{name: $n, verify_jwt: false, files: [{name: "index.ts", content: $s}]}')"; then
    made_function=1
    check functions.round_trip invoke_edge_function \
      "$(jq -nc --arg n "$slug" --arg t "$token" '{function_slug: $n, method: "POST", body: ({token: $t} | tojson), content_type: "application/json"}')" \
      '(.status == 200) and (tostring | contains($token))' '"deployed \($slug), invoked it: HTTP \(.status), the body came back"'
  else
    fail functions.round_trip "deploy_edge_function: $(why)"
  fi
fi

# ---- realtime: the smoke table added to the publication (a migration, rolled back at cleanup), a broadcast ---
if reason=$(offered realtime); then
  if [ -z "$made_version" ]; then
    skip realtime.tables "no smoke table (the migration check failed)"
  elif call enable_realtime "$(jq -nc --arg t "public.$table" --arg d "$work/migrations" '{tables: [$t], directory: $d}')"; then
    rollbacks+=("$(q .applied.version)")
    check realtime.tables list_realtime_tables '{}' \
      '[.tables[] | select(.schema == "public" and .table == $table)] | length == 1' \
      '"public.\($table) added to \(.publication) by a migration, listed with replica identity \([.tables[] | select(.table == $table)][0].replica_identity)"'
  else
    fail realtime.tables "enable_realtime: $(why)"
  fi
  # The storage group is offered exactly when the API URL and the service-role key are configured.
  if api_reason=$(offered storage); then
    check realtime.broadcast broadcast_test_message \
      "$(jq -nc --arg t "supamcp-smoke-$run_id" '{topic: $t, event: "smoke", payload: {run: $t}}')" \
      '.sent.status == 202' '"broadcast through \(.sent.url): HTTP \(.sent.status)"'
  else
    skip realtime.broadcast "$api_reason"
  fi
else
  skip realtime.tables "$reason"
fi

# ---- monitoring ---------------------------------------------------------------------------------------------
check_api=true
[ "${SMOKE_CHECK_API:-1}" = 0 ] && check_api=false
check monitoring.health health_check "$(jq -nc --argjson a "$check_api" '{check_api: $a}')" \
  '.status != "critical"' '"status \(.status), \(.database.connections) connection(s), \(.alerts | length) alert(s), API \(if .api then ([.api.probes[] | "\(.service) \(.status)"] | join(" ")) else (.api_skipped // "not probed") end)"'

# ---- development --------------------------------------------------------------------------------------------
if [ -n "$made_version" ]; then
  check development.types generate_typescript_types '{"schemas": ["public"]}' \
    '.types | contains($table)' '"\(.lines) lines of TypeScript, the smoke table included"'
else
  check development.types generate_typescript_types '{"schemas": ["public"]}' '(.lines > 0)' '"\(.lines) lines of TypeScript"'
fi

# ---- knowledge (offline: no network beyond the stack) --------------------------------------------------------
check knowledge.search search_docs '{"query": "row level security policy", "offline": true, "limit": 3}' \
  '(.results | length) > 0' '"\(.results | length) local result(s), first: \(.results[0].title)"'
check knowledge.explain explain_error \
  '{"text": "new row violates row-level security policy for table \"todos\"", "offline": true}' \
  '(.matches | length) > 0' '"\(.matches | length) match(es) in the local knowledge base"'
