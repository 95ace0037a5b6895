#!/usr/bin/env python3
"""make_limits.py CASE DIR [N]: inputs at the limits for tests/cli/run_limits_tests.sh (standard
library only), written as GeoJSON in EPSG:3006 into DIR.
  longcode      old/new with one area whose code is 10,000 characters
  vertices N    old: a disc of N vertices (one area); new: its two halves (N/2 vertices each)
  squares N     old: N squares of 10 m (codes 0001A0000...); new: the same, but every tenth
                pair of neighbours merged into one area and every 97th square recoded
  tables        for `regrev translate`: key.csv; cells.json, a JSON-stat dataset of 2 kB whose
                six dimensions of 30 categories name 729 million values; cells.csv, a long CSV
                of 900 kB whose 20,000 codes each have their own two periods (400 million
                values)
"""
import json
import math
import os
import sys

CRS = '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3006"}}'
X0, Y0 = 500000.0, 6700000.0


def feature(code, rings):
    coords = ",".join("[" + ",".join(f"[{x:.3f},{y:.3f}]" for x, y in ring) + "]" for ring in rings)
    return ('{"type":"Feature","properties":{"deso":"%s"},"geometry":{"type":"Polygon",'
            '"coordinates":[%s]}}' % (code, coords))


def write(path, features):
    with open(path, "w") as f:
        f.write('{"type":"FeatureCollection",%s,"features":[\n' % CRS)
        first = True
        for feat in features:
            if not first:
                f.write(",\n")
            f.write(feat)
            first = False
        f.write("\n]}\n")


def square(x, y, w, h):
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]


def longcode(d):
    long = "0001A" + "9" * 9995
    write(os.path.join(d, "old.geojson"), [feature("0001A0010", [square(X0, Y0, 1000, 1000)]),
                                           feature(long, [square(X0 + 1000, Y0, 1000, 1000)])])
    write(os.path.join(d, "new.geojson"), [feature("0001A0010", [square(X0, Y0, 2000, 1000)])])


def vertices(d, n):
    r = 5000.0
    pts = [(X0 + r * math.cos(2 * math.pi * k / n), Y0 + r * math.sin(2 * math.pi * k / n))
           for k in range(n)]
    write(os.path.join(d, "old.geojson"), [feature("0001A0010", [pts + [pts[0]]])])
    half = n // 2  # points 0..half are the upper half (y >= Y0), half..n the lower
    upper = pts[: half + 1] + [pts[0]]
    lower = pts[half:] + [pts[0], pts[half]]
    write(os.path.join(d, "new.geojson"), [feature("0001A0010", [upper]),
                                           feature("0001A0020", [lower])])


def squares(d, n):
    side = int(math.ceil(math.sqrt(n)))
    cells = [(i % side, i // side) for i in range(n)]

    def code(i):
        return "%04dA%04d" % (1 + i // 10000, i % 10000)

    write(os.path.join(d, "old.geojson"),
          (feature(code(i), [square(X0 + 10 * c, Y0 + 10 * r, 10, 10)]) for i, (c, r) in enumerate(cells)))

    def new_features():
        i = 0
        while i < n:
            c, r = cells[i]
            if i % 10 == 0 and i + 1 < n and cells[i + 1][1] == r:  # merge with the right neighbour
                yield feature(code(i), [square(X0 + 10 * c, Y0 + 10 * r, 20, 10)])
                i += 2
                continue
            yield feature(code(i) + ("R" if i % 97 == 0 else ""), [square(X0 + 10 * c, Y0 + 10 * r, 10, 10)])
            i += 1
    write(os.path.join(d, "new.geojson"), new_features())


def tables(d):
    with open(os.path.join(d, "key.csv"), "w") as f:
        f.write("old_code,new_code,area_m2,pop,w_area_old,w_area_new,w_pop_old,w_pop_new\n"
                "0001A0000,0001A0000,100,1,1,1,1,1\n")
    dims = ["Region"] + ["d%d" % i for i in range(5)]
    dimension = {}
    for name in dims:
        cats = ["0001A%04d" % i for i in range(30)] if name == "Region" else ["c%d" % i for i in range(30)]
        dimension[name] = {"category": {"index": cats}}
    with open(os.path.join(d, "cells.json"), "w") as f:
        json.dump({"version": "2.0", "class": "dataset", "id": dims, "size": [30] * 6,
                   "role": {"geo": ["Region"]}, "dimension": dimension, "value": {"0": 1}}, f)
    with open(os.path.join(d, "cells.csv"), "w") as f:
        f.write("code,period,value\n")
        for i in range(20000):
            code = "%04dA%04d" % (1 + i // 10000, i % 10000)
            f.write("%s,%d,%d\n%s,%d,%d\n" % (code, 100000 + i, i, code, 100001 + i, i))


if __name__ == "__main__":
    case, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    if case == "longcode":
        longcode(d)
    elif case == "vertices":
        vertices(d, int(sys.argv[3]))
    elif case == "squares":
        squares(d, int(sys.argv[3]))
    elif case == "tables":
        tables(d)
    else:
        sys.exit("unknown case " + case)
