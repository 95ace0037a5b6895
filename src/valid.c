/* valid.c: "this polygon is certainly valid" in plain C, so that GEOS's isValid runs only on the
 * polygons it cannot vouch for.
 *
 * Most polygons read are plainly valid: closed rings that never meet, holes well inside their
 * shell. Such a geometry is valid for GEOS 3.11 (IsValidOp) because, with no two boundaries
 * meeting anywhere, what is left of the OGC rules is where each ring lies: a hole inside its
 * shell, no hole inside another, no shell inside another polygon unless inside one of its holes.
 * So the test is:
 *   1. each ring on its own: finite coordinates, closed, at least 4 points, no repeated point,
 *      and at each vertex the ring turns or goes straight on (its two segments meet only there);
 *   2. no two segments of the whole geometry have a point in common, neighbours in a ring apart
 *      (their shared vertex is 1.). Candidate pairs: the geometry's box is cut into rows about
 *      two segment lengths high; each segment is listed in the rows its box reaches, and in a
 *      row, sorted by the left of their boxes, a segment is paired with those that start before
 *      its box ends (a sweep; each pair in one row only; up to 24 segments, simply every
 *      pair). A pair is settled when one segment
 *      lies strictly on one side of the other's line;
 *   3. one vertex of a ring decides on which side of another ring all of it lies (they do not
 *      meet): a crossing count, only for rings whose boxes nest.
 * Every sign comes from Shewchuk's orient2d filter: the determinant in double with its error
 * bound; within the bound the answer is "don't know", never a guess.
 *
 * Returns 0 (ask GEOS) when:
 *   - a polygon has no ring, or a ring fewer than 4 points, is not closed, has a coordinate that
 *     is not finite or exceeds 1e100 in magnitude (no overflow in products), or two equal
 *     consecutive points (GEOS accepts repeated points; we do not bother);
 *   - at a vertex the ring turns back (a spike) or the turn is too flat to tell in double;
 *   - two segments (not neighbours in a ring) cross, touch, overlap or come too close to tell:
 *     so also for a hole touching its shell at a point and for parts of a multipolygon
 *     touching at a corner, which GEOS calls valid;
 *   - a hole is not inside its shell, a hole lies inside another hole of its polygon, a shell
 *     lies inside another polygon's shell and not in one of its holes (all invalid), or a vertex
 *     is too close to a ring's edge to tell which side it is on;
 *   - the geometry's box is flat (zero width or height), or it has 2^31 segments or more;
 *   - the work is too much: more than 50 N + 10000 candidate pairs for N segments, or more
 *     than 8 N + 10000 vertex steps and ring pairs in the containment tests (many holes in a
 *     large shell).
 * Ring orientation plays no part, as in GEOS. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"
#include "valid.h"

/* Shewchuk's bound for orient2d in double is (3 + 16 eps) eps ~ 3.3e-16 of |detleft| +
 * |detright|; 1e-15 leaves a margin. Below TINY, products may have lost digits to underflow;
 * coordinates up to COORD_MAX cannot overflow them. */
#define ERR_REL 1e-15
#define TINY 1e-280
#define COORD_MAX 1e100
/* not fmin/fmax: those are calls into libm (NaN rules), and no NaN gets this far */
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CLAMP01(t) MIN(MAX(t, 0.0), 1.0)

typedef struct box {
    double xlo, ylo, xhi, yhi;
} box;

typedef struct checker {
    const rr_ringv *rings; /* rings[0 .. nrings) */
    const size_t *first;   /* polygon p: rings first[p] - first[0] .. first[p + 1] - first[0] - 1 */
    size_t npolys, nrings, nseg;
    uint32_t *rfirst; /* ring r's segments: rfirst[r] .. rfirst[r + 1] - 1 */
    uint32_t *sring;  /* each segment's ring */
    box *sb, *rb;     /* segments' and rings' boxes */
    box all;
    /* rows of height 1 / inv from all.ylo; row r's keys (x_step << 32 | segment) end at
     * key[row_start[r]] once listed */
    double inv, xscale;
    size_t nrows;
    size_t *row_start;
    uint64_t *key;
    size_t work, work_cap;   /* containment tests */
} checker;

/* Sign of the turn a -> b -> c: 1 left, -1 right, 0 when too close to zero to tell. */
static int orient(double ax, double ay, double bx, double by, double cx, double cy)
{
    double l = (ax - cx) * (by - cy), r = (ay - cy) * (bx - cx);
    double det = l - r, sum = fabs(l) + fabs(r), bound = ERR_REL * sum;
    if (!(sum > TINY))
        return 0;
    if (det > bound)
        return 1;
    if (-det > bound)
        return -1;
    return 0;
}

/* 1 when the segments p-q and q-r certainly meet only at q: they turn, or go straight on. */
static int turn_ok(const double *p, const double *q, const double *r)
{
    if (orient(p[0], p[1], q[0], q[1], r[0], r[1]))
        return 1;
    double a = (q[0] - p[0]) * (r[0] - q[0]), b = (q[1] - p[1]) * (r[1] - q[1]);
    double sum = fabs(a) + fabs(b);
    return sum > TINY && a + b > ERR_REL * sum;
}

/* 1 when segments s and t (x0, y0, x1, y1) certainly have no point in common: both ends of one
 * strictly on the same side of the other's line. */
static int apart(const double *s, const double *t)
{
    int o = orient(t[0], t[1], t[2], t[3], s[0], s[1]);
    if (o && o == orient(t[0], t[1], t[2], t[3], s[2], s[3]))
        return 1;
    o = orient(s[0], s[1], s[2], s[3], t[0], t[1]);
    return o && o == orient(s[0], s[1], s[2], s[3], t[2], t[3]);
}

static const double *seg_xy(const checker *c, uint32_t s)
{
    uint32_t r = c->sring[s];
    return c->rings[r].xy + 2 * (size_t)(s - c->rfirst[r]);
}

static int box_in(const box *a, const box *b)
{
    return a->xlo >= b->xlo && a->xhi <= b->xhi && a->ylo >= b->ylo && a->yhi <= b->yhi;
}

/* ---- 1. rings on their own ------------------------------------------------------------- */

/* Checks one ring and notes its box and its segments' boxes from segment number s0 on. */
static int ring_ok(checker *c, uint32_t r, uint32_t s0)
{
    const double *xy = c->rings[r].xy;
    size_t n = c->rings[r].n, m = n - 1; /* m segments */
    if (n < 4 || !xy || xy[0] != xy[2 * m] || xy[1] != xy[2 * m + 1])
        return 0;
    box rb = {xy[0], xy[1], xy[0], xy[1]};
    for (size_t i = 0; i < m; i++) {
        const double *p = xy + 2 * i;
        if (!(fabs(p[0]) <= COORD_MAX && fabs(p[1]) <= COORD_MAX))
            return 0; /* also NaN and infinities */
        if (p[0] == p[2] && p[1] == p[3])
            return 0;
        /* the previous segment of the ring ends at p; for the first point, the last one */
        if (!turn_ok(i ? p - 2 : xy + 2 * (m - 1), p, p + 2))
            return 0;
        box *b = &c->sb[s0 + i];
        b->xlo = MIN(p[0], p[2]);
        b->xhi = MAX(p[0], p[2]);
        b->ylo = MIN(p[1], p[3]);
        b->yhi = MAX(p[1], p[3]);
        c->sring[s0 + i] = r;
        rb.xlo = MIN(rb.xlo, p[0]);
        rb.xhi = MAX(rb.xhi, p[0]);
        rb.ylo = MIN(rb.ylo, p[1]);
        rb.yhi = MAX(rb.yhi, p[1]);
    }
    c->rb[r] = rb;
    return 1;
}

/* ---- 2. no two segments meet ----------------------------------------------------------- */

/* Up to this many segments, every pair is looked at: cheaper than sorting. */
#define FEW_SEGMENTS 24

/* The row of a y, or the step of an x on the sort key's scale: monotone in v, which is all that
 * the listing relies on (rounding moves a boundary, never breaks the order). */
static size_t row_of(const checker *c, double y)
{
    double f = (y - c->all.ylo) * c->inv; /* >= 0; nrows < 2^34: int64_t converts in one step */
    return f < (double)c->nrows ? (size_t)(int64_t)f : c->nrows - 1;
}

static uint64_t x_step(const checker *c, double x)
{
    double f = (x - c->all.xlo) * c->xscale;
    return f < 4294967295.0 ? (uint64_t)(int64_t)f : 4294967295u;
}

/* Segments a and b: 1 when settled (boxes apart, neighbours in a ring, apart, or met in
 * another row: a pair is tested only in the row of the higher of its two boxes' bottoms,
 * which lists both), 0 when they may meet. row SIZE_MAX: no rows. */
static int pair_ok(const checker *c, uint32_t a, uint32_t b, size_t row)
{
    const box *ba = &c->sb[a], *bb = &c->sb[b];
    if (bb->xlo > ba->xhi || bb->xhi < ba->xlo || bb->ylo > ba->yhi || bb->yhi < ba->ylo)
        return 1;
    uint32_t lo = MIN(a, b), hi = MAX(a, b), r = c->sring[lo];
    if (c->sring[hi] == r && (hi == lo + 1 || (lo == c->rfirst[r] && hi == c->rfirst[r + 1] - 1)))
        return 1; /* neighbours: checked at their vertex */
    if (row != SIZE_MAX && row_of(c, MAX(ba->ylo, bb->ylo)) != row)
        return 1;
    return apart(seg_xy(c, a), seg_xy(c, b));
}

/* The row height: twice a typical segment's extent (the median of a sample), so that a segment
 * lies in one or two rows and a row holds, at any x, a few segments, however large the
 * geometry's box; at least the mean extent over four, so that a few long segments among many
 * short ones cannot be listed more than about 5 n times in all; at most about 4 n rows. */
static double row_height(const checker *c)
{
    size_t n = c->nseg, k = n < 63 ? n : 63;
    double sample[63], sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += MAX(c->sb[i].xhi - c->sb[i].xlo, c->sb[i].yhi - c->sb[i].ylo);
    for (size_t i = 0; i < k; i++) {
        const box *b = &c->sb[i * n / k];
        double e = MAX(b->xhi - b->xlo, b->yhi - b->ylo);
        size_t j = i;
        for (; j > 0 && sample[j - 1] > e; j--)
            sample[j] = sample[j - 1];
        sample[j] = e;
    }
    double h = c->all.yhi - c->all.ylo;
    return MAX(MAX(2 * sample[k / 2], sum / (4 * (double)n)), h / (4 * (double)n));
}

/* Sorts keys[0 .. m) (tmp: room for m): insertion for a few, else bottom-up merging, which
 * also copes with the long runs, rising or falling, that a boundary along a row gives. */
static void sort_keys(uint64_t *keys, uint64_t *tmp, size_t m)
{
    if (m <= 16) {
        for (size_t i = 1; i < m; i++) {
            uint64_t k = keys[i];
            size_t j = i;
            for (; j > 0 && keys[j - 1] > k; j--)
                keys[j] = keys[j - 1];
            keys[j] = k;
        }
        return;
    }
    uint64_t *from = keys, *to = tmp;
    for (size_t w = 1; w < m; w *= 2) {
        for (size_t lo = 0; lo < m; lo += 2 * w) {
            size_t mid = MIN(lo + w, m), hi = MIN(lo + 2 * w, m), i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                to[k++] = from[i] <= from[j] ? from[i++] : from[j++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < hi)
                to[k++] = from[j++];
        }
        uint64_t *t = from;
        from = to;
        to = t;
    }
    if (from != keys)
        memcpy(keys, from, m * sizeof *keys);
}

/* 1 when no two segments meet (but neighbours at their vertex), 0 when some may, -1 no memory.
 * Each segment is listed in the rows its box reaches; in each row, the segments sorted by the
 * left of their boxes are swept: a segment meets only those that start before its box ends. */
static int segments_apart(checker *c)
{
    size_t n = c->nseg;
    if (n <= FEW_SEGMENTS) {
        for (uint32_t a = 0; a < n; a++)
            for (uint32_t b = a + 1; b < n; b++)
                if (!pair_ok(c, a, b, SIZE_MAX))
                    return 0;
        return 1;
    }
    double w = c->all.xhi - c->all.xlo, h = c->all.yhi - c->all.ylo;
    c->inv = 1 / row_height(c);
    c->nrows = (size_t)(h * c->inv) + 1;
    c->xscale = 4294967295.0 / w;
    if (!(c->row_start = calloc(c->nrows + 1, sizeof *c->row_start)))
        return -1;
    size_t nent = 0;
    for (uint32_t s = 0; s < n; s++) {
        size_t r0 = row_of(c, c->sb[s].ylo), r1 = row_of(c, c->sb[s].yhi);
        c->row_start[r0 + 1]++;
        for (size_t r = r0 + 1; r <= r1; r++)
            c->row_start[r + 1]++;
        nent += r1 - r0 + 1;
    }
    size_t widest = 0;
    for (size_t r = 0; r < c->nrows; r++) {
        widest = MAX(widest, c->row_start[r + 1]);
        c->row_start[r + 1] += c->row_start[r];
    }
    if (!(c->key = malloc((nent + widest) * sizeof *c->key)))
        return -1;
    /* each key: the step of the box's left << 32 | the segment */
    for (uint32_t s = 0; s < n; s++) {
        size_t r0 = row_of(c, c->sb[s].ylo), r1 = row_of(c, c->sb[s].yhi);
        uint64_t k = x_step(c, c->sb[s].xlo) << 32 | s;
        for (size_t r = r0; r <= r1; r++)
            c->key[c->row_start[r]++] = k;
    }
    /* row_start[r] is now row r's end */
    size_t work = 0, work_cap = 50 * n + 10000;
    for (size_t r = 0; r < c->nrows; r++) {
        size_t start = r ? c->row_start[r - 1] : 0, end = c->row_start[r], m = end - start;
        uint64_t *row = c->key + start;
        if (m < 2)
            continue;
        sort_keys(row, c->key + nent, m);
        for (size_t i = 0; i + 1 < m; i++) {
            uint32_t a = (uint32_t)row[i];
            uint64_t right = x_step(c, c->sb[a].xhi);
            for (size_t j = i + 1; j < m && row[j] >> 32 <= right; j++) {
                if (++work > work_cap)
                    return 0;
                if (!pair_ok(c, a, (uint32_t)row[j], r))
                    return 0;
            }
        }
    }
    return 1;
}

/* ---- 3. where the rings lie ------------------------------------------------------------- */

/* Whether (px, py) is inside ring r: 1 inside, 0 outside, -1 too close to an edge to tell.
 * Crossings of the ray to the right, counted with the half-open rule on y (exact). */
static int inside(checker *c, size_t r, double px, double py)
{
    const box *b = &c->rb[r];
    if (px < b->xlo || px > b->xhi || py < b->ylo || py > b->yhi)
        return 0;
    const double *xy = c->rings[r].xy;
    size_t n = c->rings[r].n;
    c->work += n;
    int in = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double ay = xy[2 * i + 1], by = xy[2 * i + 3];
        if ((ay > py) == (by > py))
            continue;
        int o = orient(xy[2 * i], ay, xy[2 * i + 2], by, px, py);
        if (!o)
            return -1;
        /* upward edge with the point on its left, or downward with it on its right */
        if ((by > ay) == (o > 0))
            in ^= 1;
    }
    return in;
}

typedef struct ring_key {
    double xlo;
    size_t ring;
} ring_key;

static int by_xlo(const void *a, const void *b)
{
    double x = ((const ring_key *)a)->xlo, y = ((const ring_key *)b)->xlo;
    return (x > y) - (x < y);
}

/* Ring a (one of its vertices) inside ring b: 1, 0 or -1 as inside(); 0 when a's box is not
 * within b's (then a cannot be inside b). */
static int ring_inside(checker *c, size_t a, size_t b)
{
    if (!box_in(&c->rb[a], &c->rb[b]))
        return 0;
    return inside(c, b, c->rings[a].xy[0], c->rings[a].xy[1]);
}

/* Shell ring a inside polygon q (inside its shell, not in a hole): 1, 0, or -1 unsure. */
static int shell_in_polygon(checker *c, size_t a, size_t q)
{
    size_t shell = c->first[q] - c->first[0], end = c->first[q + 1] - c->first[0];
    int in = ring_inside(c, a, shell);
    for (size_t h = shell + 1; in == 1 && h < end; h++) {
        int in_hole = ring_inside(c, a, h);
        if (in_hole)
            return in_hole == 1 ? 0 : -1; /* an island in q's lake, or unsure */
    }
    return in;
}

/* For every pair of the rings listed in key whose boxes overlap: 1 when none lies in the
 * other (is_shell: as polygons, key[].ring being the polygon), 0 when one does or unsure,
 * -1 when out of memory. */
static int none_inside(checker *c, ring_key *key, size_t n, int is_shell)
{
    for (size_t i = 0; i < n; i++) {
        size_t r = is_shell ? c->first[key[i].ring] - c->first[0] : key[i].ring;
        key[i].xlo = c->rb[r].xlo;
    }
    qsort(key, n, sizeof *key, by_xlo);
    for (size_t i = 0; i < n; i++) {
        size_t pa = key[i].ring, ra = is_shell ? c->first[pa] - c->first[0] : pa;
        for (size_t j = i + 1; j < n && key[j].xlo <= c->rb[ra].xhi; j++) {
            size_t pb = key[j].ring, rb = is_shell ? c->first[pb] - c->first[0] : pb;
            if (++c->work > c->work_cap)
                return 0;
            if (c->rb[rb].ylo > c->rb[ra].yhi || c->rb[rb].yhi < c->rb[ra].ylo)
                continue;
            int ab = is_shell ? shell_in_polygon(c, ra, pb) : ring_inside(c, ra, rb);
            int ba = is_shell ? shell_in_polygon(c, rb, pa) : ring_inside(c, rb, ra);
            if (ab || ba || c->work > c->work_cap)
                return 0;
        }
    }
    return 1;
}

static int rings_placed(checker *c)
{
    size_t maxholes = 0;
    for (size_t p = 0; p < c->npolys; p++) {
        size_t shell = c->first[p] - c->first[0], end = c->first[p + 1] - c->first[0];
        for (size_t h = shell + 1; h < end; h++)
            if (ring_inside(c, h, shell) != 1 || c->work > c->work_cap)
                return 0;
        maxholes = end - shell - 1 > maxholes ? end - shell - 1 : maxholes;
    }
    size_t nkey = c->npolys > maxholes ? c->npolys : maxholes;
    if (nkey < 2)
        return 1;
    ring_key *key = malloc(nkey * sizeof *key);
    if (!key)
        return -1;
    int ok = 1;
    for (size_t p = 0; ok == 1 && p < c->npolys; p++) {
        size_t shell = c->first[p] - c->first[0], end = c->first[p + 1] - c->first[0];
        if (end - shell < 3)
            continue;
        for (size_t h = shell + 1; h < end; h++)
            key[h - shell - 1].ring = h;
        ok = none_inside(c, key, end - shell - 1, 0);
    }
    if (ok == 1 && c->npolys > 1) {
        for (size_t p = 0; p < c->npolys; p++)
            key[p].ring = p;
        ok = none_inside(c, key, c->npolys, 1);
    }
    free(key);
    return ok;
}

/* ---- the whole test --------------------------------------------------------------------- */

int rr_polygons_surely_valid(const rr_ringv *rings, const size_t *first, size_t npolys)
{
    if (!rings || !first || npolys < 1)
        return 0;
    checker c = {.rings = rings + first[0], .first = first, .npolys = npolys};
    for (size_t p = 0; p < npolys; p++)
        if (first[p + 1] <= first[p])
            return 0;
    c.nrings = first[npolys] - first[0];
    size_t nseg = 0;
    for (size_t r = 0; r < c.nrings; r++) {
        if (c.rings[r].n < 4)
            return 0;
        nseg += c.rings[r].n - 1;
        if (nseg >= ((size_t)1 << 31))
            return 0;
    }
    c.nseg = nseg;
    c.work_cap = 8 * nseg + 10000;
    /* one block for the per-segment and per-ring arrays, largest alignment first */
    size_t bytes = (nseg + c.nrings) * sizeof(box) + (nseg + c.nrings + 1) * sizeof(uint32_t);
    char *block = malloc(bytes);
    if (!block)
        return -1;
    c.sb = (box *)block;
    c.rb = c.sb + nseg;
    c.sring = (uint32_t *)(c.rb + c.nrings);
    c.rfirst = c.sring + nseg;
    int ok = 0;
    c.rfirst[0] = 0;
    for (size_t r = 0; r < c.nrings; r++) {
        c.rfirst[r + 1] = c.rfirst[r] + (uint32_t)(c.rings[r].n - 1);
        if (!ring_ok(&c, (uint32_t)r, c.rfirst[r]))
            goto out;
    }
    c.all = c.rb[0];
    for (size_t r = 1; r < c.nrings; r++) {
        c.all.xlo = MIN(c.all.xlo, c.rb[r].xlo);
        c.all.ylo = MIN(c.all.ylo, c.rb[r].ylo);
        c.all.xhi = MAX(c.all.xhi, c.rb[r].xhi);
        c.all.yhi = MAX(c.all.yhi, c.rb[r].yhi);
    }
    if (!(c.all.xhi > c.all.xlo && c.all.yhi > c.all.ylo))
        goto out; /* flat */
    if ((ok = segments_apart(&c)) == 1)
        ok = rings_placed(&c);
out:
    free(c.key);
    free(c.row_start);
    free(block);
    return ok;
}

int rr_geos_surely_valid(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(h, g);
    int npolys = type == GEOS_POLYGON ? 1 : type == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(h, g)
                                                                      : 0;
    if (npolys < 1)
        return 0;
    /* first the sizes, then the coordinates copied into one buffer */
    size_t nrings = 0, npoints = 0;
    for (int p = 0; p < npolys; p++) {
        const GEOSGeometry *poly = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(h, g, p);
        int nholes = poly ? GEOSGetNumInteriorRings_r(h, poly) : -1;
        if (nholes < 0)
            return 0;
        for (int k = -1; k < nholes; k++) {
            const GEOSGeometry *ring = k < 0 ? GEOSGetExteriorRing_r(h, poly)
                                             : GEOSGetInteriorRingN_r(h, poly, k);
            const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
            unsigned size = 0;
            if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &size) || size < 4)
                return 0;
            npoints += size;
            nrings++;
        }
    }
    rr_ringv *rings = malloc(nrings * sizeof *rings);
    size_t *first = malloc(((size_t)npolys + 1) * sizeof *first);
    double *xy = malloc(2 * npoints * sizeof *xy);
    int ok = -1;
    if (!rings || !first || !xy)
        goto out;
    ok = 0;
    size_t r = 0, at = 0;
    for (int p = 0; p < npolys; p++) {
        const GEOSGeometry *poly = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(h, g, p);
        int nholes = GEOSGetNumInteriorRings_r(h, poly);
        first[p] = r;
        for (int k = -1; k < nholes; k++) {
            const GEOSGeometry *ring = k < 0 ? GEOSGetExteriorRing_r(h, poly)
                                             : GEOSGetInteriorRingN_r(h, poly, k);
            const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, ring);
            unsigned size = 0;
            GEOSCoordSeq_getSize_r(h, seq, &size);
            if (!GEOSCoordSeq_copyToBuffer_r(h, seq, xy + 2 * at, 0, 0))
                goto out;
            rings[r].xy = xy + 2 * at;
            rings[r].n = size;
            at += size;
            r++;
        }
    }
    first[npolys] = r;
    ok = rr_polygons_surely_valid(rings, first, (size_t)npolys);
out:
    free(xy);
    free(first);
    free(rings);
    return ok;
}
