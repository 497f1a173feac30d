#!/usr/bin/env bash
# Prints the supamcp binary the scripts drive: $SUPAMCP when set, else supamcp on PATH, else this checkout's
# release build, else its debug build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${SUPAMCP:-}" ]; then
  printf '%s\n' "$SUPAMCP"
elif command -v supamcp >/dev/null 2>&1; then
  command -v supamcp
elif [ -x "$root/target/release/supamcp" ]; then
  printf '%s\n' "$root/target/release/supamcp"
else
  printf '%s\n' "$root/target/debug/supamcp"
fi
