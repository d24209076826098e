#!/usr/bin/env python3
"""Rebuilds fixtures/ from the shared corpus (../shared/corpus).

The selection is deterministic. It keeps every entity that published on both platforms
(useful for duplicates and the transition view), the rows the tests name, and a sample of
the rest. Cell values are copied unchanged; only the container format changes where noted.
Run from the repository root: python3 scripts/make-fixtures.py
"""
import csv, gzip, io, json, os, re, shutil, sys, hashlib

CORPUS = os.environ.get("SECOP_CORPUS", "../shared/corpus")
OUT = "fixtures"

def h(s):
    return int(hashlib.sha1(s.encode()).hexdigest()[:8], 16)

def nit9(s):
    d = re.sub(r"\D", "", (s or "").split("-")[0])
    return d[:9]

os.makedirs(f"{OUT}/secop1/pages", exist_ok=True)
os.makedirs(f"{OUT}/secop2/web-export", exist_ok=True)
os.makedirs(f"{OUT}/ocds/schema-1.1.5", exist_ok=True)

p6 = [json.loads(l) for l in gzip.open(f"{CORPUS}/secop2/procesos.p6dx-8zbt.jsonl.gz", "rt")]
s1 = [json.loads(l) for l in gzip.open(f"{CORPUS}/secop1/procesos.f789-7hwg.jsonl.gz", "rt")]
both = {nit9(r["nit_entidad"]) for r in p6} & {nit9(r["nit_de_la_entidad"]) for r in s1}
both.discard("")

# SECOP II processes, JSON lines (gzipped): entities on both platforms, named rows, a sample.
named_bdos = {"CO1.BDOS.10558939", "CO1.BDOS.10049817", "CO1.BDOS.10631874"}
keep = [r for r in p6 if nit9(r["nit_entidad"]) in both or r["id_del_portafolio"] in named_bdos
        or h(r["id_del_proceso"]) % 8 == 0]
with gzip.open(f"{OUT}/secop2/procesos.p6dx-8zbt.jsonl.gz", "wt") as f:
    for r in keep:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print("p6dx jsonl", len(keep))

# SECOP II awarded processes, API-named CSV: whole processes (all their award rows).
rows = list(csv.DictReader(gzip.open(f"{CORPUS}/secop2/procesos-adjudicados.p6dx-8zbt.csv.gz", "rt")))
fields = list(rows[0].keys())
reqs = sorted({r["id_del_proceso"] for r in rows if h(r["id_del_proceso"]) % 12 == 0} | {"CO1.REQ.6710358"})
keep = [r for r in rows if r["id_del_proceso"] in reqs]
with gzip.open(f"{OUT}/secop2/procesos-adjudicados.p6dx-8zbt.csv.gz", "wt", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields); w.writeheader(); w.writerows(keep)
print("p6dx adjudicados csv", len(keep))

# SECOP II contracts, API-named CSV (plain): a sample, all rows of each kept contract.
rows = list(csv.DictReader(gzip.open(f"{CORPUS}/secop2/contratos.jbjy-vk9h.csv.gz", "rt")))
fields = list(rows[0].keys())
ids = {r["id_contrato"] for r in rows if h(r["id_contrato"]) % 20 == 0} | {"CO1.PCCNTR.2014577", "CO1.PCCNTR.6816635"}
keep = [r for r in rows if r["id_contrato"] in ids]
with open(f"{OUT}/secop2/contratos.jbjy-vk9h.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields); w.writeheader(); w.writerows(keep)
print("jbjy csv", len(keep))

# Web exports: untouched.
for name in os.listdir(f"{CORPUS}/secop2/web-export"):
    shutil.copy(f"{CORPUS}/secop2/web-export/{name}", f"{OUT}/secop2/web-export/{name}")

# SECOP I processes as a SODA JSON array (gzipped): entities on both platforms, whole
# constancias (all award rows), named rows, a sample.
named = {"26-21-53372", "26-1-244584", "26-13-14707258"}
cons = {r["numero_de_constancia"] for r in s1 if nit9(r["nit_de_la_entidad"]) in both
        or r["numero_de_constancia"] in named or h(r["numero_de_constancia"]) % 8 == 0}
keep = [r for r in s1 if r["numero_de_constancia"] in cons]
with gzip.open(f"{OUT}/secop1/procesos.f789-7hwg.json.gz", "wt") as f:
    f.write("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in keep) + "\n]\n")
print("f789 json array", len(keep))

for name in os.listdir(f"{CORPUS}/secop1/pages"):
    shutil.copy(f"{CORPUS}/secop1/pages/{name}", f"{OUT}/secop1/pages/{name}")
for name in os.listdir(f"{CORPUS}/ocds"):
    src = f"{CORPUS}/ocds/{name}"
    if os.path.isfile(src):
        shutil.copy(src, f"{OUT}/ocds/{name}")
for name in os.listdir(f"{CORPUS}/ocds/schema-1.1.5"):
    shutil.copy(f"{CORPUS}/ocds/schema-1.1.5/{name}", f"{OUT}/ocds/schema-1.1.5/{name}")
os.makedirs(f"{OUT}/reference", exist_ok=True)
for name in ("divipola.csv", "unspsc-es.csv.gz"):
    shutil.copy(f"{CORPUS}/reference/{name}", f"{OUT}/reference/{name}")
print("entities on both platforms:", len(both))
