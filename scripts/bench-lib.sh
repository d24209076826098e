# Shared by the benchmark scripts: the million-document corpus and its index.
#
#   source scripts/bench-lib.sh; ensure_index   # sets BIN, CORPUS and DATA
#
# The corpus is the real SECOP II contracts export in ../shared/corpus/bench/ replicated
# COPIES times with shifted identifiers (scripts/bench-corpus.py); it is imported once into
# DATA (git-ignored bench-data/) and reused by later runs.

COPIES=${COPIES:-5}
CORPUS=${CORPUS:-bench-data/contratos-x${COPIES}.csv.gz}
DATA=${DATA:-bench-data/export-1m}
BIN=target/release/secop

ensure_index() {
  [ -n "${NO_BUILD:-}" ] || cargo build --release --locked --bin secop >&2
  mkdir -p bench-data
  [ -f "$CORPUS" ] || python3 scripts/bench-corpus.py --copies "$COPIES" "$CORPUS"
  if [ ! -f "$DATA/.complete" ]; then
    echo "importing $CORPUS into $DATA (once)…" >&2
    /usr/bin/time -f "import: %e s, peak RSS %M KiB" \
      "$BIN" --data-dir "$DATA" import --dataset jbjy-vk9h "$CORPUS" >&2
    touch "$DATA/.complete"
  fi
  # An index built by an older schema is refused: rebuild it from the state database.
  if ! "$BIN" --data-dir "$DATA" stats >/dev/null 2>&1; then
    echo "rebuilding the index of $DATA for this version…" >&2
    "$BIN" --data-dir "$DATA" reindex >&2
  fi
}

# Writes stdin between the `<!-- NAME:start -->` and `<!-- NAME:end -->` markers of
# BENCHMARKS.md (appending the section when it is not there yet).
write_section() {
  # The section travels in the environment: the heredoc below is python's stdin.
  SECTION="$(cat)" python3 - "$1" <<'PY'
import os, sys
name = sys.argv[1]
body = os.environ["SECTION"].strip()
if not body:
    sys.exit(f"write_section {name}: empty section, BENCHMARKS.md left alone")
start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
path = "BENCHMARKS.md"
text = open(path, encoding="utf-8").read()
block = f"{start}\n{body}\n{end}"
if start in text and end in text:
    text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + "\n\n" + block + "\n"
open(path, "w", encoding="utf-8").write(text)
PY
}
