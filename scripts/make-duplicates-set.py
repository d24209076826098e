#!/usr/bin/env python3
"""Builds the labelled duplicate set in fixtures/duplicates/ from real rows.

Reads the shared corpus (../shared/corpus, or $SECOP_CORPUS): SECOP I processes
(f789-7hwg) and SECOP II processes (p6dx-8zbt). Everything is deterministic (fixed seed,
sorted inputs). Run from the repository root:

    python3 scripts/make-duplicates-set.py

SECOP_DUP_SEED and SECOP_DUP_OUT draw another sample into another directory (a held-out
check of the detector on processes and changes it was not tuned on).

It writes:

* base.secop1.f789-7hwg.jsonl.gz, base.secop2.p6dx-8zbt.jsonl.gz: real rows, unchanged
  (every row of each process used).
* twins.secop1.f789-7hwg.jsonl.gz, twins.secop2.p6dx-8zbt.jsonl.gz: real processes
  rendered as a row of the other platform (or again on the same platform), with the
  changes real data shows.
* labels.csv: one labelled pair a line: key_a, key_b, label (1 = the same process,
  0 = distinct processes), kind, how (what was changed, or why the pair is a negative).

See fixtures/duplicates/README.md for the method.
"""
import csv, gzip, hashlib, itertools, json, os, random, re, sys, unicodedata
from collections import defaultdict
from datetime import datetime, timedelta

CORPUS = os.environ.get("SECOP_CORPUS", "../shared/corpus")
OUT = os.environ.get("SECOP_DUP_OUT", "fixtures/duplicates")
rng = random.Random(int(os.environ.get("SECOP_DUP_SEED", "20260611")))

# ---------------------------------------------------------------------------------------
# Helpers

def fold(s):
    s = unicodedata.normalize("NFD", (s or "").lower())
    return "".join(c for c in s if unicodedata.category(c) != "Mn")

STOP = set("a al como con de del desde e el en entre hasta la las le les lo los mas ni no o para por que se segun sin sobre su sus u un una unas unos y".split())

def toks(s):
    return {t for t in re.findall(r"[a-z0-9]+", fold(s)) if t not in STOP}

def jac(a, b):
    return len(a & b) / max(1, len(a | b))

def nit9(s):
    d = re.sub(r"\D", "", (s or "").split("-")[0])
    return d[:9]

def idn(s):
    return re.sub(r"[^a-z0-9]", "", fold(s))

PHASE = re.compile(r"\s*\((manifestaci|presentaci|pr[eé]-?calif|fase|borrador|evaluaci|selecci[oó]n de contratista)[^()]*(\([^()]*\)?)?\)?\s*$", re.I)

def strip_phase(s):
    prev = None
    s = (s or "").strip()
    while prev != s:
        prev = s
        s = PHASE.sub("", s).strip()
    return s

def ref_numbers(s):
    """Numbers of a reference, leading zeros dropped, four-digit years as two digits."""
    out = []
    for run in re.findall(r"\d+", s or ""):
        n = int(run)
        if len(run) == 4 and 1990 <= n <= 2099:
            n %= 100
        out.append(n)
    return out

def lost_capitals(s):
    """What the live SECOP I dataset does to text: upper case, accented capitals become
    plain lower-case vowels (ALCALDÍA -> ALCALDiA)."""
    table = str.maketrans({"Á": "a", "É": "e", "Í": "i", "Ó": "o", "Ú": "u", "Ü": "u"})
    return (s or "").upper().translate(table)

def dv(body):
    """DIAN check digit."""
    w = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71]
    s = sum(int(c) * w[i] for i, c in enumerate(reversed(body)))
    r = s % 11
    return r if r < 2 else 11 - r

def parse_date(s):
    return datetime.strptime(s[:10], "%Y-%m-%d")

def soda_date(d):
    return d.strftime("%Y-%m-%dT00:00:00.000")

def is_placeholder(v):
    return v is None or fold(str(v)).strip() in ("", "no definido", "no adjudicado", "sin adjudicar", "n/d", "no aplica", "0")

# ---------------------------------------------------------------------------------------
# Ways real data writes the same thing differently

def nit_variant(nit):
    body = nit9(nit)
    k = rng.randrange(5)
    if k == 0:
        return f"{body}-{dv(body)}", "NIT with check digit after a dash"
    if k == 1:
        return f"{body[:3]}.{body[3:6]}.{body[6:]}", "NIT with dots"
    if k == 2:
        return f"{body}{dv(body)}", "NIT with the check digit stuck on"
    if k == 3:
        return f"{body[:3]},{body[3:6]},{body[6:]}", "NIT with thousands commas"
    return body, "NIT as is"

def money_variant(v):
    v = int(float(v))
    k = rng.randrange(7)
    dots = f"{v:,}".replace(",", ".")
    if k == 0:
        return f"$ {dots}", v, "value as $ 1.234.567"
    if k == 1:
        return f"{v:,}", v, "value with thousands commas"
    if k == 2:
        return f"{dots},00 COP", v, "value as 1.234.567,00 COP"
    if k == 3:
        return f"$ {dots},00", v, "value as $ 1.234.567,00"
    if k == 4 and v >= 1_000_000:
        r = round(v, -3)
        return str(r), r, "value rounded to thousands"
    if k == 5:
        return f"{v}.0", v, "value with a decimal tail"
    return str(v), v, "value as is"

def reference_variant(ref):
    ref = strip_phase(ref)
    options = []
    if "-" in ref:
        options.append((ref.replace("-", " "), "reference with spaces for dashes"))
        options.append((ref.replace("-", "."), "reference with dots for dashes"))
        options.append((ref.replace("-", ""), "reference without separators"))
    m = re.search(r"(\D|^)0+(\d+)", ref)
    if m:
        options.append((ref[: m.start()] + m.group(1) + m.group(2) + ref[m.end():], "reference without leading zeros"))
    m = re.search(r"(20)(\d\d)\s*$", ref)
    if m and re.search(r"\d", ref[: m.start()]):
        options.append((ref[: m.start()] + m.group(2), "reference with a two-digit year"))
    m = re.search(r"[-\s]((?:19|20)\d\d)\s*$", ref)
    if m and re.search(r"\d", ref[: m.start()]):
        options.append((ref[: m.start()] + " DE " + m.group(1), "reference written 'N DE YYYY'"))
    options.append(("No. " + ref, "reference with 'No.' before it"))
    options.append(("PROCESO " + ref, "reference with 'PROCESO' before it"))
    m = re.match(r"([A-Za-z]{2})([A-Za-z]{2})-", ref)
    if m:
        options.append((f"{m.group(1)}-{m.group(2)}-" + ref[m.end():], "reference prefix split (SAMC -> SA-MC)"))
    options.append((ref.lower(), "reference in lower case"))
    return rng.choice(options)

SYNONYMS = [
    (r"\bPRESTACI[OÓ]N DE SERVICIOS\b", "PRESTAR LOS SERVICIOS"),
    (r"\bPRESTAR SUS SERVICIOS\b", "PRESTACION DE SERVICIOS"),
    (r"\bMUNICIPIO\b", "MPIO"),
    (r"\bMANTENIMIENTO\b", "MTTO"),
    (r"\bDEPARTAMENTO\b", "DPTO"),
    (r"\bSUMINISTRO DE\b", "SUMINISTRAR"),
    (r"\bADQUISICI[OÓ]N DE\b", "ADQUIRIR"),
    (r"\bCONTRATAR\b", "CONTRATACION DE"),
    (r"\bCONSTRUCCI[OÓ]N\b", "CONSTRUIR"),
    (r";", ","),
    (r"\bY\b", ","),
]

def reword(text):
    """Rewords a text slightly: one or two synonyms or abbreviations, or a dropped word."""
    t = text
    changes = []
    for pat, rep in rng.sample(SYNONYMS, len(SYNONYMS)):
        if re.search(pat, t, flags=re.I) and len(changes) < 2:
            t = re.sub(pat, rep, t, count=1, flags=re.I)
            changes.append("synonym")
    words = t.split()
    if len(words) > 12 and (not changes or rng.random() < 0.4):
        i = rng.randrange(2, len(words) - 1)
        del words[i]
        t = " ".join(words)
        changes.append("a word dropped")
    return t, "object reworded (" + ", ".join(changes) + ")"

def cut(text, limit=None):
    """Cuts a text the way the platforms do: at a character limit, mid-word."""
    n = len(text)
    limit = limit or max(40, int(n * rng.uniform(0.55, 0.85)))
    return text[:limit].rstrip(), f"object cut at {limit} characters"

def case_variant(text):
    k = rng.randrange(4)
    if k == 0:
        return text.upper(), "upper case"
    if k == 1:
        return text.lower(), "lower case"
    if k == 2:
        return text[:1].upper() + text[1:].lower(), "sentence case"
    return text.title(), "title case"

def text_variant(text):
    """Changes an object text the ways real twins show: reworded, cut, or both."""
    k = rng.randrange(4)
    hows = []
    if k in (0, 2):
        text, h = reword(text)
        hows.append(h)
    if k in (1, 2) and len(text) > 80:
        text, h = cut(text)
        hows.append(h)
    if k == 3 or not hows:
        text, h = reword(text)
        hows.append(h)
    return text, hows

def shift_days():
    return rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 10, 12])

# ---------------------------------------------------------------------------------------
# Vocabularies of the two platforms

S1_TO_S2_MODALITY = {
    "CONTRATACIoN MiNIMA CUANTiA": "Mínima cuantía",
    "ReGIMEN ESPECIAL": "Contratación régimen especial",
    "CONTRATACIoN DIRECTA (LEY 1150 DE 2007)": "Contratación directa",
    "SELECCIoN ABREVIADA DE MENOR CUANTiA (LEY 1150 DE 2007)": "Selección Abreviada de Menor Cuantía",
    "SUBASTA": "Selección abreviada subasta inversa",
    "CONCURSO DE MeRITOS ABIERTO": "Concurso de méritos abierto",
    "LICITACIoN OBRA PuBLICA": "Licitación pública Obra Publica",
    "LICITACIoN PuBLICA": "Licitación pública",
    "SELECCIoN ABREVIADA SERVICIOS DE SALUD": "Selección Abreviada servicios de Salud",
}
S2_TO_S1_MODALITY = {
    "Selección Abreviada de Menor Cuantía": ("SELECCIoN ABREVIADA DE MENOR CUANTiA (LEY 1150 DE 2007)", "11"),
}
S1_TO_S2_TYPE = {
    "PRESTACIoN DE SERVICIOS": "Prestación de servicios", "SUMINISTRO": "Suministros", "OBRA": "Obra",
    "COMPRAVENTA": "Compraventa", "INTERVENTORiA": "Interventoría", "CONSULTORiA": "Consultoría",
    "ARRENDAMIENTO": "Arrendamiento de inmuebles", "OTRO TIPO DE CONTRATO": "Otro",
}
S2_TO_S1_TYPE = {
    "Prestación de servicios": "PRESTACIoN DE SERVICIOS", "Obra": "OBRA", "Suministros": "SUMINISTRO",
    "Seguros": "OTRO TIPO DE CONTRATO", "Compraventa": "COMPRAVENTA", "Otro": "OTRO TIPO DE CONTRATO",
    "Arrendamiento de muebles": "ARRENDAMIENTO",
}

# ---------------------------------------------------------------------------------------
# Load the corpus

s1_rows = [json.loads(l) for l in gzip.open(f"{CORPUS}/secop1/procesos.f789-7hwg.jsonl.gz", "rt")]
p6_rows = [json.loads(l) for l in gzip.open(f"{CORPUS}/secop2/procesos.p6dx-8zbt.jsonl.gz", "rt")]

segments = {}
with gzip.open(f"{CORPUS}/reference/unspsc-es.csv.gz", "rt") as f:
    for r in csv.DictReader(f):
        segments[r["Código Segmento"]] = r["Nombre Segmento"].strip()

# Processes: SECOP I by constancia, SECOP II by portfolio (CO1.BDOS), with all their rows.
s1 = defaultdict(list)
for r in s1_rows:
    s1[r["numero_de_constancia"]].append(r)
p6 = defaultdict(list)
for r in p6_rows:
    p6[r.get("id_del_portafolio") or r["id_del_proceso"]].append(r)

def s1_key(c):
    return f"secop1:{c}"

def p6_key(b):
    return f"secop2:{b}"

def s1_info(c):
    r = s1[c][0]
    return dict(key=s1_key(c), nit=nit9(r["nit_de_la_entidad"]), ref=r.get("numero_de_proceso", ""),
                text=r.get("detalle_del_objeto_a_contratar", ""), value=r.get("cuantia_proceso"),
                date=parse_date(r["fecha_de_cargue_en_el_secop"]), platform="secop1",
                supplier=fold(r.get("nom_razon_social_contratista", "")))

def p6_info(b):
    r = p6[b][0]
    text = r.get("descripci_n_del_procedimiento") or r.get("nombre_del_procedimiento", "")
    return dict(key=p6_key(b), nit=nit9(r["nit_entidad"]), ref=strip_phase(r.get("referencia_del_proceso", "")),
                text=text, name=strip_phase(r.get("nombre_del_procedimiento", "")), value=r.get("precio_base"),
                date=parse_date(r["fecha_de_publicacion_del"]), platform="secop2",
                supplier=fold(r.get("nombre_del_proveedor", "")))

S1 = {c: s1_info(c) for c in sorted(s1)}
P6 = {b: p6_info(b) for b in sorted(p6)}

def usable_text(t):
    return len(toks(t)) >= 4

def usable_ref(ref):
    return bool(re.search(r"\d{2,}", ref or "")) and not fold(ref).startswith("co1")

# ---------------------------------------------------------------------------------------
# Real doubles: pairs of one entity that the data itself shows published twice. Each was
# read side by side (both rows in full) before being labelled; the reason is in `how`.

REAL_DOUBLES = [
    ("secop1:26-13-14703707", "secop1:26-13-14703710",
     "real: same reference MC-009-DCA-2026, object, value and day; two constancias"),
    ("secop1:26-13-14706571", "secop1:26-13-14710813",
     "real: M-BLB-019-2026 republished as M-BLB-019-2026-A, same object and value"),
    ("secop2:CO1.BDOS.9960178", "secop2:CO1.BDOS.10010594",
     "real: IND-26-SC-08-2161 republished with a trailing dot, same name, description and value"),
    ("secop2:CO1.BDOS.10061836", "secop2:CO1.BDOS.10124101",
     "real: S.A-002-2026 republished as S.A-002-2026-, same object and value"),
    ("secop2:CO1.BDOS.10317701", "secop2:CO1.BDOS.10403839",
     "real: S.A-003-2026 republished as S.A-003-2026-, same description and value"),
    ("secop2:CO1.BDOS.10332133", "secop2:CO1.BDOS.10547774",
     "real: CVC SAMC 016 2026 republished 48 days later, same object and value"),
    ("secop2:CO1.BDOS.10145408", "secop2:CO1.BDOS.10194290",
     "real: FTIC-SAMC-006-2026 published twice the same day, same name; the first carries another description and value"),
    ("secop2:CO1.BDOS.10291012", "secop2:CO1.BDOS.10340658",
     "real: SG-SAM-008-2026 republished as SG-SAM-008-2026 B, same object and value"),
    ("secop1:26-4-14708278", "secop1:26-4-14708747",
     "real: reference 894 uploaded twice 3 days apart, same object and value; one upload awarded, the other not"),
    ("secop1:26-15-14710382", "secop1:26-15-14710736",
     "real: CMA-002-2026 uploaded twice a day apart, same object and value"),
    ("secop1:26-11-14705902", "secop1:26-11-14705904",
     "real: SAMC-004-2026 uploaded twice the same day, same object and value"),
    ("secop1:26-13-14705077", "secop1:26-13-14705096",
     "real: MC 011 DE 2026 uploaded twice a day apart, same object and value; one upload awarded"),
    ("secop1:26-13-14706569", "secop1:26-13-14710804",
     "real: M-BLB-018-2026 republished as M-BLB-018-2026-A, same object and value"),
    ("secop2:CO1.BDOS.9980396", "secop2:CO1.BDOS.10029634",
     "real: PN DECHO SA MC 001 2026 republished as '… copia', same description and value"),
    ("secop2:CO1.BDOS.10347254", "secop2:CO1.BDOS.10456955",
     "real: 17100 republished as 17100 -B, same object and value"),
    ("secop2:CO1.BDOS.10196925", "secop2:CO1.BDOS.10297180",
     "real: 26001115 H3 republished as 26001115A H3, same description and value"),
    ("secop2:CO1.BDOS.10358151", "secop2:CO1.BDOS.10563731",
     "real: 26001293 H3 republished as 26001293 H3A, same object and value"),
    ("secop2:CO1.BDOS.10277646", "secop2:CO1.BDOS.10352940",
     "real: SAMC-CSR-CIGEC-001-2026 republished with a 'b', same object and value"),
    ("secop2:CO1.BDOS.10083939", "secop2:CO1.BDOS.10166334",
     "real: ENV-16-30-1194-26 republished as ENV-16-30-1194-26_1, same object and value"),
    ("secop2:CO1.BDOS.10052522", "secop2:CO1.BDOS.10132826",
     "real: ENV-11-30-1145-26 republished as ENV-11-30-1145-26_1, same object and value"),
]

real_keys = {k for a, b, _ in REAL_DOUBLES for k in (a, b)}

# ---------------------------------------------------------------------------------------
# Pick originals for twins: varied entities, a reference with a number, a real object.

def pick(pool, n, per_entity, used_entities):
    out = []
    counts = defaultdict(int)
    items = list(pool)
    rng.shuffle(items)
    for k, info in items:
        if len(out) >= n:
            break
        e = info["nit"]
        if not e or counts[e] >= per_entity or info["key"] in real_keys:
            continue
        counts[e] += 1
        used_entities.add(e)
        out.append(k)
    return out

used = set()
s1_pool = [(c, i) for c, i in S1.items()
           if usable_ref(i["ref"]) and usable_text(i["text"])
           and s1[c][0]["modalidad_de_contratacion"] in S1_TO_S2_MODALITY and not is_placeholder(i["value"])]
p6_pool = [(b, i) for b, i in P6.items()
           if usable_ref(i["ref"]) and usable_text(i["text"]) and not is_placeholder(i["value"])
           and b.startswith("CO1.BDOS.")]
s1_cross = pick(s1_pool, 60, 2, used)
p6_cross = pick(p6_pool, 60, 2, used)
s1_same = pick([x for x in s1_pool if x[0] not in s1_cross], 25, 1, used)
p6_same = pick([x for x in p6_pool if x[0] not in p6_cross], 25, 1, used)

# ---------------------------------------------------------------------------------------
# Render twins

seq = itertools.count(1)

def render_s1_as_p6(c):
    """A SECOP I process as a SECOP II (p6dx-8zbt) row."""
    r = s1[c][0]
    n = next(seq)
    hows = []
    name = r["nombre_entidad"]
    if " - " in name:
        name = name.split(" - ", 1)[1]
    name, h = case_variant(name)
    hows.append(f"entity name in {h}, no department prefix")
    nit, h = nit_variant(r["nit_de_la_entidad"])
    hows.append(h)
    ref, h = reference_variant(r["numero_de_proceso"])
    hows.append(h)
    if rng.random() < 0.6:
        ref += " (Manifestación de interés (Menor Cuantía))" if rng.random() < 0.5 else " (Presentación de oferta)"
        hows.append("SECOP II phase suffix on the reference")
    text, h = text_variant(r["detalle_del_objeto_a_contratar"])
    hows += h
    text, h = case_variant(text)
    hows.append(f"object in {h}")
    title = text if len(text) <= 200 else text[:200]
    money, value, h = money_variant(r["cuantia_proceso"])
    hows.append(h)
    d = shift_days() * rng.choice([-1, 1])
    date = parse_date(r["fecha_de_cargue_en_el_secop"]) + timedelta(days=d)
    hows.append(f"published {abs(d)} day(s) {'earlier' if d < 0 else 'later'}")
    supplier = r.get("nom_razon_social_contratista")
    awarded = not is_placeholder(supplier)
    ntc = f"CO1.NTC.99{n:06d}"
    row = {
        "entidad": name, "nit_entidad": nit,
        "departamento_entidad": (r.get("departamento_entidad") or "").title(),
        "ciudad_entidad": (r.get("municipio_entidad") or "").title(),
        "ordenentidad": "Nacional" if "NACIONAL" in (r.get("orden_entidad") or "") else "Territorial",
        "id_del_proceso": f"CO1.REQ.99{n:06d}", "referencia_del_proceso": ref,
        "id_del_portafolio": f"CO1.BDOS.99{n:06d}",
        "nombre_del_procedimiento": title, "descripci_n_del_procedimiento": text,
        "fase": "Presentación de oferta", "fecha_de_publicacion_del": soda_date(date),
        "fecha_de_ultima_publicaci": soda_date(date), "precio_base": money,
        "modalidad_de_contratacion": S1_TO_S2_MODALITY[r["modalidad_de_contratacion"]],
        "estado_del_procedimiento": "Adjudicado" if awarded else "Publicado",
        "adjudicado": "Si" if awarded else "No",
        "id_adjudicacion": f"CO1.AWD.99{n:06d}" if awarded else "No Adjudicado",
        "nombre_del_proveedor": supplier if awarded else "No Definido",
        "nit_del_proveedor_adjudicado": r.get("identificacion_del_contratista") if awarded else "No Definido",
        "valor_total_adjudicacion": r.get("cuantia_proceso") if awarded else "0",
        "codigo_principal_de_categoria": f"V1.{(r.get('id_clase') or '')[:6]}00" if r.get("id_clase") else "No Definido",
        "tipo_de_contrato": S1_TO_S2_TYPE.get(r.get("tipo_de_contrato"), "Otro"),
        "urlproceso": {"url": f"https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID={ntc}"},
        "codigo_entidad": r.get("c_digo_de_la_entidad"),
    }
    if awarded:
        hows.append("awarded to the same supplier")
    return row, f"secop2:CO1.BDOS.99{n:06d}", hows

def render_p6_as_s1(b):
    """A SECOP II process as a SECOP I (f789-7hwg) row: the lost capitals included."""
    r = p6[b][0]
    n = next(seq)
    hows = ["accents lost (SECOP I capitals)"]
    dept = lost_capitals(r.get("departamento_entidad", ""))
    name = lost_capitals(r["entidad"])
    nit, h = nit_variant(r["nit_entidad"])
    hows.append(h)
    ref, h = reference_variant(r["referencia_del_proceso"])
    hows.append(h)
    base_text = r.get("descripci_n_del_procedimiento") or strip_phase(r["nombre_del_procedimiento"])
    text, h = text_variant(base_text)
    hows += h
    text = lost_capitals(text)
    money, value, h = money_variant(r["precio_base"])
    hows.append(h)
    d = shift_days() * rng.choice([-1, 1])
    date = parse_date(r["fecha_de_publicacion_del"]) + timedelta(days=d)
    hows.append(f"published {abs(d)} day(s) {'earlier' if d < 0 else 'later'}")
    modality, mod_id = S2_TO_S1_MODALITY[r["modalidad_de_contratacion"]]
    code = re.sub(r"\D", "", r.get("codigo_principal_de_categoria") or "")
    constancia = f"26-11-99{n:06d}"
    row = {
        "anno_cargue_secop": str(date.year), "anno_firma_contrato": "Sin Firma",
        "nivel_entidad": "NACIONAL" if r.get("ordenentidad") == "Nacional" else "TERRITORIAL",
        "orden_entidad": "NACIONAL CENTRALIZADO" if r.get("ordenentidad") == "Nacional" else "TERRITORIAL DISTRITAL MUNICIPAL NIVEL 6",
        "nombre_entidad": f"{dept} - {name}" if dept and dept != "NO DEFINIDO" else name,
        "nit_de_la_entidad": nit, "c_digo_de_la_entidad": r.get("codigo_entidad"),
        "id_modalidad": mod_id, "modalidad_de_contratacion": modality,
        "id_objeto_a_contratar": (code[:2] + "000000") if code else "No Definido",
        "objeto_a_contratar": lost_capitals(segments.get(code[:2], "No Definido")),
        "detalle_del_objeto_a_contratar": text,
        "tipo_de_contrato": S2_TO_S1_TYPE.get(r.get("tipo_de_contrato"), "OTRO TIPO DE CONTRATO"),
        "fecha_de_cargue_en_el_secop": soda_date(date), "numero_de_constancia": constancia,
        "numero_de_proceso": ref, "numero_de_contrato": "No definido", "cuantia_proceso": money,
        "id_clase": code[:6] if code else "No Definido", "id_adjudicacion": "Sin Adjudicar",
        "nom_razon_social_contratista": "No Definido", "identificacion_del_contratista": "No Definido",
        "ruta_proceso_en_secop_i": {"url": f"https://www.contratos.gov.co/consultas/detalleProceso.do?numConstancia={constancia}"},
        "moneda": "PESO COLOMBIANO",
        "municipio_entidad": lost_capitals(r.get("ciudad_entidad", "")),
        "departamento_entidad": dept, "ultima_actualizacion": soda_date(date),
    }
    return row, f"secop1:{constancia}", hows

def render_s1_again(c):
    """A SECOP I process published a second time on SECOP I: a new constancia."""
    r = dict(s1[c][0])
    n = next(seq)
    hows = ["published again on SECOP I under a new constancia"]
    ref, h = reference_variant(r["numero_de_proceso"])
    hows.append(h)
    text, h = text_variant(r["detalle_del_objeto_a_contratar"])
    hows += h
    money, value, h = money_variant(r["cuantia_proceso"])
    hows.append(h)
    d = rng.choice([0, 1, 2, 3, 5, 8, 13, 20])
    date = parse_date(r["fecha_de_cargue_en_el_secop"]) + timedelta(days=d)
    hows.append(f"published {d} day(s) later")
    constancia = re.sub(r"-\d+$", f"-99{n:06d}", c)
    r.update({
        "numero_de_constancia": constancia, "numero_de_proceso": ref,
        "detalle_del_objeto_a_contratar": lost_capitals(text), "cuantia_proceso": money,
        "fecha_de_cargue_en_el_secop": soda_date(date), "ultima_actualizacion": soda_date(date),
        "ruta_proceso_en_secop_i": {"url": f"https://www.contratos.gov.co/consultas/detalleProceso.do?numConstancia={constancia}"},
    })
    r.pop("uid", None)
    return r, f"secop1:{constancia}", hows

def render_p6_again(b):
    """A SECOP II process published a second time on SECOP II: a new portfolio. The platform
    refuses a reference already used, so entities add a character (seen in real data)."""
    r = dict(p6[b][0])
    n = next(seq)
    hows = ["published again on SECOP II under a new portfolio"]
    raw = strip_phase(r["referencia_del_proceso"])
    k = rng.randrange(3)
    if k == 0:
        ref, h = raw + rng.choice([".", "-", " B", "-A"]), "reference with a character added (as SECOP II re-publications show)"
    else:
        ref, h = reference_variant(raw)
    hows.append(h)
    ref += " (Manifestación de interés (Menor Cuantía))"
    desc, h = text_variant(r.get("descripci_n_del_procedimiento") or strip_phase(r["nombre_del_procedimiento"]))
    hows += h
    money, value, h = money_variant(r["precio_base"])
    hows.append(h)
    d = rng.choice([1, 3, 6, 10, 14, 17, 21, 26, 35])
    date = parse_date(r["fecha_de_publicacion_del"]) + timedelta(days=d)
    hows.append(f"published {d} day(s) later")
    ntc = f"CO1.NTC.99{n:06d}"
    r.update({
        "id_del_proceso": f"CO1.REQ.99{n:06d}", "id_del_portafolio": f"CO1.BDOS.99{n:06d}",
        "referencia_del_proceso": ref, "descripci_n_del_procedimiento": desc, "precio_base": money,
        "fecha_de_publicacion_del": soda_date(date), "fecha_de_ultima_publicaci": soda_date(date),
        "fecha_de_publicacion": soda_date(date),
        "urlproceso": {"url": f"https://community.secop.gov.co/Public/Tendering/OpportunityDetail/Index?noticeUID={ntc}"},
    })
    for k in ("fecha_de_recepcion_de", "fecha_de_apertura_de_respuesta", "fecha_de_apertura_efectiva"):
        if r.get(k):
            r[k] = soda_date(parse_date(r[k]) + timedelta(days=d))
    return r, f"secop2:CO1.BDOS.99{n:06d}", hows

labels = []
twins_s1, twins_p6 = [], []
base_s1, base_p6 = set(), set()

for c in s1_cross:
    row, key, hows = render_s1_as_p6(c)
    twins_p6.append(row); base_s1.add(c)
    labels.append((s1_key(c), key, 1, "twin_secop1_to_secop2", "; ".join(hows)))
for b in p6_cross:
    row, key, hows = render_p6_as_s1(b)
    twins_s1.append(row); base_p6.add(b)
    labels.append((p6_key(b), key, 1, "twin_secop2_to_secop1", "; ".join(hows)))
for c in s1_same:
    row, key, hows = render_s1_again(c)
    twins_s1.append(row); base_s1.add(c)
    labels.append((s1_key(c), key, 1, "twin_secop1_twice", "; ".join(hows)))
for b in p6_same:
    row, key, hows = render_p6_again(b)
    twins_p6.append(row); base_p6.add(b)
    labels.append((p6_key(b), key, 1, "twin_secop2_twice", "; ".join(hows)))
for a, b, how in REAL_DOUBLES:
    for k in (a, b):
        (base_s1.add(k[7:]) if k.startswith("secop1:") else base_p6.add(k[7:]))
    labels.append((a, b, 1, "real_double", how))

# ---------------------------------------------------------------------------------------
# Hard negatives: real, distinct processes of one entity with similar objects, published
# within 60 days of each other (so the detector compares them).

def close(x, y, days=60):
    return abs((x["date"] - y["date"]).days) <= days

def same_ref(x, y):
    """References that may name one process: equal, or one the other plus a suffix (the
    way entities republish: `_1`, `-B`, `A`, `copia`). Such pairs are never labelled
    distinct automatically; the real ones are in REAL_DOUBLES, read by hand."""
    if not x["ref"] or not y["ref"]:
        return False
    a, b = idn(x["ref"]), idn(y["ref"])
    na, nb = ref_numbers(x["ref"]), ref_numbers(y["ref"])
    short, long_ = (na, nb) if len(na) <= len(nb) else (nb, na)
    return (a == b or na == nb or (a and b and (a.startswith(b) or b.startswith(a)))
            or (short and long_[:len(short)] == short and len(short) >= 2))

def negatives(infos, kind, n, per_entity, min_jac, cross=False):
    by = defaultdict(list)
    for i in infos:
        if i["nit"] and usable_text(i["text"]):
            by[i["nit"]].append(i)
    cands = []
    for e in sorted(by):
        xs = by[e]
        for x, y in itertools.combinations(xs, 2):
            if cross and x["platform"] == y["platform"]:
                continue
            if x["key"] in real_keys and y["key"] in real_keys:
                continue
            if not close(x, y) or same_ref(x, y):
                continue
            j = jac(toks(x["text"]), toks(y["text"]))
            if j >= min_jac:
                cands.append((e, j, x, y))
    rng.shuffle(cands)
    # Most similar first: the hardest ones.
    cands.sort(key=lambda c: -round(c[1], 1))
    out, counts = [], defaultdict(int)
    for e, j, x, y in cands:
        if len(out) >= n:
            break
        if counts[e] >= per_entity:
            continue
        counts[e] += 1
        how = f"distinct processes, objects {round(j * 100)}% alike (Jaccard), references {x['ref'] or '-'} / {y['ref'] or '-'}"
        if x["value"] == y["value"]:
            how += ", same value"
        how += f", {abs((x['date'] - y['date']).days)} days apart"
        if x["supplier"] and x["supplier"] == y["supplier"] and not is_placeholder(x["supplier"]):
            how += ", same supplier"
        out.append((x["key"], y["key"], 0, kind, how))
    return out

neg = []
neg += negatives(list(S1.values()), "hard_negative_secop1", 130, 6, 0.6)
neg += negatives(list(P6.values()), "hard_negative_secop2", 50, 3, 0.45)
neg += negatives(list(S1.values()) + list(P6.values()), "hard_negative_cross_platform", 30, 3, 0.3, cross=True)

# Real processes of one entity that share a reference on both platforms yet are distinct:
# other objects, other values. The reference alone must not make a duplicate.
by_nit = defaultdict(lambda: ([], []))
for i in S1.values():
    by_nit[i["nit"]][0].append(i)
for i in P6.values():
    by_nit[i["nit"]][1].append(i)
for e in sorted(by_nit):
    if not e:
        continue
    for x in by_nit[e][0]:
        for y in by_nit[e][1]:
            if x["ref"] and idn(x["ref"]) == idn(y["ref"]) and jac(toks(x["text"]), toks(y["text"])) < 0.3:
                neg.append((x["key"], y["key"], 0, "hard_negative_same_reference",
                            f"same reference {x['ref']} on both platforms, other object, {abs((x['date'] - y['date']).days)} days apart"))
# Real SECOP I processes of one entity numbered alike (short references such as 087) with
# other objects and suppliers.
short = defaultdict(list)
for i in S1.values():
    if i["nit"] and re.fullmatch(r"\d{1,3}", (i["ref"] or "").strip()):
        short[(i["nit"], idn(i["ref"]))].append(i)
for k in sorted(short):
    xs = short[k]
    if len(xs) == 2 and close(xs[0], xs[1]) and jac(toks(xs[0]["text"]), toks(xs[1]["text"])) < 0.3:
        neg.append((xs[0]["key"], xs[1]["key"], 0, "hard_negative_same_short_reference",
                    f"same short reference {xs[0]['ref']}, other object"))

seen = {(a, b) for a, b, *_ in labels} | {(b, a) for a, b, *_ in labels}
for a, b, l, kind, how in neg:
    if (a, b) in seen:
        continue
    seen |= {(a, b), (b, a)}
    labels.append((a, b, l, kind, how))
    for k in (a, b):
        (base_s1.add(k[7:]) if k.startswith("secop1:") else base_p6.add(k[7:]))

# ---------------------------------------------------------------------------------------
# Write

os.makedirs(OUT, exist_ok=True)

def write_jsonl(path, rows):
    # mtime=0: the same input gives the same bytes.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        for r in rows:
            f.write((json.dumps(r, ensure_ascii=False) + "\n").encode())

write_jsonl(f"{OUT}/base.secop1.f789-7hwg.jsonl.gz", [r for c in sorted(base_s1) for r in s1[c]])
write_jsonl(f"{OUT}/base.secop2.p6dx-8zbt.jsonl.gz", [r for b in sorted(base_p6) for r in p6[b]])
write_jsonl(f"{OUT}/twins.secop1.f789-7hwg.jsonl.gz", twins_s1)
write_jsonl(f"{OUT}/twins.secop2.p6dx-8zbt.jsonl.gz", twins_p6)
with open(f"{OUT}/labels.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["key_a", "key_b", "label", "kind", "how"])
    for row in labels:
        w.writerow(row)

kinds = defaultdict(int)
for *_, l, kind, _ in labels:
    kinds[kind] += 1
print(f"{len(labels)} labelled pairs: {sum(1 for x in labels if x[2] == 1)} same process, "
      f"{sum(1 for x in labels if x[2] == 0)} distinct", file=sys.stderr)
for k in sorted(kinds):
    print(f"  {k}: {kinds[k]}", file=sys.stderr)
print(f"rows: {sum(len(s1[c]) for c in base_s1)} SECOP I + {sum(len(p6[b]) for b in base_p6)} SECOP II real, "
      f"{len(twins_s1) + len(twins_p6)} rendered", file=sys.stderr)
