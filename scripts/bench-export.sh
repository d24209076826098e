#!/usr/bin/env bash
# Export streaming benchmark: every one of more than a million processes exported as
# NDJSON, CSV and OCDS, from the CLI and over HTTP, with throughput and peak memory (RSS).
#
#   bash scripts/bench-export.sh            # builds bench-data/ once, then measures
#
# Needs ../shared/corpus/bench/ (the real SECOP II contracts export), replicated with
# varied identifiers by scripts/bench-corpus.py. The index is kept in bench-data/export-1m
# (git-ignored) and reused by later runs. Results go to stdout as a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/bench-lib.sh
ensure_index
N=$("$BIN" --data-dir "$DATA" search "" --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "processes in the index: $N" >&2

echo "| path | format | processes | bytes | seconds | processes/s | MB/s | peak RSS |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for fmt in ndjson csv ocds; do
  out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out.time" "$BIN" --data-dir "$DATA" export "" --format "$fmt" >"$out"
  read -r secs rss <"$out.time"
  bytes=$(stat -c %s "$out")
  if [ "$fmt" = ndjson ]; then
    lines=$(wc -l <"$out")
    [ "$lines" -eq "$N" ] || { echo "NDJSON has $lines lines for $N processes" >&2; exit 1; }
  fi
  rm -f "$out" "$out.time"
  python3 - "$fmt" "$N" "$bytes" "$secs" "$rss" <<'PY'
import sys
fmt, n, b, s, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(f"| CLI `secop export` | {fmt} | {n:,} | {b:,} | {s:.1f} | {n/s:,.0f} | {b/s/1e6:.1f} | {rss/1024:.0f} MiB |")
PY
done

# Over HTTP: the server's peak RSS before and after streaming each format.
log=$(mktemp)
"$BIN" --data-dir "$DATA" serve --addr 127.0.0.1:0 --timeout 30 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "serving" "$log" && break; sleep 0.2; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)
curl -s "$url/api/search?q=obra" >/dev/null
base=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
for fmt in ndjson csv ocds; do
  read -r bytes secs < <(curl -s -o /dev/null -w '%{size_download} %{time_total}\n' "$url/api/export?format=$fmt")
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  python3 - "$fmt" "$N" "$bytes" "$secs" "$rss" "$base" <<'PY'
import sys
fmt, n, b, s, rss, base = sys.argv[1], int(sys.argv[2]), int(float(sys.argv[3])), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
print(f"| HTTP `/api/export` | {fmt} | {n:,} | {b:,} | {s:.1f} | {n/s:,.0f} | {b/s/1e6:.1f} | {rss/1024:.0f} MiB (server; {base/1024:.0f} MiB before) |")
PY
done
