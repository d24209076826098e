#!/usr/bin/env bash
# Transition tracker timing on the million-document index: each scope asked RUNS times of
# `/api/transition` on a running server (the time the server reports, and the wall time
# of the request). Builds bench-data/ once (see scripts/bench-lib.sh); writes BENCHMARKS.md.
#
#   bash scripts/bench-transition.sh          # RUNS=30 to change
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
RUNS=${RUNS:-30}
ensure_index

work=$(mktemp -d)
"$BIN" --data-dir "$DATA" serve --addr 127.0.0.1:0 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 200); do grep -q "serving" "$work/log" && break; sleep 0.2; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/log" | head -1)

python3 - "$url" "$RUNS" <<'PY' | tee "$work/section.md"
import json, sys, time, statistics, urllib.request, datetime, os
url, runs = sys.argv[1], int(sys.argv[2])
docs = json.load(urllib.request.urlopen(f"{url}/api/search?per_page=1&facets=false"))["total"]
scopes = [
    ("the whole country, every month", ""),
    ("the whole country, one year", "from=2024-01&to=2024-12"),
    ("the whole country, entities by value", "sort=value"),
    ("one department (Antioquia)", "department=05"),
    ("one municipality (Bogotá)", "municipality=11001"),
    ("one entity (NIT 800095174)", "nit=800095174"),
]
first = None
rows = []
for name, q in scopes:
    took, wall = [], []
    for i in range(runs + 1):
        t = time.perf_counter()
        v = json.load(urllib.request.urlopen(f"{url}/api/transition?{q}"))
        w = (time.perf_counter() - t) * 1000
        if first is None:
            first = (v["took_ms"], w)
        if i == 0:
            continue  # warm-up
        took.append(v["took_ms"]); wall.append(w)
    took.sort(); wall.sort()
    p90 = lambda xs: xs[min(len(xs) - 1, int(len(xs) * 0.9))]
    rows.append(f"| {name} | {v['entity_count']:,} | {statistics.median(took):.1f} ms | {p90(took):.1f} ms | {statistics.median(wall):.1f} ms | {max(took):.1f} ms |")
print("## Transition tracker (issue 8)\n")
print(f"Command: `bash scripts/bench-transition.sh`. {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
      f"{os.cpu_count()} cores. `/api/transition` on **{docs:,} documents** (the ×5 corpus of the export "
      f"benchmark), {runs} requests per scope after a warm-up, one at a time. *Server* is the "
      "`took_ms` the answer reports (counting, sorting the entities, the shares); *wall* adds "
      "HTTP and JSON. The months each platform covers are counted once per index version "
      f"(a pass over every document): the very first request took {first[0]:.0f} ms.\n")
print("| scope | entities | server p50 | server p90 | wall p50 | server max |")
print("|---|---:|---:|---:|---:|---:|")
print("\n".join(rows))
print("\nTarget: under 100 ms. The national scope reads the platform, month, value and buyer "
      "fast fields of every document in one collector pass; narrower scopes read only their "
      "postings.")
PY
write_section transition <"$work/section.md"
