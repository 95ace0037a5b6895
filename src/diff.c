/* diff.c: two versions of one area compared (a − b, b − a, a ∩ b), fast when they share most of
 * their boundary (as DeSO 2018 and 2025 do: most boundaries were kept vertex for vertex).
 *
 * Why this works: orient every ring with the interior on its left. A directed segment present in
 * both versions has the interior of both on the same side: it bounds a ∩ b and never crosses
 * anything. Only the segments found in one version (the changed stretches, a few per area) are
 * noded, where old and new lines cross. Each noded piece bounds, on its left, a − b or a ∩ b
 * (a piece of a) or b − a or a ∩ b (a piece of b), as a point on it lies outside or inside the
 * other version; the three results are traced from their pieces (trace.c). On the snapping grid
 * this is exact and plain C; off it (or when the parts do not add up) GEOS nodes and polygonizes
 * the same lines, and last come GEOS's plain overlays. Instead of overlaying two polygons of
 * thousands of vertices, only the changed stretches are intersected. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct seg {
    double x0, y0, x1, y1; /* oriented: the interior on the left */
    unsigned char reversed; /* the ring runs x1,y1 -> x0,y0 */
    unsigned char ring_start; /* first segment of its ring */
    unsigned char shared; /* the other version has it too, the same way round (mark_shared) */
} seg;

typedef struct seg_set {
    seg *s;
    size_t n, cap;
    size_t *slots; /* open addressing: index+1, 0 empty */
    size_t nslots;
    /* rows: the segments that reach each of nrows horizontal bands (for point tests) */
    size_t *row_first, *row_seg, nrows;
    double row_y0, row_h, row_inv;
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
    return mix(bits(s->x0) * 0x9e3779b97f4a7c15ULL ^ bits(s->y0) * 0xc2b2ae3d27d4eb4fULL ^
               bits(s->x1) * 0x165667b19e3779f9ULL ^ bits(s->y1) * 0x27d4eb2f165667c5ULL);
}

static int seg_equal(const seg *a, const seg *b)
{
    return a->x0 == b->x0 && a->y0 == b->y0 && a->x1 == b->x1 && a->y1 == b->y1;
}

static int seg_push(seg_set *set, seg s)
{
    seg *room = rr_grow(set->s, &set->cap, set->n + 1, sizeof *room, 256);
    if (!room)
        return 0;
    set->s = room;
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

/* The index of segment s in the indexed set, or SIZE_MAX. */
static size_t seg_find(const seg_set *set, const seg *s)
{
    size_t h = (size_t)seg_hash(s) & (set->nslots - 1);
    while (set->slots[h]) {
        if (seg_equal(&set->s[set->slots[h] - 1], s))
            return set->slots[h] - 1;
        h = (h + 1) & (set->nslots - 1);
    }
    return SIZE_MAX;
}

static int seg_contains(const seg_set *set, const seg *s)
{
    return seg_find(set, s) != SIZE_MAX;
}

/* Mark the segments a and b both have the same way round (shared); the number of the others.
 * Only b's segments are hashed: a's are taken in ring order, and after one that b has too, the
 * next is first compared with the neighbours of b's match (where a boundary is kept, it runs on
 * in both), a lookup only where that fails. SIZE_MAX when out of memory. b is taken to have no
 * directed segment twice (no valid polygon has): of such twins only one would be marked. */
static size_t mark_shared(seg_set *sa, seg_set *sb)
{
    if (!seg_index(sb))
        return SIZE_MAX;
    size_t last = SIZE_MAX, changed = 0;
    for (size_t i = 0; i < sa->n; i++) {
        seg *s = &sa->s[i];
        size_t found = SIZE_MAX;
        if (last != SIZE_MAX && !s->ring_start) {
            if (last + 1 < sb->n && !sb->s[last + 1].ring_start && seg_equal(&sb->s[last + 1], s))
                found = last + 1;
            else if (last > 0 && !sb->s[last].ring_start && seg_equal(&sb->s[last - 1], s))
                found = last - 1;
        }
        if (found == SIZE_MAX)
            found = seg_find(sb, s);
        s->shared = found != SIZE_MAX;
        if (found != SIZE_MAX)
            sb->s[found].shared = 1;
        changed += !s->shared;
        last = found;
    }
    for (size_t j = 0; j < sb->n; j++)
        changed += !sb->s[j].shared;
    return changed;
}

static void seg_free(seg_set *set)
{
    free(set->s);
    free(set->slots);
    free(set->row_first);
    free(set->row_seg);
}

/* Add the segments of a ring of n points xy, oriented so the interior lies on the left (shells
 * counter-clockwise, holes clockwise). */
static int add_ring_xy(seg_set *set, const double *xy, size_t n, int hole)
{
    if (n < 2)
        return 1;
    /* room for all of them at once (growing one by one copied the array again and again) */
    seg *room = rr_grow(set->s, &set->cap, set->n + n, sizeof *room, 256);
    if (!room)
        return 0;
    set->s = room;
    double area2 = 0;
    for (size_t i = 0; i + 1 < n; i++)
        area2 += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
    int ccw = area2 > 0;
    int reverse = hole ? ccw : !ccw;
    int first = 1;
    for (size_t i = 0; i + 1 < n; i++) {
        seg s = {xy[2 * i], xy[2 * i + 1], xy[2 * i + 2], xy[2 * i + 3], 0, 0, 0};
        if (s.x0 == s.x1 && s.y0 == s.y1)
            continue;
        if (reverse)
            s = (seg){s.x1, s.y1, s.x0, s.y0, 1, 0, 0};
        s.ring_start = (unsigned char)first;
        first = 0;
        set->s[set->n++] = s;
    }
    return 1;
}

static int add_ring(rr_ctx *ctx, const GEOSGeometry *ring, int hole, seg_set *set)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(ctx->geos, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(ctx->geos, cs, &n))
        return 0;
    if (n < 2)
        return 1;
    double *xy = malloc(2 * (size_t)n * sizeof *xy);
    int ok = xy && GEOSCoordSeq_copyToBuffer_r(ctx->geos, cs, xy, 0, 0) &&
             add_ring_xy(set, xy, n, hole);
    free(xy);
    return ok;
}

/* A ring of a packed area (rr_area_rings) into a set; nomem when there is no room for it. */
typedef struct packed_adder {
    seg_set *set;
    int nomem;
} packed_adder;

static int add_packed_ring(void *user, const double *xy, size_t n, int hole)
{
    packed_adder *b = user;
    return add_ring_xy(b->set, xy, n, hole) || !(b->nomem = 1);
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

/* A growable coordinate buffer (a chain of changed segments, the middle points of runs). */
typedef struct chain {
    double *xy;
    size_t n, cap;
} chain;

static int chain_add(chain *c, double x, double y)
{
    double *room = rr_grow(c->xy, &c->cap, c->n + 1, 2 * sizeof *room, 64);
    if (!room)
        return 0;
    c->xy = room;
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
        const seg_set *mine = side ? b : a;
        for (size_t i = 0; i <= mine->n; i++) {
            const seg *s = i < mine->n ? &mine->s[i] : NULL;
            int is_changed = s && s->shared == common;
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
    double r = (y - set->row_y0) * set->row_inv; /* truncation is floor from here on */
    return !(r > 0) ? 0 : r >= (double)(set->nrows - 1) ? set->nrows - 1 : (size_t)r;
}

/* Index the segments by horizontal band, about four segments a band; 0 when out of memory. */
static int seg_rows(seg_set *set)
{
    if (set->row_first || set->n == 0)
        return 1;
    double y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < set->n; i++) {
        const seg *g = &set->s[i];
        double lo = g->y0 < g->y1 ? g->y0 : g->y1, hi = g->y0 < g->y1 ? g->y1 : g->y0;
        y0 = lo < y0 ? lo : y0;
        y1 = hi > y1 ? hi : y1;
    }
    set->nrows = set->n / 4 + 1;
    set->row_y0 = y0;
    set->row_h = (y1 - y0) / (double)set->nrows;
    if (!(set->row_h > 0))
        set->row_h = 1, set->nrows = 1;
    set->row_inv = 1 / set->row_h;
    if (!(set->row_first = calloc(set->nrows + 1, sizeof *set->row_first)))
        return 0;
    /* two passes (count, then place) over each segment's bands; most lie in one */
    for (size_t i = 0; i < set->n; i++) {
        const seg *g = &set->s[i];
        size_t a = row_of(set, g->y0), b = row_of(set, g->y1);
        for (size_t r = a < b ? a : b, e = a < b ? b : a; r <= e; r++)
            set->row_first[r + 1]++;
    }
    for (size_t r = 0; r < set->nrows; r++)
        set->row_first[r + 1] += set->row_first[r];
    if (!(set->row_seg = malloc((set->row_first[set->nrows] + 1) * sizeof *set->row_seg)))
        return 0;
    for (size_t i = 0; i < set->n; i++) {
        const seg *g = &set->s[i];
        size_t a = row_of(set, g->y0), b = row_of(set, g->y1);
        for (size_t r = a < b ? a : b, e = a < b ? b : a; r <= e; r++)
            set->row_seg[set->row_first[r]++] = i;
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
    /* Without a branch: whether a segment of the band straddles y is a coin toss, and the
     * mispredictions cost more than the division they would skip (which, for a segment that
     * does not straddle, may divide by zero: the comparison is then false or not used). */
    for (size_t k = set->row_first[r]; k < set->row_first[r + 1]; k++) {
        const seg *s = &set->s[set->row_seg[k]];
        int straddles = (s->y0 > y) != (s->y1 > y);
        double cross = s->x0 + (y - s->y0) * (s->x1 - s->x0) / (s->y1 - s->y0);
        inside ^= straddles & (x < cross);
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

/* ---- the changed stretches noded and the faces traced in plain C ---------------------------
 * With coordinates on a grid (--precision), every vertex is an integer number of grid steps, and
 * whether a vertex lies on a segment or two segments cross is decided exactly (128-bit integer
 * orientation). Only crossing points are off the grid; each is computed once and shared by both
 * segments it cuts, so the pieces meet exactly. */

typedef struct grid_seg {
    int64_t x0, y0, x1, y1; /* grid steps */
    int64_t minx, maxx, miny, maxy;
    const seg *s; /* the segment in world coordinates (x0, y0 -> x1, y1 as above) */
    int side; /* 0: found in a only, 1: in b only */
} grid_seg;

typedef struct cut {
    size_t seg;
    long double t; /* where along the segment, 0 .. 1 */
    double x, y;
} cut;

typedef struct cut_list {
    cut *c;
    size_t n, cap;
} cut_list;

typedef struct edge_list {
    double *e; /* x0, y0, x1, y1 per edge */
    size_t n, cap;
    size_t *mid_start; /* edge i passes mid.xy[2 * mid_start[i] .. 2 * mid_start[i + 1]) */
    size_t cap_start;
    chain mid;
} edge_list;

/* Points with a count each: open addressing on the coordinates. */
typedef struct point_count {
    double x, y;
    unsigned count; /* 0: empty */
} point_count;

typedef struct point_set {
    point_count *slot;
    size_t mask;
} point_set;

static int point_set_init(point_set *ps, size_t n)
{
    size_t size = 16;
    while (size < 2 * n)
        size *= 2;
    ps->mask = size - 1;
    return (ps->slot = calloc(size, sizeof *ps->slot)) != NULL;
}

static point_count *point_slot(const point_set *ps, double x, double y)
{
    size_t h = rr_point_hash(x, y) & ps->mask;
    while (ps->slot[h].count && (ps->slot[h].x != x || ps->slot[h].y != y))
        h = (h + 1) & ps->mask;
    return &ps->slot[h];
}

/* Add `by` to the count of (x, y); the set must have room (point_set_init). */
static void point_add(point_set *ps, double x, double y, unsigned by)
{
    point_count *p = point_slot(ps, x, y);
    if (!p->count)
        p->x = x, p->y = y;
    p->count += by;
}

static unsigned point_get(const point_set *ps, double x, double y)
{
    return ps->slot ? point_slot(ps, x, y)->count : 0;
}

static int grid_step(double v, double precision, int64_t *out)
{
    double k = round(v / precision);
    if (!(fabs(k) < 4503599627370496.0) || k * precision != v)
        return 0; /* off the grid (a repaired area) or too far out */
    *out = (int64_t)k;
    return 1;
}

static int orient(int64_t ax, int64_t ay, int64_t bx, int64_t by, int64_t cx, int64_t cy)
{
    __int128 d = (__int128)(bx - ax) * (cy - ay) - (__int128)(by - ay) * (cx - ax);
    return (d > 0) - (d < 0);
}

/* 1 when (x, y), on the line of g, lies strictly between g's ends. */
static int strictly_within(const grid_seg *g, int64_t x, int64_t y)
{
    if ((x == g->x0 && y == g->y0) || (x == g->x1 && y == g->y1))
        return 0;
    return x >= g->minx && x <= g->maxx && y >= g->miny && y <= g->maxy;
}

static int cut_push(cut_list *list, size_t seg_index, long double t, double x, double y)
{
    cut *room = rr_grow(list->c, &list->cap, list->n + 1, sizeof *room, 64);
    if (!room)
        return 0;
    list->c = room;
    list->c[list->n++] = (cut){seg_index, t, x, y};
    return 1;
}

/* How far along g the point (x, y) of its line lies: 0 at its start, 1 at its end. */
static long double along(const grid_seg *g, long double x, long double y)
{
    long double dx = (long double)(g->x1 - g->x0), dy = (long double)(g->y1 - g->y0);
    return ((x - (long double)g->x0) * dx + (y - (long double)g->y0) * dy) / (dx * dx + dy * dy);
}

/* Cut g (index gi) at its grid point (x, y), which is the world point (wx, wy). */
static int cut_at_vertex(cut_list *cuts, const grid_seg *g, size_t gi, int64_t x, int64_t y,
                         double wx, double wy)
{
    return cut_push(cuts, gi, along(g, (long double)x, (long double)y), wx, wy);
}

/* g's ends, the lower (by x, then y) first. */
static void canonical(const grid_seg *g, int64_t out[4])
{
    int flip = g->x1 < g->x0 || (g->x1 == g->x0 && g->y1 < g->y0);
    out[0] = flip ? g->x1 : g->x0;
    out[1] = flip ? g->y1 : g->y0;
    out[2] = flip ? g->x0 : g->x1;
    out[3] = flip ? g->y0 : g->y1;
}

/* Where g (from a) and h (from b) meet other than at shared ends: the cuts each needs. */
static int node_pair(cut_list *cuts, const grid_seg *g, size_t gi, const grid_seg *h, size_t hi,
                     double precision)
{
    int o1 = orient(g->x0, g->y0, g->x1, g->y1, h->x0, h->y0);
    int o2 = orient(g->x0, g->y0, g->x1, g->y1, h->x1, h->y1);
    int o3 = orient(h->x0, h->y0, h->x1, h->y1, g->x0, g->y0);
    int o4 = orient(h->x0, h->y0, h->x1, h->y1, g->x1, g->y1);
    int ok = 1;
    /* an end of one on the other (collinear overlaps give two of these) */
    if (o1 == 0 && strictly_within(g, h->x0, h->y0))
        ok = ok && cut_at_vertex(cuts, g, gi, h->x0, h->y0, h->s->x0, h->s->y0);
    if (o2 == 0 && strictly_within(g, h->x1, h->y1))
        ok = ok && cut_at_vertex(cuts, g, gi, h->x1, h->y1, h->s->x1, h->s->y1);
    if (o3 == 0 && strictly_within(h, g->x0, g->y0))
        ok = ok && cut_at_vertex(cuts, h, hi, g->x0, g->y0, g->s->x0, g->s->y0);
    if (o4 == 0 && strictly_within(h, g->x1, g->y1))
        ok = ok && cut_at_vertex(cuts, h, hi, g->x1, g->y1, g->s->x1, g->s->y1);
    if (o1 * o2 < 0 && o3 * o4 < 0) { /* a proper crossing */
        /* Computed the same way whichever area's comparison meets it (a boundary two areas
         * share runs one way in each, and either may be g): each segment from its lower end,
         * the lower segment first. The part one area lost and the part its neighbour gained
         * then have exactly the same corner. */
        int64_t s[4], u[4];
        canonical(g, s);
        canonical(h, u);
        if (u[0] < s[0] || (u[0] == s[0] && (u[1] < s[1] || (u[1] == s[1] &&
            (u[2] < s[2] || (u[2] == s[2] && u[3] < s[3])))))) {
            int64_t tmp[4];
            memcpy(tmp, s, sizeof tmp);
            memcpy(s, u, sizeof tmp);
            memcpy(u, tmp, sizeof tmp);
        }
        int64_t rx = s[2] - s[0], ry = s[3] - s[1], qx = u[2] - u[0], qy = u[3] - u[1];
        int64_t wx = u[0] - s[0], wy = u[1] - s[1];
        long double t = (long double)((__int128)wx * qy - (__int128)wy * qx) /
                        (long double)((__int128)rx * qy - (__int128)ry * qx);
        long double px = (long double)s[0] + t * (long double)rx;
        long double py = (long double)s[1] + t * (long double)ry;
        double x = (double)(px * (long double)precision), y = (double)(py * (long double)precision);
        ok = ok && cut_push(cuts, gi, along(g, px, py), x, y) &&
             cut_push(cuts, hi, along(h, px, py), x, y);
    }
    return ok;
}

static int by_minx(const void *pa, const void *pb)
{
    const grid_seg *a = pa, *b = pb;
    return (a->minx > b->minx) - (a->minx < b->minx);
}

static int by_seg_then_t(const void *pa, const void *pb)
{
    const cut *a = pa, *b = pb;
    if (a->seg != b->seg)
        return a->seg < b->seg ? -1 : 1;
    return (a->t > b->t) - (a->t < b->t);
}

/* Every meeting of a segment from a with one from b: a sweep over x. */
static int node_all(grid_seg *g, size_t n, cut_list *cuts, double precision)
{
    size_t *active[2] = {NULL, NULL}, nactive[2] = {0, 0};
    int ok = 1;
    if (n)
        qsort(g, n, sizeof *g, by_minx);
    if (!(active[0] = malloc(n * sizeof *active[0])) ||
        !(active[1] = malloc(n * sizeof *active[1])))
        ok = 0;
    for (size_t i = 0; ok && i < n; i++) {
        int other = !g[i].side;
        size_t kept = 0;
        for (size_t k = 0; ok && k < nactive[other]; k++) {
            const grid_seg *h = &g[active[other][k]];
            if (h->maxx < g[i].minx)
                continue; /* passed: drop it */
            active[other][kept++] = active[other][k];
            if (h->maxy < g[i].miny || h->miny > g[i].maxy)
                continue;
            ok = g[i].side == 0 ? node_pair(cuts, &g[i], i, h, active[other][k], precision)
                                : node_pair(cuts, h, active[other][k], &g[i], i, precision);
        }
        nactive[other] = kept;
        active[g[i].side][nactive[g[i].side]++] = i;
    }
    free(active[0]);
    free(active[1]);
    return ok;
}

/* Add an edge from (x0, y0) to (x1, y1) through the middle points added (to list->mid) since
 * the last edge. */
static int edge_push(edge_list *list, double x0, double y0, double x1, double y1)
{
    double *room = rr_grow(list->e, &list->cap, list->n + 1, 4 * sizeof *room, 256);
    if (room)
        list->e = room;
    size_t *start = rr_grow(list->mid_start, &list->cap_start, list->n + 2, sizeof *start, 256);
    if (start)
        list->mid_start = start;
    if (!room || !start)
        return 0;
    if (list->n == 0)
        list->mid_start[0] = 0;
    list->mid_start[list->n + 1] = list->mid.n;
    double *e = list->e + 4 * list->n++;
    e[0] = x0, e[1] = y0, e[2] = x1, e[3] = y1;
    return 1;
}

static void edge_list_free(edge_list *list)
{
    free(list->e);
    free(list->mid_start);
    free(list->mid.xy);
}

/* The ring of a with most segments (its first segment). */
static size_t biggest_ring(const seg_set *sa, size_t *len)
{
    size_t big = 0, rs = 0;
    *len = 0;
    while (rs < sa->n) {
        size_t re = rs + 1;
        while (re < sa->n && !sa->s[re].ring_start)
            re++;
        if (re - rs > *len)
            big = rs, *len = re - rs;
        rs = re;
    }
    return big;
}

/* Where a ring of a touches another (a hole its shell, two parts at a point), the boundary of
 * a ∩ b has more than one way on. Such points are vertices of at least one of the smaller rings:
 * count the vertices of every ring but the largest (big_ring, big_len segments), then add one
 * for each vertex of the largest ring already counted. A vertex counted twice is a junction. */
static void count_ring_vertices(const seg_set *sa, size_t big_ring, size_t big_len,
                                point_set *junctions)
{
    for (size_t rs = 0; rs < sa->n;) {
        size_t re = rs + 1;
        while (re < sa->n && !sa->s[re].ring_start)
            re++;
        if (rs != big_ring)
            for (size_t i = rs; i < re; i++)
                point_add(junctions, sa->s[i].x0, sa->s[i].y0, 1);
        rs = re;
    }
    if (big_len == sa->n)
        return; /* one ring */
    for (size_t i = big_ring; i < big_ring + big_len; i++) {
        point_count *p = point_slot(junctions, sa->s[i].x0, sa->s[i].y0);
        if (p->count)
            p->count++;
    }
}

/* The k-th of a ring's len segments along the walk from segment `first` (k, first < len):
 * onwards, or backwards for a reversed ring; without the divisions of a modulo. */
static inline size_t walk_at(size_t first, size_t k, size_t len, int rev)
{
    if (rev)
        return first >= k ? first - k : first + len - k;
    return first + k >= len ? first + k - len : first + k;
}

/* The segments a and b share (the same way round) into `list` as runs of consecutive segments
 * of a's rings, in the direction of the walk, each one edge through its middle vertices: tracing
 * then walks a run at once instead of segment by segment. A run is cut at a junction (a vertex
 * counted twice in `junctions`: where some other edge of a ∩ b starts or ends, or where a's rings
 * touch), where the walk may have to turn. Each ring's runs begin at its first shared segment as
 * stored, as the single segments did before runs (so traced rings start where they did). */
static int push_shared_runs(const seg_set *sa, const point_set *junctions, edge_list *list)
{
    for (size_t rs = 0; rs < sa->n;) {
        size_t re = rs + 1;
        while (re < sa->n && !sa->s[re].ring_start)
            re++;
        int rev = sa->s[rs].reversed;
        size_t len = re - rs, first = 0;
        while (first < len && !sa->s[rs + first].shared)
            first++;
        /* the k-th segment along the walk from the first shared one (stored order for a ring
         * kept as read; a reversed ring walks its segments backwards) */
#define AT(k) (&sa->s[rs + walk_at(first, k, len, rev)])
        for (size_t k = 0; first < len && k < len;) {
            const seg *s = AT(k);
            k++;
            if (!s->shared)
                continue;
            double ex = s->x1, ey = s->y1;
            for (; k < len; k++) {
                const seg *t = AT(k);
                if (!t->shared || t->x0 != ex || t->y0 != ey || point_get(junctions, ex, ey) >= 2)
                    break;
                if (!chain_add(&list->mid, ex, ey))
                    return 0;
                ex = t->x1, ey = t->y1;
            }
            if (!edge_push(list, s->x0, s->y0, ex, ey))
                return 0;
        }
#undef AT
        rs = re;
    }
    return 1;
}

/* The changed segments cut where they meet: the pieces of side 0 into parts[0], of 1 into
 * parts[1] (as segments, indexed). */
static int split_changed(const grid_seg *g, size_t n, cut_list *cuts, seg_set parts[2])
{
    if (cuts->n)
        qsort(cuts->c, cuts->n, sizeof *cuts->c, by_seg_then_t);
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        const seg *s = g[i].s;
        double px = s->x0, py = s->y0;
        seg_set *out = &parts[g[i].side];
        for (;; c++) {
            int last = c == cuts->n || cuts->c[c].seg != i;
            double x = last ? s->x1 : cuts->c[c].x, y = last ? s->y1 : cuts->c[c].y;
            if ((x != px || y != py) && !seg_push(out, (seg){px, py, x, y, 0, 0, 0}))
                return 0;
            px = x, py = y;
            if (last)
                break;
        }
    }
    return seg_index(&parts[0]) && seg_index(&parts[1]);
}

/* a − b, b − a and a ∩ b traced from the segments of a and b: 1 done, 0 when this path cannot
 * say (coordinates off the grid, edges that do not close: the caller falls back to GEOS), -1
 * out of memory. */
static int compare_traced(rr_ctx *ctx, seg_set *sa, seg_set *sb, double precision,
                          GEOSGeometry **want[3])
{
    grid_seg *g = NULL;
    cut_list cuts = {0};
    seg_set parts[2] = {{0}, {0}};
    edge_list kind[3] = {{0}, {0}, {0}}, changed_both = {0};
    point_set junctions = {NULL, 0};
    size_t n = 0;
    int result = -1;
    if (!(precision > 0))
        return 0;
    if (!(g = malloc((sa->n + sb->n) * sizeof *g)))
        return -1;
    for (int side = 0; side < 2; side++) {
        const seg_set *mine = side ? sb : sa;
        for (size_t i = 0; i < mine->n; i++) {
            const seg *s = &mine->s[i];
            if (s->shared)
                continue;
            grid_seg *t = &g[n++];
            if (!grid_step(s->x0, precision, &t->x0) || !grid_step(s->y0, precision, &t->y0) ||
                !grid_step(s->x1, precision, &t->x1) || !grid_step(s->y1, precision, &t->y1)) {
                result = 0;
                goto out;
            }
            t->minx = t->x0 < t->x1 ? t->x0 : t->x1;
            t->maxx = t->x0 < t->x1 ? t->x1 : t->x0;
            t->miny = t->y0 < t->y1 ? t->y0 : t->y1;
            t->maxy = t->y0 < t->y1 ? t->y1 : t->y0;
            t->s = s;
            t->side = side;
        }
    }
    if (!node_all(g, n, &cuts, precision) || !split_changed(g, n, &cuts, parts) ||
        !seg_rows(sa) || !seg_rows(sb))
        goto out;
    /* Each piece bounds, on its left, the part of its own area that the other area's inside
     * decides: a piece of a inside b bounds a ∩ b (and, reversed, b − a); outside b it bounds
     * a − b. A piece both have the same way round bounds a ∩ b; the other way round, each
     * bounds its own difference. The pieces of a ∩ b wait in `changed_both`, behind the shared
     * runs. */
    int ok = 1;
    for (int side = 0; ok && side < 2; side++) {
        const seg_set *mine = &parts[side], *other = &parts[!side];
        const seg_set *other_area = side ? sa : sb;
        edge_list *own_only = &kind[side], *other_only = &kind[!side];
        for (size_t i = 0; ok && i < mine->n; i++) {
            const seg *s = &mine->s[i];
            seg rev = {s->x1, s->y1, s->x0, s->y0, 0, 0, 0};
            if (seg_contains(other, s)) {
                if (side == 0)
                    ok = edge_push(&changed_both, s->x0, s->y0, s->x1, s->y1);
            } else if (seg_contains(other, &rev)) {
                ok = edge_push(own_only, s->x0, s->y0, s->x1, s->y1);
            } else if (seg_set_inside(other_area, (s->x0 + s->x1) / 2, (s->y0 + s->y1) / 2)) {
                ok = edge_push(&changed_both, s->x0, s->y0, s->x1, s->y1) &&
                     edge_push(other_only, s->x1, s->y1, s->x0, s->y0);
            } else {
                ok = edge_push(own_only, s->x0, s->y0, s->x1, s->y1);
            }
        }
    }
    size_t big_len, big_ring = biggest_ring(sa, &big_len);
    ok = ok && point_set_init(&junctions, 2 * changed_both.n + (sa->n - big_len));
    if (ok)
        count_ring_vertices(sa, big_ring, big_len, &junctions);
    for (size_t i = 0; ok && i < changed_both.n; i++) {
        const double *e = changed_both.e + 4 * i;
        point_add(&junctions, e[0], e[1], 2);
        point_add(&junctions, e[2], e[3], 2);
    }
    ok = ok && push_shared_runs(sa, &junctions, &kind[2]);
    for (size_t i = 0; ok && i < changed_both.n; i++) {
        const double *e = changed_both.e + 4 * i;
        ok = edge_push(&kind[2], e[0], e[1], e[2], e[3]);
    }
    if (!ok)
        goto out;
    result = 1;
    for (int k = 0; k < 3 && result == 1; k++)
        if (want[k])
            result = rr_trace_polylines(ctx, kind[k].e, kind[k].mid.n ? kind[k].mid_start : NULL,
                                        kind[k].mid.xy, kind[k].n, want[k]);
    if (result != 1)
        for (int k = 0; k < 3; k++)
            if (want[k] && *want[k]) {
                GEOSGeom_destroy_r(ctx->geos, *want[k]);
                *want[k] = NULL;
            }
out:
    for (int k = 0; k < 3; k++)
        edge_list_free(&kind[k]);
    edge_list_free(&changed_both);
    free(junctions.slot);
    seg_free(&parts[0]);
    seg_free(&parts[1]);
    free(cuts.c);
    free(g);
    return result;
}

/* 1 when a's parts (a − b, a ∩ b) and b's (b − a, a ∩ b) add up to a's and b's areas. */
static int adds_up(rr_ctx *ctx, double area_a, double area_b, GEOSGeometry **want[3])
{
    double got[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
        if (*want[k] && !GEOSArea_r(ctx->geos, *want[k], &got[k]))
            return 0;
    return fabs(got[0] + got[2] - area_a) <= 1e-9 * area_a + 1e-6 &&
           fabs(got[1] + got[2] - area_b) <= 1e-9 * area_b + 1e-6;
}

static void drop_all(rr_ctx *ctx, GEOSGeometry **want[3])
{
    for (int k = 0; k < 3; k++)
        if (*want[k]) {
            GEOSGeom_destroy_r(ctx->geos, *want[k]);
            *want[k] = NULL;
        }
}

/* One version to compare: a GEOS geometry, or a packed area (then g is NULL). */
typedef struct compare_side {
    const GEOSGeometry *g;
    const rr_area *area;
    double area_m2;
} compare_side;

/* Its segments into set, sized once (for a blob: by its size, a bound of its vertices): RR_OK,
 * or why not (message set). */
static rr_status side_segments(rr_ctx *ctx, const compare_side *in, seg_set *set)
{
    int ng = in->g ? GEOSGetNumCoordinates_r(ctx->geos, in->g) : 0;
    size_t n = in->g ? (ng > 0 ? (size_t)ng : 0) : in->area->blob_size / 16;
    if ((n > 0 && !(set->s = rr_grow(NULL, &set->cap, n, sizeof *set->s, 256))) ||
        (in->g && !add_polygons(ctx, in->g, set)))
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory comparing two versions of an area");
    if (in->g)
        return RR_OK;
    packed_adder b = {set, 0};
    int done = rr_area_rings(ctx, in->area, add_packed_ring, &b);
    if (done > 0)
        return RR_OK;
    if (done < 0 || b.nomem)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory comparing two versions of an area");
    return rr_error(ctx, RR_ERR_INTERNAL, "the packed geometry of area %s cannot be read back",
                    in->area->code);
}

/* rr_area_compare for either kind of version; with packed areas the same boundary leaves *both
 * NULL (the area itself: *path says RR_COMPARE_SAME). */
static rr_status compare(rr_ctx *ctx, const compare_side *in_a, const compare_side *in_b,
                         double precision, GEOSGeometry **a_only, GEOSGeometry **b_only,
                         GEOSGeometry **both, rr_compare_path *path)
{
    rr_compare_path taken = RR_COMPARE_SAME;
    seg_set sa = {0}, sb = {0};
    GEOSGeometry *changed_lines = NULL, *common_lines = NULL, *all = NULL;
    GEOSGeometry *own_a = NULL, *own_b = NULL;
    GEOSGeometry **want[3] = {a_only, b_only, both};
    size_t changed = 0, common = 0;
    rr_status st = RR_OK;
    double area_a = in_a->area_m2, area_b = in_b->area_m2;
    *a_only = *b_only = *both = NULL;
    if ((isnan(area_a) && !GEOSArea_r(ctx->geos, in_a->g, &area_a)) ||
        (isnan(area_b) && !GEOSArea_r(ctx->geos, in_b->g, &area_b)))
        return rr_error(ctx, RR_ERR_GEOMETRY, "cannot compute an area: %s", rr_geos_msg(ctx));
    /* each version's segments in one array, sized once */
    if ((st = side_segments(ctx, in_a, &sa)) != RR_OK ||
        (st = side_segments(ctx, in_b, &sb)) != RR_OK)
        goto out;
    if ((changed = mark_shared(&sa, &sb)) == SIZE_MAX) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory comparing two versions of an area");
        goto out;
    }
    if (changed == 0) { /* the same boundary: nothing is lost or gained */
        if (in_a->g && !(*both = GEOSGeom_clone_r(ctx->geos, in_a->g)))
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* on the grid: noded exactly and traced in plain C */
    int traced = compare_traced(ctx, &sa, &sb, precision, want);
    if (traced < 0) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory comparing two versions of an area");
        goto out;
    }
    if (traced == 1) {
        taken = RR_COMPARE_TRACED;
        if (adds_up(ctx, area_a, area_b, want))
            goto out;
        drop_all(ctx, want);
    }
    if (changed <= (sa.n + sb.n) / 2) {
        if (!(changed_lines = linework(ctx, &sa, &sb, 0, &changed)) ||
            !(common_lines = linework(ctx, &sa, &sb, 1, &common))) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory comparing two versions of an area");
            goto out;
        }
        /* The changed stretches, noded by GEOS (old and new lines cross where a boundary was
         * redrawn), and the boundary the two share (as long lines, not noded: nothing crosses
         * it). */
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
        taken = RR_COMPARE_POLYGONIZED;
        if ((st = classify_faces(ctx, &sa, &sb, all, want)) != RR_OK)
            goto out;
        /* Faces are found only where the lines meet at their ends; a boundary that touches
         * itself inside a shared stretch can hide one: check that the parts add up. */
        if (adds_up(ctx, area_a, area_b, want))
            goto out;
        drop_all(ctx, want);
    }
    /* changed nearly everywhere (another generalisation), or faces that do not add up: the
     * plain overlays */
    taken = RR_COMPARE_OVERLAID;
    const GEOSGeometry *a = in_a->g ? in_a->g : rr_area_shape(ctx, in_a->area, &own_a, &st);
    const GEOSGeometry *b = !a         ? NULL
                            : in_b->g ? in_b->g
                                      : rr_area_shape(ctx, in_b->area, &own_b, &st);
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
    if (path && st == RR_OK)
        *path = taken;
    if (own_a)
        GEOSGeom_destroy_r(ctx->geos, own_a);
    if (own_b)
        GEOSGeom_destroy_r(ctx->geos, own_b);
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

rr_status rr_area_compare(rr_ctx *ctx, const GEOSGeometry *a, const GEOSGeometry *b,
                          double area_a, double area_b, double precision, GEOSGeometry **a_only,
                          GEOSGeometry **b_only, GEOSGeometry **both, rr_compare_path *path)
{
    compare_side in_a = {a, NULL, area_a}, in_b = {b, NULL, area_b};
    return compare(ctx, &in_a, &in_b, precision, a_only, b_only, both, path);
}

rr_status rr_area_compare_packed(rr_ctx *ctx, const rr_area *a, const rr_area *b,
                                 double precision, GEOSGeometry **a_only, GEOSGeometry **b_only,
                                 GEOSGeometry **both, rr_compare_path *path)
{
    compare_side in_a = {a->geom, a, a->area}, in_b = {b->geom, b, b->area};
    return compare(ctx, &in_a, &in_b, precision, a_only, b_only, both, path);
}
