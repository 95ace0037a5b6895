#!/usr/bin/python3
"""tools/bench.d/gpd_overlay.py: the GeoPandas peer: overlay(old, new, how='intersection') + area.

Usage: gpd_overlay.py OLD.gpkg OLD_FIELD NEW.gpkg NEW_FIELD OUT.csv
Writes OUT.csv (old_code,new_code,area_m2 summed per pair) and prints
`geopandas read_s R overlay_s O pairs P`.
"""
import sys
import time

import geopandas as gpd


def main():
    old_path, old_field, new_path, new_field, out = sys.argv[1:6]
    t0 = time.perf_counter()
    old = gpd.read_file(old_path)[[old_field, "geometry"]].rename(columns={old_field: "old_code"})
    new = gpd.read_file(new_path)[[new_field, "geometry"]].rename(columns={new_field: "new_code"})
    t1 = time.perf_counter()
    pieces = gpd.overlay(old, new, how="intersection", keep_geom_type=True)
    pieces["area_m2"] = pieces.geometry.area
    key = pieces.groupby(["old_code", "new_code"], as_index=False)["area_m2"].sum()
    t2 = time.perf_counter()
    key.to_csv(out, index=False, float_format="%.3f")
    print(f"geopandas read_s {t1 - t0:.3f} overlay_s {t2 - t1:.3f} pairs {len(key)}")


if __name__ == "__main__":
    main()
