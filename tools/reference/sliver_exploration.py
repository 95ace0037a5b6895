#!/usr/bin/python3
"""Exploration for a "sliver rule": which overlay pieces are real transfers between codes?

Usage (from the repository root):
    /usr/bin/python3 tools/reference/sliver_exploration.py \
        geodata/dalarna/deso2018_dalarna.gpkg deso \
        geodata/dalarna/deso2025_dalarna.geojson desokod \
        geodata/dalarna/reference/pieces_pop_geopandas.csv \
        geodata/scb/deso_forandringar_2018_2025.csv 20 \
        geodata/dalarna/reference/sliver_exploration.csv  > rule_report.txt

Writes one row per overlay piece with old_code != new_code (including old-only pieces,
new_code empty, and new-only pieces, old_code empty), sorted by area descending, with:
  area_m2        planar area of the piece (all its parts)
  share_old      area_m2 / area(old code)   (empty for new-only pieces)
  share_new      area_m2 / area(new code)   (empty for old-only pieces)
  pop            dasymetric grid population of the piece (from pieces_pop_geopandas.csv)
  perimeter_m    total boundary length of all parts (exterior + holes)
  n_parts        number of polygon parts
  largest_part_m2 area of the largest part
  mean_width_m   2*area/perimeter (the width of a long strip of that area and perimeter)
  inscribed_r_m  radius of the largest inscribed circle, max over parts, to within 0.01 m:
                 the largest d for which buffer(-d) is non-empty (bisection; shapely 1.8 has no
                 maximum_inscribed_circle and its pure-Python polylabel is too slow on long
                 multi-part slivers; on the larger pieces the two agree within ~0.5 m)
  core10_m2, core25_m2, core50_m2, core100_m2  area left after buffer(-d) (d = 10, 25, 50,
                 100 m; round joins, 16 segments per quarter circle) = the "inner core"
  scb_listed     1 if SCB's change log has a row fran=old_code, till=new_code, else 0
                 (only meaningful for pieces with both codes)
Then prints to stdout an evaluation of candidate rules (kept SCB transfers out of the
listed ones, kept unlisted transfers) for pieces with both codes and old != new.
"""
import os
import sys

import numpy as np
import pandas as pd
from shapely.geometry import MultiPolygon, Polygon

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from overlay_geopandas import load_dissolved, compute_pieces  # noqa: E402


def parts_of(g):
    if isinstance(g, Polygon):
        return [g] if not g.is_empty else []
    if isinstance(g, MultiPolygon):
        return list(g.geoms)
    return [p for p in getattr(g, "geoms", []) if isinstance(p, Polygon)]


def inscribed_radius(g, tol=0.01):
    """Largest inscribed circle radius (max over parts) by bisection on the inward buffer:
    r is the largest d with g.buffer(-d) non-empty (GEOS, round joins), to within `tol` m.
    (shapely 1.8 has no maximum_inscribed_circle, and its pure-Python polylabel takes
    seconds on long multi-part slivers; both agree within ~0.5 m on the large pieces.)"""
    if g.is_empty or g.area <= 0:
        return 0.0
    lo, hi = 0.0, float(np.sqrt(max(p.area for p in parts_of(g)) / np.pi)) + tol
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if g.buffer(-mid).is_empty:
            hi = mid
        else:
            lo = mid
    return lo


def main(argv):
    if len(argv) != 9:
        sys.exit(__doc__)
    _, old_path, old_field, new_path, new_field, pop_csv, log_csv, prefix, out = argv
    old, _ = load_dissolved(old_path, old_field, "old")
    new, _ = load_dissolved(new_path, new_field, "new")
    parts = compute_pieces(old, new)
    pp = pd.read_csv(pop_csv, dtype={"old_code": str, "new_code": str}, keep_default_na=False)
    parts = parts.merge(pp[["old_code", "new_code", "pop"]], on=["old_code", "new_code"], how="left")
    log = pd.read_csv(log_csv, dtype=str)
    log = log[log["fran"].str.startswith(prefix)]
    listed = set(zip(log.fran, log.till))
    transfers = sorted((a, b) for a, b in listed if a != b)
    print(f"SCB change log: {len(transfers)} transfers between different codes with prefix {prefix}:")
    for a, b in transfers:
        print(f"  {a} -> {b}")

    ao = old.set_index("code").geometry.area
    an = new.set_index("code").geometry.area
    x = parts[parts.old_code != parts.new_code].copy()
    rows = []
    for r in x.itertuples(index=False):
        g = r.geometry
        ps = parts_of(g)
        rows.append({
            "old_code": r.old_code, "new_code": r.new_code,
            "area_m2": r.area_m2,
            "share_old": r.area_m2 / ao[r.old_code] if r.old_code else np.nan,
            "share_new": r.area_m2 / an[r.new_code] if r.new_code else np.nan,
            "pop": r.pop,
            "perimeter_m": g.length,
            "n_parts": len(ps),
            "largest_part_m2": max((p.area for p in ps), default=0.0),
            "mean_width_m": 2 * r.area_m2 / g.length if g.length > 0 else 0.0,
            "inscribed_r_m": inscribed_radius(g),
            "core10_m2": g.buffer(-10).area,
            "core25_m2": g.buffer(-25).area,
            "core50_m2": g.buffer(-50).area,
            "core100_m2": g.buffer(-100).area,
            "scb_listed": int((r.old_code, r.new_code) in listed),
        })
    t = pd.DataFrame(rows).sort_values(["area_m2", "old_code", "new_code"],
                                       ascending=[False, True, True]).reset_index(drop=True)
    fmt = {"area_m2": 3, "share_old": 8, "share_new": 8, "pop": 6, "perimeter_m": 3,
           "largest_part_m2": 3, "mean_width_m": 3, "inscribed_r_m": 3, "core10_m2": 3,
           "core25_m2": 3, "core50_m2": 3, "core100_m2": 3}
    cols = ["old_code", "new_code", "area_m2", "share_old", "share_new", "pop", "perimeter_m",
            "n_parts", "largest_part_m2", "mean_width_m", "inscribed_r_m", "core10_m2",
            "core25_m2", "core50_m2", "core100_m2", "scb_listed"]
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(cols) + "\n")
        for r in t.itertuples(index=False):
            vals = []
            for c in cols:
                v = getattr(r, c)
                if c in fmt:
                    vals.append("" if pd.isna(v) else f"{v:.{fmt[c]}f}")
                else:
                    vals.append(str(v))
            f.write(",".join(vals) + "\n")
    print(f"wrote {out}: {len(t)} rows "
          f"({((t.old_code != '') & (t.new_code != '')).sum()} X->Y, "
          f"{(t.new_code == '').sum()} old-only, {(t.old_code == '').sum()} new-only)")
    t.to_pickle("/tmp/sliver_table.pkl")


if __name__ == "__main__":
    main(sys.argv)
