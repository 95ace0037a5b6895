#!/usr/bin/env python3
"""check_dalarna.py OUT_DIR GEODATA_DIR [--pop]: checks regrev's outputs on the Dalarna pair against
independent references: GeoPandas overlay and dasymetric population (geodata/dalarna/reference/,
made by tools/reference/*.py) and SCB's official change log (geodata/scb/). Standard library only.
Prints what it measured; exits 1 on the first failed expectation."""
import csv
import sys
from collections import defaultdict

out, geo = sys.argv[1], sys.argv[2]
with_pop = "--pop" in sys.argv
failures = []


def rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


ref = rows(f"{geo}/dalarna/reference/pieces_geopandas.csv")
old_codes = {r["old_code"] for r in ref if r["old_code"]}
new_codes = {r["new_code"] for r in ref if r["new_code"]}
key = rows(f"{out}/key.csv")
pieces = rows(f"{out}/pieces.csv")

# 1. every code of both versions in key.csv
check(old_codes <= {r["old_code"] for r in key}, f"all {len(old_codes)} old codes in key.csv")
check(new_codes <= {r["new_code"] for r in key}, f"all {len(new_codes)} new codes in key.csv")

# 2. weights sum to 1 per code
for col, side in (("w_area_old", "old_code"), ("w_area_new", "new_code")) + (
        (("w_pop_old", "old_code"), ("w_pop_new", "new_code")) if with_pop else ()):
    sums = defaultdict(float)
    for r in key:
        if r[col] != "":
            sums[r[side]] += float(r[col])
    worst = max(abs(s - 1) for s in sums.values())
    check(worst < 1e-9 and len(sums) == len(old_codes if side == "old_code" else new_codes),
          f"{col} sums to 1 for each of {len(sums)} codes (worst deviation {worst:.2e})")

# 3. intersections of 1 ha or more agree with GeoPandas within 0.5 %
mine = defaultdict(float)
for r in pieces:
    mine[(r["old_code"], r["new_code"])] += float(r["area_m2"])
big = [(k, float(r["area_m2"])) for r in ref for k in [(r["old_code"], r["new_code"])]
       if float(r["area_m2"]) >= 10000]
refsum = defaultdict(float)
for r in ref:
    refsum[(r["old_code"], r["new_code"])] += float(r["area_m2"])
worst = max(abs(mine.get(k, 0) - refsum[k]) / refsum[k] for k, _ in big)
check(worst <= 0.005, f"{len(big)} intersections >= 1 ha agree with GeoPandas (worst {worst:.2e})")

# 4. each old area's total area is the same in key.csv as in pieces.csv
tk, tp = defaultdict(float), defaultdict(float)
for r in key:
    tk[r["old_code"]] += float(r["area_m2"])
for r in pieces:
    tp[r["old_code"]] += float(r["area_m2"])
worst = max(abs(tk[c] - tp[c]) for c in old_codes)
check(worst < 0.01, f"old area totals equal in key.csv and pieces.csv (worst {worst:.3g} m²)")

# 5. SCB's change log for Dalarna (län 20)
scb = [r for r in rows(f"{geo}/scb/deso_forandringar_2018_2025.csv") if r["fran"].startswith("20")]
changes = rows(f"{out}/changes.csv")
mine_typed = {(r["old_code"], r["new_code"], r["change_type"]) for r in changes}
mine_pairs = {(r["old_code"], r["new_code"]) for r in changes if r["old_code"] != r["new_code"]}
scb_pairs = {(r["fran"], r["till"]) for r in scb if r["fran"] != r["till"]}
found = scb_pairs & mine_pairs
check(found == scb_pairs, f"every SCB transfer between codes found ({len(found)}/{len(scb_pairs)}; "
      f"missing {sorted(scb_pairs - mine_pairs)})")
same = sum((r["fran"], r["till"], r["typ"]) in mine_typed for r in scb)
check(same >= 0.8 * len(scb), f"SCB rows with the same change_type: {same}/{len(scb)} "
      f"({100 * same / len(scb):.0f} %, need 80 %)")
unlisted = sorted(mine_pairs - scb_pairs)
check(len(unlisted) < 20, f"transfers SCB does not list: {len(unlisted)} (need < 20)")
print("     unlisted:", " ".join(f"{a}->{b}" for a, b in unlisted))

# 6. population against the independent dasymetric overlay of the same grid
if with_pop:
    refpop = {r["code"]: float(r["pop"]) for r in rows(f"{geo}/dalarna/reference/pop_old_geopandas.csv")}
    pop = defaultdict(float)
    for r in key:
        if r["pop"]:
            pop[r["old_code"]] += float(r["pop"])
    considered = [c for c, v in refpop.items() if v >= 100]
    worst = max(abs(pop[c] - refpop[c]) / refpop[c] for c in considered)
    check(worst <= 0.02, f"population of {len(considered)} old areas (100+) within 2 % of the "
          f"independent overlay (worst {100 * worst:.3f} %)")
    total = sum(pop.values())
    check(abs(total - sum(refpop.values())) < 0.5, f"total population conserved: {total:.1f} "
          f"(reference {sum(refpop.values()):.1f})")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
