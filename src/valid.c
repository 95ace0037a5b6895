/* valid.c: "this polygon is certainly valid" in plain C, so that GEOS's isValid runs only on the
 * polygons it cannot vouch for.
 *
 * Most polygons read are plainly valid: closed rings that never meet, holes well inside their
 * shell. Such a geometry is valid for GEOS 3.11 (IsValidOp) because, with no two boundaries
 * meeting anywhere, what is left of the OGC rules is where each ring lies: a hole inside its
 * shell, no hole inside another, no shell inside another polygon unless inside one of its holes.
 * So the test is:
 *   1. each ring on its own: finite coordinates, closed, at least 4 points, no repeated point;
 *      it is cut into monotone chains, maximal runs of segments that never go back in x nor in
 *      y. Two segments of one chain meet only where they are neighbours, at their shared vertex
 *      (the boxes of segments p-q and q-r of a chain have only q in common; segments further
 *      apart are separated by a strict step in x or y). Where two chains join (and at the
 *      ring's first vertex), the ring turns or goes straight on: its two segments meet only
 *      there;
 *   2. no two segments of different chains have a point in common, neighbours in a ring apart
 *      (1. settled them). The chains, sorted by the left of their boxes, are swept: a chain
 *      meets only those still open (box not yet ended) whose boxes overlap its own. Two chains
 *      that follow each other in a ring and go the same way (up, down, left or right) where
 *      they join meet only there (joined_apart): most pairs, settled without a look at their
 *      segments. For the other pairs, only the segments of each that reach the common box are
 *      looked at (a range of the chain, found by bisection since the chain is monotone), walked
 *      in x order like a merge. A pair of segments is settled when their boxes are apart or
 *      one segment lies strictly on one side of the other's line;
 *   3. one vertex of a ring decides on which side of another ring all of it lies (they do not
 *      meet): a crossing count, only for rings whose boxes nest; a chain whose box the ray's
 *      line misses, or that lies wholly on one side of the point, counts without a look at its
 *      segments, so a count costs about the ring's number of chains.
 * Every sign comes from Shewchuk's orient2d filter: the determinant in double with its error
 * bound; within the bound the answer is "don't know", never a guess.
 *
 * Returns 0 (ask GEOS) when:
 *   - a polygon has no ring, or a ring fewer than 4 points, is not closed, has a coordinate that
 *     is not finite or exceeds 1e100 in magnitude (no overflow in products), or two equal
 *     consecutive points (GEOS accepts repeated points; we do not bother);
 *   - where two chains join the ring turns back (a spike) or the turn is too flat to tell;
 *   - two segments (not neighbours in a ring) cross, touch, overlap or come too close to tell:
 *     so also for a hole touching its shell at a point and for parts of a multipolygon
 *     touching at a corner, which GEOS calls valid;
 *   - a hole is not inside its shell, a hole lies inside another hole of its polygon, a shell
 *     lies inside another polygon's shell and not in one of its holes (all invalid), or a vertex
 *     is too close to a ring's edge to tell which side it is on;
 *   - the geometry's box is flat (zero width or height), or it has 2^31 segments or more;
 *   - the work is too much: for N segments, more than 50 N + 10000 open chains looked at and
 *     segment pairs tested in the sweep, or more than 8 N + 10000 chains looked at and ring
 *     pairs in the containment tests (many holes in a shell of many chains).
 * Ring orientation plays no part, as in GEOS.
 *
 * Nothing is allocated per call once a scratch (rr_valid_scratch) has grown to the largest
 * geometry seen: on this kind of machine, fresh pages cost more than the test itself. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct box {
    double xlo, ylo, xhi, yhi;
} box;

/* Segments k0 .. k0 + m - 1 of a ring (segment k: point k to point k + 1), never going back in
 * x (sx = 1: x never falls; -1: never rises) nor in y (sy); its box is that of its two ends. */
typedef struct chain {
    box b;
    uint32_t ring, k0, m;
    int8_t sx, sy;
    /* it meets the next chain of its ring (the last: the first) only at their shared vertex,
     * by the rule in joined_apart */
    uint8_t joins_apart;
} chain;

/* A chain open in the sweep: its index, the x step of its box's right and its y range. */
typedef struct open_chain {
    double ylo, yhi;
    uint32_t right, chain;
} open_chain;

typedef struct ring_key {
    double xlo;
    size_t ring;
} ring_key;

struct rr_valid_scratch {
    chain *ch;          /* every ring's chains, ring by ring */
    uint64_t *key;      /* sort keys, then as many for the radix sort's second buffer */
    open_chain *active; /* open chains in the sweep */
    uint32_t *rchain;   /* ring r's chains: rchain[r] .. rchain[r + 1] - 1 */
    box *rb;            /* rings' boxes */
    ring_key *rkey;
    size_t ch_cap, key_cap, active_cap, rchain_cap, rb_cap, rkey_cap;
    /* rr_geos_surely_valid_s's copy of the coordinates */
    rr_ringv *rings;
    size_t *first;
    double *xy;
    size_t rings_cap, first_cap, xy_cap;
};

typedef struct checker {
    const rr_ringv *rings; /* rings[0 .. nrings) */
    const size_t *first;   /* polygon p: rings first[p] - first[0] .. first[p + 1] - first[0] - 1 */
    size_t npolys, nrings, nseg, nch;
    rr_valid_scratch *s;
    box all;
    double xscale;         /* x step: (x - all.xlo) * xscale */
    size_t work, work_cap; /* in the sweep, then in the containment tests */
} checker;

/* array (capacity *cap) with room for need elements of size elem: array itself, or moved by
 * rr_grow (64 at first, then doubling: a scratch settles after a few geometries); NULL when out
 * of memory (array unchanged, still the scratch's). */
static void *grown(void *array, size_t *cap, size_t need, size_t elem)
{
    return need <= *cap ? array : rr_grow(array, cap, need, elem, 64);
}

rr_valid_scratch *rr_valid_scratch_new(void)
{
    return calloc(1, sizeof(rr_valid_scratch));
}

void rr_valid_scratch_free(rr_valid_scratch *s)
{
    if (!s)
        return;
    free(s->xy);
    free(s->first);
    free(s->rings);
    free(s->rkey);
    free(s->rb);
    free(s->rchain);
    free(s->active);
    free(s->key);
    free(s->ch);
    free(s);
}

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

static int box_in(const box *a, const box *b)
{
    return a->xlo >= b->xlo && a->xhi <= b->xhi && a->ylo >= b->ylo && a->yhi <= b->yhi;
}

static int boxes_meet(const box *a, const box *b)
{
    return a->xlo <= b->xhi && b->xlo <= a->xhi && a->ylo <= b->yhi && b->ylo <= a->yhi;
}

/* ---- 1. rings on their own, cut into chains --------------------------------------------- */

/* Notes segments k0 .. k1 - 1 of ring r as a chain, which went the ways in went (see ring_ok).
 * 1, or -1 when out of memory. */
static int add_chain(checker *c, uint32_t r, const double *xy, size_t k0, size_t k1,
                     unsigned went)
{
    rr_valid_scratch *s = c->s;
    chain *all = grown(s->ch, &s->ch_cap, c->nch + 1, sizeof *s->ch);
    if (!all)
        return -1;
    s->ch = all;
    const double *p = xy + 2 * k0, *q = xy + 2 * k1;
    chain *ch = &s->ch[c->nch++];
    ch->b.xlo = MIN(p[0], q[0]);
    ch->b.xhi = MAX(p[0], q[0]);
    ch->b.ylo = MIN(p[1], q[1]);
    ch->b.yhi = MAX(p[1], q[1]);
    ch->ring = r;
    ch->k0 = (uint32_t)k0;
    ch->m = (uint32_t)(k1 - k0);
    ch->sx = went & 2 ? -1 : 1;
    ch->sy = went & 8 ? -1 : 1;
    ch->joins_apart = 0;
    return 1;
}

/* Checks one ring on its own and cuts it into chains. 1 ok, 0 not (see above), -1 no memory. */
static int ring_ok(checker *c, uint32_t r)
{
    const double *xy = c->rings[r].xy;
    size_t n = c->rings[r].n, m = n - 1; /* m segments */
    if (n < 4 || !xy || xy[0] != xy[2 * m] || xy[1] != xy[2 * m + 1])
        return 0;
    /* the ways a segment goes: 1 x rises, 2 x falls, 4 y rises, 8 y falls; a chain ends where
     * a segment goes a way opposite to one its earlier segments went (banned) */
    size_t k0 = 0, ch0 = c->nch;
    unsigned went = 0, banned = 0, first_go = 0, last_go = 0;
    for (size_t k = 0; k < m; k++) {
        const double *p = xy + 2 * k;
        double dx = p[2] - p[0], dy = p[3] - p[1];
        unsigned go = (unsigned)(dx > 0) | (unsigned)(dx < 0) << 1 | (unsigned)(dy > 0) << 2 |
                      (unsigned)(dy < 0) << 3;
        /* the next point's coordinates (the last is the first) at most COORD_MAX in size: also
         * not NaN nor infinite */
        if (!go || !(fabs(p[2]) <= COORD_MAX) || !(fabs(p[3]) <= COORD_MAX))
            return 0; /* a repeated point, or a coordinate out of range */
        if (go & banned) {
            if (!turn_ok(p - 2, p, p + 2))
                return 0; /* a spike, or too flat to tell */
            if (add_chain(c, r, xy, k0, k, went) < 0)
                return -1;
            c->s->ch[c->nch - 1].joins_apart = (go & last_go) != 0;
            k0 = k;
            went = banned = 0;
        }
        first_go = k ? first_go : go;
        last_go = go;
        went |= go;
        banned |= (go & 5) << 1 | (go & 10) >> 1;
    }
    if (add_chain(c, r, xy, k0, m, went) < 0)
        return -1;
    c->s->ch[c->nch - 1].joins_apart = (first_go & last_go) != 0;
    if (c->nch - ch0 < 3) /* two chains join at both ends: the rule does not hold */
        for (size_t i = ch0; i < c->nch; i++)
            c->s->ch[i].joins_apart = 0;
    /* the first vertex: the last segment, then the first */
    if (!turn_ok(xy + 2 * (m - 1), xy, xy + 2))
        return 0;
    return 1;
}

/* ---- 2. no two chains meet --------------------------------------------------------------- */

/* A chain's point j (0 .. m). */
static const double *chain_pt(const checker *c, const chain *ch, size_t j)
{
    return c->rings[ch->ring].xy + 2 * ((size_t)ch->k0 + j);
}

/* Of the chain's segments 0 .. m - 1 along coordinate a (0 x, 1 y) with sign s (the chain's sx
 * or sy: s * coordinate never falls along the chain), those that reach [lo, hi] are *from ..
 * *to - 1 (bisection). */
static void reach(const checker *c, const chain *ch, int a, int s, double lo, double hi,
                  size_t *from, size_t *to)
{
    const double *p = chain_pt(c, ch, 0) + a;
    double u0 = s > 0 ? lo : -hi, u1 = s > 0 ? hi : -lo; /* negation is exact */
    /* first segment whose end is at u0 or beyond */
    size_t l = 0, h = ch->m;
    while (l < h) {
        size_t mid = l + (h - l) / 2;
        if (s * p[2 * (mid + 1)] >= u0)
            h = mid;
        else
            l = mid + 1;
    }
    *from = MAX(*from, l);
    /* segments whose start is at u1 or before */
    l = 0, h = ch->m;
    while (l < h) {
        size_t mid = l + (h - l) / 2;
        if (s * p[2 * mid] <= u1)
            l = mid + 1;
        else
            h = mid;
    }
    *to = MIN(*to, l);
}

/* Segments ka and kb of ring r (which has m segments) are neighbours. */
static int neighbours(size_t ka, size_t kb, size_t m)
{
    size_t lo = MIN(ka, kb), hi = MAX(ka, kb);
    return hi == lo + 1 || (lo == 0 && hi == m - 1);
}

/* Chains a and b, whose boxes meet: 1 when no segment of one meets one of the other (but
 * neighbours in a ring at their vertex), 0 when some may or the work is over its cap. */
static int chains_apart(checker *c, const chain *a, const chain *b)
{
    box common = {MAX(a->b.xlo, b->b.xlo), MAX(a->b.ylo, b->b.ylo), MIN(a->b.xhi, b->b.xhi),
                  MIN(a->b.yhi, b->b.yhi)};
    size_t afrom = 0, ato = a->m, bfrom = 0, bto = b->m;
    reach(c, a, 0, a->sx, common.xlo, common.xhi, &afrom, &ato);
    reach(c, a, 1, a->sy, common.ylo, common.yhi, &afrom, &ato);
    if (afrom >= ato)
        return 1;
    reach(c, b, 0, b->sx, common.xlo, common.xhi, &bfrom, &bto);
    reach(c, b, 1, b->sy, common.ylo, common.yhi, &bfrom, &bto);
    if (bfrom >= bto)
        return 1;
    size_t na = ato - afrom, nb = bto - bfrom, tb = 0;
    size_t ringm = a->ring == b->ring ? c->rings[a->ring].n - 1 : 0;
    const double *pa = chain_pt(c, a, 0), *pb = chain_pt(c, b, 0);
    /* both in the order of rising x; for a segment of a, those of b whose x ranges meet its
     * own are a run that only moves right as a's segments do */
    for (size_t ta = 0; ta < na; ta++) {
        size_t ja = a->sx > 0 ? afrom + ta : ato - 1 - ta;
        const double *s = pa + 2 * ja;
        double sxlo = MIN(s[0], s[2]), sxhi = MAX(s[0], s[2]);
        double sylo = MIN(s[1], s[3]), syhi = MAX(s[1], s[3]);
        for (; tb < nb; tb++) {
            const double *t = pb + 2 * (b->sx > 0 ? bfrom + tb : bto - 1 - tb);
            if (MAX(t[0], t[2]) >= sxlo)
                break;
        }
        for (size_t u = tb; u < nb; u++) {
            size_t jb = b->sx > 0 ? bfrom + u : bto - 1 - u;
            const double *t = pb + 2 * jb;
            if (MIN(t[0], t[2]) > sxhi)
                break;
            if (MIN(t[1], t[3]) > syhi || MAX(t[1], t[3]) < sylo)
                continue;
            if (++c->work > c->work_cap)
                return 0;
            if (ringm && neighbours(a->k0 + ja, b->k0 + jb, ringm))
                continue;
            if (!apart(s, t))
                return 0;
        }
    }
    return 1;
}

/* Chains i and j follow each other in a ring of three chains or more, and their segments at
 * the vertex v where they join both go strictly up, or both strictly down (or so in x): then
 * they certainly meet only at v. Say both go up: the chains never go down, so all of the first
 * but its last segment lies below that segment's start, below v; all of the second but its
 * first segment above v; the two segments at v are neighbours, checked where the ring turns.
 * Most pairs of chains whose boxes meet are such, settled here without looking further (ring_ok
 * noted the rule's answer in joins_apart). */
static int joined_apart(const checker *c, uint32_t i, uint32_t j)
{
    const chain *ch = c->s->ch;
    uint32_t lo = MIN(i, j), hi = MAX(i, j), r = ch[lo].ring;
    if (ch[hi].ring != r)
        return 0;
    if (hi == lo + 1)
        return ch[lo].joins_apart;
    return lo == c->s->rchain[r] && hi == c->s->rchain[r + 1] - 1 && ch[hi].joins_apart;
}

/* The step of an x on the sort key's scale: monotone in x, which is all that the sweep relies
 * on (rounding moves a step boundary, never breaks the order). */
static uint64_t x_step(const checker *c, double x)
{
    double f = (x - c->all.xlo) * c->xscale;
    return f < 4294967295.0 ? (uint64_t)(int64_t)f : 4294967295u;
}

/* Sorts keys[0 .. m) on their high 32 bits (tmp: room for m): insertion for a few, else a
 * radix sort, a byte at a time, skipping bytes that all keys share. */
static void sort_keys(uint64_t *keys, uint64_t *tmp, size_t m)
{
    if (m <= 32) {
        for (size_t i = 1; i < m; i++) {
            uint64_t k = keys[i];
            size_t j = i;
            for (; j > 0 && keys[j - 1] >> 32 > k >> 32; j--)
                keys[j] = keys[j - 1];
            keys[j] = k;
        }
        return;
    }
    size_t count[4][256] = {{0}};
    for (size_t i = 0; i < m; i++)
        for (int d = 0; d < 4; d++)
            count[d][(keys[i] >> (32 + 8 * d)) & 255]++;
    uint64_t *from = keys, *to = tmp;
    for (int d = 0; d < 4; d++) {
        size_t *cnt = count[d], sum = 0;
        if (cnt[(from[0] >> (32 + 8 * d)) & 255] == m)
            continue;
        for (int v = 0; v < 256; v++) {
            size_t k = cnt[v];
            cnt[v] = sum;
            sum += k;
        }
        for (size_t i = 0; i < m; i++)
            to[cnt[(from[i] >> (32 + 8 * d)) & 255]++] = from[i];
        uint64_t *t = from;
        from = to;
        to = t;
    }
    if (from != keys)
        memcpy(keys, from, m * sizeof *keys);
}

/* 1 when no two chains meet (but neighbours at their vertex), 0 when some may, -1 no memory.
 * The chains sorted by the left of their boxes are swept: a chain meets only those still open
 * at its left. */
static int chains_sweep(checker *c)
{
    rr_valid_scratch *s = c->s;
    size_t n = c->nch;
    uint64_t *key = grown(s->key, &s->key_cap, 2 * n, sizeof *s->key);
    if (!key)
        return -1;
    s->key = key;
    open_chain *active = grown(s->active, &s->active_cap, n, sizeof *s->active);
    if (!active)
        return -1;
    s->active = active;
    c->xscale = 4294967295.0 / (c->all.xhi - c->all.xlo);
    for (size_t i = 0; i < n; i++)
        s->key[i] = x_step(c, s->ch[i].b.xlo) << 32 | i;
    sort_keys(s->key, s->key + n, n);
    size_t nactive = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ci = (uint32_t)s->key[i], left = (uint32_t)(s->key[i] >> 32);
        const chain *a = &s->ch[ci];
        size_t kept = 0;
        c->work += nactive;
        if (c->work > c->work_cap)
            return 0;
        for (size_t j = 0; j < nactive; j++) {
            open_chain e = s->active[j];
            if (e.right < left)
                continue; /* ended: every chain still to come starts right of it */
            s->active[kept++] = e;
            if (e.ylo > a->b.yhi || e.yhi < a->b.ylo || joined_apart(c, ci, e.chain))
                continue;
            const chain *b = &s->ch[e.chain];
            if (boxes_meet(&a->b, &b->b) && !chains_apart(c, a, b))
                return 0;
        }
        s->active[kept++] = (open_chain){a->b.ylo, a->b.yhi, (uint32_t)x_step(c, a->b.xhi), ci};
        nactive = kept;
    }
    return 1;
}

/* ---- 3. where the rings lie ------------------------------------------------------------- */

/* Whether (px, py) is inside ring r: 1 inside, 0 outside, -1 too close to an edge to tell.
 * Crossings of the ray to the right, counted with the half-open rule on y (exact): an edge
 * counts when one end is above py and the other not. A chain has such an edge only when
 * ylo <= py < yhi, and then exactly one (its y never goes back). */
static int inside(checker *c, size_t r, double px, double py)
{
    const box *b = &c->s->rb[r];
    if (px < b->xlo || px > b->xhi || py < b->ylo || py > b->yhi)
        return 0;
    const chain *ch = c->s->ch + c->s->rchain[r], *end = c->s->ch + c->s->rchain[r + 1];
    c->work += (size_t)(end - ch);
    int in = 0;
    for (; ch < end; ch++) {
        if (!(ch->b.ylo <= py && py < ch->b.yhi) || ch->b.xhi < px)
            continue;
        if (ch->b.xlo > px) {
            in ^= 1;
            continue;
        }
        /* the edge that crosses: the first whose end is on the other side of py (bisection) */
        const double *p = chain_pt(c, ch, 0);
        size_t l = 0, h = ch->m - 1;
        while (l < h) {
            size_t mid = l + (h - l) / 2;
            if ((p[2 * mid + 3] > py) == (ch->sy > 0))
                h = mid;
            else
                l = mid + 1;
        }
        const double *e = p + 2 * l;
        double ay = e[1], by = e[3];
        if (MAX(e[0], e[2]) < px)
            continue;
        if (MIN(e[0], e[2]) > px) {
            in ^= 1;
            continue;
        }
        int o = orient(e[0], ay, e[2], by, px, py);
        if (!o)
            return -1;
        /* upward edge with the point on its left, or downward with it on its right */
        if ((by > ay) == (o > 0))
            in ^= 1;
    }
    return in;
}

static int by_xlo(const void *a, const void *b)
{
    double x = ((const ring_key *)a)->xlo, y = ((const ring_key *)b)->xlo;
    return (x > y) - (x < y);
}

/* Ring a (one of its vertices) inside ring b: 1, 0 or -1 as inside(); 0 when a's box is not
 * within b's (then a cannot be inside b). */
static int ring_inside(checker *c, size_t a, size_t b)
{
    if (!box_in(&c->s->rb[a], &c->s->rb[b]))
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
 * other (is_shell: as polygons, key[].ring being the polygon), 0 when one does or unsure. */
static int none_inside(checker *c, ring_key *key, size_t n, int is_shell)
{
    const box *rb = c->s->rb;
    for (size_t i = 0; i < n; i++) {
        size_t r = is_shell ? c->first[key[i].ring] - c->first[0] : key[i].ring;
        key[i].xlo = rb[r].xlo;
    }
    qsort(key, n, sizeof *key, by_xlo);
    for (size_t i = 0; i < n; i++) {
        size_t pa = key[i].ring, ra = is_shell ? c->first[pa] - c->first[0] : pa;
        for (size_t j = i + 1; j < n && key[j].xlo <= rb[ra].xhi; j++) {
            size_t pb = key[j].ring, rb_ = is_shell ? c->first[pb] - c->first[0] : pb;
            if (++c->work > c->work_cap)
                return 0;
            if (rb[rb_].ylo > rb[ra].yhi || rb[rb_].yhi < rb[ra].ylo)
                continue;
            int ab = is_shell ? shell_in_polygon(c, ra, pb) : ring_inside(c, ra, rb_);
            int ba = is_shell ? shell_in_polygon(c, rb_, pa) : ring_inside(c, rb_, ra);
            if (ab || ba || c->work > c->work_cap)
                return 0;
        }
    }
    return 1;
}

static int rings_placed(checker *c)
{
    size_t maxholes = 0;
    c->work = 0;
    c->work_cap = 8 * c->nseg + 10000;
    for (size_t p = 0; p < c->npolys; p++) {
        size_t shell = c->first[p] - c->first[0], end = c->first[p + 1] - c->first[0];
        for (size_t h = shell + 1; h < end; h++)
            if (ring_inside(c, h, shell) != 1 || c->work > c->work_cap)
                return 0;
        maxholes = MAX(maxholes, end - shell - 1);
    }
    size_t nkey = MAX(c->npolys, maxholes);
    if (nkey < 2)
        return 1;
    rr_valid_scratch *s = c->s;
    ring_key *rkey = grown(s->rkey, &s->rkey_cap, nkey, sizeof *s->rkey);
    if (!rkey)
        return -1;
    s->rkey = rkey;
    for (size_t p = 0; p < c->npolys; p++) {
        size_t shell = c->first[p] - c->first[0], end = c->first[p + 1] - c->first[0];
        if (end - shell < 3)
            continue;
        for (size_t h = shell + 1; h < end; h++)
            s->rkey[h - shell - 1].ring = h;
        if (!none_inside(c, s->rkey, end - shell - 1, 0))
            return 0;
    }
    if (c->npolys > 1) {
        for (size_t p = 0; p < c->npolys; p++)
            s->rkey[p].ring = p;
        return none_inside(c, s->rkey, c->npolys, 1);
    }
    return 1;
}

/* ---- the whole test --------------------------------------------------------------------- */

int rr_polygons_surely_valid_s(rr_valid_scratch *s, const rr_ringv *rings, const size_t *first,
                               size_t npolys)
{
    if (!s || !rings || !first || npolys < 1)
        return 0;
    checker c = {.rings = rings + first[0], .first = first, .npolys = npolys, .s = s};
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
    box *rb = grown(s->rb, &s->rb_cap, c.nrings, sizeof *s->rb);
    if (!rb)
        return -1;
    s->rb = rb;
    uint32_t *rchain = grown(s->rchain, &s->rchain_cap, c.nrings + 1, sizeof *s->rchain);
    if (!rchain)
        return -1;
    s->rchain = rchain;
    for (size_t r = 0; r < c.nrings; r++) {
        s->rchain[r] = (uint32_t)c.nch;
        int ok = ring_ok(&c, (uint32_t)r);
        if (ok != 1)
            return ok;
        const chain *ch = s->ch + s->rchain[r];
        box ring_box = ch->b;
        for (ch++; ch < s->ch + c.nch; ch++) {
            ring_box.xlo = MIN(ring_box.xlo, ch->b.xlo);
            ring_box.ylo = MIN(ring_box.ylo, ch->b.ylo);
            ring_box.xhi = MAX(ring_box.xhi, ch->b.xhi);
            ring_box.yhi = MAX(ring_box.yhi, ch->b.yhi);
        }
        s->rb[r] = ring_box;
    }
    s->rchain[c.nrings] = (uint32_t)c.nch;
    c.all = s->rb[0];
    for (size_t r = 1; r < c.nrings; r++) {
        c.all.xlo = MIN(c.all.xlo, s->rb[r].xlo);
        c.all.ylo = MIN(c.all.ylo, s->rb[r].ylo);
        c.all.xhi = MAX(c.all.xhi, s->rb[r].xhi);
        c.all.yhi = MAX(c.all.yhi, s->rb[r].yhi);
    }
    if (!(c.all.xhi > c.all.xlo && c.all.yhi > c.all.ylo))
        return 0; /* flat */
    c.work_cap = 50 * nseg + 10000;
    int ok = chains_sweep(&c);
    return ok == 1 ? rings_placed(&c) : ok;
}

int rr_polygons_surely_valid(const rr_ringv *rings, const size_t *first, size_t npolys)
{
    rr_valid_scratch *s = rr_valid_scratch_new();
    if (!s)
        return -1;
    int ok = rr_polygons_surely_valid_s(s, rings, first, npolys);
    rr_valid_scratch_free(s);
    return ok;
}

int rr_geos_surely_valid_s(rr_valid_scratch *s, GEOSContextHandle_t h, const GEOSGeometry *g)
{
    if (!s)
        return 0;
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
    rr_ringv *rings = grown(s->rings, &s->rings_cap, nrings, sizeof *s->rings);
    if (!rings)
        return -1;
    s->rings = rings;
    size_t *first = grown(s->first, &s->first_cap, (size_t)npolys + 1, sizeof *s->first);
    if (!first)
        return -1;
    s->first = first;
    double *xy = grown(s->xy, &s->xy_cap, 2 * npoints, sizeof *s->xy);
    if (!xy)
        return -1;
    s->xy = xy;
    size_t r = 0, at = 0;
    for (int p = 0; p < npolys; p++) {
        const GEOSGeometry *poly = type == GEOS_POLYGON ? g : GEOSGetGeometryN_r(h, g, p);
        int nholes = GEOSGetNumInteriorRings_r(h, poly);
        s->first[p] = r;
        for (int k = -1; k < nholes; k++) {
            const GEOSGeometry *ring = k < 0 ? GEOSGetExteriorRing_r(h, poly)
                                             : GEOSGetInteriorRingN_r(h, poly, k);
            const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, ring);
            unsigned size = 0;
            GEOSCoordSeq_getSize_r(h, seq, &size);
            if (!GEOSCoordSeq_copyToBuffer_r(h, seq, s->xy + 2 * at, 0, 0))
                return 0;
            s->rings[r].xy = s->xy + 2 * at;
            s->rings[r].n = size;
            at += size;
            r++;
        }
    }
    s->first[npolys] = r;
    return rr_polygons_surely_valid_s(s, s->rings, s->first, (size_t)npolys);
}

int rr_geos_surely_valid(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    rr_valid_scratch *s = rr_valid_scratch_new();
    if (!s)
        return -1;
    int ok = rr_geos_surely_valid_s(s, h, g);
    rr_valid_scratch_free(s);
    return ok;
}
