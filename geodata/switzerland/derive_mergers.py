#!/usr/bin/python3
"""Derive mergers.csv (old_code,old_name,new_code,new_name) for two vintages of
Swiss municipalities and print the statistics quoted in README.md.

The successor of a code that disappears is the new-year municipality that
contains the old municipality's point-on-surface (a GEOMETRIC derivation; the
npm package ships no mutation list). The old layer (LV03) is brought to LV95
with the CHENyx06 NTv2 grid (Debian proj-data: CHENYX06a.gsb) and, as a check,
with the plain false-origin shift (+2000000/+1000000); both must agree.

usage: derive_mergers.py OLD.gpkg NEW.gpkg OUT.csv
"""
import csv, re, statistics, sys
from osgeo import ogr, osr
ogr.UseExceptions(); osr.UseExceptions()

def load(path):
    ds = ogr.Open(path); ly = ds.GetLayer(0)
    feats = {f["bfs_nr"]: (f["gmd_name"], f["kt_nr"], f.GetGeometryRef().Clone()) for f in ly}
    return feats, ly.GetSpatialRef().Clone()

old, s_old = load(sys.argv[1]); new, s_new = load(sys.argv[2])
som = "+proj=somerc +lat_0=46.9524055555556 +lon_0=7.43958333333333 +k_0=1 +ellps=bessel"
def ct(pipe):
    o = osr.CoordinateTransformationOptions(); o.SetOperation(pipe)
    return osr.CreateCoordinateTransformation(s_old, s_new, o)
cts = {"grid": ct(f"+proj=pipeline +step +inv {som} +x_0=600000 +y_0=200000 "
                  f"+step +proj=hgridshift +grids=CHENYX06a.gsb +step {som} +x_0=2600000 +y_0=1200000"),
       "shift": ct("+proj=affine +xoff=2000000 +yoff=1000000")}

same = sorted(set(old) & set(new)); gone = sorted(set(old) - set(new)); born = sorted(set(new) - set(old))
print(f"old features {len(old)}, new features {len(new)}; same code {len(same)}, "
      f"codes gone {len(gone)}, codes new {len(born)}")
renamed = [(k, old[k][0], new[k][0]) for k in same if old[k][0] != new[k][0]]
print("same code, renamed:", renamed)

succ = {}
for name, t in cts.items():
    res = {}
    for k in gone:
        g = old[k][2].Clone(); g.Transform(t); p = g.PointOnSurface()
        res[k] = [n for n, v in new.items() if v[2].Contains(p)]
    succ[name] = res
bad = [k for k in gone if len(succ["grid"][k]) != 1]
dis = [k for k in gone if succ["grid"][k] != succ["shift"][k]]
print("point-on-surface in 0 or >1 new polygons:", bad, "; grid vs shift disagreements:", dis)
assert not bad

rows = []; shares = []; evid = {"same name": 0, "name contained": 0, "none (absorbed)": 0, "none (new code)": 0}
def norm(s): return re.sub(r"\s*\(.*?\)", "", s).lower()
for k in gone:
    s = succ["grid"][k][0]
    on, nn = old[k][0], new[s][0]
    rows.append((k, on, s, nn))
    g = old[k][2].Clone(); g.Transform(cts["grid"])
    shares.append((g.Intersection(new[s][2]).GetArea() / g.GetArea(), k))
    if on == nn: evid["same name"] += 1
    elif norm(on) in norm(nn) or norm(nn) in norm(on) or norm(on).split("-")[0] in norm(nn): evid["name contained"] += 1
    elif s in born: evid["none (new code)"] += 1
    else: evid["none (absorbed)"] += 1
shares.sort()
print("share of old area inside its successor: min %.3f (code %d), median %.4f" % (shares[0][0], shares[0][1], statistics.median(x for x, _ in shares)))
print("name evidence for the pairs:", evid)
print("canton changes:", [(k, old[k][1], s, new[s][1]) for k, _, s, _ in rows if old[k][1] != new[s][1]])
recv = {}
for k, _, s, _ in rows: recv.setdefault(s, []).append(k)
print(f"successors: {len(recv)} ({sum(s in born for s in recv)} new codes, {sum(s not in born for s in recv)} existing codes); "
      f"new codes without a predecessor: {[b for b in born if b not in recv]}")
print("code changed but name kept:", [(k, on, s) for k, on, s, nn in rows if on == nn])

with open(sys.argv[3], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n"); w.writerow(["old_code", "old_name", "new_code", "new_name"]); w.writerows(rows)

# generalisation: planar area of the same code in both years (LV03 and LV95 areas are comparable)
def stats(codes, label):
    rel = {k: (new[k][2].GetArea() - old[k][2].GetArea()) / old[k][2].GetArea() for k in codes}
    n = len(rel); b = sum(abs(r) > .01 for r in rel.values())
    print(f"{label}: n={n}, |dA|/A > 1%: {b} ({100*b/n:.1f}%), > 0.1%: {sum(abs(r) > .001 for r in rel.values())}, "
          f"> 5%: {sum(abs(r) > .05 for r in rel.values())}, median |dA|/A {100*statistics.median(abs(r) for r in rel.values()):.2f}%, "
          f"mean signed {100*statistics.mean(rel.values()):+.2f}%")
    return rel
stats(same, "all same-code municipalities")
rel = stats([k for k in same if k not in recv], "same code and not a merger successor")
print("largest changes among those:", [(k, new[k][0], f"{100*r:+.1f}%") for k, r in sorted(rel.items(), key=lambda kv: -abs(kv[1]))[:12]])

# do shared boundaries coincide? vertices of the old layer (grid-transformed) vs vertices of the new one
def verts(g):
    out = []
    for i in range(g.GetGeometryCount()):
        p = g.GetGeometryRef(i)
        for j in range(p.GetGeometryCount()):
            r = p.GetGeometryRef(j); out += [r.GetPoint_2D(t) for t in range(r.GetPointCount())]
    return out
stable = [k for k in same if k not in recv]
tot = 0; hit = {0.01: 0, 0.5: 0, 5.0: 0}; equal = 0
for k in stable:
    g = old[k][2].Clone(); g.Transform(cts["grid"])
    if g.Equals(new[k][2]): equal += 1
    cell = {}
    for x, y in verts(new[k][2]): cell.setdefault((int(x // 10), int(y // 10)), []).append((x, y))
    for x, y in verts(g):
        tot += 1; cx, cy = int(x // 10), int(y // 10)
        d = min((((X - x) ** 2 + (Y - y) ** 2) ** .5 for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                 for X, Y in cell.get((cx + dx, cy + dy), [])), default=1e9)
        for t in hit:
            if d <= t: hit[t] += 1
print(f"stable codes with identical geometry (after CHENyx06): {equal}/{len(stable)}; old vertices within "
      + ", ".join(f"{t} m: {100*c/tot:.1f}%" for t, c in hit.items()) + " of a new vertex")
