#!/usr/bin/python3
"""Independent reference overlay of two area partitions with GeoPandas.

Usage:
    /usr/bin/python3 tools/reference/overlay_geopandas.py OLD_FILE OLD_FIELD NEW_FILE NEW_FIELD OUT_CSV

Writes OUT_CSV with header `old_code,new_code,area_m2`:
  * one row per (old code, new code) pair whose geometries intersect with positive area
    (geopandas.overlay how='intersection', keep_geom_type=True);
  * old-only parts (old area not covered by any new area): new_code empty;
  * new-only parts (new area not covered by any old area): old_code empty
    (both from geopandas.overlay how='symmetric_difference').
Areas are planar areas in CRS units (m^2 for EPSG:3006), printed with 3 decimals.
Rows are sorted by old_code, then new_code (plain byte order; empty string sorts first).
Rows whose area is exactly 0 are dropped; rows with 0 < area < 0.0005 are kept and print
as 0.000 (floating-point crumbs of the overlay: 611 of the 1,102 Dalarna rows; filter by
area when comparing, see geodata/dalarna/reference/README.md).

Processing steps, in order:
  1. read both files with geopandas.read_file (GDAL/Fiona); both must be in the same
     projected CRS (checked);
  2. make invalid geometries valid with shapely.validation.make_valid (keeping only the
     polygonal parts); the number of invalid input geometries is printed to stderr.
     For the Dalarna pair (geodata/dalarna/deso2018_dalarna.gpkg, field deso, and
     geodata/dalarna/deso2025_dalarna.geojson, field desokod): 0 of 175 old and
     0 of 175 new geometries were invalid, so make_valid changed nothing;
  3. dissolve by code (all features of one code become one geometry);
  4. overlay as described above.

The functions are importable (used by dasymetric_geopandas.py and sliver_exploration.py).
"""
import sys

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPolygon, Polygon, GeometryCollection
from shapely.validation import make_valid


def _polygonal(geom):
    """Keep only the polygonal parts of a geometry (after make_valid)."""
    if geom is None or geom.is_empty:
        return geom
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    if isinstance(geom, GeometryCollection):
        polys = []
        for g in geom.geoms:
            if isinstance(g, Polygon):
                polys.append(g)
            elif isinstance(g, MultiPolygon):
                polys.extend(g.geoms)
        return MultiPolygon(polys) if polys else Polygon()
    return Polygon()


def load_dissolved(path, field, label="input"):
    """Read `path`, make geometries valid, dissolve by `field` -> GeoDataFrame[code, geometry]."""
    df = gpd.read_file(path)
    if field not in df.columns:
        sys.exit(f"{path}: no field {field!r} (fields: {list(df.columns)})")
    invalid = ~df.geometry.is_valid
    n_invalid = int(invalid.sum())
    print(f"{label}: {path}: {len(df)} features, {n_invalid} invalid geometries", file=sys.stderr)
    if n_invalid:
        df.loc[invalid, "geometry"] = df.loc[invalid, "geometry"].apply(
            lambda g: _polygonal(make_valid(g)))
    df = df[[field, "geometry"]].rename(columns={field: "code"})
    df["code"] = df["code"].astype(str)
    out = df.dissolve(by="code", as_index=False)
    out = out[["code", "geometry"]]
    print(f"{label}: {out['code'].nunique()} codes after dissolve", file=sys.stderr)
    return out, n_invalid


def compute_pieces(old, new):
    """old, new: GeoDataFrames [code, geometry] in the same CRS.
    Returns GeoDataFrame [old_code, new_code, geometry, area_m2] sorted by old_code, new_code."""
    if old.crs != new.crs:
        sys.exit(f"CRS differ: {old.crs} vs {new.crs}")
    o = old.rename(columns={"code": "old_code"})
    n = new.rename(columns={"code": "new_code"})
    inter = gpd.overlay(o, n, how="intersection", keep_geom_type=True)
    sym = gpd.overlay(o, n, how="symmetric_difference", keep_geom_type=True)
    parts = pd.concat([inter, sym], ignore_index=True)
    parts["old_code"] = parts["old_code"].fillna("").astype(str)
    parts["new_code"] = parts["new_code"].fillna("").astype(str)
    parts = gpd.GeoDataFrame(parts, geometry="geometry", crs=old.crs)
    # One row per (old_code, new_code): overlay already yields one row per pair of dissolved
    # features; dissolve again defensively.
    parts = parts.dissolve(by=["old_code", "new_code"], as_index=False)
    parts["area_m2"] = parts.geometry.area
    parts = parts[parts["area_m2"] > 0]
    parts = parts.sort_values(["old_code", "new_code"]).reset_index(drop=True)
    return parts[["old_code", "new_code", "area_m2", "geometry"]]


def write_pieces_csv(parts, path, extra=None):
    cols = ["old_code", "new_code", "area_m2"] + (extra or [])
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(cols) + "\n")
        for r in parts.itertuples(index=False):
            vals = [r.old_code, r.new_code, f"{r.area_m2:.3f}"]
            for c in extra or []:
                vals.append(f"{getattr(r, c):.6f}")
            f.write(",".join(vals) + "\n")


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    _, old_path, old_field, new_path, new_field, out = argv
    old, _ = load_dissolved(old_path, old_field, "old")
    new, _ = load_dissolved(new_path, new_field, "new")
    parts = compute_pieces(old, new)
    write_pieces_csv(parts, out)
    both = parts[(parts.old_code != "") & (parts.new_code != "")]
    print(f"{len(parts)} pieces ({len(both)} old&new, "
          f"{(parts.new_code == '').sum()} old-only, {(parts.old_code == '').sum()} new-only); "
          f"area old {old.area.sum():.3f}, new {new.area.sum():.3f}, "
          f"pieces {parts.area_m2.sum():.3f}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
