/* gpkg_rtree.c: a GeoPackage layer's spatial index, packed in one go.
 *
 * The GeoPackage R-tree extension is SQLite's rtree module. Filled one entry at a time through
 * the module, every insert chooses a leaf, rewrites it and the boxes above it, and splits full
 * nodes: on the 6 x 6 bench pair the 31,000 entries of review.gpkg took 0.16 of the writer's
 * 0.45 s. Here the tree is built bottom-up instead, sort-tile-recursive (Leutenegger, Lopez and
 * Edgington, 1997): the entries sorted by the x of their centres into vertical slices, each slice
 * sorted by y and cut into nodes, and the same again one level up until one node, the root, is
 * left. Every node is written once into the module's own tables, in the layout the module reads:
 *
 *   rtree_node(nodeno, data)       data: 2 bytes tree depth (root only, else 0), 2 bytes cell
 *                                  count, then cells of an 8-byte id and four 32-bit floats
 *                                  (minx, maxx, miny, maxy), all big-endian; every node the size
 *                                  of the root the module made (it reads the node size there)
 *   rtree_rowid(rowid, nodeno)     the leaf of each entry
 *   rtree_parent(nodeno, parentnode) the parent of each node but the root (number 1)
 *
 * SQLite's rtreecheck() finds such a tree sound (the tests ask it), and the module goes on
 * inserting and deleting in it as in one it grew itself. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gpkg_rtree.h"

#define CELL_SIZE 24 /* id and four floats */

typedef struct item {
    int64_t id;    /* an entry's fid, or a node's number a level up */
    size_t pos;    /* leaf level: the entry's index */
    float box[4];  /* minx, maxx, miny, maxy */
    double cx, cy; /* the centre of the box: where the packing puts it */
} item;

/* The float the module stores for a minimum (at most d) and a maximum (at least d). */
static float float_down(double d)
{
    float f = (float)d;
    return (double)f > d ? nextafterf(f, -INFINITY) : f;
}

static float float_up(double d)
{
    float f = (float)d;
    return (double)f < d ? nextafterf(f, INFINITY) : f;
}

static int cmp_key(double a, double b, int64_t ia, int64_t ib)
{
    if (a != b)
        return a < b ? -1 : 1;
    return (ia > ib) - (ia < ib);
}

static int by_x(const void *pa, const void *pb)
{
    const item *a = pa, *b = pb;
    return cmp_key(a->cx, b->cx, a->id, b->id);
}

static int by_y(const void *pa, const void *pb)
{
    const item *a = pa, *b = pb;
    return cmp_key(a->cy, b->cy, a->id, b->id);
}

static void put_be(unsigned char *at, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        at[i] = (unsigned char)v;
}

/* The packing's state: the statements and the node blob being made. */
typedef struct packer {
    sqlite3 *db;
    sqlite3_stmt *node, *rowid, *parent;
    unsigned char *blob;
    size_t size;
} packer;

/* Write node `no` (depth: the tree's, on the root; 0 elsewhere) with cells c[0 .. n). */
static int node_write(packer *p, int64_t no, int depth, const item *c, size_t n)
{
    memset(p->blob, 0, p->size);
    put_be(p->blob, (uint64_t)depth, 2);
    put_be(p->blob + 2, n, 2);
    for (size_t k = 0; k < n; k++) {
        unsigned char *at = p->blob + 4 + CELL_SIZE * k;
        put_be(at, (uint64_t)c[k].id, 8);
        for (int j = 0; j < 4; j++) {
            uint32_t u;
            memcpy(&u, &c[k].box[j], sizeof u);
            put_be(at + 8 + 4 * j, u, 4);
        }
    }
    sqlite3_bind_int64(p->node, 1, no);
    sqlite3_bind_blob(p->node, 2, p->blob, (int)p->size, SQLITE_STATIC);
    int rc = sqlite3_step(p->node);
    sqlite3_reset(p->node);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int pair_write(sqlite3_stmt *stmt, int64_t a, int64_t b)
{
    sqlite3_bind_int64(stmt, 1, a);
    sqlite3_bind_int64(stmt, 2, b);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The cells c[0 .. n) as one item a level up: node `no`, their union. */
static item node_item(int64_t no, const item *c, size_t n)
{
    item up = {.id = no, .box = {c[0].box[0], c[0].box[1], c[0].box[2], c[0].box[3]}};
    for (size_t k = 1; k < n; k++) {
        up.box[0] = fminf(up.box[0], c[k].box[0]);
        up.box[1] = fmaxf(up.box[1], c[k].box[1]);
        up.box[2] = fminf(up.box[2], c[k].box[2]);
        up.box[3] = fmaxf(up.box[3], c[k].box[3]);
    }
    up.cx = ((double)up.box[0] + up.box[1]) / 2;
    up.cy = ((double)up.box[2] + up.box[3]) / 2;
    return up;
}

static int prepare(sqlite3 *db, const char *fmt, const char *rtree, sqlite3_stmt **stmt)
{
    char *sql = sqlite3_mprintf(fmt, rtree);
    if (!sql)
        return SQLITE_NOMEM;
    int rc = sqlite3_prepare_v2(db, sql, -1, stmt, NULL);
    sqlite3_free(sql);
    return rc;
}

/* The node size the module chose when it made the table: the length of its root. */
static int node_size(sqlite3 *db, const char *rtree, size_t *size)
{
    sqlite3_stmt *q = NULL;
    int rc = prepare(db, "SELECT length(data) FROM \"%w_node\" WHERE nodeno = 1", rtree, &q);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            sqlite3_int64 len = sqlite3_column_int64(q, 0);
            rc = len >= 4 + 2 * CELL_SIZE ? SQLITE_OK : SQLITE_CORRUPT;
            *size = (size_t)len;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_CORRUPT; /* no root: not a table the module made */
        }
    }
    sqlite3_finalize(q);
    return rc;
}

/* Pack items[0 .. count) into nodes of at most `fan` cells, numbered from *next on: each
 * written, its cells' leaf (leaf level) or parent noted, and the nodes left in items[0 .. *count)
 * for the level above. */
static int pack_level(packer *p, item *items, size_t *count, size_t fan, int leaf, int64_t *next,
                      int64_t *leaf_of, int64_t *parent_of)
{
    size_t n = *count, nodes = (n + fan - 1) / fan;
    size_t slices = (size_t)ceil(sqrt((double)nodes)), out = 0;
    qsort(items, n, sizeof *items, by_x);
    for (size_t s = 0; s < slices; s++) {
        size_t k0 = s * nodes / slices, k1 = (s + 1) * nodes / slices;
        size_t i0 = k0 * n / nodes, i1 = k1 * n / nodes;
        qsort(items + i0, i1 - i0, sizeof *items, by_y);
        /* as evenly as the count allows: every node holds n / nodes cells, rounded */
        for (size_t k = k0; k < k1; k++) {
            size_t a = k * n / nodes, b = (k + 1) * n / nodes;
            int64_t no = (*next)++;
            int rc = node_write(p, no, 0, items + a, b - a);
            if (rc != SQLITE_OK)
                return rc;
            for (size_t c = a; c < b; c++) {
                if (leaf)
                    leaf_of[items[c].pos] = no;
                else
                    parent_of[items[c].id] = no;
            }
            items[out++] = node_item(no, items + a, b - a); /* out <= a: read already */
        }
    }
    *count = out;
    return SQLITE_OK;
}

int rr_rtree_pack(sqlite3 *db, const char *rtree, const rr_rtree_entry *e, size_t n)
{
    if (n == 0)
        return SQLITE_OK; /* the module made an empty root */
    packer p = {.db = db};
    item *items = malloc(n * sizeof *items);
    int64_t *leaf_of = malloc(n * sizeof *leaf_of);
    int64_t *parent_of = malloc((n + 2) * sizeof *parent_of); /* by node number: fewer than n + 2 */
    int rc = items && leaf_of && parent_of ? node_size(db, rtree, &p.size) : SQLITE_NOMEM;
    if (rc == SQLITE_OK && !(p.blob = malloc(p.size)))
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = prepare(db, "INSERT OR REPLACE INTO \"%w_node\"(nodeno, data) VALUES (?, ?)", rtree,
                     &p.node);
    if (rc == SQLITE_OK)
        rc = prepare(db, "INSERT INTO \"%w_rowid\"(rowid, nodeno) VALUES (?, ?)", rtree, &p.rowid);
    if (rc == SQLITE_OK)
        rc = prepare(db, "INSERT INTO \"%w_parent\"(nodeno, parentnode) VALUES (?, ?)", rtree,
                     &p.parent);
    /* cells a node holds (the cell count has two bytes); p.size is known when rc is SQLITE_OK */
    size_t fan = rc == SQLITE_OK ? (p.size - 4) / CELL_SIZE : 0, count = n;
    if (fan > 0xffff)
        fan = 0xffff;
    for (size_t k = 0; rc == SQLITE_OK && k < n; k++) {
        const double *b = e[k].box;
        items[k] = (item){.id = e[k].fid, .pos = k,
                          .box = {float_down(b[0]), float_up(b[1]), float_down(b[2]),
                                  float_up(b[3])},
                          .cx = (b[0] + b[1]) / 2, .cy = (b[2] + b[3]) / 2};
    }
    int depth = 0;
    int64_t next = 2; /* 1 is the root */
    while (rc == SQLITE_OK && count > fan) {
        rc = pack_level(&p, items, &count, fan, depth == 0, &next, leaf_of, parent_of);
        depth++;
    }
    if (rc == SQLITE_OK)
        rc = node_write(&p, 1, depth, items, count);
    for (size_t k = 0; rc == SQLITE_OK && k < count; k++) {
        if (depth == 0)
            leaf_of[items[k].pos] = 1;
        else
            parent_of[items[k].id] = 1;
    }
    /* rowids in the order given (by fid, as the writer makes them), then nodes by number */
    for (size_t k = 0; rc == SQLITE_OK && k < n; k++)
        rc = pair_write(p.rowid, e[k].fid, leaf_of[k]);
    for (int64_t no = 2; rc == SQLITE_OK && no < next; no++)
        rc = pair_write(p.parent, no, parent_of[no]);
    sqlite3_finalize(p.node);
    sqlite3_finalize(p.rowid);
    sqlite3_finalize(p.parent);
    free(p.blob);
    free(items);
    free(leaf_of);
    free(parent_of);
    return rc;
}
