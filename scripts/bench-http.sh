#!/usr/bin/env bash
# HTTP load test: `secop serve` on a million-document index under a realistic mix of
# searches at 64 connections (wrk, 2 threads), then a soak with the server's RSS sampled.
#
#   bash scripts/bench-http.sh        # DURATION=60 SOAK=300 CONNECTIONS=64 to change
#
# Builds bench-data/ once (see scripts/bench-lib.sh). Prints a Markdown section and writes
# it to BENCHMARKS.md. wrk runs on the same machine as the server and takes CPU from it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

DURATION=${DURATION:-60}
SOAK=${SOAK:-300}
CONNECTIONS=${CONNECTIONS:-64}
command -v wrk >/dev/null || { echo "installing wrk…" >&2; apt-get install -y wrk >&2; }
ensure_index

work=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
# Starts the server with a response cache of $1 MiB; sets pid and url.
start_server() {
  [ -z "$pid" ] || { kill "$pid"; wait "$pid" 2>/dev/null || true; }
  log="$work/server-$1.log"
  "$BIN" --data-dir "$DATA" serve --addr 127.0.0.1:0 --cache-mb "$1" 2>"$log" &
  pid=$!
  for _ in $(seq 200); do grep -q "serving" "$log" && break; sleep 0.2; done
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)
}
start_server 0
N=$(curl -s "$url/api/search?per_page=1&facets=false" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')

# The request mix, from real identifiers of the index (see the printed table).
curl -s "$url/api/search?per_page=100&facets=false&sort=value" >"$work/sample.json"
python3 - "$work/sample.json" >"$work/paths" <<'PY'
import json, random, sys, urllib.parse as up
hits = json.load(open(sys.argv[1]))["hits"]
ids = [i for h in hits for i in h["ids"][:3]]
nits = sorted({h["entity"]["nit"] for h in hits if h["entity"].get("nit")})
words = ["servicios profesionales", "apoyo a la gestión", "suministro de combustible",
         "mantenimiento vial", "obra civil", "alimentación escolar", "vigilancia",
         "pólizas de seguros", "transporte escolar", "interventoría", "dotación",
         "equipos de cómputo", "medicamentos", "aseo y cafetería", "placa huella",
         "consultoría", "arrendamiento", "capacitación", "licencias de software",
         "mantenimiento de vehículos", "construcción", "hospital", "\"prestación de servicios\"",
         "instituciones educativas", "alcaldia", "ALCALDÍA", "contratacion", "computadores",
         "combustibles", "vias terciarias -bogota", "software OR licencias"]
depts = ["05", "25", "76", "11", "68", "08", "13", "15", "Antioquia", "Bogotá D.C."]
rnd = random.Random(2026)
def q(**kw): return "/api/search?" + up.urlencode(kw)
out = []
for _ in range(4000):
    r = rnd.random()
    w = rnd.choice(words)
    if r < 0.35:    # words, first page with facets (the web page's first request)
        out.append(q(q=w))
    elif r < 0.55:  # words and filters
        out.append(q(q=w, department=rnd.choice(depts), min_value=rnd.choice([1_000_000, 10_000_000, 100_000_000])))
    elif r < 0.65:  # a later page, newest first
        out.append(q(q=w, sort="date", page=rnd.randint(2, 5)))
    elif r < 0.75:  # the largest contracts for some words
        out.append(q(q=w, sort="value", per_page=50, facets="false"))
    elif r < 0.87:  # an identifier
        out.append(q(q=rnd.choice(ids)))
    elif r < 0.95:  # one buyer's processes, by NIT
        out.append(q(nit=rnd.choice(nits), sort="date"))
    else:           # browse with filters only, from a date
        out.append(q(department=rnd.choice(depts), **{"from": f"2024-{rnd.randint(1,12):02d}-01"}))
print("\n".join(out))
PY

rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
run_wrk() { PATHS="$work/paths" wrk -t2 -c"$CONNECTIONS" -d"$1"s --timeout 10s -s scripts/bench-http.lua "$url" | grep '^WRK ' | cut -c5-; }

echo "without the cache: warming up (10 s), measuring (${DURATION} s at $CONNECTIONS connections)…" >&2
run_wrk 10 >/dev/null
uncached=$(run_wrk "$DURATION")
start_server 64
echo "with the cache: warming up (10 s), measuring (${DURATION} s)…" >&2
run_wrk 10 >/dev/null
cached=$(run_wrk "$DURATION")
echo "soak with the cache (${SOAK} s), RSS every 10 s…" >&2
: >"$work/rss"
( while kill -0 $pid 2>/dev/null; do rss >>"$work/rss"; sleep 10; done ) &
sampler=$!
soak=$(run_wrk "$SOAK")
kill $sampler 2>/dev/null || true
rss >>"$work/rss"

python3 - "$N" "$CONNECTIONS" "$DURATION" "$SOAK" "$uncached" "$cached" "$soak" "$work/rss" <<'PY' | tee "$work/section.md"
import json, sys, datetime, os
n, conns, dur, soak_s = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
uncached, cached, soak = (json.loads(a) for a in sys.argv[5:8])
rss = [int(x) / 1024 for x in open(sys.argv[8]).read().split()]
def row(name, r):
    secs = r["duration_us"] / 1e6
    errs = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return (f"| {name} | {r['requests']:,} | {r['requests']/secs:,.0f} | {r['p50_us']/1000:.1f} ms | "
            f"{r['p90_us']/1000:.1f} ms | {r['p99_us']/1000:.1f} ms | {r['max_us']/1000:.0f} ms | {errs} |")
print("## HTTP load (issue 4)\n")
print(f"Command: `bash scripts/bench-http.sh`. {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, "
      f"{os.cpu_count()} cores shared by the server and wrk. `secop serve` on **{n:,} documents** "
      f"(the ×5 corpus of the export benchmark), wrk with 2 threads and {conns} connections on "
      "loopback. Each request is drawn from 4,000 paths made with a fixed seed: 35 % words with "
      "facets (the web page's first request), 20 % words with department and minimum-value "
      "filters, 10 % later pages sorted by date, 10 % the 50 largest contracts for some words, "
      "12 % an identifier (CO1.BDOS/NTC/PCCNTR or the entity's reference), 8 % one buyer's "
      "processes by NIT, 5 % browsing by department and date. Errors count non-2xx answers "
      "(including 503), socket errors and timeouts. With the cache, the 4,000 paths are "
      "all answered once and then repeated: that figure is the ceiling for popular "
      "searches; the uncached one is the floor for a mix where nothing repeats.\n")
print("| run | requests | searches/s | p50 | p90 | p99 | max | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
print(row(f"{dur} s, no cache (`--cache-mb 0`): every request searches", uncached))
print(row(f"{dur} s, response cache (default 64 MiB)", cached))
print(row(f"{soak_s} s soak, response cache", soak))
if rss:
    k = max(1, len(rss) // 5)
    first, last = sum(rss[:k]) / k, sum(rss[-k:]) / k
    print(f"\nServer RSS during the soak, sampled every 10 s ({len(rss)} samples): first fifth "
          f"{first:.0f} MiB, last fifth {last:.0f} MiB, min {min(rss):.0f} MiB, max {max(rss):.0f} MiB "
          "(most of it is the memory-mapped index, see Exports).")
PY
write_section http <"$work/section.md"
