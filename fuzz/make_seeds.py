#!/usr/bin/env python3
"""make_seeds.py: write the seed corpora of the fuzzing harnesses (fuzz/corpus/<harness>/) from
small slices of geodata/: the head of SCB's tables, a JSON-stat built from the PxWeb CSV, the
Dalarna key (fuzz/key.csv, the key.csv of `regrev run` on the default data), WKB of a few Dalarna
polygons (exported with ogr2ogr) and hand-made geometries. Run from the repository root; standard
library and ogr2ogr only. The corpora are committed; rerun only to change them."""
import json
import os
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEO = os.path.join(ROOT, "geodata")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def lines(path, n=None):
    with open(path, encoding="utf-8") as f:
        rows = f.read().splitlines()
    return rows if n is None else rows[:n]


# ---- CSV tables: SCB's 2022 population on DeSO 2018 (Dalarna rows) ------------------------------
age = lines(os.path.join(GEO, "scb", "folkmangd_deso2018_2022_alder.csv"))
header = age[0].split(",")
dal = [r.split(",") for r in age[1:] if r.startswith("20")][:12]
put("table_csv", "wide.csv", "\n".join(",".join(r) for r in [header[:6]] + [r[:6] for r in dal]) + "\n")
put("table_csv", "wide_semicolon.csv",
    "\r\n".join(";".join(r) for r in [header[:4]] + [[r[0], r[1] + ",5", r[2], ".."] for r in dal]) + "\r\n")
long_rows = ["code,period,value"] + [f"{r[0]},2022,{r[1]}" for r in dal] + [f"{dal[0][0]},2023,.."]
put("table_csv", "long.csv", "\n".join(long_rows) + "\n")
dims = ["deso,alder,year,value,pop"]
for r in dal[:6]:
    for i, band in enumerate(header[2:5]):
        dims.append(f"{r[0]}_DeSO2018,\"{band}\",2022,{r[2 + i]},{r[1]}")
put("table_csv", "long_dims.csv", "\n".join(dims) + "\n")
put("table_csv", "mean_den.csv",
    "deso,namn,total,mean_income\n" + "".join(f"{r[0]},\"Omr {i}\",{r[1]},{200 + i}.5\n" for i, r in enumerate(dal[:8])))

# ---- PxWeb CSV: SCB's 2024 population on DeSO 2025 ------------------------------------------------
px = lines(os.path.join(GEO, "dalarna", "folkmangd_deso2025_2024_pxweb.csv"))
put("pxweb", "pxweb_head.csv", "\n".join(px[:31]) + "\n")
put("pxweb", "pxweb_totals.csv", "\n".join([px[0]] + [r for r in px[1:] if '"totalt"' in r][:20]) + "\n")
put("pxweb", "pxweb_semicolon_crlf.csv",
    "\r\n".join(r.replace('","', '";"').replace('",', '";') for r in px[:16]) + "\r\n")
put("pxweb", "pxweb_missing.csv", "\n".join([px[0]] + [r.rsplit(",", 1)[0] + ',".."' for r in px[1:8]]) + "\n")

# ---- JSON-stat 2.0, built from the PxWeb CSV's totals --------------------------------------------
tot = [r.split(",") for r in px[1:] if '"totalt"' in r][:15]
codes = [c[0].strip('"') for c in tot]
values = [int(c[3]) for c in tot]
ds = {
    "version": "2.0", "class": "dataset", "label": "Folkmängd 2024",
    "id": ["Region", "Kon", "Tid"], "size": [len(codes), 1, 1], "role": {"geo": ["Region"], "time": ["Tid"]},
    "dimension": {
        "Region": {"label": "region", "category": {"index": {c: i for i, c in enumerate(codes)},
                                                   "label": {c: "DeSO " + c for c in codes}}},
        "Kon": {"label": "kön", "category": {"index": ["1+2"], "label": {"1+2": "totalt"}}},
        "Tid": {"label": "år", "category": {"label": {"2024": "2024"}}},
    },
    "value": values,
}
put("jsonstat", "dataset.json", json.dumps(ds, ensure_ascii=False))
sparse = dict(ds)
sparse["value"] = {str(i): v for i, v in enumerate(values) if i % 3}
sparse["status"] = {"0": ".."}
sparse["id"] = ["Tid", "Region", "Kon"]
sparse["size"] = [1, len(codes), 1]
del sparse["role"]
put("jsonstat", "sparse_norole.json", json.dumps(sparse, ensure_ascii=False))
two = json.loads(json.dumps(ds))
two["id"] = ["Region", "Kon"]
two["size"] = [len(codes), 2]
two["dimension"]["Kon"]["category"] = {"index": ["1+2", "1"], "label": {"1+2": "totalt", "1": "män"}}
del two["dimension"]["Tid"]
two["value"] = [v for pair in zip(values, [v // 2 for v in values]) for v in pair]
two["value"][3] = None
put("jsonstat", "two_dims.json", json.dumps(two, ensure_ascii=False))

# ---- keys ---------------------------------------------------------------------------------------
key = lines(os.path.join(ROOT, "fuzz", "key.csv"))
put("key", "key.csv", "\n".join(key) + "\n")
put("key", "key_head.csv", "\n".join(key[:25]) + "\n")
put("key", "key_area_only.csv",
    "old_code,new_code,w_area_old,w_area_new\n2021A0010,2021A0010,1,1\n2021A0020,2021A0030,0.5,1\n"
    "2021A0020,2021A0040,0.5,1\n,2021A0050,,\n")
put("key", "comparability.csv",
    "version,code,comparability,unit,apportioned_share,related\n"
    "new,2021A0010,identical,1,0,2021A0010\nnew,2023C1010,estimated,2,0.25,2023C1010;2023C1020\n"
    "old,2021A0010,recoded,1,0,2021A0010\n")

# ---- arguments (one per line) ---------------------------------------------------------------------
put("args", "run.txt", "--old\nold.gpkg\n--new\nnew.geojson\n--pop\npop.csv\n--out\nout\n--min-area\n1000\n--threads\n2\n")
put("args", "run_link.txt", "--old-link\nlink.csv\n--old-link-columns\ndeso,regsokod\n--new-group\nregsokod\n--no-pop\n--quiet\n")
put("args", "translate.txt", "--key\nkey.csv\n--in\nt.csv\n--out\no.csv\n--kind\nmean\n--denominator\npop\n--format\nlong\n--reverse\n")
put("args", "key_chain.txt", "a.csv\nb.csv\n--out\nab.csv\n")
put("args", "help.txt", "--help\n")

# ---- WKB ------------------------------------------------------------------------------------------


def ring(coords):
    return struct.pack("<I", len(coords)) + b"".join(struct.pack("<dd", x, y) for x, y in coords)


def polygon(rings, kind=3):
    return struct.pack("<BII", 1, kind, len(rings)) + b"".join(ring(r) for r in rings)


def multipolygon(polys):
    return struct.pack("<BII", 1, 6, len(polys)) + b"".join(polygon(p) for p in polys)


with tempfile.TemporaryDirectory() as tmp:
    gj = os.path.join(tmp, "d.geojson")
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", "-simplify", "20", gj,
                    os.path.join(GEO, "dalarna", "deso2018_dalarna.gpkg")], check=True)
    feats = json.load(open(gj))["features"]


def vertices(f):
    g = f["geometry"]
    polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
    return sum(len(r) for p in polys for r in p)


ranked = sorted(feats, key=vertices)
for i, f in enumerate([ranked[0], ranked[1], ranked[len(ranked) // 2], ranked[3 * len(ranked) // 4]]):
    g = f["geometry"]
    polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
    put("wkb", f"dalarna_{i}.wkb", multipolygon(polys) if len(polys) > 1 else polygon(polys[0]))
sq = [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)]
put("wkb", "square.wkb", polygon([sq]))
put("wkb", "holed.wkb", polygon([sq, [(100, 100), (100, 200), (200, 200), (200, 100), (100, 100)]]))
put("wkb", "bowtie.wkb", polygon([[(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)]]))
put("wkb", "multi.wkb", multipolygon([[sq], [[(2000, 0), (3000, 0), (3000, 1000), (2000, 0)]]]))
put("wkb", "empty.wkb", struct.pack("<BII", 1, 3, 0))
put("wkb", "polygon_z.wkb", struct.pack("<BII", 1, 1003, 1) + struct.pack("<I", 4) +
    b"".join(struct.pack("<ddd", x, y, 5.0) for x, y in [(0, 0), (10, 0), (0, 10), (0, 0)]))
put("wkb", "collection.wkb", struct.pack("<BII", 1, 7, 2) + polygon([sq]) + struct.pack("<BIdd", 1, 1, 5.0, 5.0))
put("wkb", "curvepolygon.wkb", struct.pack("<BII", 1, 10, 1) + struct.pack("<BII", 1, 8, 3) +
    b"".join(struct.pack("<dd", x, y) for x, y in [(0, 0), (10, 10), (0, 0)]))
