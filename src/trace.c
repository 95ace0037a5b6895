/* trace.c: polygons from directed edges that have the region on their left, in plain C.
 *
 * The edges come noded (they meet only at their ends) from diff.c. Walking from edge to edge,
 * turning furthest left where there is a choice (so that the walk follows one face), closes
 * rings; where the walk comes back to a vertex it passed before (the region touches itself
 * there: two parts meeting at a point, a hole touching the shell), the loop since then is cut
 * off as a ring of its own, so every ring is simple. A counter-clockwise ring bounds a part
 * (the region is inside it), a clockwise one a hole, which goes to the smallest part around it.
 * No GEOS noding, graph or ring validation: the edges are known to form a valid arrangement, and
 * the caller checks the result by area. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct edge {
    double x0, y0, x1, y1;
} edge;

/* Edges by start point: open addressing over the start's coordinates (index + 1, 0 empty). Most
 * points start one edge; the walk asks for all edges from a point to see if it has a choice. */
typedef struct start_index {
    size_t *slot;
    size_t mask;
} start_index;

size_t rr_point_hash(double x, double y)
{
    uint64_t u, v;
    x = x == 0 ? 0 : x; /* -0 and 0 are the same point */
    y = y == 0 ? 0 : y;
    memcpy(&u, &x, sizeof u);
    memcpy(&v, &y, sizeof v);
    uint64_t h = (u ^ (v * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
    return (size_t)(h ^ (h >> 29));
}

static int start_index_build(start_index *ix, const edge *e, size_t n)
{
    size_t size = 16;
    while (size < 2 * n)
        size *= 2;
    if (!(ix->slot = calloc(size, sizeof *ix->slot)))
        return 0;
    ix->mask = size - 1;
    for (size_t i = 0; i < n; i++) {
        size_t h = rr_point_hash(e[i].x0, e[i].y0) & ix->mask;
        while (ix->slot[h])
            h = (h + 1) & ix->mask;
        ix->slot[h] = i + 1;
    }
    return 1;
}

/* The edges, with the points some pass through between their ends (polylines). */
typedef struct edge_set {
    const edge *e;
    size_t n;
    const size_t *mid_start; /* edge i passes mid[2 * mid_start[i] .. 2 * mid_start[i + 1]) */
    const double *mid;
} edge_set;

static size_t mid_count(const edge_set *es, size_t i)
{
    return es->mid_start ? es->mid_start[i + 1] - es->mid_start[i] : 0;
}

/* The point after edge i's start: its first middle point, or its end. */
static void second_point(const edge_set *es, size_t i, double *x, double *y)
{
    if (mid_count(es, i)) {
        *x = es->mid[2 * es->mid_start[i]];
        *y = es->mid[2 * es->mid_start[i] + 1];
    } else {
        *x = es->e[i].x1;
        *y = es->e[i].y1;
    }
}

/* The point before edge i's end: its last middle point, or its start. */
static void penultimate_point(const edge_set *es, size_t i, double *x, double *y)
{
    if (mid_count(es, i)) {
        *x = es->mid[2 * es->mid_start[i + 1] - 2];
        *y = es->mid[2 * es->mid_start[i + 1] - 1];
    } else {
        *x = es->e[i].x0;
        *y = es->e[i].y0;
    }
}

/* How far edge i turns left from the direction (dx, dy) at its start. */
static double turn_of(const edge_set *es, size_t i, double dx, double dy)
{
    double sx, sy;
    second_point(es, i, &sx, &sy);
    double ox = sx - es->e[i].x0, oy = sy - es->e[i].y0;
    return atan2(dx * oy - dy * ox, dx * ox + dy * oy); /* left of (dx, dy): > 0 */
}

/* The edges starting at (x, y): how many, and in *unused the one to walk on (n if none): the
 * only one not yet walked, or where there are several, the one that turns furthest left from
 * the direction (dx, dy) the walk came in. That keeps the walk on the boundary of one face: a
 * region touching itself at two points (a square less a diamond whose tips touch its sides)
 * comes out as its two parts, not as one part with a hole touching it twice. */
static size_t edges_from(const start_index *ix, const edge_set *es, const unsigned char *used,
                         double x, double y, double dx, double dy, size_t *unused)
{
    size_t count = 0, n = es->n, choices = 0;
    double best = -INFINITY;
    *unused = n;
    for (size_t h = rr_point_hash(x, y) & ix->mask; ix->slot[h]; h = (h + 1) & ix->mask) {
        size_t i = ix->slot[h] - 1;
        if (es->e[i].x0 != x || es->e[i].y0 != y)
            continue;
        count++;
        if (used[i])
            continue;
        if (++choices == 1) { /* the only way on, unless another comes */
            *unused = i;
            continue;
        }
        if (choices == 2)
            best = turn_of(es, *unused, dx, dy);
        double turn = turn_of(es, i, dx, dy);
        if (turn > best) {
            best = turn;
            *unused = i;
        }
    }
    return count;
}

typedef struct ring {
    double *xy; /* closed: the last point repeats the first */
    size_t n;
    double area; /* signed: > 0 counter-clockwise */
    double minx, miny, maxx, maxy;
    long shell; /* for a hole: the part it belongs to; -1 none yet */
} ring;

typedef struct ring_list {
    ring *r;
    size_t n, cap;
} ring_list;

/* Keep points path[from .. to] (to repeats from) as a ring, when it bounds any area. */
static int keep_ring(ring_list *list, const double *path, size_t from, size_t to)
{
    size_t n = to - from + 1;
    if (n < 4)
        return 1; /* there and back: no area */
    double a2 = 0, minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    const double *p = path + 2 * from;
    /* the shoelace sum about the first point: products of absolute coordinates (10^12 in
     * metres) would drown a sliver's area in rounding */
    for (size_t i = 0; i + 1 < n; i++) {
        a2 += (p[2 * i] - p[0]) * (p[2 * i + 3] - p[1]) - (p[2 * i + 2] - p[0]) * (p[2 * i + 1] - p[1]);
        double x = p[2 * i], y = p[2 * i + 1]; /* no NaN here: coordinates on the grid */
        minx = x < minx ? x : minx;
        maxx = x > maxx ? x : maxx;
        miny = y < miny ? y : miny;
        maxy = y > maxy ? y : maxy;
    }
    if (a2 == 0)
        return 1;
    ring *room = rr_grow(list->r, &list->cap, list->n + 1, sizeof *room, 8);
    if (!room)
        return 0;
    list->r = room;
    double *xy = malloc(2 * n * sizeof *xy);
    if (!xy)
        return 0;
    memcpy(xy, p, 2 * n * sizeof *xy);
    list->r[list->n++] = (ring){xy, n, a2 / 2, minx, miny, maxx, maxy, -1};
    return 1;
}

/* Even-odd test of a point against one ring. */
static int ring_inside(const ring *r, double x, double y)
{
    int inside = 0;
    for (size_t i = 0; i + 1 < r->n; i++) {
        double x0 = r->xy[2 * i], y0 = r->xy[2 * i + 1];
        double x1 = r->xy[2 * i + 2], y1 = r->xy[2 * i + 3];
        if ((y0 > y) != (y1 > y) && x < x0 + (y - y0) * (x1 - x0) / (y1 - y0))
            inside = !inside;
    }
    return inside;
}

static GEOSGeometry *make_ring(rr_ctx *ctx, const ring *r)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(ctx->geos, r->xy, (unsigned)r->n, 0, 0);
    return cs ? GEOSGeom_createLinearRing_r(ctx->geos, cs) : NULL;
}

/* The parts with their holes as one MultiPolygon (NULL in *out when there is none). */
static int assemble(rr_ctx *ctx, ring_list *rings, GEOSGeometry **out)
{
    size_t nshell = 0;
    long last_shell = -1;
    for (size_t i = 0; i < rings->n; i++)
        if (rings->r[i].area > 0)
            nshell++, last_shell = (long)i;
    *out = NULL;
    if (nshell == 0)
        return rings->n == 0; /* holes without a part: not an arrangement of this region */
    /* each hole to the smallest part around it: a point in the middle of the hole's first edge
     * lies on no other ring (rings meet at vertices at most) */
    for (size_t h = 0; h < rings->n; h++) {
        ring *hole = &rings->r[h];
        if (hole->area > 0)
            continue;
        if (nshell == 1) {
            hole->shell = last_shell;
            continue;
        }
        double mx = (hole->xy[0] + hole->xy[2]) / 2, my = (hole->xy[1] + hole->xy[3]) / 2;
        double best = INFINITY;
        for (size_t s = 0; s < rings->n; s++) {
            const ring *sh = &rings->r[s];
            if (sh->area <= 0 || sh->area >= best || hole->minx < sh->minx ||
                hole->maxx > sh->maxx || hole->miny < sh->miny || hole->maxy > sh->maxy)
                continue;
            if (ring_inside(sh, mx, my)) {
                best = sh->area;
                hole->shell = (long)s;
            }
        }
        if (hole->shell < 0)
            return 0;
    }
    GEOSGeometry **polys = calloc(nshell, sizeof *polys);
    GEOSGeometry **holes = NULL;
    /* the holes of each shell s: by_shell[first[s] .. first[s + 1]), in ring order (a search of
     * every ring for every shell was a third of tracing a loss in hundreds of slivers) */
    size_t *first = calloc(rings->n + 1, sizeof *first), *by_shell = NULL;
    size_t npoly = 0;
    int ok = polys != NULL && first != NULL;
    if (ok && rings->n > nshell)
        ok = (holes = malloc((rings->n - nshell) * sizeof *holes)) != NULL &&
             (by_shell = malloc((rings->n - nshell) * sizeof *by_shell)) != NULL;
    for (size_t h = 0; ok && h < rings->n; h++)
        if (rings->r[h].area < 0)
            first[rings->r[h].shell + 1]++;
    for (size_t s = 0; ok && s < rings->n; s++)
        first[s + 1] += first[s];
    for (size_t h = 0; ok && h < rings->n; h++)
        if (rings->r[h].area < 0)
            by_shell[first[rings->r[h].shell]++] = h;
    /* each start moved to the next shell's: shift back */
    if (ok) {
        memmove(first + 1, first, rings->n * sizeof *first);
        first[0] = 0;
    }
    for (size_t s = 0; ok && s < rings->n; s++) {
        if (rings->r[s].area <= 0)
            continue;
        GEOSGeometry *shell = make_ring(ctx, &rings->r[s]);
        unsigned nh = 0;
        for (size_t k = first[s]; shell && k < first[s + 1] && (nh == 0 || holes[nh - 1]); k++)
            holes[nh++] = make_ring(ctx, &rings->r[by_shell[k]]);
        /* takes the rings made so far; NULL when one could not be made */
        ok = (polys[npoly] = rr_polygon_of_rings(ctx, shell, holes, nh)) != NULL;
        npoly += (size_t)ok;
    }
    free(holes);
    free(by_shell);
    free(first);
    if (ok) /* GEOS owns the polygons from here, also when it fails */
        ok = (*out = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, polys,
                                                 (unsigned)npoly)) != NULL;
    else
        for (size_t i = 0; i < npoly; i++)
            GEOSGeom_destroy_r(ctx->geos, polys[i]);
    free(polys);
    return ok ? 1 : -1;
}

int rr_trace_polylines(rr_ctx *ctx, const double *edges, const size_t *mid_start,
                       const double *mid, size_t n, GEOSGeometry **out)
{
    const edge *e = (const edge *)edges;
    edge_set es = {e, n, mid_start, mid};
    unsigned char *used = NULL;
    double *path = NULL;
    size_t *marks = NULL, npath = 0, nmarks = 0, cap = 0;
    ring_list rings = {0};
    start_index ix = {NULL, 0};
    int result = -1;
    *out = NULL;
    if (n == 0)
        return 1;
    if (!(used = calloc(n, 1)) || !start_index_build(&ix, e, n))
        goto out;
    for (size_t start = 0; start < n; start++) {
        if (used[start])
            continue;
        /* path: the points walked since the ring began; marks: where it passed a vertex with
         * more than one way on (only there can a walk come back) */
        npath = nmarks = 0;
        size_t cur = start;
        for (;;) {
            size_t nmid = mid_count(&es, cur);
            /* a mark per point at most: marks grows with path */
            size_t mark_cap = cap;
            double *grown = rr_grow(path, &cap, npath + nmid + 2, 2 * sizeof *grown, 256);
            if (grown)
                path = grown;
            size_t *grown_marks = grown ? rr_grow(marks, &mark_cap, cap, sizeof *marks, 256) : NULL;
            if (grown_marks)
                marks = grown_marks;
            if (!grown || !grown_marks)
                goto out;
            if (npath == 0) {
                path[0] = e[cur].x0;
                path[1] = e[cur].y0;
                marks[nmarks++] = 0;
                npath = 1;
            }
            used[cur] = 1;
            if (nmid) {
                memcpy(path + 2 * npath, mid + 2 * mid_start[cur], 2 * nmid * sizeof *path);
                npath += nmid;
            }
            double x = e[cur].x1, y = e[cur].y1, px, py;
            penultimate_point(&es, cur, &px, &py);
            path[2 * npath] = x;
            path[2 * npath + 1] = y;
            npath++;
            size_t next = n, ways = edges_from(&ix, &es, used, x, y, x - px, y - py, &next);
            int at_start = x == path[0] && y == path[1];
            if (ways > 1 || at_start) {
                size_t k = nmarks;
                for (size_t m = 0; m < nmarks; m++)
                    if (path[2 * marks[m]] == x && path[2 * marks[m] + 1] == y) {
                        k = m;
                        break;
                    }
                if (k < nmarks) { /* back at a vertex passed before: cut the loop off */
                    if (!keep_ring(&rings, path, marks[k], npath - 1))
                        goto out;
                    npath = marks[k] + 1;
                    nmarks = k + 1;
                    if (npath == 1 && at_start)
                        break;
                } else {
                    marks[nmarks++] = npath - 1;
                }
            }
            if (next == n) { /* a dead end: the edges do not form rings */
                result = 0;
                goto out;
            }
            cur = next;
        }
    }
    result = assemble(ctx, &rings, out);
out:
    for (size_t i = 0; i < rings.n; i++)
        free(rings.r[i].xy);
    free(rings.r);
    free(path);
    free(marks);
    free(used);
    free(ix.slot);
    return result;
}

int rr_trace_polygons(rr_ctx *ctx, const double *edges, size_t n, GEOSGeometry **out)
{
    return rr_trace_polylines(ctx, edges, NULL, NULL, n, out);
}
