/* write_html.c: review.html, a self-contained offline review map of the revision.
 *
 * The page is a template (src/review/: HTML, CSS and JavaScript, embedded at build time by
 * cmake/embed_review.cmake) with the revision injected as JSON. Geometry is simplified for display
 * only: every figure on the page comes from the exact overlay. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "review/review.h"

/* From the generated review_template.c: the page with the marker below where the data goes. */
extern const unsigned char rr_review_template[];
extern const size_t rr_review_template_size;
#define DATA_MARKER "@REGREV_DATA@"

const char *const rr_review_class_colour[RR_CLASS_COUNT] = {
    "#ecebe6", /* unchanged: quiet grey, the background of the review */
    "#c6dbef", /* recoded: pale blue (same area, new code) */
    "#fde5a0", /* boundary: pale yellow (1:1, boundary redrawn) */
    "#fdae6b", /* split: orange */
    "#6baed6", /* merged: blue */
    "#dd88b9", /* complex: magenta, where a reviewer should look twice */
    "#74c476", /* new: green */
    "#a6761d", /* ceased: brown */
};

/* ---- the moved pieces of a change (shared with write_gpkg.c) ------------------------------- */

static const char *old_code(const rr_revision *rev, size_t i)
{
    return i == RR_NONE ? "" : rev->old_set->areas[i].code;
}

static const char *new_code(const rr_revision *rev, size_t i)
{
    return i == RR_NONE ? "" : rev->new_set->areas[i].code;
}

int rr_review_piece_of_change(const rr_revision *rev, const rr_change *c, const rr_piece *p)
{
    switch (c->type) {
    case RR_CH_SHRINKS:
        return p->transfer && p->old_idx == c->old_idx && p->new_idx != RR_NONE &&
               strcmp(old_code(rev, p->old_idx), new_code(rev, p->new_idx)) != 0;
    case RR_CH_GROWS:
        return p->transfer && p->new_idx == c->new_idx && p->old_idx != RR_NONE &&
               strcmp(old_code(rev, p->old_idx), new_code(rev, p->new_idx)) != 0;
    case RR_CH_GROWS_SEA:
        return p->moved && p->old_idx == RR_NONE && p->new_idx == c->new_idx;
    default:
        return p->transfer && p->old_idx == c->old_idx && p->new_idx == c->new_idx;
    }
}

/* Append the polygons of g (Polygon or MultiPolygon) as clones; 0 when out of memory. */
static int add_polygons(GEOSContextHandle_t h, const GEOSGeometry *g, GEOSGeometry ***parts,
                        size_t *n, size_t *cap)
{
    int single = GEOSGeomTypeId_r(h, g) == GEOS_POLYGON;
    int count = single ? 1 : GEOSGetNumGeometries_r(h, g);
    for (int j = 0; j < count; j++) {
        const GEOSGeometry *sub = single ? g : GEOSGetGeometryN_r(h, g, j);
        if (GEOSGeomTypeId_r(h, sub) != GEOS_POLYGON)
            continue;
        if (*n == *cap) {
            size_t ncap = *cap ? 2 * *cap : 16;
            GEOSGeometry **more = realloc(*parts, ncap * sizeof *more);
            if (!more)
                return 0;
            *parts = more;
            *cap = ncap;
        }
        GEOSGeometry *clone = GEOSGeom_clone_r(h, sub);
        if (!clone)
            return 0;
        (*parts)[(*n)++] = clone;
    }
    return 1;
}

/* A MultiPolygon owning parts[0..n) (the array itself is freed); NULL on failure. */
static GEOSGeometry *multipolygon(GEOSContextHandle_t h, GEOSGeometry **parts, size_t n)
{
    GEOSGeometry *g = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)n);
    if (!g)
        for (size_t i = 0; i < n; i++)
            GEOSGeom_destroy_r(h, parts[i]);
    free(parts);
    return g;
}

GEOSGeometry *rr_review_change_shape(rr_ctx *ctx, const rr_revision *rev, const rr_change *c,
                                     rr_status *st)
{
    GEOSContextHandle_t h = ctx->geos;
    GEOSGeometry **parts = NULL;
    size_t n = 0, cap = 0;
    *st = RR_OK;
    for (size_t k = 0; k < rev->npieces; k++) {
        const rr_piece *p = &rev->pieces[k];
        if (!p->shape || !rr_review_piece_of_change(rev, c, p))
            continue;
        if (!add_polygons(h, p->shape, &parts, &n, &cap)) {
            for (size_t i = 0; i < n; i++)
                GEOSGeom_destroy_r(h, parts[i]);
            free(parts);
            *st = rr_error(ctx, RR_ERR_NOMEM, "out of memory collecting moved pieces");
            return NULL;
        }
    }
    if (n == 0) {
        free(parts);
        return NULL;
    }
    GEOSGeometry *coll = multipolygon(h, parts, n);
    if (!coll) {
        *st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot collect moved pieces: %s", rr_geos_msg(ctx));
        return NULL;
    }
    /* Pieces of one change are disjoint and often adjacent: dissolve the shared edges. When GEOS
     * cannot (a robustness failure), the parts as they are still show the right place. */
    GEOSGeometry *u = GEOSUnaryUnion_r(h, coll);
    if (!u)
        return coll;
    GEOSGeom_destroy_r(h, coll);
    return u;
}

/* ---- display geometry ------------------------------------------------------------------------ */

/* Map units: x right, y down, in steps of q from the top-left corner of the extent. */
typedef struct quant {
    double x0, y1, q;
} quant;

static long qx(const quant *t, double x) { return lround((x - t->x0) / t->q); }
static long qy(const quant *t, double y) { return lround((t->y1 - y) / t->q); }

/* One version prepared for display. */
typedef struct display_set {
    GEOSGeometry **shape; /* per area: simplified polygons for display, or NULL */
    GEOSGeometry *edges;  /* simplified boundary linework, each shared edge once */
    int coverage;         /* 1: shapes come from the simplified shared edges */
} display_set;

static void display_free(GEOSContextHandle_t h, display_set *d, size_t n)
{
    for (size_t i = 0; d->shape && i < n; i++)
        if (d->shape[i])
            GEOSGeom_destroy_r(h, d->shape[i]);
    free(d->shape);
    if (d->edges)
        GEOSGeom_destroy_r(h, d->edges);
    memset(d, 0, sizeof *d);
}

/* Every ring of every area as a LineString (the linework of the partition). */
static GEOSGeometry *partition_rings(GEOSContextHandle_t h, const rr_areaset *set)
{
    GEOSGeometry **lines = NULL;
    size_t n = 0, cap = 0;
    int ok = 1;
    for (size_t i = 0; i < set->n && ok; i++) {
        const GEOSGeometry *g = set->areas[i].geom;
        int single = GEOSGeomTypeId_r(h, g) == GEOS_POLYGON;
        int np = single ? 1 : GEOSGetNumGeometries_r(h, g);
        for (int j = 0; j < np && ok; j++) {
            const GEOSGeometry *poly = single ? g : GEOSGetGeometryN_r(h, g, j);
            if (GEOSGeomTypeId_r(h, poly) != GEOS_POLYGON)
                continue;
            int holes = GEOSGetNumInteriorRings_r(h, poly);
            for (int r = -1; r < holes && ok; r++) {
                const GEOSGeometry *ring = r < 0 ? GEOSGetExteriorRing_r(h, poly)
                                                 : GEOSGetInteriorRingN_r(h, poly, r);
                const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
                GEOSCoordSequence *copy = cs ? GEOSCoordSeq_clone_r(h, cs) : NULL;
                GEOSGeometry *line = copy ? GEOSGeom_createLineString_r(h, copy) : NULL;
                if (!line) {
                    ok = 0;
                    break;
                }
                if (n == cap) {
                    size_t ncap = cap ? 2 * cap : 256;
                    GEOSGeometry **more = realloc(lines, ncap * sizeof *more);
                    if (!more) {
                        GEOSGeom_destroy_r(h, line);
                        ok = 0;
                        break;
                    }
                    lines = more;
                    cap = ncap;
                }
                lines[n++] = line;
            }
        }
    }
    GEOSGeometry *mls = NULL;
    if (ok)
        mls = GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, lines, (unsigned)n);
    if (!mls)
        for (size_t i = 0; i < n; i++)
            GEOSGeom_destroy_r(h, lines[i]);
    free(lines);
    return mls;
}

/* ---- shared edges of a coverage by hashing its vertices ------------------------------------
 * Neighbours in a clean coverage share their boundary vertex for vertex. Then the shared edges
 * are the chains of segments between vertices of degree other than 2, found in linear time, where
 * noding the whole linework (GEOSUnaryUnion) takes a minute at national scale. Whether the
 * coverage was clean is checked afterwards: the edges must meet only at their ends. */

typedef struct vtx_hash {
    double *x, *y;    /* unique vertices */
    size_t n;
    size_t *slot;     /* open addressing: vertex index + 1, 0 = empty */
    size_t mask;
} vtx_hash;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t dbl_bits(double v)
{
    uint64_t b;
    v = v == 0 ? 0 : v; /* -0 and 0 are the same point */
    memcpy(&b, &v, sizeof b);
    return b;
}

static size_t vtx_id(vtx_hash *t, double x, double y)
{
    size_t i = (size_t)mix64(dbl_bits(x) * 31 + mix64(dbl_bits(y))) & t->mask;
    for (;; i = (i + 1) & t->mask) {
        size_t v = t->slot[i];
        if (v == 0) {
            t->x[t->n] = x;
            t->y[t->n] = y;
            t->slot[i] = ++t->n;
            return t->n - 1;
        }
        if (t->x[v - 1] == x && t->y[v - 1] == y)
            return v - 1;
    }
}

typedef struct seg_hash {
    size_t *a, *b;    /* unique segments, a < b */
    unsigned char *emitted;
    size_t n;
    size_t *slot;
    size_t mask;
} seg_hash;

static size_t seg_id(seg_hash *t, size_t a, size_t b, int *added)
{
    if (a > b) {
        size_t s = a;
        a = b;
        b = s;
    }
    size_t i = (size_t)mix64((uint64_t)a * 0x9e3779b97f4a7c15ULL + b) & t->mask;
    *added = 0;
    for (;; i = (i + 1) & t->mask) {
        size_t v = t->slot[i];
        if (v == 0) {
            t->a[t->n] = a;
            t->b[t->n] = b;
            t->slot[i] = ++t->n;
            *added = 1;
            return t->n - 1;
        }
        if (t->a[v - 1] == a && t->b[v - 1] == b)
            return v - 1;
    }
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1024;
    while (p < n)
        p *= 2;
    return p;
}

/* A LineString through vertices ids[0..n) (NULL on failure). */
static GEOSGeometry *chain_line(GEOSContextHandle_t h, const vtx_hash *vt, const size_t *ids,
                                size_t n)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
    if (!cs)
        return NULL;
    for (size_t i = 0; i < n; i++)
        GEOSCoordSeq_setXY_r(h, cs, (unsigned)i, vt->x[ids[i]], vt->y[ids[i]]);
    return GEOSGeom_createLineString_r(h, cs);
}

/* The shared edges of the partition as a MultiLineString, or NULL when the areas do not share
 * their vertices (the edges would cross) or memory runs out: the caller then nodes with GEOS. */
static GEOSGeometry *coverage_edges(GEOSContextHandle_t h, const rr_areaset *set)
{
    GEOSGeometry *rings = partition_rings(h, set), *out = NULL;
    if (!rings)
        return NULL;
    int nr = GEOSGetNumGeometries_r(h, rings), ncoords = GEOSGetNumCoordinates_r(h, rings);
    if (nr < 0 || ncoords < 0) {
        GEOSGeom_destroy_r(h, rings);
        return NULL;
    }
    size_t total = (size_t)ncoords;
    vtx_hash vt = {0};
    seg_hash st = {0};
    size_t *ids = malloc((total + 1) * sizeof *ids), *start = malloc(((size_t)nr + 1) * sizeof *start);
    size_t *deg = NULL, *chain = malloc((total + 1) * sizeof *chain);
    double *buf = malloc((total + 1) * 2 * sizeof *buf);
    GEOSGeometry **lines = NULL;
    size_t nlines = 0;
    size_t cap = pow2_at_least(2 * total + 2);
    vt.x = malloc((total + 1) * sizeof *vt.x);
    vt.y = malloc((total + 1) * sizeof *vt.y);
    vt.slot = calloc(cap, sizeof *vt.slot);
    vt.mask = cap - 1;
    st.a = malloc((total + 1) * sizeof *st.a);
    st.b = malloc((total + 1) * sizeof *st.b);
    st.emitted = calloc(total + 1, 1);
    st.slot = calloc(cap, sizeof *st.slot);
    st.mask = cap - 1;
    if (!ids || !start || !chain || !buf || !vt.x || !vt.y || !vt.slot || !st.a || !st.b ||
        !st.emitted || !st.slot)
        goto out;
    /* Rings as vertex ids, without repeated points or the closing point. */
    size_t len = 0;
    for (int r = 0; r < nr; r++) {
        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, GEOSGetGeometryN_r(h, rings, r));
        unsigned n = 0;
        start[r] = len;
        if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || !GEOSCoordSeq_copyToBuffer_r(h, cs, buf, 0, 0))
            goto out;
        size_t first = len;
        for (unsigned i = 0; i < n; i++) {
            size_t id = vtx_id(&vt, buf[2 * i], buf[2 * i + 1]);
            if (len == first || ids[len - 1] != id)
                ids[len++] = id;
        }
        while (len - first > 1 && ids[len - 1] == ids[first])
            len--;
        if (len - first < 3)
            len = first;
    }
    start[nr] = len;
    if (!(deg = calloc(vt.n + 1, sizeof *deg)))
        goto out;
    for (int r = 0; r < nr; r++) {
        size_t n = start[r + 1] - start[r];
        const size_t *ring = ids + start[r];
        for (size_t i = 0; i < n; i++) {
            int added;
            seg_id(&st, ring[i], ring[(i + 1) % n], &added);
            if (added) {
                deg[ring[i]]++;
                deg[ring[(i + 1) % n]]++;
            }
        }
    }
    if (!(lines = malloc((st.n + 1) * sizeof *lines)))
        goto out;
    /* Walk each ring from a node (degree ≠ 2) to the next: each chain is an edge, emitted by the
     * first ring that walks it. A ring without nodes is one closed edge. */
    int failed = 0;
    for (int r = 0; r < nr && !failed; r++) {
        size_t n = start[r + 1] - start[r];
        const size_t *ring = ids + start[r];
        size_t s = 0;
        while (s < n && deg[ring[s]] == 2)
            s++;
        int closed = s == n;
        if (closed)
            s = 0;
        size_t k = 0;
        while (k < n && !failed) {
            size_t m = 0;
            chain[m++] = ring[(s + k) % n];
            do {
                k++;
                chain[m++] = ring[(s + k) % n];
            } while (k < n && (closed || deg[ring[(s + k) % n]] == 2));
            int added;
            size_t first = seg_id(&st, chain[0], chain[1], &added);
            if (st.emitted[first])
                continue;
            for (size_t i = 0; i + 1 < m; i++)
                st.emitted[seg_id(&st, chain[i], chain[i + 1], &added)] = 1;
            GEOSGeometry *line = chain_line(h, &vt, chain, m);
            if (!line)
                failed = 1;
            else
                lines[nlines++] = line;
        }
    }
    if (!failed && (out = GEOSGeom_createCollection_r(h, GEOS_MULTILINESTRING, lines,
                                                      (unsigned)nlines)))
        nlines = 0;
    /* Clean only if the edges meet at their ends (a closed edge touching another also fails
     * here: then noding decides, slower but right). */
    if (out && GEOSisSimple_r(h, out) != 1) {
        GEOSGeom_destroy_r(h, out);
        out = NULL;
    }
out:
    for (size_t i = 0; i < nlines; i++)
        GEOSGeom_destroy_r(h, lines[i]);
    free(lines);
    free(deg);
    free(st.slot);
    free(st.emitted);
    free(st.a);
    free(st.b);
    free(vt.slot);
    free(vt.x);
    free(vt.y);
    free(buf);
    free(chain);
    free(start);
    free(ids);
    GEOSGeom_destroy_r(h, rings);
    return out;
}

typedef struct hits {
    size_t *idx;
    size_t n, cap;
    int failed;
} hits;

static void hit_cb(void *item, void *user)
{
    hits *hs = user;
    if (hs->n == hs->cap) {
        size_t ncap = hs->cap ? 2 * hs->cap : 16;
        size_t *more = realloc(hs->idx, ncap * sizeof *more);
        if (!more) {
            hs->failed = 1;
            return;
        }
        hs->idx = more;
        hs->cap = ncap;
    }
    hs->idx[hs->n++] = *(const size_t *)item;
}

/* The area a face of the simplified linework belongs to: the one containing a point inside the
 * face, else (a sliver the simplification made) the nearest within 2·tol; RR_NONE for a hole. */
static size_t face_owner(GEOSContextHandle_t h, const rr_areaset *set, GEOSSTRtree *tree,
                         const GEOSGeometry *face, double tol, hits *hs)
{
    GEOSGeometry *pt = GEOSPointOnSurface_r(h, face);
    if (!pt)
        return RR_NONE;
    size_t owner = RR_NONE;
    hs->n = 0;
    GEOSSTRtree_query_r(h, tree, pt, hit_cb, hs);
    for (size_t k = 0; k < hs->n && owner == RR_NONE; k++)
        if (GEOSIntersects_r(h, set->areas[hs->idx[k]].geom, pt) == 1)
            owner = hs->idx[k];
    if (owner == RR_NONE) {
        double x = 0, y = 0, best = 2 * tol;
        GEOSGeomGetX_r(h, pt, &x);
        GEOSGeomGetY_r(h, pt, &y);
        GEOSGeometry *box = GEOSGeom_createRectangle_r(h, x - 2 * tol, y - 2 * tol, x + 2 * tol,
                                                       y + 2 * tol);
        hs->n = 0;
        if (box) {
            GEOSSTRtree_query_r(h, tree, box, hit_cb, hs);
            GEOSGeom_destroy_r(h, box);
        }
        for (size_t k = 0; k < hs->n; k++) {
            double d;
            if (GEOSDistance_r(h, set->areas[hs->idx[k]].geom, pt, &d) == 1 && d < best) {
                best = d;
                owner = hs->idx[k];
            }
        }
    }
    GEOSGeom_destroy_r(h, pt);
    return owner;
}

/* Simplify the partition as a coverage: node and dissolve the rings of all areas into shared
 * edges, simplify the edges together (topology-preserving, so they never cross), and rebuild each
 * area from the faces of the simplified edges. Neighbours keep one common boundary, without the
 * gaps and overlaps of simplifying each area alone. GEOS 3.11 has no coverage simplifier. */
static int coverage_simplify(GEOSContextHandle_t h, const rr_areaset *set, double tol,
                             display_set *d)
{
    int ok = 0;
    GEOSGeometry *rings = NULL, *noded = NULL, *merged = NULL, *faces = NULL;
    GEOSSTRtree *tree = NULL;
    size_t *ids = NULL;
    GEOSGeometry ***own = NULL;
    size_t *nown = NULL, *capown = NULL;
    hits hs = {0};
    /* Shared edges by hashing when the areas share their vertices, else by noding with GEOS. */
    if (!(merged = coverage_edges(h, set)) &&
        (!(rings = partition_rings(h, set)) || !(noded = GEOSUnaryUnion_r(h, rings)) ||
         !(merged = GEOSLineMerge_r(h, noded))))
        goto out;
    if (!(d->edges = GEOSTopologyPreserveSimplify_r(h, merged, tol)))
        goto out;
    const GEOSGeometry *edges[1] = {d->edges};
    if (!(faces = GEOSPolygonize_r(h, edges, 1)))
        goto out;
    tree = GEOSSTRtree_create_r(h, 10);
    ids = malloc((set->n ? set->n : 1) * sizeof *ids);
    own = calloc(set->n ? set->n : 1, sizeof *own);
    nown = calloc(set->n ? set->n : 1, sizeof *nown);
    capown = calloc(set->n ? set->n : 1, sizeof *capown);
    if (!tree || !ids || !own || !nown || !capown)
        goto out;
    for (size_t i = 0; i < set->n; i++) {
        ids[i] = i;
        GEOSSTRtree_insert_r(h, tree, set->areas[i].geom, &ids[i]);
    }
    int nf = GEOSGetNumGeometries_r(h, faces);
    for (int f = 0; f < nf; f++) {
        const GEOSGeometry *face = GEOSGetGeometryN_r(h, faces, f);
        size_t owner = face_owner(h, set, tree, face, tol, &hs);
        if (hs.failed)
            goto out;
        if (owner != RR_NONE && !add_polygons(h, face, &own[owner], &nown[owner], &capown[owner]))
            goto out;
    }
    for (size_t i = 0; i < set->n; i++) {
        if (nown[i] == 0)
            continue; /* collapsed or lost: the caller simplifies it alone */
        d->shape[i] = multipolygon(h, own[i], nown[i]);
        own[i] = NULL;
        if (!d->shape[i])
            goto out;
    }
    ok = 1;
out:
    for (size_t i = 0; own && i < set->n; i++) {
        for (size_t k = 0; k < nown[i] && own[i]; k++)
            GEOSGeom_destroy_r(h, own[i][k]);
        free(own[i]);
    }
    free(own);
    free(nown);
    free(capown);
    free(hs.idx);
    free(ids);
    if (tree)
        GEOSSTRtree_destroy_r(h, tree);
    if (faces)
        GEOSGeom_destroy_r(h, faces);
    if (merged)
        GEOSGeom_destroy_r(h, merged);
    if (noded)
        GEOSGeom_destroy_r(h, noded);
    if (rings)
        GEOSGeom_destroy_r(h, rings);
    return ok;
}

static rr_status display_prepare(rr_ctx *ctx, const rr_areaset *set, double tol, display_set *d)
{
    GEOSContextHandle_t h = ctx->geos;
    memset(d, 0, sizeof *d);
    if (!(d->shape = calloc(set->n ? set->n : 1, sizeof *d->shape)))
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory simplifying for display");
    d->coverage = coverage_simplify(h, set, tol, d);
    if (!d->coverage) {
        /* Robustness failure of the noding: simplify each area alone (small gaps between
         * neighbours at high zoom, nothing worse) and draw every area's outline. */
        for (size_t i = 0; i < set->n; i++)
            if (d->shape[i]) {
                GEOSGeom_destroy_r(h, d->shape[i]);
                d->shape[i] = NULL;
            }
        if (d->edges) {
            GEOSGeom_destroy_r(h, d->edges);
            d->edges = NULL;
        }
    }
    for (size_t i = 0; i < set->n; i++) {
        if (d->shape[i])
            continue;
        d->shape[i] = GEOSTopologyPreserveSimplify_r(h, set->areas[i].geom, tol);
        if (d->shape[i] && GEOSisEmpty_r(h, d->shape[i]) == 1) {
            GEOSGeom_destroy_r(h, d->shape[i]);
            d->shape[i] = NULL;
        }
        if (!d->shape[i] && !(d->shape[i] = GEOSGeom_clone_r(h, set->areas[i].geom))) {
            display_free(h, d, set->n);
            return rr_error(ctx, RR_ERR_GEOMETRY, "cannot simplify area %s for display: %s",
                            set->areas[i].code, rr_geos_msg(ctx));
        }
    }
    if (!d->edges) {
        GEOSGeometry **b = malloc((set->n ? set->n : 1) * sizeof *b);
        size_t nb = 0;
        for (size_t i = 0; b && i < set->n; i++) {
            GEOSGeometry *line = GEOSBoundary_r(h, d->shape[i]);
            if (line)
                b[nb++] = line;
        }
        d->edges = b ? GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, b, (unsigned)nb)
                     : NULL;
        free(b);
        if (!d->edges) {
            display_free(h, d, set->n);
            return rr_error(ctx, RR_ERR_GEOMETRY, "cannot collect boundaries for display: %s",
                            rr_geos_msg(ctx));
        }
    }
    return RR_OK;
}

typedef struct display_job {
    const rr_areaset *set[2];
    display_set *d[2];
    double tol;
} display_job;

static rr_status display_one(rr_ctx *wctx, size_t i, void *user)
{
    display_job *j = user;
    return display_prepare(wctx, j->set[i], j->tol, j->d[i]);
}

/* ---- SVG path data: absolute moveto, then relative integer steps --------------------------- */

static void path_num(rr_buf *b, long v, int after_command)
{
    char s[32];
    snprintf(s, sizeof s, "%s%ld", (after_command || v < 0) ? "" : " ", v);
    rr_buf_add(b, s);
}

static void path_seq(GEOSContextHandle_t h, rr_buf *b, const GEOSCoordSequence *cs, int ring,
                     const quant *t)
{
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n == 0)
        return;
    if (ring && n > 1)
        n--; /* the closing point: "z" closes the ring */
    long px = 0, py = 0;
    int steps = 0;
    for (unsigned i = 0; i < n; i++) {
        double x, y;
        GEOSCoordSeq_getXY_r(h, cs, i, &x, &y);
        long X = qx(t, x), Y = qy(t, y);
        if (i == 0) {
            rr_buf_add(b, "M");
            path_num(b, X, 1);
            path_num(b, Y, 0);
        } else {
            if (X == px && Y == py)
                continue;
            if (steps++ == 0)
                rr_buf_add(b, "l");
            path_num(b, X - px, steps == 1);
            path_num(b, Y - py, 0);
        }
        px = X;
        py = Y;
    }
    if (ring)
        rr_buf_add(b, "z");
}

/* Any geometry: polygons as closed rings, lines as open paths, recursively. */
static void path_geom(GEOSContextHandle_t h, rr_buf *b, const GEOSGeometry *g, const quant *t)
{
    switch (GEOSGeomTypeId_r(h, g)) {
    case GEOS_POLYGON: {
        path_seq(h, b, GEOSGeom_getCoordSeq_r(h, GEOSGetExteriorRing_r(h, g)), 1, t);
        int holes = GEOSGetNumInteriorRings_r(h, g);
        for (int r = 0; r < holes; r++)
            path_seq(h, b, GEOSGeom_getCoordSeq_r(h, GEOSGetInteriorRingN_r(h, g, r)), 1, t);
        break;
    }
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
        path_seq(h, b, GEOSGeom_getCoordSeq_r(h, g), 0, t);
        break;
    case GEOS_MULTIPOLYGON:
    case GEOS_MULTILINESTRING:
    case GEOS_GEOMETRYCOLLECTION: {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++)
            path_geom(h, b, GEOSGetGeometryN_r(h, g, i), t);
        break;
    }
    default:
        break;
    }
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* Builds JSON while remembering whether any allocation failed (jansson returns NULL/-1). */
typedef struct jb {
    int failed;
} jb;

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void jpush(jb *j, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) != 0)
        j->failed = 1;
}

static void jset(jb *j, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new(obj, key, v) != 0)
        j->failed = 1;
}

static json_t *jpath(jb *j, GEOSContextHandle_t h, const GEOSGeometry *g, const quant *t)
{
    rr_buf b = {0};
    rr_buf_add(&b, "");
    if (g)
        path_geom(h, &b, g, t);
    json_t *s = b.failed ? NULL : json_stringn(b.s, b.len);
    if (!s)
        j->failed = 1;
    rr_buf_free(&b);
    return s;
}

/* [xmin, ymin, xmax, ymax] in map units (y down). */
static json_t *jbbox(GEOSContextHandle_t h, const GEOSGeometry *g, const quant *t)
{
    double x0, y0, x1, y1;
    if (!g || GEOSisEmpty_r(h, g) != 0 || !GEOSGeom_getXMin_r(h, g, &x0) ||
        !GEOSGeom_getYMin_r(h, g, &y0) || !GEOSGeom_getXMax_r(h, g, &x1) ||
        !GEOSGeom_getYMax_r(h, g, &y1))
        return json_null();
    return json_pack("[IIII]", (json_int_t)qx(t, x0), (json_int_t)qy(t, y1),
                     (json_int_t)qx(t, x1), (json_int_t)qy(t, y0));
}

static json_t *jpoint(GEOSContextHandle_t h, const GEOSGeometry *g, const quant *t)
{
    GEOSGeometry *pt = g ? GEOSPointOnSurface_r(h, g) : NULL;
    double x, y;
    json_t *out = NULL;
    if (pt && GEOSisEmpty_r(h, pt) == 0 && GEOSGeomGetX_r(h, pt, &x) && GEOSGeomGetY_r(h, pt, &y))
        out = json_pack("[II]", (json_int_t)qx(t, x), (json_int_t)qy(t, y));
    if (pt)
        GEOSGeom_destroy_r(h, pt);
    return out ? out : json_null();
}

static const char *base_name(const char *path)
{
    if (!path)
        return "";
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static json_t *side_json(jb *j, GEOSContextHandle_t h, const rr_revision *rev, int side,
                         const display_set *d, const quant *t)
{
    const rr_areaset *set = side ? rev->new_set : rev->old_set;
    const rr_area_info *info = side ? rev->new_info : rev->old_info;
    json_t *o = json_object(), *code = json_array(), *kommun = json_array(), *cls = json_array(),
           *area = json_array(), *pop = json_array(), *dd = json_array(), *bb = json_array(),
           *lp = json_array();
    for (size_t i = 0; i < set->n && code && kommun && cls && area && pop && dd && bb && lp; i++) {
        const rr_area *a = &set->areas[i];
        jpush(j, code, json_string(a->code));
        jpush(j, kommun, json_string(a->kommun ? a->kommun : ""));
        jpush(j, cls, json_integer(info[i].cls));
        jpush(j, area, jnum(a->area));
        jpush(j, pop, rev->has_pop ? jnum(info[i].pop) : json_null());
        jpush(j, dd, jpath(j, h, d->shape[i], t));
        jpush(j, bb, jbbox(h, d->shape[i], t));
        jpush(j, lp, jpoint(h, d->shape[i], t));
    }
    if (!o) {
        j->failed = 1;
        json_decref(code), json_decref(kommun), json_decref(cls), json_decref(area);
        json_decref(pop), json_decref(dd), json_decref(bb), json_decref(lp);
        return NULL;
    }
    jset(j, o, "code", code);
    jset(j, o, "kommun", kommun);
    jset(j, o, "cls", cls);
    jset(j, o, "area", area);
    jset(j, o, "pop", pop);
    jset(j, o, "d", dd);
    jset(j, o, "bb", bb);
    jset(j, o, "lp", lp);
    jset(j, o, "path", json_string(base_name(set->path)));
    jset(j, o, "layer", json_string(set->layer ? set->layer : ""));
    jset(j, o, "field", json_string(set->code_field ? set->code_field : ""));
    jset(j, o, "features", json_integer((json_int_t)set->feature_count));
    return o;
}

static json_int_t jidx(size_t i)
{
    return i == RR_NONE ? -1 : (json_int_t)i;
}

/* Municipality outlines: the union of their areas' display shapes, which share exact edges. */
static json_t *kommuner_json(jb *j, rr_ctx *ctx, const rr_revision *rev, const display_set *dn,
                             const display_set *dold, const quant *t)
{
    GEOSContextHandle_t h = ctx->geos;
    json_t *arr = json_array();
    if (!arr) {
        j->failed = 1;
        return NULL;
    }
    /* Each municipality once: the new version's areas, or the old one's for a municipality
     * that no longer exists. */
    for (int side = 1; side >= 0 && !j->failed; side--) {
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        const display_set *d = side ? dn : dold;
        for (size_t i = 0; i < set->n && !j->failed; i++) {
            const char *k = set->areas[i].kommun ? set->areas[i].kommun : "";
            int seen = 0;
            for (size_t p = 0; p < i && !seen; p++)
                seen = strcmp(set->areas[p].kommun ? set->areas[p].kommun : "", k) == 0;
            if (side == 0 && !seen)
                for (size_t p = 0; p < rev->new_set->n && !seen; p++)
                    seen = strcmp(rev->new_set->areas[p].kommun ? rev->new_set->areas[p].kommun
                                                                : "",
                                  k) == 0;
            if (seen || !*k)
                continue;
            GEOSGeometry **parts = NULL;
            size_t n = 0, cap = 0;
            for (size_t p = i; p < set->n; p++)
                if (strcmp(set->areas[p].kommun ? set->areas[p].kommun : "", k) == 0 &&
                    d->shape[p] && !add_polygons(h, d->shape[p], &parts, &n, &cap))
                    j->failed = 1;
            GEOSGeometry *coll = n ? multipolygon(h, parts, n) : (free(parts), NULL);
            GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
            json_t *o = json_object();
            jset(j, o, "code", json_string(k));
            jset(j, o, "d", jpath(j, h, u ? u : coll, t));
            jset(j, o, "lp", jpoint(h, u ? u : coll, t));
            jpush(j, arr, o);
            if (u)
                GEOSGeom_destroy_r(h, u);
            if (coll)
                GEOSGeom_destroy_r(h, coll);
        }
    }
    return arr;
}

static json_t *changes_json(jb *j, rr_ctx *ctx, const rr_revision *rev, double tol,
                            const quant *t, rr_status *st)
{
    GEOSContextHandle_t h = ctx->geos;
    json_t *arr = json_array();
    if (!arr)
        j->failed = 1;
    for (size_t k = 0; arr && k < rev->nchanges && !j->failed; k++) {
        const rr_change *c = &rev->changes[k];
        GEOSGeometry *shape = rr_review_change_shape(ctx, rev, c, st);
        if (*st != RR_OK)
            break;
        /* Only the X → Y rows and the sea are drawn: the X → X rows are their sums. */
        int drawn = shape && (c->type == RR_CH_GROWS_SEA ||
                              (c->type != RR_CH_SHRINKS && c->type != RR_CH_GROWS));
        GEOSGeometry *simple = drawn ? GEOSTopologyPreserveSimplify_r(h, shape, tol / 4) : NULL;
        json_t *row = json_array();
        jpush(j, row, json_integer(jidx(c->old_idx)));
        jpush(j, row, json_integer(jidx(c->new_idx)));
        jpush(j, row, json_integer(c->type));
        jpush(j, row, jnum(c->area));
        jpush(j, row, rev->has_pop ? jnum(c->pop) : json_null());
        jpush(j, row, jbbox(h, shape, t));
        jpush(j, row, drawn ? jpath(j, h, simple ? simple : shape, t) : json_string(""));
        jpush(j, arr, row);
        if (simple)
            GEOSGeom_destroy_r(h, simple);
        if (shape)
            GEOSGeom_destroy_r(h, shape);
    }
    return arr;
}

static json_t *params_json(const rr_params *p)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "tolerance_m2", p->tolerance_m2, "min_area_m2",
                     p->min_area_m2, "min_share", p->min_share, "min_width_m", p->min_width_m,
                     "min_core_m2", p->min_core_m2, "min_pop", isfinite(p->min_pop) ? p->min_pop : 0);
}

/* Write the JSON text so that it cannot end the <script> element: every '<' becomes \u003c
 * (a '<' can only occur inside JSON strings, where the escape means the same). */
static void put_json_escaped(FILE *f, const char *s)
{
    for (const char *p = s; *p;) {
        const char *lt = strchr(p, '<');
        if (!lt) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(lt - p), f);
        fputs("\\u003c", f);
        p = lt + 1;
    }
}

rr_status rr_write_review_html(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    if (!rev || !path || !rev->old_info || !rev->new_info)
        return rr_error(ctx, RR_ERR_ARG, "review.html needs an analysed revision (%s)",
                        path ? path : "no path");
    GEOSContextHandle_t h = ctx->geos;
    const rr_areaset *os = rev->old_set, *ns = rev->new_set;
    rr_status st = RR_OK;
    display_set dold = {0}, dnew = {0};
    json_t *root = NULL;
    char *text = NULL;
    FILE *f = NULL;
    jb j = {0};

    /* Extent of both versions. The display tolerance is 1/20000 of it: a twentieth of a pixel
     * on a screen-wide map, a few pixels at street level (Dalarna: 14 m, a 0.5 MB page), and
     * coordinates are quantised to a quarter of the tolerance. */
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int side = 0; side < 2; side++) {
        const rr_areaset *set = side ? ns : os;
        for (size_t i = 0; i < set->n; i++) {
            double a, b, c, d;
            if (GEOSisEmpty_r(h, set->areas[i].geom) != 0 ||
                !GEOSGeom_getXMin_r(h, set->areas[i].geom, &a) ||
                !GEOSGeom_getYMin_r(h, set->areas[i].geom, &b) ||
                !GEOSGeom_getXMax_r(h, set->areas[i].geom, &c) ||
                !GEOSGeom_getYMax_r(h, set->areas[i].geom, &d))
                continue;
            x0 = fmin(x0, a), y0 = fmin(y0, b), x1 = fmax(x1, c), y1 = fmax(y1, d);
        }
    }
    if (!(x1 >= x0))
        x0 = y0 = 0, x1 = y1 = 1;
    double extent = fmax(fmax(x1 - x0, y1 - y0), 1e-9);
    double tol = extent / 20000;
    quant t = {x0, y1, tol / 4};

    /* One version after the other: in parallel the two national linework unions held 0.6 GB
     * more at once (6,300 areas: 2.3 GB peak instead of 1.75 GB), for a few seconds saved. */
    display_job dj = {{os, ns}, {&dold, &dnew}, tol};
    if ((st = rr_parallel_for(ctx, 2, 1, "simplifying for the review map", display_one, NULL,
                              &dj)) != RR_OK)
        goto out;

    root = json_object();
    json_t *meta = json_object();
    if (!root || !meta) {
        json_decref(meta);
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    jset(&j, root, "meta", meta);
    jset(&j, meta, "version", json_string(RR_VERSION));
    jset(&j, meta, "crs", json_string(os->crs_name ? os->crs_name : ""));
    jset(&j, meta, "geographic", json_boolean(os->geographic));
    jset(&j, meta, "has_pop", json_boolean(rev->has_pop));
    jset(&j, meta, "pop_source", jnum(rev->has_pop ? rev->pop_total_source : NAN));
    jset(&j, meta, "pop_lost", jnum(rev->has_pop ? rev->pop_lost : NAN));
    jset(&j, meta, "tol", json_real(tol));
    jset(&j, meta, "q", json_real(t.q));
    jset(&j, meta, "w", json_integer((json_int_t)qx(&t, x1)));
    jset(&j, meta, "h", json_integer((json_int_t)qy(&t, y0)));
    jset(&j, meta, "pieces", json_integer((json_int_t)rev->npieces));
    jset(&j, meta, "relations", json_integer((json_int_t)rev->nrel));
    jset(&j, meta, "units", json_integer((json_int_t)rev->nunits));
    jset(&j, meta, "coverage", json_boolean(dold.coverage && dnew.coverage));
    jset(&j, meta, "params", params_json(&rev->params));

    json_t *classes = json_array(), *types = json_array();
    for (int c = 0; classes && c < RR_CLASS_COUNT; c++)
        jpush(&j, classes, json_string(rr_area_class_name((rr_area_class)c)));
    for (int c = 0; types && c < RR_CH_COUNT; c++)
        jpush(&j, types, json_string(rr_change_type_name((rr_change_type)c)));
    jset(&j, root, "classes", classes);
    jset(&j, root, "types", types);
    json_t *colours = json_array();
    for (int c = 0; colours && c < RR_CLASS_COUNT; c++)
        jpush(&j, colours, json_string(rr_review_class_colour[c]));
    jset(&j, root, "colours", colours);

    jset(&j, root, "old", side_json(&j, h, rev, 0, &dold, &t));
    jset(&j, root, "new", side_json(&j, h, rev, 1, &dnew, &t));
    json_t *edges = json_object();
    if (edges) {
        jset(&j, edges, "old", jpath(&j, h, dold.edges, &t));
        jset(&j, edges, "new", jpath(&j, h, dnew.edges, &t));
    }
    jset(&j, root, "edges", edges);

    json_t *rel = json_array();
    for (size_t k = 0; rel && k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        json_t *row = json_array();
        jpush(&j, row, json_integer(jidx(r->old_idx)));
        jpush(&j, row, json_integer(jidx(r->new_idx)));
        jpush(&j, row, jnum(r->area));
        jpush(&j, row, rev->has_pop ? jnum(r->pop) : json_null());
        jpush(&j, row, jnum(r->w_area_old));
        jpush(&j, row, jnum(r->w_area_new));
        jpush(&j, row, rev->has_pop ? jnum(r->w_pop_old) : json_null());
        jpush(&j, row, rev->has_pop ? jnum(r->w_pop_new) : json_null());
        jpush(&j, rel, row);
    }
    jset(&j, root, "rel", rel);
    jset(&j, root, "changes", changes_json(&j, ctx, rev, tol, &t, &st));
    if (st != RR_OK)
        goto out;
    jset(&j, root, "kommuner", kommuner_json(&j, ctx, rev, &dnew, &dold, &t));
    if (j.failed) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory building the page data (%s)", path);
        goto out;
    }
    /* 10 significant digits: areas to well below 1 m², weights to 1e-10. */
    text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (!text) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory writing the page data (%s)", path);
        goto out;
    }

    const char *tpl = (const char *)rr_review_template;
    const char *mark = strstr(tpl, DATA_MARKER);
    if (!mark) {
        st = rr_error(ctx, RR_ERR_INTERNAL, "the review page template has no data marker (%s)",
                      path);
        goto out;
    }
    if (!(f = fopen(path, "w"))) {
        st = rr_error(ctx, RR_ERR_IO, "cannot write: %s (%s)", strerror(errno), path);
        goto out;
    }
    fwrite(tpl, 1, (size_t)(mark - tpl), f);
    put_json_escaped(f, text);
    fputs(mark + strlen(DATA_MARKER), f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        st = rr_error(ctx, RR_ERR_IO, "write failed: %s (%s)", strerror(errno ? errno : EIO),
                      path);
        remove(path); /* no half-written page */
    }
    f = NULL;
    rr_progress(ctx, "review map", 3, 3);
out:
    if (f)
        fclose(f);
    free(text);
    json_decref(root);
    display_free(h, &dold, os->n);
    display_free(h, &dnew, ns->n);
    return st;
}
