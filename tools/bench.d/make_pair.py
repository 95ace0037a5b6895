#!/usr/bin/python3
"""tools/bench.d/make_pair.py: build a national-sized pair by tiling the Dalarna pair N x N.

Usage: make_pair.py GEODATA_DIR N OUT_DIR

Writes OUT_DIR/old.gpkg (layer old, field deso), OUT_DIR/new.gpkg (layer new, field desokod)
and OUT_DIR/grid.csv (e,n cell centres, befolkning_2025). Tile (i, j), index k = j*N + i, is
the Dalarna pair translated by (i*dx, j*dy), where dx, dy are the extent of both versions plus a
10 km margin rounded up to whole kilometres, so the 1 km grid cells stay on the grid. Codes get
the tile index as a prefix: t03_2081C1100. Prints one line `areas OLD NEW vertices OLD NEW`.
"""
import csv
import math
import os
import struct
import sys

import numpy as np
from osgeo import ogr, osr

ogr.UseExceptions()
osr.UseExceptions()

MARGIN = 10000.0
GRID = 1000.0


def read_layer(path, field):
    """-> (srs, [(code, [polygon: [ring: ndarray (k, 2)]])], extent, vertices)."""
    ds = ogr.Open(path)
    layer = ds.GetLayer(0)
    srs = layer.GetSpatialRef().Clone()
    areas = []
    vertices = 0
    for feature in layer:
        geom = feature.GetGeometryRef()
        gtype = ogr.GT_Flatten(geom.GetGeometryType())
        if gtype == ogr.wkbPolygon:
            polygons = [geom]
        elif gtype == ogr.wkbMultiPolygon:
            polygons = [geom.GetGeometryRef(i) for i in range(geom.GetGeometryCount())]
        else:
            sys.exit(f"{path}: feature {feature.GetFID()}: not a polygon ({geom.GetGeometryName()})")
        parts = []
        for polygon in polygons:
            rings = []
            for r in range(polygon.GetGeometryCount()):
                ring = polygon.GetGeometryRef(r)
                pts = np.array(ring.GetPoints(), dtype=np.float64)[:, :2]
                vertices += len(pts)
                rings.append(np.ascontiguousarray(pts))
            parts.append(rings)
        areas.append((str(feature.GetField(field)), parts))
    extent = layer.GetExtent()  # (minx, maxx, miny, maxy)
    return srs, areas, extent, vertices


def multipolygon_wkb(parts, dx, dy):
    """Little-endian 2D WKB MultiPolygon of `parts` translated by (dx, dy)."""
    shift = np.array([dx, dy])
    chunks = [struct.pack("<BII", 1, 6, len(parts))]
    for rings in parts:
        chunks.append(struct.pack("<BII", 1, 3, len(rings)))
        for pts in rings:
            chunks.append(struct.pack("<I", len(pts)))
            chunks.append((pts + shift).tobytes())
    return b"".join(chunks)


def write_layer(path, name, field, srs, areas, n, dx, dy):
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = ds.CreateLayer(name, srs, ogr.wkbMultiPolygon, options=["SPATIAL_INDEX=YES"])
    layer.CreateField(ogr.FieldDefn(field, ogr.OFTString))
    defn = layer.GetLayerDefn()
    width = max(2, len(str(n * n - 1)))
    layer.StartTransaction()
    for j in range(n):
        for i in range(n):
            prefix = f"t{j * n + i:0{width}d}_"
            for code, parts in areas:
                feature = ogr.Feature(defn)
                feature.SetField(field, prefix + code)
                feature.SetGeometryDirectly(
                    ogr.CreateGeometryFromWkb(multipolygon_wkb(parts, i * dx, j * dy)))
                layer.CreateFeature(feature)
    layer.CommitTransaction()
    ds = None


def write_grid(src, dst, n, dx, dy):
    with open(src, newline="", encoding="utf-8-sig") as f:
        rows = [(float(r["e"]), float(r["n"]), r["desokod"], r["befolkning_2025"])
                for r in csv.DictReader(f)]
    width = max(2, len(str(n * n - 1)))
    with open(dst, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["desokod", "e", "n", "befolkning_2025"])
        for j in range(n):
            for i in range(n):
                prefix = f"t{j * n + i:0{width}d}_"
                for e, north, code, pop in rows:
                    out.writerow([prefix + code, repr(e + i * dx), repr(north + j * dy), pop])
    return len(rows) * n * n


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    geodata, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    old_srs, old, old_ext, old_v = read_layer(os.path.join(geodata, "deso2018_dalarna.gpkg"), "deso")
    new_srs, new, new_ext, new_v = read_layer(os.path.join(geodata, "deso2025_dalarna.geojson"),
                                              "desokod")
    width = max(old_ext[1], new_ext[1]) - min(old_ext[0], new_ext[0])
    height = max(old_ext[3], new_ext[3]) - min(old_ext[2], new_ext[2])
    dx = math.ceil((width + MARGIN) / GRID) * GRID
    dy = math.ceil((height + MARGIN) / GRID) * GRID
    write_layer(os.path.join(out, "old.gpkg"), "old", "deso", old_srs, old, n, dx, dy)
    write_layer(os.path.join(out, "new.gpkg"), "new", "desokod", new_srs, new, n, dx, dy)
    cells = write_grid(os.path.join(geodata, "befolkning_1km_2025_dalarna.csv"),
                       os.path.join(out, "grid.csv"), n, dx, dy)
    tiles = n * n
    print(f"areas {len(old) * tiles} {len(new) * tiles} vertices {old_v * tiles} {new_v * tiles} "
          f"cells {cells} shift {dx:.0f} {dy:.0f}")


if __name__ == "__main__":
    main()
