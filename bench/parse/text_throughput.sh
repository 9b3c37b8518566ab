#!/usr/bin/env bash
# Question: how fast does `mamori parse` read large syslog and Squid files end to end (decode +
# NDJSON rendering to /dev/null), in lines per second of CPU time? The micro-benchmark
# (build/bin/mamori_bench_text_decoders) measures the decoders alone next to line splitting.
#
# Usage: bench/parse/text_throughput.sh [BUILD_DIR] [LINES]
# Builds LINES-line inputs (default 1,000,000) by repeating the shared fixtures into a temp dir.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
lines=${2:-1000000}
data=${MAMORI_SHARED_DATA:-$here/../shared/data}
mamori=$build/bin/mamori
[ -x "$mamori" ] || { echo "no $mamori: build first" >&2; exit 1; }
[ -d "$data" ] || { echo "no shared data at $data: skipping" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

repeat() {  # repeat FILE... into OUT up to $lines lines (the fixtures' garbage lines dropped)
  local out=$1; shift
  cat "$@" | tr -d '\r' | grep -v '^Unmatched!' |
    awk -v n="$lines" '{ a[NR] = $0 } END { for (i = 0; i < n; i++) print a[i % NR + 1] }' > "$out"
}

repeat "$tmp/auth.log" "$data/ssh/loghub/OpenSSH/OpenSSH_2k.log" "$data/ssh/loghub/Linux/Linux_2k.log"
repeat "$tmp/access.log" "$data/proxy/format-fixtures/squid_access.log"

printf '%-8s %10s %6s %8s %14s %14s\n' format lines MB cpu_s lines/s_cpu lines/s_wall
for f in auth.log:syslog access.log:squid; do
  file=$tmp/${f%%:*}; fmt=${f##*:}
  mb=$(( $(stat -c %s "$file") / 1000000 ))
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$tmp/time" \
    "$mamori" parse --format "$fmt" -q --stats-json "$tmp/stats.json" "$file" > /dev/null
  end=$(date +%s.%N)
  read -r user sys < "$tmp/time"
  cpu=$(echo "$user + $sys" | bc -l)
  printf '%-8s %10d %6d %8.2f %14.0f %14.0f\n' "$fmt" "$lines" "$mb" "$cpu" \
    "$(echo "$lines / $cpu" | bc -l)" "$(echo "$lines / ($end - $start)" | bc -l)"
done
