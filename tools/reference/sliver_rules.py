#!/usr/bin/python3
"""Evaluate candidate "sliver rules" on sliver_exploration.csv.

Usage (from the repository root):
    /usr/bin/python3 tools/reference/sliver_rules.py \
        geodata/dalarna/reference/sliver_exploration.csv geodata/scb/deso_forandringar_2018_2025.csv 20

Only pieces with both codes and old_code != new_code ("transfers") are evaluated. A rule
keeps a transfer if the piece passes all its thresholds (value >= threshold). For each rule
it prints the number of SCB-listed transfers kept (of those listed for the prefix), the number
of unlisted transfers kept, and how many of those unlisted ones are at least "log-consistent"
(SCB's log marks the source as "Minskas och ger del..." or the target as "Utvidgas",
i.e. SCB says the area changed but does not name the partner).
Single-metric rules: the largest threshold that still keeps all listed transfers (= the
smallest value among them) and the range of thresholds (lo, hi] that keep all listed and fewer
than 20 unlisted. Two-metric rules: grid search over threshold pairs.
"""
import sys

import numpy as np
import pandas as pd


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    _, table, log_csv, prefix = argv
    t = pd.read_csv(table, dtype={"old_code": str, "new_code": str}, keep_default_na=False,
                    na_values={"share_old": [""], "share_new": [""]})
    log = pd.read_csv(log_csv, dtype=str)
    log = log[log.fran.str.startswith(prefix)]
    gives = set(log[(log.fran == log.till) & log.typ.str.startswith("Minskas")].fran)
    grows = set(log[(log.fran == log.till) & (log.typ == "Utvidgas")].till)
    listed = set((a, b) for a, b in zip(log.fran, log.till) if a != b)

    x = t[(t.old_code != "") & (t.new_code != "")].copy()
    x["max_share"] = x[["share_old", "share_new"]].max(axis=1)
    x["min_share"] = x[["share_old", "share_new"]].min(axis=1)
    x["consistent"] = x.old_code.isin(gives) | x.new_code.isin(grows)
    scb = x.scb_listed == 1
    n_scb = int(scb.sum())
    print(f"{len(x)} transfers (X!=Y pieces), {n_scb} of {len(listed)} listed by SCB present; "
          f"{int((~scb & x.consistent).sum())} unlisted but log-consistent")
    print("\nSCB-listed transfers:")
    cols = ["old_code", "new_code", "area_m2", "share_old", "share_new", "pop", "n_parts",
            "mean_width_m", "inscribed_r_m", "core25_m2", "core50_m2"]
    print(x[scb][cols].round(3).to_string(index=False))

    def kept(mask):
        return int((mask & scb).sum()), int((mask & ~scb).sum()), int((mask & ~scb & x.consistent).sum())

    metrics = ["area_m2", "largest_part_m2", "inscribed_r_m", "mean_width_m", "core10_m2",
               "core25_m2", "core50_m2", "max_share", "share_old", "share_new", "min_share", "pop"]
    print("\nSingle-metric rules  value >= threshold")
    print(f"{'metric':16s} {'thr=min(SCB)':>14s} {'SCB':>4s} {'unl':>4s} {'cons':>4s}   "
          f"range keeping {n_scb}/{n_scb} with <20 unlisted   unlisted at some thresholds")
    for m in metrics:
        v = x[m].fillna(0.0)
        thr = v[scb].min()
        s, u, c = kept(v >= thr)
        un = np.sort(v[~scb].values)[::-1]
        lo = un[19] if len(un) >= 20 else 0.0
        rng = f"({lo:.4g}, {thr:.4g}]" if lo < thr else "none"
        extra = ""
        if m in ("area_m2", "largest_part_m2", "core10_m2", "core25_m2", "core50_m2"):
            extra = "  ".join(f">={q:g}:{kept(v >= q)[0]}/{kept(v >= q)[1]}"
                              for q in (1, 100, 1e4, 5e4, 1e5))
        elif m in ("inscribed_r_m", "mean_width_m"):
            extra = "  ".join(f">={q:g}:{kept(v >= q)[0]}/{kept(v >= q)[1]}"
                              for q in (5, 10, 20, 30, 50, 70))
        elif "share" in m:
            extra = "  ".join(f">={q:g}:{kept(v >= q)[0]}/{kept(v >= q)[1]}"
                              for q in (0.001, 0.005, 0.01, 0.02, 0.04))
        elif m == "pop":
            extra = "  ".join(f">={q:g}:{kept(v >= q)[0]}/{kept(v >= q)[1]}"
                              for q in (0.5, 1, 5, 10, 50))
        print(f"{m:16s} {thr:14.4f} {s:4d} {u:4d} {c:4d}   {rng:38s}  {extra}")

    print("\nTwo-metric rules  A >= a AND B >= b  (all SCB kept; unlisted kept / of which log-consistent)")
    grids = {
        "inscribed_r_m": [0, 5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 73.6],
        "core25_m2": [0, 1, 100, 1000, 5000, 10000, 20000],
        "core10_m2": [0, 1, 1000, 10000, 30000],
        "area_m2": [0, 1e3, 1e4, 3e4, 5e4],
        "mean_width_m": [0, 5, 10, 20, 30],
        "max_share": [0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.04],
        "share_old": [0, 0.001, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.045],
        "min_share": [0, 0.0005, 0.001, 0.002, 0.005],
        "pop": [0, 0.5, 1, 5, 10],
        "pop_rows": None,
    }
    pairs = [("inscribed_r_m", "max_share"), ("inscribed_r_m", "share_old"),
             ("inscribed_r_m", "min_share"), ("core25_m2", "max_share"), ("core25_m2", "share_old"), ("core10_m2", "share_old"),
             ("mean_width_m", "share_old"), ("area_m2", "share_old"), ("pop", "share_old"), ("core10_m2", "max_share"),
             ("area_m2", "max_share"), ("mean_width_m", "max_share"), ("inscribed_r_m", "pop"),
             ("area_m2", "pop")]
    for a, b in pairs:
        va, vb = x[a].fillna(0.0), x[b].fillna(0.0)
        print(f"\n{a} (rows) x {b} (columns): cell = unlisted kept (log-consistent), '-' = loses SCB")
        print(" " * 12 + "".join(f"{q:>12g}" for q in grids[b]))
        for qa in grids[a]:
            line = f"{qa:>12g}"
            for qb in grids[b]:
                s, u, c = kept((va >= qa) & (vb >= qb))
                line += f"{'-' if s < n_scb else f'{u}({c})':>12s}"
            print(line)


if __name__ == "__main__":
    main(sys.argv)
