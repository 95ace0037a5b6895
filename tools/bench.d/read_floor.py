#!/usr/bin/python3
"""tools/bench.d/read_floor.py: the I/O floor: read every feature and geometry of the inputs with GDAL.

Usage: read_floor.py OLD.gpkg NEW.gpkg GRID.csv
Prints `floor read_s S features F parts P` (seconds inside Python, after imports).
"""
import sys
import time

from osgeo import gdal, ogr

gdal.UseExceptions()
ogr.UseExceptions()


def main():
    t0 = time.perf_counter()
    features = 0
    parts = 0
    for path in sys.argv[1:3]:
        ds = ogr.Open(path)
        for feature in ds.GetLayer(0):
            geom = feature.GetGeometryRef()
            features += 1
            # Only touch the parts (cheap); counting every vertex in Python would measure Python.
            parts += geom.GetGeometryCount()
        ds = None
    ds = gdal.OpenEx(sys.argv[3], gdal.OF_VECTOR,
                     open_options=["X_POSSIBLE_NAMES=e", "Y_POSSIBLE_NAMES=n"])
    for feature in ds.GetLayer(0):
        feature.GetGeometryRef()
        features += 1
    ds = None
    print(f"floor read_s {time.perf_counter() - t0:.3f} features {features} parts {parts}")


if __name__ == "__main__":
    main()
