#!/usr/bin/env node
// Starts the supamcp binary of this platform, shipped in the optional dependency @supamcp/<platform>-<arch>
// (npm installs only the one matching this machine). SUPAMCP_BINARY overrides the lookup. stdio is passed
// through untouched (MCP speaks over it), signals are forwarded, and the binary's exit code is ours.
"use strict";

const { spawn } = require("node:child_process");
const path = require("node:path");

function binaryPath() {
  if (process.env.SUPAMCP_BINARY) {
    return process.env.SUPAMCP_BINARY;
  }
  const pkg = `@supamcp/${process.platform}-${process.arch}`;
  const exe = process.platform === "win32" ? "supamcp.exe" : "supamcp";
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "bin", exe);
  } catch {
    process.stderr.write(
      `supamcp: no binary for ${process.platform}-${process.arch}: the optional package ${pkg} is not installed.\n` +
        "Fix: reinstall without --no-optional/--omit=optional, use a platform supamcp ships for " +
        "(linux x64/arm64, macOS x64/arm64, Windows x64), or set SUPAMCP_BINARY to a supamcp binary.\n",
    );
    process.exit(2);
  }
}

const child = spawn(binaryPath(), process.argv.slice(2), { stdio: "inherit", windowsHide: true });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => {
  process.stderr.write(`supamcp: cannot start the binary: ${error.message}\n`);
  process.exit(2);
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
