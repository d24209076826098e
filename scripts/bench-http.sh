#!/usr/bin/env bash
# HTTP load test: `secop serve` on a million-document index under a realistic mix of
# searches at 64 connections (wrk, 2 threads), then a soak with the server's RSS sampled.
#
#   bash scripts/bench-http.sh        # DURATION=60 SOAK=300 CONNECTIONS=64 REPEAT=0.6 REPEAT_LOW=0.3
#   SOAK_ONLY=1 SOAK=900 bash scripts/bench-http.sh   # a longer soak alone, printed only
#
# Builds bench-data/ once (see scripts/bench-lib.sh). Prints a Markdown section and writes
# it to BENCHMARKS.md. wrk runs on the same machine as the server and takes CPU from it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

DURATION=${DURATION:-60}
SOAK=${SOAK:-300}
CONNECTIONS=${CONNECTIONS:-64}
REPEAT=${REPEAT:-0.6}
REPEAT_LOW=${REPEAT_LOW:-0.3}
command -v wrk >/dev/null || { echo "installing wrk…" >&2; apt-get install -y wrk >&2; }
ensure_index

work=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
# Starts the server with a response cache of $1 MiB; sets pid and url.
start_server() {
  [ -z "$pid" ] || { kill "$pid"; wait "$pid" 2>/dev/null || true; }
  log="$work/server-$1.log"
  # Refused requests (4xx) are logged at debug with the reason: the report lists them.
  SECOP_LOG=info,secop_bridge::http::error=debug \
    "$BIN" --data-dir "$DATA" serve --addr 127.0.0.1:0 --cache-mb "$1" 2>"$log" &
  pid=$!
  for _ in $(seq 200); do grep -q "serving" "$log" && break; sleep 0.2; done
  # The server computes the duplicate report of every entity when it starts: not measured.
  for _ in $(seq 600); do grep -q "duplicate report ready" "$log" && break; sleep 0.5; done
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)
}
start_server 0
N=$(curl -s "$url/api/search?per_page=1&facets=false" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')

# The request mix: popular searches that repeat (the head) and rare ones that never do (the
# tail), see scripts/bench-http-paths.py.
curl -s "$url/api/search?per_page=100&facets=false&sort=value" >"$work/sample.json"
# Enough rare searches for the soak (≈ 2,400 a second at the 60% mix) after the other runs.
python3 scripts/bench-http-paths.py "$work/sample.json" "$CORPUS" "$work/paths" "$work/tail" \
  $((660000 + SOAK * 3500)) >"$work/mix.json"
# Separate tail lines for the warm-up, the measured run and the soak: a tail search is never
# seen twice.
sed -n '1,30000p' "$work/tail" >"$work/tail-warm"
sed -n '30001,330000p' "$work/tail" >"$work/tail-run"
sed -n '330001,360000p' "$work/tail" >"$work/tail-warm-low"
sed -n '360001,660000p' "$work/tail" >"$work/tail-run-low"
sed -n '660001,$p' "$work/tail" >"$work/tail-soak"
# VmRSS, RssAnon (the heap: what a leak would grow) and RssFile (index pages mapped in) in KiB.
rss() { awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s ", $2} END {print ""}' "/proc/$pid/status"; }
cache_stats() { curl -s "$url/api/stats" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["search_cache"]))'; }
# run_wrk SECONDS [TAIL_FILE [SHARE]]: the head alone, or SHARE (default REPEAT) of the head
# and the rest from the tail.
run_wrk() {
  PATHS="$work/paths" TAIL="${2:-}" REPEAT="${3:-$REPEAT}" THREADS=2 \
    wrk -t2 -c"$CONNECTIONS" -d"$1"s --timeout 10s -s scripts/bench-http.lua "$url" | grep '^WRK ' | cut -c5-
}
if [ -z "${SOAK_ONLY:-}" ]; then
echo "1/5 without the cache, popular searches: warming up (10 s), measuring (${DURATION} s at $CONNECTIONS connections)…" >&2
run_wrk 10 >/dev/null
uncached=$(run_wrk "$DURATION")
start_server 64
echo "2/5 with the cache, ${REPEAT} popular and the rest rare: warming up (10 s), measuring (${DURATION} s)…" >&2
run_wrk 10 "$work/tail-warm" >/dev/null
c0=$(cache_stats)
mixed=$(run_wrk "$DURATION" "$work/tail-run")
c1=$(cache_stats)
start_server 64
echo "3/5 with the cache, ${REPEAT_LOW} popular and the rest rare: warming up (10 s), measuring (${DURATION} s)…" >&2
run_wrk 10 "$work/tail-warm-low" "$REPEAT_LOW" >/dev/null
c6=$(cache_stats)
mixed_low=$(run_wrk "$DURATION" "$work/tail-run-low" "$REPEAT_LOW")
c7=$(cache_stats)
start_server 64
echo "4/5 with the cache, popular searches only: warming up (10 s), measuring (${DURATION} s)…" >&2
run_wrk 10 >/dev/null
c2=$(cache_stats)
cached=$(run_wrk "$DURATION")
c3=$(cache_stats)
fi
start_server 64
echo "5/5 soak with the cache, the mix of 2/5 (${SOAK} s), RSS every 10 s…" >&2
: >"$work/rss"
( while kill -0 $pid 2>/dev/null; do rss >>"$work/rss"; sleep 10; done ) &
sampler=$!
c4=$(cache_stats)
soak=$(run_wrk "$SOAK" "$work/tail-soak")
c5=$(cache_stats)
kill $sampler 2>/dev/null || true
rss >>"$work/rss"
# What the server itself logged as refused (4xx) or failed (5xx) during the soak.
grep -E ' refused|ERROR' "$log" | sed 's/\x1b\[[0-9;]*m//g' >"$work/soak-failures" || true
if [ -n "${SOAK_ONLY:-}" ]; then
  # A longer soak alone (SOAK_ONLY=1 SOAK=900): its figures, not written to BENCHMARKS.md.
  echo "soak: $soak"
  python3 - "$work/rss" <<'PY'
import sys
rss = [[int(x) / 1024 for x in l.split()] for l in open(sys.argv[1]) if l.split()]
for i in range(0, len(rss), 6):
    m = rss[i:i + 6]
    print(f"minute {i // 6 + 1}: heap (RssAnon) {sum(r[1] for r in m) / len(m):.0f} MiB, "
          f"RssFile {sum(r[2] for r in m) / len(m):.0f} MiB")
PY
  cat "$work/soak-failures"
  exit 0
fi
python3 scripts/bench-http-report.py "$N" "$CONNECTIONS" "$DURATION" "$SOAK" "$REPEAT" "$work/rss" "$work/mix.json" \
  "$uncached" "$mixed" "$cached" "$soak" "$c0" "$c1" "$c2" "$c3" "$c4" "$c5" \
  "$REPEAT_LOW" "$mixed_low" "$c6" "$c7" "$work/soak-failures" | tee "$work/section.md"
write_section http <"$work/section.md"
