#!/usr/bin/env python3
"""Upload and download of one large file against the test suite's fake Storage API on loopback
(examples/storage_fake), side by side with curl doing the same POST/GET on the same fake in the same run:
wall time, throughput, and peak RSS (supamcp: VmHWM of its serve process; curl: GNU time). supamcp uploads
files over 6 MB in resumable (TUS) parts, curl in one request. SHA-256 of every downloaded copy is checked.
Dirty pages are written back (sync) before each timed transfer, so no transfer pays for an earlier one's writes.

Usage: python3 benches/bench_storage.py [--megabytes 1024] [--dir /var/tmp] [--rounds 3] (medians of the rounds)
Needs: cargo build --release --examples; curl; GNU time.
"""
import argparse, hashlib, json, os, statistics, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import BIN, INIT, ROOT, timed, peak_rss_mib, rpc  # noqa: E402

FAKE = os.path.join(ROOT, "target/release/examples/storage_fake")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()



def call(proc, call_id, name, arguments):
    os.sync()
    started = time.perf_counter()
    reply = rpc(proc, {"jsonrpc": "2.0", "id": call_id, "method": "tools/call",
                        "params": {"name": name, "arguments": arguments}})
    elapsed = time.perf_counter() - started
    result = reply["result"]
    assert not result.get("isError"), result
    return elapsed, result.get("structuredContent")



def curl(argv, work):
    """Runs curl with argv under GNU time: (seconds, peak RSS MiB)."""
    rss_file = os.path.join(work, "curl.rss")
    os.sync()
    started = time.perf_counter()
    subprocess.run(timed(["curl", "-sS", "-f", "-o", "/dev/null"] + argv if "-T" in argv
                         else ["curl", "-sS", "-f"] + argv, rss_file), check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    with open(rss_file) as f:
        return elapsed, int(f.read().split()[-1]) / 1024.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--dir", default="/var/tmp")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[0]
    work = tempfile.mkdtemp(prefix="bench-storage-", dir=args.dir)
    source = os.path.join(work, "source.bin")
    with open(source, "wb") as f:
        block = os.urandom(1 << 20)
        for i in range(args.megabytes):
            f.write(block[i % 251:] + block[:i % 251])
    size = os.path.getsize(source)
    source_sha = sha256(source)
    fake = subprocess.Popen([FAKE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    info = json.loads(fake.stdout.readline())
    url, key = info["url"], info["service_key"]
    auth = ["-H", f"Authorization: Bearer {key}", "-H", f"apikey: {key}"]
    report = {"megabytes": args.megabytes, "load_average_1m_before": load_before}
    try:
        body = json.dumps({"id": "bench", "name": "bench", "public": False}).encode()
        request = urllib.request.Request(f"{url}/storage/v1/bucket", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {key}", "apikey": key,
                                                  "Content-Type": "application/json"})
        urllib.request.urlopen(request).read()
        object_url = f"{url}/storage/v1/object/bench"
        env = {"PATH": os.environ["PATH"], "SUPAMCP_LOG": "error", "SUPABASE_URL": url,
               "SUPABASE_SERVICE_ROLE_KEY": key}
        proc = subprocess.Popen([BIN, "--features", "storage", "--allow-absolute-paths", "--data-dir",
                                 os.path.join(work, "data")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env, cwd=work)
        curl_runs = {"up": [], "down": [], "up_rss": [], "down_rss": []}
        mine_runs = {"up": [], "down": []}
        try:
            rpc(proc, INIT)
            proc.stdin.write((json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n").encode())
            proc.stdin.flush()
            # Alternating rounds, the same objects replaced and the outputs removed each time: the page cache and the disk's writeback treat
            # whoever comes later differently, so one round each would measure the order, not the tools.
            for round_no in range(args.rounds):
                up, up_rss = curl(auth + ["-H", "Content-Type: application/octet-stream", "-H", "x-upsert: true",
                                          "-X", "POST", "-T", source, f"{object_url}/curl.bin"], work)
                curl_copy = os.path.join(work, "curl.out")
                down, down_rss = curl(auth + ["-o", curl_copy, f"{object_url}/curl.bin"], work)
                assert sha256(curl_copy) == source_sha
                os.remove(curl_copy)
                curl_runs["up"].append(up); curl_runs["down"].append(down)
                curl_runs["up_rss"].append(up_rss); curl_runs["down_rss"].append(down_rss)
                up, _ = call(proc, 10 + 2 * round_no, "upload_object",
                             {"bucket": "bench", "path": "supamcp.bin", "file": source, "upsert": True})
                mine = os.path.join(work, "supamcp.out")
                down, reply = call(proc, 11 + 2 * round_no, "download_object",
                                   {"bucket": "bench", "path": "supamcp.bin", "to": mine})
                assert sha256(mine) == source_sha, "the downloaded copy differs"
                assert reply["sha256"] == source_sha, reply
                os.remove(mine)
                mine_runs["up"].append(up); mine_runs["down"].append(down)
            peak = peak_rss_mib(proc.pid)
        finally:
            proc.stdin.close()
            proc.wait()
        med = statistics.median
        report["rounds"] = args.rounds
        report["curl"] = {"upload_s": round(med(curl_runs["up"]), 2), "upload_MBps": round(size / med(curl_runs["up"]) / 1e6, 1),
                          "upload_peak_rss_mib": round(max(curl_runs["up_rss"]), 1),
                          "download_s": round(med(curl_runs["down"]), 2),
                          "download_MBps": round(size / med(curl_runs["down"]) / 1e6, 1),
                          "download_peak_rss_mib": round(max(curl_runs["down_rss"]), 1)}
        report["supamcp"] = {"upload_s": round(med(mine_runs["up"]), 2), "upload_MBps": round(size / med(mine_runs["up"]) / 1e6, 1),
                             "download_s": round(med(mine_runs["down"]), 2),
                             "download_MBps": round(size / med(mine_runs["down"]) / 1e6, 1), "peak_rss_mib": round(peak, 1)}
        report["supamcp_vs_curl"] = {
            "upload": round(report["curl"]["upload_s"] / report["supamcp"]["upload_s"], 2),
            "download": round(report["curl"]["download_s"] / report["supamcp"]["download_s"], 2)}
    finally:
        fake.stdin.close()
        fake.wait()
        __import__("shutil").rmtree(work, ignore_errors=True)
    with open("/proc/loadavg") as f:
        report["load_average_1m_after"] = f.read().split()[0]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
