#!/usr/bin/python3
"""tools/bench.d/agree.py: compare regrev's areas per (old_code, new_code) with a reference.

Usage: agree.py [--key] REFERENCE.csv REGREV.csv [MIN_AREA_M2 [MAX_REL]]
Both CSVs have a header with old_code, new_code, area_m2; rows of one pair are summed and rows
with an empty code are skipped (the reference has no uncovered parts). Relative difference is
|regrev - ref| / ref; a pair missing on one side counts as 100 %.

Without --key (REGREV is pieces.csv: every intersection): every pair with at least MIN_AREA_M2
(default 10000, 1 ha) in either file is compared.
With --key (REGREV is key.csv, where the sliver rule folds pieces that are not transfers into
the main relation of their area): the key's pairs of at least MIN_AREA_M2 are compared, and
reference pairs of at least MIN_AREA_M2 absent from the key are counted as `folded`.
Prints `agree compared C worst_rel W worst_pair OLD NEW over U missing M folded F ok 0|1`.
"""
import csv
import sys
from collections import defaultdict


def load(path):
    areas = defaultdict(float)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["old_code"] and row["new_code"]:
                areas[(row["old_code"], row["new_code"])] += float(row["area_m2"])
    return areas


def main():
    args = sys.argv[1:]
    key_mode = bool(args) and args[0] == "--key"
    if key_mode:
        args = args[1:]
    ref, got = load(args[0]), load(args[1])
    min_area = float(args[2]) if len(args) > 2 else 10000.0
    max_rel = float(args[3]) if len(args) > 3 else 0.005
    big_ref = {p for p, a in ref.items() if a >= min_area}
    big_got = {p for p, a in got.items() if a >= min_area}
    pairs = big_got if key_mode else big_ref | big_got
    folded = len(big_ref - got.keys()) if key_mode else 0
    worst, worst_pair, over, missing = 0.0, ("-", "-"), 0, 0
    for pair in sorted(pairs):
        r, g = ref.get(pair), got.get(pair)
        if r is None or g is None:
            rel = 1.0
            missing += 1
        else:
            rel = abs(g - r) / r
        if rel > max_rel:
            over += 1
        if rel > worst:
            worst, worst_pair = rel, pair
    print(f"agree compared {len(pairs)} worst_rel {worst:.3e} worst_pair {worst_pair[0]} "
          f"{worst_pair[1]} over {over} missing {missing} folded {folded} ok {int(over == 0)}")


if __name__ == "__main__":
    main()
