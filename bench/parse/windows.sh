#!/usr/bin/env bash
# Windows decoders against their raw limits, per core (see bench/parse/windows_bench.cpp), plus
# the end-to-end `mamori parse` rate on the same data. Prints MB/s, events/s and the ratios.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
shared="${MAMORI_SHARED_DATA:-$root/../shared/data}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

"$build/bin/bench_parse_windows" --benchmark_format=json --benchmark_min_time=2 > "$out"
python3 - "$out" <<'PY'
import json, sys
runs = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"] if "error_message" not in b}
def rate(name):
    b = runs.get(name)
    return (b["bytes_per_second"] / 1e6, b["items_per_second"]) if b else (None, None)
rows = [("EVTX decode (framing + BinXml + fields + OCSF)", "BM_evtx_decode"),
        ("  limit: EVTX framing + CRC + record walk", "BM_evtx_limit_framing"),
        ("  limit: EVTX BinXml interpreter, null visitor", "BM_evtx_limit_binxml"),
        ("NXLog JSON decode (winjson)", "BM_nxlog_decode"),
        ("  limit: simdjson parse_many, same bytes", "BM_nxlog_limit_simdjson")]
for label, name in rows:
    mb, ev = rate(name)
    if mb is None:
        print(f"{label:52s} skipped")
    else:
        print(f"{label:52s} {mb:9.1f} MB/s {ev:12,.0f} records/s")
rb = runs.get("BM_evtx_decode", {}).get("record_bytes_per_second")
if rb:
    print(f"{'  EVTX decode per byte of event records':52s} {rb / 1e6:9.1f} MB/s")
d, b = rate("BM_evtx_decode"), rate("BM_evtx_limit_binxml")
if d[0] and b[0]:
    print(f"EVTX decode / interpreter limit: {d[0] / b[0]:.0%}")
n, j = rate("BM_nxlog_decode"), rate("BM_nxlog_limit_simdjson")
if n[0] and j[0]:
    print(f"NXLog decode / simdjson limit:   {n[0] / j[0]:.0%}")
PY

# End to end through the CLI, NDJSON written to /dev/null; rates per CPU second of the process.
python3 - "$build/bin/mamori" "$shared" <<'PY'
import json, resource, subprocess, sys
mamori, shared = sys.argv[1], sys.argv[2]
for d in ("windows/evtx-attack-samples", "windows/otrf-mordor", "sigma/regression_data"):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([mamori, "parse", "--stats-json", "-", f"{shared}/{d}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    s = json.loads([l for l in p.stderr.splitlines() if l.startswith("{")][0])
    print(f"mamori parse {d:30s} {s['events']:7d} events, {s['rejected']} rejected, "
          f"{cpu:5.2f} CPU s: {s['events']/cpu:9,.0f} events/s, {s['bytes']/1e6/cpu:6.1f} MB/s "
          f"(NDJSON output included)")
PY
