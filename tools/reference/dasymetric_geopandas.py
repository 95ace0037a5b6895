#!/usr/bin/python3
"""Independent dasymetric (area-weighted) population reference from SCB's 1 km grid.

Usage (from the repository root):
    /usr/bin/python3 tools/reference/dasymetric_geopandas.py \
        geodata/dalarna/befolkning_1km_2025_dalarna.csv \
        geodata/dalarna/deso2018_dalarna.gpkg deso \
        geodata/dalarna/deso2025_dalarna.geojson desokod \
        geodata/dalarna/reference

Writes into the output folder:
    pop_old_geopandas.csv      code,pop   (one row per old code, sorted)
    pop_new_geopandas.csv      code,pop   (one row per new code, sorted)
    pieces_pop_geopandas.csv   old_code,new_code,area_m2,pop  (same rows/order as
                               pieces_geopandas.csv of overlay_geopandas.py)

Method
  * Grid: columns e, n (cell centre, EPSG:3006) and befolkning_2025. The centres carry
    float noise (e.g. e = 352499.999), so each cell is the square
    [round(e-500), round(e+500)] x [round(n-500), round(n+500)] (rounded to whole metres).
    The script checks that every such square has corners on multiples of 1000 m and side
    1000 m and that no two cells coincide, and stops otherwise.
  * Areas: read and dissolved exactly as in overlay_geopandas.py (make_valid if needed,
    dissolve by code); pieces = overlay intersection + symmetric difference.
  * For a family of zones Z (old areas, new areas, or the overlay pieces):
        pop(z) = sum over cells c of pop(c) * area(c ∩ z) / area(c ∩ union(Z))
    i.e. each cell's population is spread uniformly over the part of the cell that is
    covered by the family; the part of a cell outside all zones gets nothing, so the grid
    total is conserved exactly (up to float rounding) as long as no cell lies entirely
    outside union(Z) (checked; such a cell's population would be lost and is reported).
    For the old family union(Z) = union of all DeSO 2018 areas, for the new family the
    union of all DeSO 2025 areas, and for the pieces the union of both (the pieces,
    including old-only and new-only parts, partition it).
    Consequence: summing pieces_pop over one old_code equals pop_old only up to the cells
    that touch a new-only part (and vice versa); the differences are reported.
  * Areas are planar (CRS units, m^2); the areas within each family do not overlap
    (checked for Dalarna), so area(c ∩ union(Z)) = sum over z of area(c ∩ z).
"""
import os
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from overlay_geopandas import load_dissolved, compute_pieces  # noqa: E402


def load_grid(path, crs):
    g = pd.read_csv(path, encoding="utf-8-sig", dtype={"rutid": str, "desokod": str})
    x0 = np.round(g["e"] - 500).astype(np.int64)
    x1 = np.round(g["e"] + 500).astype(np.int64)
    y0 = np.round(g["n"] - 500).astype(np.int64)
    y1 = np.round(g["n"] + 500).astype(np.int64)
    ok = ((x0 % 1000 == 0) & (y0 % 1000 == 0) & (x1 - x0 == 1000) & (y1 - y0 == 1000))
    if not ok.all():
        sys.exit(f"{(~ok).sum()} cells do not align to the 1000 m grid")
    if pd.Series(list(zip(x0, y0))).duplicated().any():
        sys.exit("duplicate cells")
    maxdev = max(np.abs(g["e"] - (x0 + 500)).max(), np.abs(g["n"] - (y0 + 500)).max())
    print(f"grid: {len(g)} cells, all aligned to a 1000 m grid (corners multiples of 1000 m); "
          f"max |centre - rounded centre| = {maxdev:.4f} m; "
          f"population total {int(g['befolkning_2025'].sum())}", file=sys.stderr)
    geoms = [box(a, b, c, d) for a, b, c, d in zip(x0, y0, x1, y1)]
    cells = gpd.GeoDataFrame({"cell": np.arange(len(g)), "cpop": g["befolkning_2025"].astype(float)},
                             geometry=geoms, crs=crs)
    return cells


def spread(cells, zones, keys, label):
    """zones: GeoDataFrame with key columns `keys` + geometry. Returns Series pop per key tuple."""
    z = zones[keys + ["geometry"]].copy()
    z["zid"] = np.arange(len(z))
    ov = gpd.overlay(cells, z[["zid", "geometry"]], how="intersection", keep_geom_type=True)
    ov["a"] = ov.geometry.area
    ov = ov[ov["a"] > 0]
    covered = ov.groupby("cell")["a"].sum()
    cov = pd.Series(0.0, index=cells["cell"])
    cov.loc[covered.index] = covered.values
    outside = cov == 0
    partial = (cov > 0) & (cov < 1e6 - 1e-3)
    cpop = cells.set_index("cell")["cpop"]
    print(f"{label}: {int(partial.sum())} cells partly outside the union "
          f"(population {cpop[partial].sum():.0f}), {int(outside.sum())} cells entirely outside "
          f"(population {cpop[outside].sum():.0f}, lost)", file=sys.stderr)
    ov["w"] = ov["a"] / ov["cell"].map(cov)
    ov["p"] = ov["w"] * ov["cell"].map(cpop)
    pz = ov.groupby("zid")["p"].sum()
    out = z[keys].copy()
    out["pop"] = z["zid"].map(pz).fillna(0.0).values
    print(f"{label}: total {out['pop'].sum():.6f}", file=sys.stderr)
    return out, {"partial": int(partial.sum()), "outside": int(outside.sum())}


def main(argv):
    if len(argv) != 7:
        sys.exit(__doc__)
    _, grid_path, old_path, old_field, new_path, new_field, outdir = argv
    old, _ = load_dissolved(old_path, old_field, "old")
    new, _ = load_dissolved(new_path, new_field, "new")
    cells = load_grid(grid_path, old.crs)
    parts = compute_pieces(old, new)

    pop_old, _ = spread(cells, old, ["code"], "old")
    pop_new, _ = spread(cells, new, ["code"], "new")
    pop_pcs, _ = spread(cells, parts, ["old_code", "new_code"], "pieces")

    for df, name in [(pop_old, "pop_old_geopandas.csv"), (pop_new, "pop_new_geopandas.csv")]:
        df = df.sort_values("code")
        with open(os.path.join(outdir, name), "w", encoding="utf-8", newline="\n") as f:
            f.write("code,pop\n")
            for r in df.itertuples(index=False):
                f.write(f"{r.code},{r.pop:.6f}\n")
    parts = parts.merge(pop_pcs, on=["old_code", "new_code"], how="left")
    with open(os.path.join(outdir, "pieces_pop_geopandas.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("old_code,new_code,area_m2,pop\n")
        for r in parts.itertuples(index=False):
            f.write(f"{r.old_code},{r.new_code},{r.area_m2:.3f},{r.pop:.6f}\n")

    # consistency between families
    so = parts[parts.old_code != ""].groupby("old_code")["pop"].sum()
    sn = parts[parts.new_code != ""].groupby("new_code")["pop"].sum()
    do = (so - pop_old.set_index("code")["pop"]).abs()
    dn = (sn - pop_new.set_index("code")["pop"]).abs()
    print(f"sum(pieces by old_code) vs pop_old: max |diff| {do.max():.6f} "
          f"({(do > 1e-6).sum()} codes differ by > 1e-6)", file=sys.stderr)
    print(f"sum(pieces by new_code) vs pop_new: max |diff| {dn.max():.6f} "
          f"({(dn > 1e-6).sum()} codes differ by > 1e-6)", file=sys.stderr)
    print(f"TOTALS grid {cells['cpop'].sum():.0f} old {pop_old['pop'].sum():.6f} "
          f"new {pop_new['pop'].sum():.6f} pieces {parts['pop'].sum():.6f}")


if __name__ == "__main__":
    main(sys.argv)
