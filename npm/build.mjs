#!/usr/bin/env node
// Builds the npm packages from release binaries: the launcher package `supamcp` (bin/supamcp.js, one optional
// dependency per platform) and `@supamcp/<platform>-<arch>` holding one binary each, the way biome and esbuild
// ship (nothing downloaded at install time). The version is Cargo.toml's.
//
// Usage: node npm/build.mjs --out DIR [--binary PLATFORM-ARCH=PATH ...] [--pack]
//   PLATFORM-ARCH is Node's naming: linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64.
//   --pack runs `npm pack` in each package directory, leaving the .tgz files in DIR.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
export const PLATFORMS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"];

function cargoVersion() {
  const manifest = readFileSync(join(root, "Cargo.toml"), "utf8");
  const match = manifest.match(/^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m);
  if (!match) throw new Error("no version in Cargo.toml's [package]");
  return match[1];
}

function args(argv) {
  const out = { binaries: {}, pack: false, out: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") out.out = resolve(argv[++i]);
    else if (argv[i] === "--pack") out.pack = true;
    else if (argv[i] === "--binary") {
      const [target, file] = argv[++i].split("=");
      if (!PLATFORMS.includes(target)) throw new Error(`unknown platform ${target}: one of ${PLATFORMS.join(", ")}`);
      out.binaries[target] = resolve(file);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!out.out) throw new Error("--out DIR is required");
  return out;
}

const common = (version) => ({ version, license: "Apache-2.0" });

function platformPackage(out, target, binary, version) {
  const [os, cpu] = target.split("-");
  const dir = join(out, "packages", target);
  mkdirSync(join(dir, "bin"), { recursive: true });
  const exe = os === "win32" ? "supamcp.exe" : "supamcp";
  copyFileSync(binary, join(dir, "bin", exe));
  chmodSync(join(dir, "bin", exe), 0o755);
  const manifest = {
    name: `@supamcp/${target}`,
    ...common(version),
    description: `The supamcp binary for ${target}.`,
    os: [os],
    cpu: [cpu],
    files: ["bin"],
    preferUnplugged: true,
  };
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}

function launcherPackage(out, version) {
  const dir = join(out, "packages", "supamcp");
  mkdirSync(join(dir, "bin"), { recursive: true });
  copyFileSync(join(here, "supamcp", "bin", "supamcp.js"), join(dir, "bin", "supamcp.js"));
  chmodSync(join(dir, "bin", "supamcp.js"), 0o755);
  copyFileSync(join(root, "README.md"), join(dir, "README.md"));
  const manifest = {
    name: "supamcp",
    ...common(version),
    description: "MCP server for Supabase, cloud and self-hosted: one native binary, started with npx -y supamcp.",
    bin: { supamcp: "bin/supamcp.js" },
    files: ["bin", "README.md"],
    engines: { node: ">=18" },
    optionalDependencies: Object.fromEntries(PLATFORMS.map((p) => [`@supamcp/${p}`, version])),
    keywords: ["mcp", "supabase", "postgres", "model-context-protocol"],
  };
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}

const options = args(process.argv.slice(2));
const version = cargoVersion();
const dirs = Object.entries(options.binaries).map(([t, b]) => platformPackage(options.out, t, b, version));
dirs.push(launcherPackage(options.out, version));
for (const dir of dirs) {
  if (options.pack) {
    execFileSync("npm", ["pack", "--silent", "--pack-destination", options.out], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  }
  process.stdout.write(`${dir}\n`);
}
