#!/usr/bin/env bash
# Benchmark of `secop duplicates` over every entity of an index of more than 1 M documents.
#
#   scripts/bench-duplicates.sh [DATA_DIR]        (default /tmp/secop-bench-duplicates)
#
# The index is built once from real rows: the 247,258-row SECOP II contracts web export
# (../shared/corpus/bench, 229,656 processes) written five times, each copy moved back one
# more year (2024, 2023, … 2020) with its identifiers (CO1.BDOS, CO1.PCCNTR, CO1.NTC) and
# references made distinct, then imported with `secop import`. That gives about 1.15 M
# documents: every entity with five years of its real density of processes. A data
# directory that already holds 1 M documents is reused.
#
# Then it runs `secop duplicates --json` over every entity on 2 cores (taskset), and
# reports the wall time, CPU time, peak RSS, and peak anonymous memory (RssAnon, sampled:
# RSS also counts the index files the kernel maps and may drop at any time).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${1:-/tmp/secop-bench-duplicates}"
CORPUS="${SECOP_CORPUS:-../shared/corpus}"
SRC="$CORPUS/bench/contratos.web-export.247k.csv.gz"
COPIES="${COPIES:-5}"

cargo build --release --locked -q
BIN="$PWD/target/release/secop"
CORES="0,1"
if [ "$(nproc)" -lt 2 ]; then CORES="0"; fi

docs() {
  "$BIN" --data-dir "$DIR" stats --json 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get("documents", 0))' 2>/dev/null || echo 0
}

if [ "$(docs)" -lt 1000000 ]; then
  [ -f "$SRC" ] || { echo "missing $SRC (set SECOP_CORPUS)" >&2; exit 1; }
  rm -rf "$DIR"
  mkdir -p "$DIR/rows"
  echo "writing $COPIES copies of $SRC …" >&2
  python3 - "$SRC" "$DIR/rows" "$COPIES" <<'EOF'
import csv, gzip, re, sys
src, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
csv.field_size_limit(1 << 24)
date = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
ident = re.compile(r"CO1\.(BDOS|PCCNTR|NTC|REQ)\.(\d+)")
year = re.compile(r"20(1\d|2\d)")
for k in range(copies):
    with gzip.open(src, "rt", newline="") as f, gzip.open(f"{out}/contratos.copy{k}.csv.gz", "wt", newline="") as g:
        r = csv.reader(f)
        w = csv.writer(g)
        header = next(r)
        w.writerow(header)
        dates = [i for i, h in enumerate(header) if h.startswith("Fecha") or h == "Ultima Actualizacion"]
        ref = header.index("Referencia del Contrato")
        def shift(m):
            mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3)) - k
            if mo == 2 and d == 29:
                d = 28
            return f"{mo:02d}/{d:02d}/{y}"
        for row in r:
            if k:
                for i in dates:
                    row[i] = date.sub(shift, row[i])
                row = [ident.sub(lambda m: f"CO1.{m.group(1)}.9{k}{m.group(2)}", c) for c in row]
                if not row[ref].startswith("CO1."):
                    row[ref] = year.sub(lambda m: str(int("20" + m.group(1)) - k), row[ref]) + f"/{k}"
            w.writerow(row)
    print(f"copy {k} written", file=sys.stderr)
EOF
  echo "importing (about 2 minutes per copy on 2 idle cores) …" >&2
  /usr/bin/time -f "import: %e s wall, %M KB max RSS" "$BIN" --data-dir "$DIR" import "$DIR"/rows/*.csv.gz >/dev/null
fi

N="$(docs)"
echo "index: $N documents in $DIR" >&2

# Sample the peak anonymous memory of the run.
OUT="$DIR/duplicates.json"
LOAD_BEFORE="$(cut -d' ' -f1 /proc/loadavg)"
taskset -c "$CORES" /usr/bin/time -f "%e %U %S %M" -o "$DIR/time.txt" \
  "$BIN" --data-dir "$DIR" duplicates --json >"$OUT" &
TPID=$!
peak_anon=0
while kill -0 "$TPID" 2>/dev/null; do
  child="$(pgrep -P "$TPID" -x secop || true)"
  if [ -n "$child" ] && [ -r "/proc/$child/status" ]; then
    a="$(awk '/^RssAnon:/ {print $2}' "/proc/$child/status" 2>/dev/null || echo 0)"
    [ -n "$a" ] && [ "$a" -gt "$peak_anon" ] && peak_anon="$a"
  fi
  sleep 0.2
done
wait "$TPID"
LOAD_AFTER="$(cut -d' ' -f1 /proc/loadavg)"
read -r wall user sys rss <"$DIR/time.txt"
python3 - "$OUT" "$N" "$wall" "$user" "$sys" "$rss" "$peak_anon" "$LOAD_BEFORE" "$LOAD_AFTER" <<'EOF'
import json, sys
out, n, wall, user, sys_, rss, anon, load0, load1 = sys.argv[1:]
d = json.load(open(out))
s = d["stats"]
print(f"documents        {int(n):,}")
print(f"entities         {s['entities']:,}")
print(f"pairs in window  {s['compared']:,}  (texts compared: {s['text_compared']:,})")
print(f"records read     {s['loaded']:,}")
print(f"pairs found      {len(d['pairs']):,}  (score >= 0.8)")
print(f"wall time        {float(wall):.1f} s  (2 cores; CPU {float(user) + float(sys_):.1f} s)")
print(f"peak RSS         {int(rss) / 1024:.0f} MB  (of which anonymous: {int(anon) / 1024:.0f} MB)")
print(f"machine load     {load0} before, {load1} after (1-minute load average; 2 means both cores busy)")
EOF
