#!/usr/bin/python3
"""Stress test of candidate sliver rules under a different generalisation.

Usage (from the repository root):
    /usr/bin/python3 tools/reference/sliver_stress.py \
        geodata/dalarna/deso2018_dalarna.gpkg deso geodata/dalarna/deso2025_dalarna.geojson desokod \
        geodata/scb/deso_forandringar_2018_2025.csv 20

Each polygon of the old and/or new partition is simplified on its own
(shapely simplify, Douglas-Peucker, preserve_topology=True) with a tolerance of T metres.
Because neighbours are simplified independently this also creates gaps and overlaps of
up to ~T m between neighbours, i.e. many extra slivers: a harsher change than SCB's own
re-generalisation. Pieces are recomputed (overlay intersection), and the rules are evaluated
on pieces with both codes and old != new. Printed: SCB transfers kept / unlisted kept.
"""
import os
import sys

import geopandas as gpd
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from overlay_geopandas import load_dissolved  # noqa: E402
from sliver_exploration import inscribed_radius  # noqa: E402

RULES = [
    ("area >= 1 ha", lambda d: d.area_m2 >= 1e4),
    ("area >= 5 ha", lambda d: d.area_m2 >= 5e4),
    ("inscribed r >= 50 m", lambda d: d.r >= 50),
    ("inscribed r >= 70 m", lambda d: d.r >= 70),
    ("core25 > 0 (r >= 25 m)", lambda d: d.core25 > 0),
    ("share_old >= 0.02", lambda d: d.share_old >= 0.02),
    ("share_old >= 0.04", lambda d: d.share_old >= 0.04),
    ("r >= 20 m & share_old >= 0.01", lambda d: (d.r >= 20) & (d.share_old >= 0.01)),
    ("r >= 25 m & share_old >= 0.005", lambda d: (d.r >= 25) & (d.share_old >= 0.005)),
    ("r >= 25 m & share_old >= 0.02", lambda d: (d.r >= 25) & (d.share_old >= 0.02)),
    ("r >= 50 m & share_old >= 0.01", lambda d: (d.r >= 50) & (d.share_old >= 0.01)),
    ("core25 >= 1 ha & share_old >= 0.005", lambda d: (d.core25 >= 1e4) & (d.share_old >= 0.005)),
    ("share_old >= 0.01", lambda d: d.share_old >= 0.01),
    ("mean width >= 10 m & share_old >= 0.02", lambda d: (d.mw >= 10) & (d.share_old >= 0.02)),
    ("mean width >= 20 m & share_old >= 0.01", lambda d: (d.mw >= 20) & (d.share_old >= 0.01)),
]


def simplify(df, tol):
    if tol <= 0:
        return df
    d = df.copy()
    d["geometry"] = d.geometry.simplify(tol, preserve_topology=True)
    return d


def evaluate(old, new, listed):
    o = old.rename(columns={"code": "old_code"})
    n = new.rename(columns={"code": "new_code"})
    p = gpd.overlay(o, n, how="intersection", keep_geom_type=True)
    p = p[p.old_code != p.new_code].copy()
    p["area_m2"] = p.geometry.area
    p = p[p.area_m2 > 0]
    ao = old.set_index("code").geometry.area
    p["share_old"] = p.area_m2 / p.old_code.map(ao)
    # inscribed radius only matters up to 100 m; skip the bisection for tiny pieces
    p["r"] = [inscribed_radius(g) if a >= 100 else 0.0 for g, a in zip(p.geometry, p.area_m2)]
    p["core25"] = p.geometry.buffer(-25).area
    p["mw"] = 2 * p.area_m2 / p.geometry.length
    scb = pd.Series([(a, b) in listed for a, b in zip(p.old_code, p.new_code)], index=p.index)
    res = {}
    for name, f in RULES:
        m = f(p)
        res[name] = f"{int((m & scb).sum())}/{len(listed)} {int((m & ~scb).sum()):3d}"
    return res, len(p)


def main(argv):
    if len(argv) != 7:
        sys.exit(__doc__)
    _, op, of, np_, nf, log_csv, prefix = argv
    old, _ = load_dissolved(op, of, "old")
    new, _ = load_dissolved(np_, nf, "new")
    log = pd.read_csv(log_csv, dtype=str)
    log = log[log.fran.str.startswith(prefix)]
    listed = set((a, b) for a, b in zip(log.fran, log.till) if a != b)
    cases = [(0, 0), (0, 5), (0, 10), (0, 25), (10, 0), (25, 0), (5, 20), (20, 5)]
    table = {}
    counts = {}
    for to, tn in cases:
        key = f"old {to}m/new {tn}m"
        table[key], counts[key] = evaluate(simplify(old, to), simplify(new, tn), listed)
        print(f"done {key}: {counts[key]} X!=Y pieces", file=sys.stderr)
    df = pd.DataFrame(table)
    df.loc["X!=Y pieces"] = pd.Series(counts)
    pd.set_option("display.width", 250)
    print("cells: SCB transfers kept/listed, unlisted transfers kept")
    print(df.to_string())


if __name__ == "__main__":
    main(sys.argv)
