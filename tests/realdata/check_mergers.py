#!/usr/bin/env python3
"""check_mergers.py OUT_DIR MERGERS_CSV MAX_OTHER: on a partition the sliver rule was not tuned on
(Swiss municipalities 2015 -> 2022, generalised differently in each year), every merger listed in
MERGERS_CSV (old_code,new_code) must be traced to its successor in key.csv and changes.csv, and the
transfers between codes that are not mergers must stay below MAX_OTHER. Prints the figures."""
import csv
import sys

out, mergers_path, max_other = sys.argv[1], sys.argv[2], int(sys.argv[3])
mergers = {(r["old_code"], r["new_code"]) for r in csv.DictReader(open(mergers_path, encoding="utf-8"))}
key = {(r["old_code"], r["new_code"]) for r in csv.DictReader(open(f"{out}/key.csv", encoding="utf-8"))}
changes = list(csv.DictReader(open(f"{out}/changes.csv", encoding="utf-8")))
ceased = {(r["old_code"], r["new_code"]) for r in changes if r["change_type"].startswith("Upphör")}
pairs = {(r["old_code"], r["new_code"]) for r in changes if r["old_code"] != r["new_code"]}
other = pairs - mergers
ok = True
print(f"mergers traced in key.csv: {len(mergers & key)}/{len(mergers)}")
print(f"mergers listed as Upphör in changes.csv: {len(mergers & ceased)}/{len(mergers)}")
print(f"other transfers between codes: {len(other)} (limit {max_other})")
if mergers - key or mergers - ceased:
    print("FAIL missing:", sorted((mergers - key) | (mergers - ceased))[:20])
    ok = False
if len(other) >= max_other:
    print("FAIL too many other transfers")
    ok = False
sys.exit(0 if ok else 1)
