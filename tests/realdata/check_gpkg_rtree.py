#!/usr/bin/env python3
"""check_gpkg_rtree.py REVIEW_GPKG: checks the spatial indexes of regrev's review.gpkg with SQLite
itself (Python's sqlite3, standard library only): for every layer, SQLite's rtreecheck() finds the
tree sound, it holds one entry per feature with geometry, each entry's box is the feature's
envelope (from its GeoPackage blob header) rounded outwards to the nearest 32-bit floats, searches
of 200 rectangles through the tree find the features whose envelopes meet them, and on a copy the
rtree module inserts into and deletes from the tree and finds it sound again. Exits 1 on the
first failed expectation."""
import random
import shutil
import sqlite3
import struct
import sys
import tempfile

path = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def f32(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def f32_bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def next_float(v, up):
    """The 32-bit float after the float v, towards +inf when up, else towards -inf."""
    b = f32_bits(v)
    if v == 0:
        return f32(1) if up else -f32(1)
    return f32(b + 1 if (v > 0) == up else b - 1)


def envelope(blob):
    """[minx, maxx, miny, maxy] from a GeoPackage blob's header (envelope type 1)."""
    flags = blob[3]
    assert blob[:2] == b"GP" and (flags >> 1) & 7 == 1, "blob without an xy envelope"
    return struct.unpack(("<" if flags & 1 else ">") + "4d", blob[8:40])


db = sqlite3.connect(path)
layers = [r[0] for r in db.execute(
    "SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'")]
check(sorted(layers) == ["changes", "new", "old", "pieces"], f"R-trees for layers {sorted(layers)}")
rnd = random.Random(20250101)
for t in layers:
    rt = f"rtree_{t}_geom"
    check(db.execute(f"SELECT rtreecheck('{rt}')").fetchone()[0] == "ok", f"{t}: rtreecheck ok")
    env = {fid: envelope(g) for fid, g in db.execute(f'SELECT fid, geom FROM "{t}"') if g}
    box = {r[0]: r[1:] for r in db.execute(f'SELECT id, minx, maxx, miny, maxy FROM "{rt}"')}
    check(set(box) == set(env), f"{t}: {len(box)} entries, one per feature with geometry")
    loose = 0
    for fid, e in env.items():
        b = box.get(fid)
        for c in range(4):
            low = c % 2 == 0
            inside = b is not None and (b[c] <= e[c] if low else b[c] >= e[c])
            tight = b is not None and (next_float(b[c], True) > e[c] if low
                                       else next_float(b[c], False) < e[c])
            loose += not (inside and tight)
    check(loose == 0, f"{t}: every box the envelope rounded outwards to floats ({loose} not)")
    x0 = min(e[0] for e in env.values()); x1 = max(e[1] for e in env.values())
    y0 = min(e[2] for e in env.values()); y1 = max(e[3] for e in env.values())
    wrong = 0
    for _ in range(200):
        w, h = rnd.uniform(0, (x1 - x0) / 4), rnd.uniform(0, (y1 - y0) / 4)
        qx, qy = rnd.uniform(x0 - w, x1), rnd.uniform(y0 - h, y1)
        got = {r[0] for r in db.execute(
            f'SELECT id FROM "{rt}" WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?',
            (qx, qx + w, qy, qy + h))}
        want = {fid for fid, e in env.items()
                if e[1] >= qx and e[0] <= qx + w and e[3] >= qy and e[2] <= qy + h}
        wrong += got != want
    check(wrong == 0, f"{t}: 200 searches through the tree find the features whose envelopes "
                      f"meet the rectangle ({wrong} differ)")
db.close()

# the rtree module edits the packed tree as one it grew itself (a GIS editing the layer)
with tempfile.TemporaryDirectory() as tmp:
    copy = f"{tmp}/copy.gpkg"
    shutil.copy(path, copy)
    db = sqlite3.connect(copy)
    rt = "rtree_pieces_geom"
    ids = [r[0] for r in db.execute(f'SELECT id FROM "{rt}"')]
    n = len(ids)
    x0, x1, y0, y1 = db.execute(f'SELECT min(minx), max(maxx), min(miny), max(maxy) FROM "{rt}"'
                                ).fetchone()
    for k in range(500):
        x, y = rnd.uniform(x0, x1), rnd.uniform(y0, y1)
        db.execute(f'INSERT INTO "{rt}" VALUES (?, ?, ?, ?, ?)', (10**7 + k, x, x + 90, y, y + 90))
    db.execute(f'DELETE FROM "{rt}" WHERE id % 4 = 1')
    left = db.execute(f'SELECT count(*) FROM "{rt}"').fetchone()[0]
    want = sum(1 for i in ids if i % 4 != 1) + sum(
        1 for k in range(500) if (10**7 + k) % 4 != 1)
    check(db.execute(f"SELECT rtreecheck('{rt}')").fetchone()[0] == "ok" and left == want,
          f"pieces: after 500 inserts and {n + 500 - left} deletes by the rtree module, "
          f"{left} entries and rtreecheck ok")
    db.close()

if failures:
    print(f"check_gpkg_rtree: {len(failures)} failed")
    sys.exit(1)
print("check_gpkg_rtree: all passed")
