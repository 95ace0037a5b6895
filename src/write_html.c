/* write_html.c: review.html, a self-contained offline review map of the revision.
 *
 * The page is a template (src/review/: HTML, CSS and JavaScript, embedded at build time by
 * cmake/embed_review.cmake) with the revision injected as JSON. Geometry is simplified for display
 * only: every figure on the page comes from the exact overlay. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

int rr_review_piece_of_change(const rr_revision *rev, const rr_change *c, const rr_piece *p)
{
    switch (c->type) {
    case RR_CH_SHRINKS:
        return p->transfer && p->old_idx == c->old_idx && p->new_idx != RR_NONE &&
               strcmp(rr_old_code(rev, p->old_idx), rr_new_code(rev, p->new_idx)) != 0;
    case RR_CH_GROWS:
        return p->transfer && p->new_idx == c->new_idx && p->old_idx != RR_NONE &&
               strcmp(rr_old_code(rev, p->old_idx), rr_new_code(rev, p->new_idx)) != 0;
    case RR_CH_GROWS_SEA:
        return p->moved && p->old_idx == RR_NONE && p->new_idx == c->new_idx;
    default:
        return p->transfer && p->old_idx == c->old_idx && p->new_idx == c->new_idx;
    }
}

/* p with room for `need` elements of `size` bytes (capacity *cap, doubled as needed): p itself,
 * or the moved block, or NULL when out of memory (p is still valid). */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *more = realloc(p, ncap * size);
    if (more)
        *cap = ncap;
    return more;
}

/* Geometries owned by a growing array. */
typedef struct geom_list {
    GEOSGeometry **g;
    size_t n, cap;
} geom_list;

static void geom_list_free(GEOSContextHandle_t h, geom_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        GEOSGeom_destroy_r(h, l->g[i]);
    free(l->g);
    memset(l, 0, sizeof *l);
}

/* Append g, which the list owns from here (destroyed when out of memory); 0 on failure. */
static int geom_push(GEOSContextHandle_t h, geom_list *l, GEOSGeometry *g)
{
    GEOSGeometry **more = grow(l->g, &l->cap, l->n + 1, sizeof *more);
    if (!more) {
        GEOSGeom_destroy_r(h, g);
        return 0;
    }
    l->g = more;
    l->g[l->n++] = g;
    return 1;
}

/* Append clones of the polygons of g (Polygon or MultiPolygon); 0 when out of memory. */
static int add_polygons(GEOSContextHandle_t h, const GEOSGeometry *g, geom_list *l)
{
    int single = GEOSGeomTypeId_r(h, g) == GEOS_POLYGON;
    int count = single ? 1 : GEOSGetNumGeometries_r(h, g);
    for (int j = 0; j < count; j++) {
        const GEOSGeometry *sub = single ? g : GEOSGetGeometryN_r(h, g, j);
        if (GEOSGeomTypeId_r(h, sub) != GEOS_POLYGON)
            continue;
        GEOSGeometry *clone = GEOSGeom_clone_r(h, sub);
        if (!clone || !geom_push(h, l, clone))
            return 0;
    }
    return 1;
}

/* A collection of `type` that takes the geometries of l (emptied either way); NULL on failure. */
static GEOSGeometry *collection(GEOSContextHandle_t h, int type, geom_list *l)
{
    GEOSGeometry *g = GEOSGeom_createCollection_r(h, type, l->g, (unsigned)l->n);
    if (g)
        l->n = 0;
    geom_list_free(h, l);
    return g;
}

/* The pieces grouped by old area and by new area, in piece order within a group (a counting
 * sort): each change then finds its candidates at once, where scanning every piece for every
 * change took 101 of 111 s with 100,000 areas. Group n (the number of areas) holds the pieces
 * without an area on that side. */
/* The group on one side (0 old, 1 new) of area idx there (RR_NONE: none). */
static size_t piece_group(const rr_revision *rev, int side, size_t idx)
{
    size_t n = side ? rev->new_set->n : rev->old_set->n;
    return idx < n ? idx : n;
}

static size_t piece_area(const rr_piece *p, int side)
{
    return side ? p->new_idx : p->old_idx;
}

void rr_piece_index_free(rr_piece_index *ix)
{
    for (int side = 0; side < 2; side++) {
        free(ix->by[side]);
        free(ix->first[side]);
    }
    memset(ix, 0, sizeof *ix);
}

int rr_piece_index_build(const rr_revision *rev, rr_piece_index *ix)
{
    memset(ix, 0, sizeof *ix);
    for (int side = 0; side < 2; side++) {
        size_t n = side ? rev->new_set->n : rev->old_set->n;
        size_t *first = ix->first[side] = calloc(n + 2, sizeof *first);
        size_t *by = ix->by[side] = malloc((rev->npieces + 1) * sizeof *by);
        if (!first || !by) {
            rr_piece_index_free(ix);
            return 0;
        }
        for (size_t k = 0; k < rev->npieces; k++)
            first[piece_group(rev, side, piece_area(&rev->pieces[k], side)) + 1]++;
        for (size_t g = 1; g <= n + 1; g++)
            first[g] += first[g - 1];
        for (size_t k = 0; k < rev->npieces; k++)
            by[first[piece_group(rev, side, piece_area(&rev->pieces[k], side))]++] = k;
        memmove(first + 1, first, (n + 1) * sizeof *first);
        first[0] = 0;
    }
    return 1;
}

GEOSGeometry *rr_review_change_shape(rr_ctx *ctx, const rr_revision *rev, const rr_change *c,
                                     const rr_piece_index *ix, rr_status *st)
{
    GEOSContextHandle_t h = ctx->geos;
    geom_list parts = {0};
    /* See rr_review_piece_of_change: the side whose area every piece of c has. */
    int side = c->type == RR_CH_GROWS || c->type == RR_CH_GROWS_SEA ||
               (c->type != RR_CH_SHRINKS && c->old_idx == RR_NONE);
    size_t g = piece_group(rev, side, side ? c->new_idx : c->old_idx);
    const size_t *cand = ix ? ix->by[side] + ix->first[side][g] : NULL;
    size_t ncand = ix ? ix->first[side][g + 1] - ix->first[side][g] : rev->npieces;
    *st = RR_OK;
    for (size_t j = 0; j < ncand; j++) {
        const rr_piece *p = &rev->pieces[cand ? cand[j] : j];
        if (!cand && piece_group(rev, side, piece_area(p, side)) != g)
            continue;
        if ((!p->shape && !p->blob) || !rr_review_piece_of_change(rev, c, p))
            continue;
        GEOSGeometry *own = NULL;
        rr_status made = RR_OK;
        const GEOSGeometry *shape = rr_piece_shape(ctx, p, &own, &made);
        int added = shape && add_polygons(h, shape, &parts);
        if (own)
            GEOSGeom_destroy_r(h, own);
        if (!added) {
            geom_list_free(h, &parts);
            *st = shape ? rr_error(ctx, RR_ERR_NOMEM, "out of memory collecting moved pieces")
                        : made; /* the message is set */
            return NULL;
        }
    }
    if (parts.n == 0) {
        geom_list_free(h, &parts);
        return NULL;
    }
    GEOSGeometry *coll = collection(h, GEOS_MULTIPOLYGON, &parts);
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

/* The changes' shapes, each made by the first writer that asks while the others wait for it. */
struct rr_shape_memo {
    pthread_mutex_t lock;
    pthread_cond_t done;
    size_t n;
    GEOSGeometry **shape;
    unsigned char *state; /* 0 not made, 1 being made, 2 made */
};

struct rr_shape_memo *rr_shape_memo_new(size_t nchanges)
{
    struct rr_shape_memo *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->n = nchanges;
    m->shape = calloc(nchanges ? nchanges : 1, sizeof *m->shape);
    m->state = calloc(nchanges ? nchanges : 1, 1);
    int locked = m->shape && m->state && pthread_mutex_init(&m->lock, NULL) == 0;
    if (locked && pthread_cond_init(&m->done, NULL) == 0)
        return m;
    if (locked)
        pthread_mutex_destroy(&m->lock);
    free(m->shape);
    free(m->state);
    free(m);
    return NULL;
}

void rr_shape_memo_free(struct rr_shape_memo *m)
{
    if (!m)
        return;
    rr_geoms_destroy(m->shape, m->n);
    pthread_cond_destroy(&m->done);
    pthread_mutex_destroy(&m->lock);
    free(m->shape);
    free(m->state);
    free(m);
}

const GEOSGeometry *rr_review_change_shape_shared(rr_ctx *ctx, const rr_revision *rev, size_t k,
                                                  const rr_piece_index *ix, GEOSGeometry **own,
                                                  rr_status *st)
{
    struct rr_shape_memo *m = rev->shape_memo;
    *own = NULL;
    if (!m || k >= m->n)
        return *own = rr_review_change_shape(ctx, rev, &rev->changes[k], ix, st);
    pthread_mutex_lock(&m->lock);
    while (m->state[k] == 1)
        pthread_cond_wait(&m->done, &m->lock);
    if (m->state[k] == 2) {
        GEOSGeometry *g = m->shape[k];
        pthread_mutex_unlock(&m->lock);
        *st = RR_OK;
        return g;
    }
    m->state[k] = 1;
    pthread_mutex_unlock(&m->lock);
    GEOSGeometry *g = rr_review_change_shape(ctx, rev, &rev->changes[k], ix, st);
    /* GEOS caches envelopes when first asked: now, before others share it */
    rr_geom_warm(ctx->geos, g);
    pthread_mutex_lock(&m->lock);
    m->shape[k] = g;
    m->state[k] = *st == RR_OK ? 2 : 0; /* failed: the next to ask tries again */
    pthread_cond_broadcast(&m->done);
    pthread_mutex_unlock(&m->lock);
    return g;
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

/* ---- display simplification of the coverage, chain by chain --------------------------------
 * Neighbours in a clean coverage share their boundary vertex for vertex. Hashing the vertices and
 * counting each one's distinct neighbours finds the nodes (other than two neighbours) in linear
 * time; between two nodes a ring walks a chain that the ring on its other side walks backwards.
 * Each chain is simplified once (Douglas–Peucker) and every ring that walks it takes the same
 * vertices, so neighbours keep one common boundary, without the gaps and overlaps of simplifying
 * each area alone. (GEOS 3.11 has no coverage simplifier; noding, topology-preserving
 * simplification and polygonizing took 17 s for two versions of 4.5 million vertices, this takes
 * under 2 s.) Areas that do not share their vertices make chains of their own, each ring closed on
 * itself: still right for drawing. The shapes are for drawing only: where a part is narrower than
 * the tolerance a ring may cross itself or its neighbour, and nothing checks validity. Ids are
 * 32-bit to halve the tables. */

#define NO_ID UINT32_MAX

/* The vertex table is far larger than the caches and each lookup lands at random: asking for
 * the slot of the vertex a few ahead hides much of the memory latency (0.8 s → 0.45 s for 4.5
 * million vertices). */
#define AHEAD 16
#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif

typedef struct vtx_hash {
    double *xy;      /* unique vertices, x and y side by side: one cache miss to compare */
    uint32_t n;
    uint32_t *slot;  /* open addressing: vertex id + 1, 0 = empty */
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
    v += 0.0; /* -0 and 0 are the same point (-0 + 0 is 0), without a branch */
    memcpy(&b, &v, sizeof b);
    return b;
}

/* One mixing round for both coordinates (the table's layout only; ids go by first sight). */
static size_t vtx_slot(const vtx_hash *t, double x, double y)
{
    return (size_t)mix64(dbl_bits(x) * 0x9e3779b97f4a7c15ULL ^ dbl_bits(y)) & t->mask;
}

/* The id of vertex (x, y), starting the search at slot i (vtx_slot). */
static uint32_t vtx_id(vtx_hash *t, size_t i, double x, double y)
{
    for (;; i = (i + 1) & t->mask) {
        uint32_t v = t->slot[i];
        if (v == 0) {
            t->xy[2 * t->n] = x;
            t->xy[2 * t->n + 1] = y;
            t->slot[i] = ++t->n;
            return t->n - 1;
        }
        if (t->xy[2 * (v - 1)] == x && t->xy[2 * v - 1] == y)
            return v - 1;
    }
}

/* Segment a–b in either direction as one number, never 0 (a ≠ b). */
static uint64_t seg_key(uint32_t a, uint32_t b)
{
    return a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
}

/* Slots for a hash table of at most n entries: a power of two, at most 2/3 full. */
static size_t hash_slots(size_t n)
{
    size_t p = 1024;
    while (p < n + n / 2)
        p *= 2;
    return p;
}

/* A chain, simplified: its kept vertices in the direction of the ring that first walked it. */
typedef struct chain_rec {
    size_t off;               /* kept vertex ids: pool[off .. off + len) */
    uint32_t len, m;          /* kept vertices; segments of the original chain */
    uint32_t second, penult;  /* original vertices after the first and before the last */
} chain_rec;

typedef struct coverage {
    rr_ctx *ctx;
    GEOSContextHandle_t h;
    double tol;
    vtx_hash vt;
    uint32_t *ids;            /* rings as vertex ids, without repeated or closing points */
    size_t *ring_start;       /* ring r: ids[ring_start[r] .. ring_start[r + 1]), empty: dropped */
    uint32_t *ring_area;
    unsigned char *ring_hole;
    size_t nrings, ncoords, maxring;
    uint32_t *nb;             /* the first two distinct neighbours of each vertex */
    unsigned char *deg;       /* distinct neighbours of each vertex: 0, 1, 2, or 3 for more */
    uint64_t *end_seg;        /* chains by their first and last segment (seg_key), 0 = empty */
    uint32_t *end_chain;      /* and the chain, NO_ID if none yet */
    size_t end_mask;
    chain_rec *chain;
    size_t nchains, capchains;
    uint32_t *pool;
    size_t npool, cappool;
    uint32_t *walk, *out;     /* one ring's chain as walked, the ring as simplified */
    size_t *stack;
    double *cxy;              /* the chain's coordinates side by side, for Douglas–Peucker */
    unsigned char *keep;
} coverage;

/* A coordinate sequence through vertices ids[0..n) (NULL on failure). */
static GEOSCoordSequence *id_coords(GEOSContextHandle_t h, const vtx_hash *vt, const uint32_t *ids,
                                    size_t n)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
    for (size_t i = 0; cs && i < n; i++)
        GEOSCoordSeq_setXY_r(h, cs, (unsigned)i, vt->xy[2 * (size_t)ids[i]],
                             vt->xy[2 * (size_t)ids[i] + 1]);
    return cs;
}

/* One ring of an area: its n points xy. */
typedef int (*ring_fn)(coverage *cv, size_t area, int hole, const double *xy, size_t n);

/* Each area's rings through fn, in order. */
typedef struct ring_walk {
    coverage *cv;
    size_t area;
    ring_fn fn;
} ring_walk;

static int walk_ring(void *user, const double *xy, size_t n, int hole)
{
    ring_walk *w = user;
    return w->fn(w->cv, w->area, hole, xy, n);
}

/* fn for every ring of every polygon of every area (read from its blob), each shell before its
 * holes; 0 when fn fails or an area cannot be read. */
static int each_ring(coverage *cv, const rr_areaset *set, ring_fn fn)
{
    for (size_t i = 0; i < set->n; i++) {
        ring_walk w = {cv, i, fn};
        if (rr_area_rings(cv->ctx, &set->areas[i], walk_ring, &w) <= 0)
            return 0;
    }
    return 1;
}

static int count_ring(coverage *cv, size_t area, int hole, const double *xy, size_t n)
{
    (void)area, (void)hole, (void)xy;
    cv->nrings++;
    cv->ncoords += n;
    if (n > cv->maxring)
        cv->maxring = n;
    return 1;
}

/* The ring as vertex ids, without repeated points or the closing point; fewer than 3 distinct
 * vertices leave it empty (too small to draw). */
static int read_ring(coverage *cv, size_t area, int hole, const double *xy, size_t n)
{
    size_t first = cv->ring_start[cv->nrings], len = first;
    size_t slot[AHEAD]; /* the slots of the vertices i .. i + AHEAD - 1, each hashed once */
    for (size_t i = 0; i < n && i < AHEAD; i++)
        PREFETCH(&cv->vt.slot[slot[i] = vtx_slot(&cv->vt, xy[2 * i], xy[2 * i + 1])]);
    for (size_t i = 0; i < n; i++) {
        size_t here = slot[i % AHEAD];
        if (i + AHEAD < n)
            PREFETCH(&cv->vt.slot[slot[i % AHEAD] = vtx_slot(&cv->vt, xy[2 * (i + AHEAD)],
                                                             xy[2 * (i + AHEAD) + 1])]);
        uint32_t id = vtx_id(&cv->vt, here, xy[2 * i], xy[2 * i + 1]);
        if (len == first || cv->ids[len - 1] != id)
            cv->ids[len++] = id;
    }
    while (len - first > 1 && cv->ids[len - 1] == cv->ids[first])
        len--;
    if (len - first < 3)
        len = first;
    cv->ring_area[cv->nrings] = (uint32_t)area;
    cv->ring_hole[cv->nrings] = (unsigned char)hole;
    cv->ring_start[++cv->nrings] = len;
    return 1;
}

/* Douglas–Peucker on vertices v[0..m] (m >= 1): marks the kept ones in keep[0..m] and returns how
 * many. Iterative, with an explicit stack of 2m entries: a chain of a million vertices must not
 * overflow the C stack. A closed chain (v[0] = v[m]) measures its first split from that point.
 * The chain's coordinates are gathered into xy (room for m + 1 points) once: each level of the
 * recursion reads them in order instead of at random from the vertex table. */
static size_t douglas_peucker(const vtx_hash *vt, const uint32_t *v, size_t m, double tol,
                              unsigned char *keep, size_t *stack, double *xy)
{
    size_t top = 0, kept = 2;
    for (size_t i = 0; i <= m; i++) {
        xy[2 * i] = vt->xy[2 * (size_t)v[i]];
        xy[2 * i + 1] = vt->xy[2 * (size_t)v[i] + 1];
    }
    memset(keep, 0, m + 1);
    keep[0] = keep[m] = 1;
    if (m >= 2) {
        stack[top++] = 0;
        stack[top++] = m;
    }
    while (top > 0) {
        size_t b = stack[--top], a = stack[--top], far = a;
        const double *pa = xy + 2 * a, *pb = xy + 2 * b;
        double dx = pb[0] - pa[0], dy = pb[1] - pa[1], len2 = dx * dx + dy * dy;
        double best = tol * tol;
        for (size_t i = a + 1; i < b; i++) {
            double px = xy[2 * i] - pa[0], py = xy[2 * i + 1] - pa[1];
            double t = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double ex = px - t * dx, ey = py - t * dy, d2 = ex * ex + ey * ey;
            if (d2 > best) {
                best = d2;
                far = i;
            }
        }
        if (far == a)
            continue;
        keep[far] = 1;
        kept++;
        if (far - a >= 2) {
            stack[top++] = a;
            stack[top++] = far;
        }
        if (b - far >= 2) {
            stack[top++] = far;
            stack[top++] = b;
        }
    }
    return kept;
}

/* Simplify the walked chain walk[0..m] and keep it; its id, or NO_ID when out of memory. A closed
 * chain left with fewer than 4 points keeps its start and the vertices at 1/3 and 2/3. */
static uint32_t chain_add(coverage *cv, size_t m)
{
    const uint32_t *w = cv->walk;
    size_t kept = douglas_peucker(&cv->vt, w, m, cv->tol, cv->keep, cv->stack, cv->cxy);
    if (w[0] == w[m] && kept < 4 && m >= 3) {
        memset(cv->keep, 0, m + 1);
        cv->keep[0] = cv->keep[m / 3] = cv->keep[2 * m / 3] = cv->keep[m] = 1;
        kept = 4;
    }
    chain_rec *recs = grow(cv->chain, &cv->capchains, cv->nchains + 1, sizeof *recs);
    if (recs)
        cv->chain = recs;
    uint32_t *pool = grow(cv->pool, &cv->cappool, cv->npool + kept, sizeof *pool);
    if (pool)
        cv->pool = pool;
    if (!recs || !pool || cv->nchains >= NO_ID)
        return NO_ID;
    chain_rec *c = &cv->chain[cv->nchains];
    c->off = cv->npool;
    c->len = (uint32_t)kept;
    c->m = (uint32_t)m;
    c->second = w[1];
    c->penult = w[m - 1];
    for (size_t i = 0; i <= m; i++)
        if (cv->keep[i])
            cv->pool[cv->npool++] = w[i];
    return (uint32_t)cv->nchains++;
}

/* v has neighbour w: count it if new. */
static void add_neighbour(coverage *cv, uint32_t v, uint32_t w)
{
    uint32_t *nb = cv->nb + 2 * (size_t)v;
    unsigned char *deg = &cv->deg[v];
    if ((*deg > 0 && nb[0] == w) || (*deg > 1 && nb[1] == w) || *deg == 3)
        return;
    if (*deg < 2)
        nb[*deg] = w;
    ++*deg;
}

/* Where the chain that begins or ends with segment a–b is noted (NO_ID: none yet). */
static uint32_t *chain_end(coverage *cv, uint32_t a, uint32_t b)
{
    uint64_t key = seg_key(a, b);
    size_t i = (size_t)mix64(key) & cv->end_mask;
    while (cv->end_seg[i] != 0 && cv->end_seg[i] != key)
        i = (i + 1) & cv->end_mask;
    if (cv->end_seg[i] == 0) {
        cv->end_seg[i] = key;
        cv->end_chain[i] = NO_ID;
    }
    return &cv->end_chain[i];
}

/* The chain of walk[0..m], found by its first segment when a ring walked it before (*reversed
 * when that ring went the other way), else simplified now; NO_ID when out of memory. */
static uint32_t chain_get(coverage *cv, size_t m, int *reversed)
{
    const uint32_t *w = cv->walk;
    uint32_t *first = chain_end(cv, w[0], w[1]), c = *first;
    *reversed = 0;
    if (c != NO_ID) {
        const chain_rec *ch = &cv->chain[c];
        uint32_t start = cv->pool[ch->off], end = cv->pool[ch->off + ch->len - 1];
        if (ch->m == m && start == w[0] && ch->second == w[1] && end == w[m])
            return c;
        if (ch->m == m && end == w[0] && ch->penult == w[1] && start == w[m]) {
            *reversed = 1;
            return c;
        }
        /* A ring that leaves the chain halfway (an unclean coverage): a chain of its own. */
    }
    uint32_t added = chain_add(cv, m);
    if (added != NO_ID && c == NO_ID) {
        uint32_t *last = chain_end(cv, w[m - 1], w[m]);
        *first = added;
        if (*last == NO_ID)
            *last = added;
    }
    return added;
}

/* Vertex i of a ring of n vertices, for i < 2n. */
static uint32_t ring_at(const uint32_t *ids, size_t n, size_t i)
{
    return ids[i < n ? i : i - n];
}

/* Ring r simplified as a LinearRing in *ring (NULL for a ring too small to draw); 0 on failure. */
static int ring_simplify(coverage *cv, size_t r, GEOSGeometry **ring)
{
    const uint32_t *ids = cv->ids + cv->ring_start[r];
    size_t n = cv->ring_start[r + 1] - cv->ring_start[r], s = 0, len = 0;
    *ring = NULL;
    if (n == 0)
        return 1;
    while (s < n && cv->deg[ids[s]] == 2)
        s++;
    int closed = s == n;
    if (closed) {
        /* No node: the ring is one closed chain, from its lowest vertex id, where the ring on its
         * other side (an island's shell, the hole around it) starts too. */
        s = 0;
        for (size_t i = 1; i < n; i++)
            if (ids[i] < ids[s])
                s = i;
    }
    for (size_t k = 0; k < n;) {
        size_t m = 0;
        cv->walk[0] = ring_at(ids, n, s + k);
        do
            cv->walk[++m] = ring_at(ids, n, s + ++k);
        while (k < n && (closed || cv->deg[ring_at(ids, n, s + k)] == 2));
        int reversed;
        uint32_t c = chain_get(cv, m, &reversed);
        if (c == NO_ID)
            return 0;
        const chain_rec *ch = &cv->chain[c];
        const uint32_t *kept = cv->pool + ch->off;
        for (size_t i = len ? 1 : 0; i < ch->len; i++)
            cv->out[len++] = kept[reversed ? ch->len - 1 - i : i];
    }
    if (len < 4) {
        /* Two chains between the same two nodes, both simplified to a straight line: a sliver
         * thinner than the tolerance, kept visible as a triangle of its own vertices. */
        cv->out[0] = cv->out[3] = ids[s];
        cv->out[1] = ring_at(ids, n, s + n / 3);
        cv->out[2] = ring_at(ids, n, s + 2 * n / 3);
        len = 4;
    }
    GEOSCoordSequence *cs = id_coords(cv->h, &cv->vt, cv->out, len);
    *ring = cs ? GEOSGeom_createLinearRing_r(cv->h, cs) : NULL;
    return *ring != NULL;
}

/* Simplify the partition as a coverage (see above): d->shape per area (NULL for an area too small
 * to draw) and d->edges, each chain once. 0 when out of memory (d then holds what was made). */
static int coverage_simplify(rr_ctx *ctx, const rr_areaset *set, double tol, display_set *d)
{
    GEOSContextHandle_t h = ctx->geos;
    coverage cv = {.ctx = ctx, .h = h, .tol = tol};
    geom_list holes = {0}, polys = {0}, lines = {0};
    GEOSGeometry *shell = NULL;
    int ok = 0;
    if (set->n >= NO_ID || !each_ring(&cv, set, count_ring) || cv.ncoords >= NO_ID / 4)
        return 0;
    size_t ring_max = cv.maxring + 2, vslots = hash_slots(cv.ncoords);
    cv.ids = malloc((cv.ncoords + 1) * sizeof *cv.ids);
    cv.ring_start = calloc(cv.nrings + 1, sizeof *cv.ring_start);
    cv.ring_area = malloc((cv.nrings + 1) * sizeof *cv.ring_area);
    cv.ring_hole = malloc(cv.nrings + 1);
    cv.vt.xy = malloc(2 * (cv.ncoords + 1) * sizeof *cv.vt.xy);
    cv.vt.slot = calloc(vslots, sizeof *cv.vt.slot);
    cv.vt.mask = vslots - 1;
    if (!cv.ids || !cv.ring_start || !cv.ring_area || !cv.ring_hole || !cv.vt.xy ||
        !cv.vt.slot)
        goto out;
    cv.nrings = 0;
    if (!each_ring(&cv, set, read_ring))
        goto out;
    free(cv.vt.slot); /* every vertex has its id */
    cv.vt.slot = NULL;
    cv.nb = malloc(2 * ((size_t)cv.vt.n + 1) * sizeof *cv.nb);
    cv.deg = calloc(cv.vt.n + 1, 1);
    if (!cv.nb || !cv.deg)
        goto out;
    size_t nids = cv.ring_start[cv.nrings];
    for (size_t r = 0; r < cv.nrings; r++) {
        const uint32_t *ids = cv.ids + cv.ring_start[r];
        size_t n = cv.ring_start[r + 1] - cv.ring_start[r];
        for (size_t i = 0; i < n; i++) {
            uint32_t a = ids[i], b = ids[i + 1 < n ? i + 1 : 0];
            add_neighbour(&cv, a, b);
            add_neighbour(&cv, b, a);
        }
    }
    free(cv.nb);
    cv.nb = NULL;
    /* Each chain begins and ends next to a node, or where its closed ring starts: that bounds
     * the segments in the map of chain ends. */
    size_t ends = 2 * cv.nrings;
    for (size_t k = 0; k < nids; k++)
        ends += cv.deg[cv.ids[k]] == 2 ? 0 : 2;
    cv.end_mask = hash_slots(ends) - 1;
    cv.end_seg = calloc(cv.end_mask + 1, sizeof *cv.end_seg);
    cv.end_chain = malloc((cv.end_mask + 1) * sizeof *cv.end_chain);
    cv.walk = malloc(ring_max * sizeof *cv.walk);
    cv.out = malloc(ring_max * sizeof *cv.out);
    cv.stack = malloc(2 * ring_max * sizeof *cv.stack);
    cv.cxy = malloc(2 * ring_max * sizeof *cv.cxy);
    cv.keep = malloc(ring_max);
    if (!cv.end_seg || !cv.end_chain || !cv.walk || !cv.out || !cv.stack || !cv.cxy || !cv.keep)
        goto out;

    /* Rings in order, each shell before its holes: a polygon is complete at the next shell, an
     * area at its last ring. A dropped shell drops its holes. */
    for (size_t r = 0; r <= cv.nrings; r++) {
        int new_area = r == cv.nrings || r == 0 || cv.ring_area[r] != cv.ring_area[r - 1];
        if (r > 0 && (new_area || !cv.ring_hole[r]) && shell) {
            GEOSGeometry *poly = GEOSGeom_createPolygon_r(h, shell, holes.g, (unsigned)holes.n);
            shell = NULL; /* GEOS owns the rings from here, even when it fails */
            holes.n = 0;
            if (!poly || !geom_push(h, &polys, poly))
                goto out;
        }
        if (r > 0 && new_area && polys.n) {
            size_t area = cv.ring_area[r - 1];
            if (!(d->shape[area] = collection(h, GEOS_MULTIPOLYGON, &polys)))
                goto out;
        }
        if (r == cv.nrings)
            break;
        GEOSGeometry *ring;
        if (!ring_simplify(&cv, r, &ring))
            goto out;
        if (!cv.ring_hole[r])
            shell = ring;
        else if (ring && !shell)
            GEOSGeom_destroy_r(h, ring);
        else if (ring && !geom_push(h, &holes, ring))
            goto out;
    }
    for (size_t c = 0; c < cv.nchains; c++) {
        const chain_rec *ch = &cv.chain[c];
        GEOSCoordSequence *cs = id_coords(h, &cv.vt, cv.pool + ch->off, ch->len);
        GEOSGeometry *line = cs ? GEOSGeom_createLineString_r(h, cs) : NULL;
        if (!line || !geom_push(h, &lines, line))
            goto out;
    }
    ok = (d->edges = collection(h, GEOS_MULTILINESTRING, &lines)) != NULL;
out:
    if (shell)
        GEOSGeom_destroy_r(h, shell);
    geom_list_free(h, &holes);
    geom_list_free(h, &polys);
    geom_list_free(h, &lines);
    free(cv.keep);
    free(cv.stack);
    free(cv.cxy);
    free(cv.out);
    free(cv.walk);
    free(cv.pool);
    free(cv.chain);
    free(cv.end_chain);
    free(cv.end_seg);
    free(cv.deg);
    free(cv.nb);
    free(cv.vt.slot);
    free(cv.vt.xy);
    free(cv.ring_hole);
    free(cv.ring_area);
    free(cv.ring_start);
    free(cv.ids);
    return ok;
}

static rr_status display_prepare(rr_ctx *ctx, const rr_areaset *set, double tol, display_set *d)
{
    GEOSContextHandle_t h = ctx->geos;
    memset(d, 0, sizeof *d);
    if (!(d->shape = calloc(set->n ? set->n : 1, sizeof *d->shape)))
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory simplifying for display");
    d->coverage = coverage_simplify(ctx, set, tol, d);
    if (!d->coverage) {
        /* Out of memory (or a billion vertices): simplify each area alone (small gaps between
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
        GEOSGeometry *own = NULL;
        rr_status made = RR_OK;
        const GEOSGeometry *g = rr_area_shape(ctx, &set->areas[i], &own, &made);
        d->shape[i] = g ? GEOSTopologyPreserveSimplify_r(h, g, tol) : NULL;
        if (d->shape[i] && GEOSisEmpty_r(h, d->shape[i]) == 1) {
            GEOSGeom_destroy_r(h, d->shape[i]);
            d->shape[i] = NULL;
        }
        if (!d->shape[i] && own) { /* as it is */
            d->shape[i] = own;
            own = NULL;
        } else if (!d->shape[i] && g) {
            d->shape[i] = GEOSGeom_clone_r(h, g);
        }
        if (own)
            GEOSGeom_destroy_r(h, own);
        if (!d->shape[i]) {
            display_free(h, d, set->n);
            return g ? rr_error(ctx, RR_ERR_GEOMETRY, "cannot simplify area %s for display: %s",
                                set->areas[i].code, rr_geos_msg(ctx))
                     : made; /* the message is set */
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

/* The extent of both versions and the display tolerance: 1/20000 of the extent, a twentieth of
 * a pixel on a screen-wide map, a few pixels at street level (Dalarna: 14 m, a 0.5 MB page);
 * coordinates are quantised to a quarter of it. e: x0, y0, x1, y1. */
static double display_tolerance(rr_ctx *ctx, const rr_revision *rev, double e[4])
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int side = 0; side < 2; side++) {
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        for (size_t i = 0; i < set->n; i++) {
            double ext[4];
            if (!rr_area_extent(ctx, &set->areas[i], ext))
                continue;
            x0 = fmin(x0, ext[0]), y0 = fmin(y0, ext[1]);
            x1 = fmax(x1, ext[2]), y1 = fmax(y1, ext[3]);
        }
    }
    if (!(x1 >= x0))
        x0 = y0 = 0, x1 = y1 = 1;
    e[0] = x0, e[1] = y0, e[2] = x1, e[3] = y1;
    return fmax(fmax(x1 - x0, y1 - y0), 1e-9) / 20000;
}

/* Both versions simplified early (params.review_early), each taken once by the writer. */
struct rr_display_memo {
    pthread_mutex_t lock;
    display_set d[2];
    double tol;
    unsigned char made[2];
};

/* The writer's display of one version: the one made early (taken: a second writer makes its
 * own), or made now. */
static rr_status display_take(rr_ctx *ctx, const rr_revision *rev, int side, double tol,
                              display_set *out)
{
    struct rr_display_memo *m = rev->display_memo;
    int made = 0;
    if (m) {
        pthread_mutex_lock(&m->lock);
        made = m->made[side] && m->tol == tol;
        if (made) {
            *out = m->d[side];
            memset(&m->d[side], 0, sizeof m->d[side]);
            m->made[side] = 0;
        }
        pthread_mutex_unlock(&m->lock);
    }
    return made ? RR_OK : display_prepare(ctx, side ? rev->new_set : rev->old_set, tol, out);
}

/* Both versions' displays, side by side on workers: i 0 the old version, 1 the new one. */
typedef struct display_job {
    const rr_revision *rev;
    display_set *d[2];
    double tol;
} display_job;

static rr_status display_one(rr_ctx *wctx, size_t i, void *user)
{
    display_job *j = user;
    return display_take(wctx, j->rev, (int)i, j->tol, j->d[i]);
}

rr_status rr_review_display_begin(rr_ctx *ctx, const rr_revision *rev,
                                  struct rr_display_memo **out)
{
    struct rr_display_memo *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m || pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return RR_OK; /* the writer makes them itself */
    }
    double e[4];
    m->tol = display_tolerance(ctx, rev, e);
    *out = m;
    return RR_OK;
}

rr_status rr_review_display_make(rr_ctx *wctx, const rr_revision *rev, int side)
{
    struct rr_display_memo *m = rev->display_memo;
    display_set d;
    rr_status st = display_prepare(wctx, side ? rev->new_set : rev->old_set, m->tol, &d);
    if (st != RR_OK)
        return st;
    pthread_mutex_lock(&m->lock);
    m->d[side] = d;
    m->made[side] = 1;
    pthread_mutex_unlock(&m->lock);
    return RR_OK;
}

int rr_review_display_ready(const rr_revision *rev)
{
    struct rr_display_memo *m = rev->display_memo;
    if (!m)
        return 0;
    pthread_mutex_lock(&m->lock);
    int n = m->made[0] + m->made[1];
    pthread_mutex_unlock(&m->lock);
    return n;
}

void rr_display_memo_free(struct rr_display_memo *m, const rr_revision *rev)
{
    if (!m)
        return;
    GEOSContextHandle_t h = GEOS_init_r();
    display_free(h, &m->d[0], rev->old_set->n);
    display_free(h, &m->d[1], rev->new_set->n);
    GEOS_finish_r(h);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---- SVG path data: absolute moveto, then relative integer steps --------------------------- */

/* One number of an SVG path: a space before it unless it follows a command or has a sign
 * (snprintf per number was a twentieth of a run). */
static void path_num(rr_buf *b, long v, int after_command)
{
    char s[32], *e = s + sizeof s - 1;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    *e = '\0';
    do {
        *--e = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--e = '-';
    else if (!after_command)
        *--e = ' ';
    rr_buf_add(b, e);
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
/* Building the page data. The SVG paths (nine tenths of it) are kept aside as written and stand
 * in the JSON as a marker with their number: jansson would copy, check and escape them byte by
 * byte, and they hold nothing that needs escaping (commands, digits, signs, spaces). */
typedef struct jb {
    int failed;
    char **path; /* the paths in order of their markers */
    size_t npath, cap;
    char mark[32];        /* a path's marker: mark, then its number */
    char mark_dumped[48]; /* the same as jansson dumps it, with the opening quote */
} jb;

/* Markers of this run: control characters and a random number, so that no string of the input
 * (a code, a name, a path) can pass for one and be replaced by a path in the page. */
static void jb_init(jb *j)
{
    uint64_t nonce = 0;
    if (getrandom(&nonce, sizeof nonce, GRND_NONBLOCK) != (ssize_t)sizeof nonce)
        nonce = ((uint64_t)time(NULL) * UINT64_C(0x9e3779b97f4a7c15)) ^ (uint64_t)getpid() ^
                (uint64_t)(uintptr_t)j;
    snprintf(j->mark, sizeof j->mark, "\x01\x02P%016llx:", (unsigned long long)nonce);
    snprintf(j->mark_dumped, sizeof j->mark_dumped, "\"\\u0001\\u0002P%016llx:",
             (unsigned long long)nonce);
}

static void jb_free(jb *j)
{
    for (size_t i = 0; i < j->npath; i++)
        free(j->path[i]);
    free(j->path);
}

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
    char mark[64];
    rr_buf_add(&b, "");
    if (g)
        path_geom(h, &b, g, t);
    char **room = b.failed ? NULL : rr_grow(j->path, &j->cap, j->npath + 1, sizeof *room, 256);
    if (!room) {
        rr_buf_free(&b);
        j->failed = 1;
        return NULL;
    }
    j->path = room;
    snprintf(mark, sizeof mark, "%s%zu", j->mark, j->npath);
    json_t *s = json_string(mark);
    if (!s) {
        rr_buf_free(&b);
        j->failed = 1;
        return NULL;
    }
    j->path[j->npath++] = b.s; /* kept: freed with j */
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

/* An area of a set by municipality code (qsort's comparison sees only the element). */
typedef struct kommun_ref {
    const char *code;
    size_t idx;
} kommun_ref;

static int kommun_code_cmp(const void *a, const void *b)
{
    return strcmp(((const kommun_ref *)a)->code, ((const kommun_ref *)b)->code);
}

static int kommun_ref_cmp(const void *a, const void *b)
{
    const kommun_ref *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* The areas of set sorted by municipality, then index, in *refs; (*lead)[i] is where area i's
 * municipality begins in *refs when i is its first area, else RR_NONE. 0 when out of memory.
 * (Looking for an earlier area of the same municipality among all before it was quadratic.) */
static int kommun_sort(const rr_areaset *set, kommun_ref **refs, size_t **lead)
{
    kommun_ref *r = malloc((set->n + 1) * sizeof *r);
    size_t *first = malloc((set->n + 1) * sizeof *first);
    if (!r || !first) {
        free(r);
        free(first);
        return 0;
    }
    for (size_t i = 0; i < set->n; i++) {
        r[i].code = set->areas[i].kommun ? set->areas[i].kommun : "";
        r[i].idx = i;
        first[i] = RR_NONE;
    }
    qsort(r, set->n, sizeof *r, kommun_ref_cmp);
    for (size_t k = 0; k < set->n; k++)
        if (k == 0 || strcmp(r[k].code, r[k - 1].code) != 0)
            first[r[k].idx] = k;
    *refs = r;
    *lead = first;
    return 1;
}

/* The union of display shapes that GEOS could not union as they are (a shape may cross itself or
 * its neighbour where a part is narrower than the tolerance): each made valid first. NULL when
 * that fails too. */
static GEOSGeometry *union_made_valid(GEOSContextHandle_t h, const GEOSGeometry *coll)
{
    geom_list parts = {0};
    int n = GEOSGetNumGeometries_r(h, coll);
    for (int i = 0; i < n; i++) {
        GEOSGeometry *valid = GEOSMakeValid_r(h, GEOSGetGeometryN_r(h, coll, i));
        int ok = valid && add_polygons(h, valid, &parts);
        if (valid)
            GEOSGeom_destroy_r(h, valid);
        if (!ok) {
            geom_list_free(h, &parts);
            return NULL;
        }
    }
    GEOSGeometry *all = collection(h, GEOS_MULTIPOLYGON, &parts);
    GEOSGeometry *u = all ? GEOSUnaryUnion_r(h, all) : NULL;
    if (all)
        GEOSGeom_destroy_r(h, all);
    return u;
}

/* Municipality outlines: the union of their areas' display shapes, which share exact edges. */
static json_t *kommuner_json(jb *j, rr_ctx *ctx, const rr_revision *rev, const display_set *dn,
                             const display_set *dold, const quant *t)
{
    GEOSContextHandle_t h = ctx->geos;
    kommun_ref *refs[2] = {NULL, NULL};
    size_t *lead[2] = {NULL, NULL};
    json_t *arr = json_array();
    if (!arr || !kommun_sort(rev->old_set, &refs[0], &lead[0]) ||
        !kommun_sort(rev->new_set, &refs[1], &lead[1]))
        j->failed = 1;
    /* Each municipality once, in the order of its first area: the new version's areas, or the
     * old one's for a municipality that no longer exists. */
    for (int side = 1; side >= 0 && !j->failed; side--) {
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        const display_set *d = side ? dn : dold;
        for (size_t i = 0; i < set->n && !j->failed; i++) {
            if (lead[side][i] == RR_NONE)
                continue;
            const kommun_ref *first = &refs[side][lead[side][i]], *end = refs[side] + set->n;
            const char *k = first->code;
            if (!*k || (side == 0 && bsearch(first, refs[1], rev->new_set->n, sizeof *first,
                                             kommun_code_cmp)))
                continue;
            geom_list parts = {0};
            for (const kommun_ref *r = first; r < end && strcmp(r->code, k) == 0; r++)
                if (d->shape[r->idx] && !add_polygons(h, d->shape[r->idx], &parts))
                    j->failed = 1;
            GEOSGeometry *coll = parts.n ? collection(h, GEOS_MULTIPOLYGON, &parts) : NULL;
            geom_list_free(h, &parts);
            GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
            if (coll && !u)
                u = union_made_valid(h, coll);
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
    for (int side = 0; side < 2; side++) {
        free(refs[side]);
        free(lead[side]);
    }
    if (j->failed) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *changes_json(jb *j, rr_ctx *ctx, const rr_revision *rev, double tol,
                            const quant *t, rr_status *st)
{
    GEOSContextHandle_t h = ctx->geos;
    rr_piece_index ix;
    if (!rr_piece_index_build(rev, &ix)) {
        *st = rr_error(ctx, RR_ERR_NOMEM, "out of memory indexing the moved pieces");
        return NULL;
    }
    json_t *arr = json_array();
    if (!arr)
        j->failed = 1;
    for (size_t k = 0; arr && k < rev->nchanges && !j->failed; k++) {
        const rr_change *c = &rev->changes[k];
        GEOSGeometry *own = NULL;
        const GEOSGeometry *shape = rr_review_change_shape_shared(ctx, rev, k, &ix, &own, st);
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
        if (own)
            GEOSGeom_destroy_r(h, own);
    }
    rr_piece_index_free(&ix);
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
/* The dumped page data with the paths put back in place of their markers, '<' escaped so that
 * no "</script>" in a name can end the script. */
static void put_json_escaped(FILE *f, const char *s, const jb *j)
{
    const size_t mark_len = strlen(j->mark_dumped);
    const char *lt = strchr(s, '<'), *mk = strstr(s, j->mark_dumped);
    for (const char *p = s; *p;) {
        /* each looked for again only once passed: the text is long, markers are many */
        if (lt && lt < p)
            lt = strchr(p, '<');
        if (mk && mk < p)
            mk = strstr(p, j->mark_dumped);
        const char *next = lt && (!mk || lt < mk) ? lt : mk;
        if (!next) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(next - p), f);
        if (next == lt) {
            fputs("\\u003c", f);
            p = lt + 1;
            continue;
        }
        char *end = NULL;
        unsigned long k = strtoul(mk + mark_len, &end, 10);
        if (k < j->npath && *end == '"') {
            fputc('"', f);
            fputs(j->path[k], f);
            fputc('"', f);
            p = end + 1;
        } else { /* not one of ours: as it is */
            fwrite(mk, 1, mark_len, f);
            p = mk + mark_len;
        }
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
    jb_init(&j);

    double e[4];
    double tol = display_tolerance(ctx, rev, e);
    double x1 = e[2], y0 = e[1];
    quant t = {e[0], e[3], tol / 4};

    /* Made in the overlay when params.review_early (the CLI), else here: both versions at
     * once only with three threads or more, since in a run the other writers (review.gpkg above
     * all) keep a second core busy beside this one, and each version holds about 100 MB at its
     * peak for 4.5 million vertices. */
    display_job dj = {rev, {&dold, &dnew}, tol};
    if ((st = rr_parallel_for(ctx, 2, rev->params.threads >= 3 ? 2 : 1,
                              "simplifying for the review map", display_one, NULL, &dj)) !=
        RR_OK)
        goto out;

    root = json_object();
    json_t *meta = json_object();
    if (!root || !meta) {
        json_decref(meta);
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
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
    jset(&j, root, "meta", meta); /* filled first: a failed set frees it */

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
    put_json_escaped(f, text, &j);
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
    jb_free(&j);
    display_free(h, &dold, os->n);
    display_free(h, &dnew, ns->n);
    return st;
}
