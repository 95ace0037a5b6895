/* diff.c: two versions of one area compared (a − b, b − a, a ∩ b), fast when they share most of
 * their boundary (as DeSO 2018 and 2025 do: most boundaries were kept vertex for vertex).
 *
 * Why this works: orient every ring with the interior on its left. A directed segment present in
 * both versions has the interior of both on the same side: it bounds a ∩ b and never crosses
 * anything. Only the segments found in one version (the changed stretches, a few per area) are
 * noded, where old and new lines cross; with the shared boundary, as long unnoded lines, they
 * are polygonized, and each face is sorted by a point inside it: in a only, in b only, or in
 * both. Instead of overlaying two polygons of thousands of vertices, only the changed stretches
 * are intersected. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct seg {
    double x0, y0, x1, y1; /* oriented: the interior on the left */
    unsigned char reversed; /* the ring runs x1,y1 -> x0,y0 */
    unsigned char ring_start; /* first segment of its ring */
} seg;

typedef struct seg_set {
    seg *s;
    size_t n, cap;
    size_t *slots; /* open addressing: index+1, 0 empty */
    size_t nslots;
    /* rows: the segments that reach each of nrows horizontal bands (for point tests) */
    size_t *row_first, *row_seg, nrows;
    double row_y0, row_h;
} seg_set;

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t bits(double v)
{
    uint64_t u;
    v = v == 0 ? 0 : v; /* -0 and 0 are the same coordinate */
    memcpy(&u, &v, sizeof u);
    return u;
}

static uint64_t seg_hash(const seg *s)
{
    return mix(bits(s->x0) ^ mix(bits(s->y0) ^ mix(bits(s->x1) ^ mix(bits(s->y1)))));
}

static int seg_equal(const seg *a, const seg *b)
{
    return a->x0 == b->x0 && a->y0 == b->y0 && a->x1 == b->x1 && a->y1 == b->y1;
}

static int seg_push(seg_set *set, seg s)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 256;
        seg *bigger = realloc(set->s, cap * sizeof *bigger);
        if (!bigger)
            return 0;
        set->s = bigger;
        set->cap = cap;
    }
    set->s[set->n++] = s;
    return 1;
}

static int seg_index(seg_set *set)
{
    size_t n = 16;
    while (n < 2 * set->n)
        n *= 2;
    set->slots = calloc(n, sizeof *set->slots);
    if (!set->slots)
        return 0;
    set->nslots = n;
    for (size_t i = 0; i < set->n; i++) {
        size_t h = (size_t)seg_hash(&set->s[i]) & (n - 1);
        while (set->slots[h])
            h = (h + 1) & (n - 1);
        set->slots[h] = i + 1;
    }
    return 1;
}

static int seg_contains(const seg_set *set, const seg *s)
{
    size_t h = (size_t)seg_hash(s) & (set->nslots - 1);
    while (set->slots[h]) {
        if (seg_equal(&set->s[set->slots[h] - 1], s))
            return 1;
        h = (h + 1) & (set->nslots - 1);
    }
    return 0;
}

static void seg_free(seg_set *set)
{
    free(set->s);
    free(set->slots);
    free(set->row_first);
    free(set->row_seg);
}

/* Add the segments of a ring, oriented so the interior lies on the left (shells
 * counter-clockwise, holes clockwise). */
static int add_ring(rr_ctx *ctx, const GEOSGeometry *ring, int hole, seg_set *set)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(ctx->geos, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(ctx->geos, cs, &n))
        return 0;
    if (n < 2)
        return 1;
    double *xy = malloc(2 * (size_t)n * sizeof *xy);
    if (!xy || !GEOSCoordSeq_copyToBuffer_r(ctx->geos, cs, xy, 0, 0)) {
        free(xy);
        return 0;
    }
    double area2 = 0;
    for (unsigned i = 0; i + 1 < n; i++)
        area2 += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
    int ccw = area2 > 0;
    int reverse = hole ? ccw : !ccw;
    int ok = 1, first = 1;
    for (unsigned i = 0; ok && i + 1 < n; i++) {
        seg s = {xy[2 * i], xy[2 * i + 1], xy[2 * i + 2], xy[2 * i + 3], 0, 0};
        if (s.x0 == s.x1 && s.y0 == s.y1)
            continue;
        if (reverse)
            s = (seg){s.x1, s.y1, s.x0, s.y0, 1, 0};
        s.ring_start = (unsigned char)first;
        first = 0;
        ok = seg_push(set, s);
    }
    free(xy);
    return ok;
}

static int add_polygons(rr_ctx *ctx, const GEOSGeometry *g, seg_set *set)
{
    int t = GEOSGeomTypeId_r(ctx->geos, g);
    if (t == GEOS_POLYGON) {
        if (!add_ring(ctx, GEOSGetExteriorRing_r(ctx->geos, g), 0, set))
            return 0;
        int nh = GEOSGetNumInteriorRings_r(ctx->geos, g);
        for (int i = 0; i < nh; i++)
            if (!add_ring(ctx, GEOSGetInteriorRingN_r(ctx->geos, g, i), 1, set))
                return 0;
        return 1;
    }
    if (t != GEOS_MULTIPOLYGON && t != GEOS_GEOMETRYCOLLECTION)
        return 1; /* lines and points bound no area */
    int n = GEOSGetNumGeometries_r(ctx->geos, g);
    for (int i = 0; i < n; i++)
        if (!add_polygons(ctx, GEOSGetGeometryN_r(ctx->geos, g, i), set))
            return 0;
    return 1;
}

/* A growable coordinate buffer for one chain of changed segments. */
typedef struct chain {
    double *xy;
    size_t n, cap;
} chain;

static int chain_add(chain *c, double x, double y)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        double *bigger = realloc(c->xy, 2 * cap * sizeof *bigger);
        if (!bigger)
            return 0;
        c->xy = bigger;
        c->cap = cap;
    }
    c->xy[2 * c->n] = x;
    c->xy[2 * c->n + 1] = y;
    c->n++;
    return 1;
}

/* Segments as line strings, consecutive ones of a ring chained into one line (far fewer
 * objects than one line per segment). `common` 0: the segments found in one version only (of
 * both); 1: the segments of `a` that `b` has too (the boundary the two share). *count: how
 * many segments were taken. */
static GEOSGeometry *linework(rr_ctx *ctx, const seg_set *a, const seg_set *b, int common,
                             size_t *count)
{
    size_t n = 0, cap = 64, changed = 0;
    GEOSGeometry **lines = malloc(cap * sizeof *lines);
    chain c = {0};
    if (!lines)
        return NULL;
    for (int side = 0; side < (common ? 1 : 2); side++) {
        const seg_set *mine = side ? b : a, *other = side ? a : b;
        for (size_t i = 0; i <= mine->n; i++) {
            const seg *s = i < mine->n ? &mine->s[i] : NULL;
            int is_changed = s && seg_contains(other, s) == common;
            /* ring order: x0,y0 -> x1,y1 unless the segment was reversed for orientation */
            double ax = 0, ay = 0, bx = 0, by = 0;
            if (s) {
                ax = s->reversed ? s->x1 : s->x0;
                ay = s->reversed ? s->y1 : s->y0;
                bx = s->reversed ? s->x0 : s->x1;
                by = s->reversed ? s->y0 : s->y1;
            }
            int continues = is_changed && c.n > 0 && !s->ring_start &&
                            c.xy[2 * (c.n - 1)] == ax && c.xy[2 * (c.n - 1) + 1] == ay;
            if (c.n > 0 && !continues) { /* close the current chain */
                if (n == cap) {
                    GEOSGeometry **bigger = realloc(lines, 2 * cap * sizeof *bigger);
                    if (!bigger)
                        goto fail;
                    lines = bigger;
                    cap *= 2;
                }
                GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(ctx->geos, c.xy,
                                                                      (unsigned)c.n, 0, 0);
                if (!cs || !(lines[n] = GEOSGeom_createLineString_r(ctx->geos, cs)))
                    goto fail;
                n++;
                c.n = 0;
            }
            if (!is_changed)
                continue;
            changed++;
            if (c.n == 0 && !chain_add(&c, ax, ay))
                goto fail;
            if (!chain_add(&c, bx, by))
                goto fail;
        }
    }
    free(c.xy);
    *count = changed;
    GEOSGeometry *mls = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTILINESTRING, lines, (unsigned)n);
    if (!mls)
        goto fail_lines;
    free(lines);
    return mls;
fail:
    free(c.xy);
fail_lines:
    for (size_t i = 0; i < n; i++)
        GEOSGeom_destroy_r(ctx->geos, lines[i]);
    free(lines);
    return NULL;
}

/* The faces of one kind as one MultiPolygon; takes the faces. NULL for none. Faces of one kind
 * never share an edge: every line is a boundary of a or b, so its two sides differ in a or in b.
 * They are the parts of that kind as they are, and need no union. */
static rr_status collect(rr_ctx *ctx, GEOSGeometry **faces, unsigned n, GEOSGeometry **out)
{
    *out = NULL;
    if (n == 0)
        return RR_OK;
    if (!(*out = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, faces, n))) {
        for (unsigned i = 0; i < n; i++)
            GEOSGeom_destroy_r(ctx->geos, faces[i]);
        return rr_error(ctx, RR_ERR_GEOMETRY, "cannot collect faces: %s", rr_geos_msg(ctx));
    }
    return RR_OK;
}

/* The band of y (0 .. nrows - 1). */
static size_t row_of(const seg_set *set, double y)
{
    double r = floor((y - set->row_y0) / set->row_h);
    return r <= 0 ? 0 : r >= (double)(set->nrows - 1) ? set->nrows - 1 : (size_t)r;
}

/* Index the segments by horizontal band, about four segments a band; 0 when out of memory. */
static int seg_rows(seg_set *set)
{
    if (set->row_first || set->n == 0)
        return 1;
    double y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < set->n; i++) {
        y0 = fmin(y0, fmin(set->s[i].y0, set->s[i].y1));
        y1 = fmax(y1, fmax(set->s[i].y0, set->s[i].y1));
    }
    set->nrows = set->n / 4 + 1;
    set->row_y0 = y0;
    set->row_h = (y1 - y0) / (double)set->nrows;
    if (!(set->row_h > 0))
        set->row_h = 1, set->nrows = 1;
    size_t total = 0;
    if (!(set->row_first = calloc(set->nrows + 1, sizeof *set->row_first)))
        return 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < set->n; i++) {
            const seg *g = &set->s[i];
            size_t a = row_of(set, fmin(g->y0, g->y1)), b = row_of(set, fmax(g->y0, g->y1));
            for (size_t r = a; r <= b; r++) {
                if (pass == 0)
                    set->row_first[r + 1]++;
                else
                    set->row_seg[set->row_first[r]++] = i;
            }
        }
        if (pass == 0) {
            for (size_t r = 0; r < set->nrows; r++)
                set->row_first[r + 1] += set->row_first[r];
            total = set->row_first[set->nrows];
            if (!(set->row_seg = malloc((total + 1) * sizeof *set->row_seg)))
                return 0;
        }
    }
    /* the second pass moved each start to the next band's: shift back */
    memmove(set->row_first + 1, set->row_first, set->nrows * sizeof *set->row_first);
    set->row_first[0] = 0;
    return 1;
}

/* 1 when (x, y) lies inside the polygons whose segments are `set` (even-odd ray crossing over
 * the segments of y's band): for a point inside a face of an arrangement that holds every
 * segment of the set, which is never on one of them. */
static int seg_set_inside(const seg_set *set, double x, double y)
{
    int inside = 0;
    if (set->n == 0)
        return 0;
    size_t r = row_of(set, y);
    for (size_t k = set->row_first[r]; k < set->row_first[r + 1]; k++) {
        const seg *s = &set->s[set->row_seg[k]];
        if ((s->y0 > y) != (s->y1 > y) &&
            x < s->x0 + (y - s->y0) * (s->x1 - s->x0) / (s->y1 - s->y0))
            inside = !inside;
    }
    return inside;
}

/* The faces of `lines` (every segment of a and b, the changed ones noded), sorted by where a
 * point inside each lies: *want[k] (k = 0: in a only, 1: in b only, 2: in both) receives the
 * faces of that kind. */
static rr_status classify_faces(rr_ctx *ctx, seg_set *sa, seg_set *sb,
                                const GEOSGeometry *lines, GEOSGeometry **want[3])
{
    GEOSGeometry *faces = NULL;
    GEOSGeometry **kept[3] = {NULL, NULL, NULL};
    unsigned nkept[3] = {0, 0, 0};
    rr_status st = RR_OK;
    const GEOSGeometry *in[1] = {lines};
    if (!seg_rows(sa) || !seg_rows(sb))
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    if (!(faces = GEOSPolygonize_r(ctx->geos, in, 1))) {
        st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot polygonize the changed boundaries: %s",
                      rr_geos_msg(ctx));
        goto out;
    }
    int nf = GEOSGetNumGeometries_r(ctx->geos, faces);
    for (int k = 0; k < 3; k++)
        if (want[k] && !(kept[k] = malloc((size_t)(nf > 0 ? nf : 1) * sizeof *kept[k]))) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
            goto out;
        }
    for (int i = 0; i < nf && st == RR_OK; i++) {
        const GEOSGeometry *face = GEOSGetGeometryN_r(ctx->geos, faces, i);
        GEOSGeometry *pt = GEOSPointOnSurface_r(ctx->geos, face);
        double x = 0, y = 0;
        if (!pt || !GEOSGeomGetX_r(ctx->geos, pt, &x) || !GEOSGeomGetY_r(ctx->geos, pt, &y)) {
            if (pt)
                GEOSGeom_destroy_r(ctx->geos, pt);
            st = rr_error(ctx, RR_ERR_GEOMETRY, "no point inside a face: %s", rr_geos_msg(ctx));
            break;
        }
        GEOSGeom_destroy_r(ctx->geos, pt);
        int in_a = seg_set_inside(sa, x, y), in_b = seg_set_inside(sb, x, y);
        int k = in_a && in_b ? 2 : in_a ? 0 : in_b ? 1 : -1;
        if (k >= 0 && kept[k] && !(kept[k][nkept[k]++] = GEOSGeom_clone_r(ctx->geos, face)))
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    }
    for (int k = 0; k < 3; k++) {
        if (!kept[k])
            continue;
        unsigned n = nkept[k];
        nkept[k] = 0; /* collect takes them, even when it fails */
        if (st == RR_OK)
            st = collect(ctx, kept[k], n, want[k]);
        else
            for (unsigned i = 0; i < n; i++)
                if (kept[k][i])
                    GEOSGeom_destroy_r(ctx->geos, kept[k][i]);
    }
out:
    for (int k = 0; k < 3; k++) {
        for (unsigned i = 0; i < nkept[k]; i++)
            GEOSGeom_destroy_r(ctx->geos, kept[k][i]);
        free(kept[k]);
    }
    if (faces)
        GEOSGeom_destroy_r(ctx->geos, faces);
    return st;
}

rr_status rr_area_compare(rr_ctx *ctx, const GEOSGeometry *a, const GEOSGeometry *b,
                          GEOSGeometry **a_only, GEOSGeometry **b_only, GEOSGeometry **both)
{
    seg_set sa = {0}, sb = {0};
    GEOSGeometry *changed_lines = NULL, *common_lines = NULL, *all = NULL;
    size_t changed = 0, common = 0;
    rr_status st = RR_OK;
    *a_only = *b_only = *both = NULL;
    if (!add_polygons(ctx, a, &sa) || !add_polygons(ctx, b, &sb) || !seg_index(&sa) ||
        !seg_index(&sb) || !(changed_lines = linework(ctx, &sa, &sb, 0, &changed)) ||
        !(common_lines = linework(ctx, &sa, &sb, 1, &common))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory comparing two versions of an area");
        goto out;
    }
    if (changed == 0) { /* the same boundary: nothing is lost or gained */
        if (!(*both = GEOSGeom_clone_r(ctx->geos, a)))
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (changed <= (sa.n + sb.n) / 2) {
        GEOSGeometry **want[3] = {a_only, b_only, both};
        /* The changed stretches, noded (old and new lines cross where a boundary was redrawn),
         * and the boundary the two share (as long lines, not noded: nothing crosses it). */
        GEOSGeometry *parts[2] = {GEOSUnaryUnion_r(ctx->geos, changed_lines), common_lines};
        if (!parts[0] ||
            !(all = GEOSGeom_createCollection_r(ctx->geos, GEOS_GEOMETRYCOLLECTION, parts, 2))) {
            if (parts[0])
                GEOSGeom_destroy_r(ctx->geos, parts[0]);
            st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot node the changed boundaries: %s",
                          rr_geos_msg(ctx));
            goto out;
        }
        common_lines = NULL; /* owned by `all` */
        if ((st = classify_faces(ctx, &sa, &sb, all, want)) != RR_OK)
            goto out;
        /* Faces are found only where the lines meet at their ends; a boundary that touches
         * itself inside a shared stretch can hide one: check that a's parts add up. */
        double area_a = 0, got_a = 0, got_both = 0;
        GEOSArea_r(ctx->geos, a, &area_a);
        if (*a_only)
            GEOSArea_r(ctx->geos, *a_only, &got_a);
        if (*both)
            GEOSArea_r(ctx->geos, *both, &got_both);
        if (fabs(got_a + got_both - area_a) <= 1e-9 * area_a + 1e-6)
            goto out;
        for (int k = 0; k < 3; k++)
            if (*want[k]) {
                GEOSGeom_destroy_r(ctx->geos, *want[k]);
                *want[k] = NULL;
            }
    }
    /* changed nearly everywhere (another generalisation), or faces that do not add up: the
     * plain overlays */
    for (int k = 0; k < 3 && st == RR_OK; k++) {
        GEOSGeometry **dst = k == 0 ? a_only : k == 1 ? b_only : both;
        GEOSGeometry *d = k == 0   ? GEOSDifference_r(ctx->geos, a, b)
                          : k == 1 ? GEOSDifference_r(ctx->geos, b, a)
                                   : GEOSIntersection_r(ctx->geos, a, b);
        if (!d)
            st = rr_error(ctx, RR_ERR_GEOMETRY, "%s", rr_geos_msg(ctx));
        else
            *dst = rr_polygons_only(ctx, d);
    }
out:
    if (all)
        GEOSGeom_destroy_r(ctx->geos, all);
    if (common_lines)
        GEOSGeom_destroy_r(ctx->geos, common_lines);
    if (changed_lines)
        GEOSGeom_destroy_r(ctx->geos, changed_lines);
    seg_free(&sa);
    seg_free(&sb);
    return st;
}
