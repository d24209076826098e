#!/usr/bin/env python3
"""Builds a large benchmark corpus from the real SECOP II contracts web export by
replicating it with varied identifiers.

Copy k (k = 0 .. COPIES-1) of every row gets its SECOP II identifiers (CO1.BDOS.*,
CO1.PCCNTR.*, CO1.NTC.*, CO1.REQ.*, CO1.AWD.*) shifted by k * 100,000,000, so each copy
is a distinct set of contracts and processes with real text, values and dates. Five copies
of the 247,258-row file give 1,236,290 rows and 1,148,280 processes.

Usage: scripts/bench-corpus.py [--copies N] [--source FILE] OUT.csv.gz
Reusable by any benchmark that needs a million real-looking documents (import, search,
export); it reads ../shared/corpus/bench/ by default.
"""
import argparse
import gzip
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "shared", "corpus", "bench",
                       "contratos.web-export.247k.csv.gz")
ID = re.compile(r"CO1\.(BDOS|PCCNTR|NTC|REQ|AWD)\.(\d+)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--source", default=DEFAULT)
    a = ap.parse_args()
    if not os.path.exists(a.source):
        sys.exit(f"bench-corpus: {a.source} not found (the shared corpus is needed)")
    with gzip.open(a.source, "rt", encoding="utf-8", newline="") as f:
        header = f.readline()
        body = f.read()
    with gzip.open(a.out, "wt", encoding="utf-8", newline="", compresslevel=1) as out:
        out.write(header)
        for k in range(a.copies):
            shift = k * 100_000_000
            if shift:
                text = ID.sub(lambda m: f"CO1.{m.group(1)}.{int(m.group(2)) + shift}", body)
            else:
                text = body
            out.write(text)
            if not text.endswith("\n"):
                out.write("\n")
            print(f"copy {k + 1}/{a.copies} written", file=sys.stderr)
    print(f"{a.out}: {a.copies} copies", file=sys.stderr)


if __name__ == "__main__":
    main()
