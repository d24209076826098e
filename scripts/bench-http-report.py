#!/usr/bin/env python3
"""The Markdown section of scripts/bench-http.sh, from wrk's summaries (bench-http.lua) and
the server's search-cache counts before and after each run."""
import datetime
import json
import os
import sys

n, conns, dur, soak_s = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
repeat = float(sys.argv[5])
# One sample per line: VmRSS, RssAnon, RssFile in KiB.
rss = [[int(x) / 1024 for x in line.split()] for line in open(sys.argv[6]) if line.split()]
mix = json.load(open(sys.argv[7]))
uncached, mixed, cached, soak = (json.loads(a) for a in sys.argv[8:12])
c = [json.loads(a) for a in sys.argv[12:18]]
repeat_low = float(sys.argv[18])
mixed_low = json.loads(sys.argv[19])
c_low = [json.loads(a) for a in sys.argv[20:22]]
# Lines the server logged as refused (4xx) or failed (5xx) during the soak.
failures = [line.strip() for line in open(sys.argv[22]) if line.strip()]


def hit_rate(a, b):
    d = {k: b[k] - a[k] for k in ("hits", "misses", "shared")}
    total = sum(d.values()) or 1
    return f"{100 * d['hits'] / total:.0f} % hits, {100 * d['shared'] / total:.0f} % shared"


def row(name, r, cache="—"):
    secs = r["duration_us"] / 1e6
    kinds = {k: r[k] for k in ("connect", "read", "write", "status", "timeout") if r[k]}
    errs = str(sum(kinds.values()))
    if kinds:
        errs += " (" + ", ".join(f"{v} {k}" for k, v in kinds.items()) + ")"
    rare = f"{100 * r['tail'] / max(r['requests'], 1):.0f} %" if r["tail"] else "—"
    wrapped = " (tail file wrapped: some rare searches repeated)" if r["wraps"] else ""
    return (f"| {name}{wrapped} | {r['requests']:,} | {r['requests'] / secs:,.0f} | "
            f"{r['p50_us'] / 1000:.1f} ms | {r['p90_us'] / 1000:.1f} ms | "
            f"{r['p99_us'] / 1000:.1f} ms | {r['max_us'] / 1000:.0f} ms | {errs} | {rare} | {cache} |")


kinds = ", ".join(f"{100 * v:.0f} % {k}" for k, v in mix["tail_kinds"].items())
print("## HTTP load (issue 4)\n")
print(f"Command: `bash scripts/bench-http.sh`. {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, "
      f"{os.cpu_count()} cores shared by the server and wrk. `secop serve` on **{n:,} documents** "
      f"(the ×5 corpus of the export benchmark), wrk with 2 threads and {conns} connections on "
      "loopback; each run starts a fresh server (empty cache) and warms it up for 10 s.\n")
print("Two sets of requests (`scripts/bench-http-paths.py`, fixed seeds):\n")
print("- **popular searches** (the head): 4,000 paths over ~30 common searches: 35 % words with "
      "facets (the web page's first request), 20 % words with department and minimum-value "
      "filters, 10 % later pages sorted by date, 10 % the 50 largest contracts for some words, "
      "12 % an identifier, 8 % one buyer's processes by NIT, 5 % browsing by department and "
      "date. Drawn at random, they repeat.")
print(f"- **rare searches** (the tail): {mix['tail']:,} distinct paths, none requested twice, "
      f"made from the first 300,000 corpus rows: {kinds}. The two words are real description "
      f"words (the first weighted by frequency, the second uniform among the "
      f"{mix['vocabulary']:,} commonest).\n")
print(f"A *mix* draws a popular search with probability {repeat:.2f} (or {repeat_low:.2f}) and "
      "the next unused rare one otherwise. Those shares are assumptions (search logs are "
      "dominated by repeated queries), not measurements of this tool's users; `REPEAT` and "
      "`REPEAT_LOW` change them. Errors count non-2xx answers (including 503), "
      "socket errors and timeouts. *Cache* is what the server's `/api/stats` counted during "
      "the measured run (*shared*: waited for the same search run by another request).\n")
print("| run | requests | searches/s | p50 | p90 | p99 | max | errors | rare share | cache |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
print(row(f"{dur} s, no cache (`--cache-mb 0`), popular searches: every request searches",
          uncached))
print(row(f"{dur} s, response cache (64 MiB), mix with {repeat:.0%} popular", mixed,
          hit_rate(c[0], c[1])))
print(row(f"{dur} s, response cache (64 MiB), mix with {repeat_low:.0%} popular", mixed_low,
          hit_rate(c_low[0], c_low[1])))
print(row(f"{dur} s, response cache, popular searches only", cached, hit_rate(c[2], c[3])))
print(row(f"{soak_s} s soak, response cache, mix with {repeat:.0%} popular", soak,
          hit_rate(c[4], c[5])))
if rss:
    k = max(1, len(rss) // 5)

    def span(i):
        v = [r[i] for r in rss]
        return sum(v[:k]) / k, sum(v[-k:]) / k, min(v), max(v)

    total, anon, mapped = span(0), span(1), span(2)
    print(f"\nServer memory during the soak, sampled every 10 s ({len(rss)} samples), first fifth → "
          f"last fifth (min–max): **heap (RssAnon) {anon[0]:.0f} → {anon[1]:.0f} MiB** "
          f"({anon[2]:.0f}–{anon[3]:.0f}); index pages mapped in (RssFile) {mapped[0]:.0f} → "
          f"{mapped[1]:.0f} MiB; VmRSS {total[0]:.0f} → {total[1]:.0f} MiB. The mapped pages are "
          "the index files the searches touched, which the kernel can drop at any time; the "
          f"heap holds the cache, which ended with {c[5]['entries']:,} answers in "
          f"{c[5]['bytes'] / 2**20:.0f} MiB (its limit is 64 MiB).")
    # Minute by minute, so that a plateau (the cache full) and a leak (a steady climb) differ.
    per = 6  # samples, one every 10 s
    minutes = [rss[i:i + per] for i in range(0, len(rss), per)]
    series = ", ".join(f"{sum(r[1] for r in m) / len(m):.0f}" for m in minutes)
    print(f"\nHeap (RssAnon, MiB), mean of each minute of the soak: {series}.")
print(f"\nThe server logged {len(failures)} refused or failed requests during the soak"
      + (":" if failures else "."))
for line in failures[:5]:
    print(f"\n    {line[:300]}")
