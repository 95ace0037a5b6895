/* gpkg_rtree.h: a GeoPackage layer's spatial index, packed in one go (gpkg_rtree.c). */
#ifndef RR_GPKG_RTREE_H
#define RR_GPKG_RTREE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* One feature's entry: its fid and envelope. */
typedef struct rr_rtree_entry {
    int64_t fid;
    double box[4]; /* minx, maxx, miny, maxy */
} rr_rtree_entry;

/* Fill the empty SQLite R-tree `rtree` (made by CREATE VIRTUAL TABLE ... USING rtree(id, minx,
 * maxx, miny, maxy) in db) with the n entries: the nodes are packed by sort-tile-recursive and
 * written straight into the module's own tables (rtree_node, rtree_rowid, rtree_parent), each
 * once, instead of one insert at a time through the module. Boxes are rounded outwards to 32-bit
 * floats as the module stores them. SQLITE_OK, or the SQLite error (SQLITE_NOMEM when out of
 * memory; sqlite3_errmsg(db) says more for the others). */
int rr_rtree_pack(sqlite3 *db, const char *rtree, const rr_rtree_entry *e, size_t n);

#endif
