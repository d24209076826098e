#!/usr/bin/env bash
# Who buys and who wins (`/api/top`) on the million-document index, next to SQLite (FTS5 for
# the words, GROUP BY for the tally) on the same processes. Each scope is asked RUNS times
# of a running server with its answer cache off, one at a time; the peer runs the same
# tallies in the same run. Builds bench-data/ once (see scripts/bench-lib.sh) and the peer's
# database once (bench-data/top-peer-v2.sqlite, from `secop export --format ndjson`); writes
# BENCHMARKS.md.
#
#   bash scripts/bench-top.sh          # RUNS=15 to change
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
RUNS=${RUNS:-15}
# v2: suppliers carry their own share of a process (as `supplier_values` does).
PEER=bench-data/top-peer-v2.sqlite
ensure_index

if [ ! -f "$PEER.complete" ]; then
  echo "building $PEER (once)…" >&2
  rm -f "$PEER"
  # The loader reads the records on its standard input: its code comes through -c.
  load=$(cat <<'PY'
import json, sys, sqlite3, unicodedata
db = sqlite3.connect(sys.argv[1])
db.executescript("""
PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
CREATE TABLE p(id INTEGER PRIMARY KEY, buyer TEXT, buyer_name TEXT, department TEXT, value INTEGER, awarded INTEGER);
CREATE TABLE s(id INTEGER, supplier TEXT, name TEXT, value INTEGER);
CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
""")
def fold(s):
    return " ".join("".join(c for c in unicodedata.normalize("NFD", s.lower()) if c.isalnum() or c == " ").split())
rows, sups, texts = [], [], []
for i, line in enumerate(sys.stdin):
    p = json.loads(line)
    b = p.get("buyer") or {}
    key = b.get("nit") or ("n:" + fold(b.get("name", "")) if b.get("name") else None)
    awarded = sum(c.get("value") or 0 for c in p.get("contracts", [])) or sum(a.get("value") or 0 for a in p.get("awards", [])) or None
    value = p.get("estimated_value") or awarded
    rows.append((i, key, b.get("name"), (b.get("department") or {}).get("code"), value, awarded))
    # Each supplier's share: its own contracts when the total comes from contracts, else
    # its own awards (index::document::supplier_shares).
    by_contract = sum(c.get("value") or 0 for c in p.get("contracts", [])) > 0
    share, names = {}, {}
    for kind, xs in (("awards", p.get("awards", [])), ("contracts", p.get("contracts", []))):
        for x in xs:
            s = x.get("supplier")
            if not s:
                continue
            k = s.get("id") or ("n:" + fold(s.get("name", "")))
            names.setdefault(k, s.get("name"))
            counted = (kind == "contracts") == by_contract
            share[k] = share.get(k, 0) + ((x.get("value") or 0) if counted else 0)
    sups.extend((i, k, names[k], v) for k, v in share.items())
    texts.append((i, " ".join(filter(None, [p.get("title"), p.get("description"), b.get("name")] + [c.get("object") or "" for c in p.get("contracts", [])]))))
    if len(rows) >= 50000:
        db.executemany("INSERT INTO p VALUES (?,?,?,?,?,?)", rows)
        db.executemany("INSERT INTO s VALUES (?,?,?,?)", sups)
        db.executemany("INSERT INTO t(rowid, body) VALUES (?,?)", texts)
        rows, sups, texts = [], [], []
db.executemany("INSERT INTO p VALUES (?,?,?,?,?,?)", rows)
db.executemany("INSERT INTO s VALUES (?,?,?,?)", sups)
db.executemany("INSERT INTO t(rowid, body) VALUES (?,?)", texts)
db.executescript("CREATE INDEX p_dept ON p(department); CREATE INDEX s_id ON s(id); ANALYZE;")
db.commit()
PY
)
  "$BIN" --data-dir "$DATA" export "" --format ndjson | python3 -c "$load" "$PEER"
  touch "$PEER.complete"
fi

work=$(mktemp -d)
"$BIN" --data-dir "$DATA" serve --addr 127.0.0.1:0 --cache-mb 0 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 200); do grep -q "serving" "$work/log" && break; sleep 0.2; done
# The duplicate report the server computes when it starts is not measured.
for _ in $(seq 600); do grep -q "duplicate report ready" "$work/log" && break; sleep 0.5; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/log" | head -1)

python3 - "$url" "$RUNS" "$PEER" <<'PY' | tee "$work/section.md"
import json, sys, time, statistics, urllib.request, urllib.parse, datetime, os, sqlite3
url, runs, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
db = sqlite3.connect(peer)
docs = json.load(urllib.request.urlopen(f"{url}/api/search?per_page=1&facets=false"))["total"]
scopes = [
    ("every process", {}, None, None),
    ("`servicios profesionales` (two thirds of the index)", {"q": "servicios profesionales"}, "\"servicios profesionales\"", None),
    ("`obra`", {"q": "obra"}, "obra", None),
    ("department 05 (Antioquia)", {"department": "05"}, None, "05"),
    ("`vigilancia`, department 11 (Bogotá)", {"q": "vigilancia", "department": "11"}, "vigilancia", "11"),
]
def peer_sql(by, match, dept):
    where, args = [], []
    if match:
        where.append("p.id IN (SELECT rowid FROM t WHERE t MATCH ?)"); args.append(match)
    if dept:
        where.append("p.department = ?"); args.append(dept)
    w = ("WHERE " + " AND ".join(where)) if where else ""
    if by == "buyer":
        sql = f"SELECT p.buyer, count(*), sum(p.value) FROM p {w} GROUP BY p.buyer ORDER BY 3 DESC LIMIT 10"
    else:
        sql = f"SELECT s.supplier, count(*), sum(s.value) FROM p JOIN s ON s.id = p.id {w} GROUP BY s.supplier ORDER BY 3 DESC LIMIT 10"
    return sql, args
p90 = lambda xs: sorted(xs)[min(len(xs) - 1, int(len(xs) * 0.9))]
rows = []
for name, params, match, dept in scopes:
    for by in ("buyer", "supplier"):
        qs = urllib.parse.urlencode({**params, "by": by, "limit": 10})
        ours, wall, theirs = [], [], []
        sql, args = peer_sql(by, match, dept)
        for i in range(runs + 1):
            t = time.perf_counter()
            v = json.load(urllib.request.urlopen(f"{url}/api/top?{qs}"))
            w = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            db.execute(sql, args).fetchall()
            s = (time.perf_counter() - t) * 1000
            if i == 0:
                continue  # warm-up
            ours.append(v["took_ms"]); wall.append(w); theirs.append(s)
        m, ms = statistics.median(ours), statistics.median(theirs)
        rows.append(f"| {name} | {by} | {v['total']:,} | {v['distinct']:,} | {m:.1f} ms | {p90(ours):.1f} ms | {statistics.median(wall):.1f} ms | {ms:.1f} ms | {ms / m:.0f}× |")
print("## Who buys and who wins\n")
print(f"Command: `bash scripts/bench-top.sh`. {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
      f"{os.cpu_count()} cores. `/api/top?by=…&limit=10` on **{docs:,} documents** (the ×5 corpus of the "
      f"export benchmark), the server's answer cache off, {runs} requests per line after a warm-up, one "
      "at a time. *Ours* is the `took_ms` the answer reports (the tally over every hit, the ranking, the "
      "names); *wall* adds HTTP and JSON. The peer is SQLite "
      f"{sqlite3.sqlite_version} (Python's `sqlite3`) on the same processes: FTS5 "
      "(`unicode61 remove_diacritics 2`) for the words, an indexed column for the department, and "
      "`GROUP BY … ORDER BY sum DESC LIMIT 10` (suppliers through a join table holding each one's "
      "share of the process), in the same run. "
      "Its text is the title, description, buyer and contract objects, so its hits differ a little "
      "from ours (which also hold the suppliers, places and category names).\n")
print("| scope | by | hits | distinct | ours p50 | ours p90 | wall p50 | SQLite p50 | SQLite / ours |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
print("\n".join(rows))
print("\nA supplier tally costs more than a buyer's: a hundred thousand distinct suppliers turned "
      "into text and merged across segments, against two thousand buyers.")
PY
write_section top <"$work/section.md"
