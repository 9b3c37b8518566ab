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
d, b = rate("BM_evtx_decode"), rate("BM_evtx_limit_binxml")
if d[0] and b[0]:
    print(f"EVTX decode / interpreter limit: {d[0] / b[0]:.0%}")
n, j = rate("BM_nxlog_decode"), rate("BM_nxlog_limit_simdjson")
if n[0] and j[0]:
    print(f"NXLog decode / simdjson limit:   {n[0] / j[0]:.0%}")
PY

for dir in windows/evtx-attack-samples windows/otrf-mordor; do
  stats="$("$build/bin/mamori" parse --stats-json - "$shared/$dir" 2>&1 >/dev/null | grep '^{' )"
  python3 -c "
import json,sys; s=json.loads(sys.argv[1])
print(f\"mamori parse {sys.argv[2]:34s} {s['events']:8d} events {s['seconds']:6.2f} s \"
      f\"{s['events']/s['seconds']:10,.0f} events/s {s['bytes']/1e6/s['seconds']:7.1f} MB/s (with NDJSON output)\")
" "$stats" "$dir"
done
