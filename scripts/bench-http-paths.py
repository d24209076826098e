#!/usr/bin/env python3
"""Request paths for the HTTP load benchmark (scripts/bench-http.sh).

Two sets, both made with fixed seeds from the benchmark's own data:

* the head (HEAD_OUT): 4,000 requests drawn from ~30 popular searches (what providers and
  journalists type most: "servicios profesionales", "mantenimiento vial", …), identifiers
  and NITs taken from the index, in the proportions the script prints. Drawn at random, these
  repeat: the popular part of the traffic.
* the tail (TAIL_OUT): TAIL distinct requests, none repeated, made from the corpus: two words
  from real process descriptions (the first weighted by how often it occurs, the second
  uniform among the 20,000 commonest), alone, with a department, or a later page by date;
  an identifier of a real process or contract; a buyer's NIT. The long tail of rare
  searches that no cache helps.

Usage: bench-http-paths.py SAMPLE.json CORPUS.csv.gz HEAD_OUT TAIL_OUT [TAIL]
SAMPLE.json is `/api/search?per_page=100&facets=false&sort=value` from the server.
"""
import collections
import itertools
import csv
import gzip
import json
import random
import re
import sys
import urllib.parse as up

sample, corpus, head_out, tail_out = sys.argv[1:5]
tail_n = int(sys.argv[5]) if len(sys.argv) > 5 else 600_000


def q(**kw):
    return "/api/search?" + up.urlencode(kw)


# The head: unchanged from the first version of the benchmark, so figures compare.
hits = json.load(open(sample))["hits"]
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
head = []
for _ in range(4000):
    r = rnd.random()
    w = rnd.choice(words)
    if r < 0.35:    # words, first page with facets (the web page's first request)
        head.append(q(q=w))
    elif r < 0.55:  # words and filters
        head.append(q(q=w, department=rnd.choice(depts),
                      min_value=rnd.choice([1_000_000, 10_000_000, 100_000_000])))
    elif r < 0.65:  # a later page, newest first
        head.append(q(q=w, sort="date", page=rnd.randint(2, 5)))
    elif r < 0.75:  # the largest contracts for some words
        head.append(q(q=w, sort="value", per_page=50, facets="false"))
    elif r < 0.87:  # an identifier
        head.append(q(q=rnd.choice(ids)))
    elif r < 0.95:  # one buyer's processes, by NIT
        head.append(q(nit=rnd.choice(nits), sort="date"))
    else:           # browse with filters only, from a date
        head.append(q(department=rnd.choice(depts),
                      **{"from": f"2024-{rnd.randint(1, 12):02d}-01"}))
open(head_out, "w").write("\n".join(head) + "\n")

# The tail, from the first 300,000 rows of the corpus.
STOP = set("para como esta este estos sobre entre desde hasta donde cual cuyo cuya "
           "segun sean demas dicho dicha todo toda todos todas otro otra otros".split())
word_re = re.compile(r"[a-záéíóúñü]{4,}")
freq = collections.Counter()
tail_ids, tail_nits = [], set()
with gzip.open(corpus, "rt", encoding="utf-8", newline="") as f:
    rows = csv.reader(f)
    hdr = next(rows)
    col = {name: hdr.index(name) for name in
           ("Nit Entidad", "Proceso de Compra", "ID Contrato", "Referencia del Contrato",
            "Descripcion del Proceso")}
    for n, row in enumerate(rows):
        if n >= 300_000:
            break
        if len(row) < len(hdr):
            continue
        freq.update(w for w in word_re.findall(row[col["Descripcion del Proceso"]].lower())
                    if w not in STOP)
        for c in ("Proceso de Compra", "ID Contrato", "Referencia del Contrato"):
            v = row[col[c]]
            # Two references of the first 300,000 rows have a '(' never closed: the API
            # refuses such a query (400, by its contract), which is not what is measured.
            if v and v.count("(") == v.count(")") and v.count('"') % 2 == 0:
                tail_ids.append(v)
        if row[col["Nit Entidad"]]:
            tail_nits.add(row[col["Nit Entidad"]])
vocab = [w for w, c in freq.most_common(20_000) if c >= 5]
cum = list(itertools.accumulate(freq[w] for w in vocab))
tail_nits = sorted(tail_nits)
rnd = random.Random(7)
rnd.shuffle(tail_ids)
seen = set(head)
tail = []
kinds = collections.Counter()
while len(tail) < tail_n:
    r = rnd.random()
    two = f"{rnd.choices(vocab, cum_weights=cum)[0]} {rnd.choice(vocab)}"
    if r < 0.40:
        kind, p = "two words, facets", q(q=two)
    elif r < 0.55:
        kind, p = "two words and a department", q(q=two, department=rnd.choice(depts))
    elif r < 0.70:
        kind, p = "two words, a later page by date", q(q=two, sort="date", page=rnd.randint(2, 5))
    elif r < 0.90 and tail_ids:
        kind, p = "an identifier", q(q=tail_ids.pop())
    else:
        kind, p = "a NIT, a page by date", q(nit=rnd.choice(tail_nits), sort="date",
                                             page=rnd.randint(1, 20))
    if p in seen:
        continue
    seen.add(p)
    kinds[kind] += 1
    tail.append(p)
open(tail_out, "w").write("\n".join(tail) + "\n")
print(json.dumps({"head": len(head), "tail": len(tail), "vocabulary": len(vocab),
                  "tail_kinds": {k: round(v / len(tail), 3) for k, v in kinds.items()}}))
