/* overlay.c: the overlay engine: intersect two versions into pieces, with uncovered parts. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


void rr_params_default(rr_params *p)
{
    p->tolerance_m2 = 1.0;
    p->min_area_m2 = 10000.0; /* 1 ha */
    p->min_share = 0.03;
    p->min_width_m = 100.0;
    p->min_core_m2 = 2000.0;
    p->min_pop = 5.0;
    p->threads = 1;
    p->review_early = 0;
}

/* ---- a small parallel-for with one GEOS handle per worker ----------------------------------- */

typedef struct worker_pool {
    rr_ctx *ctx;
    size_t n;
    atomic_size_t next, done;
    atomic_int failed;
    rr_work_fn fn;
    rr_worker_done_fn finish;
    void *user;
    const char *stage;
    pthread_mutex_t lock;
    size_t reported; /* the last count shown as progress (under lock) */
    rr_status status;
    char errmsg[RR_ERRMSG_MAX];
} worker_pool;

static void *worker_main(void *arg)
{
    worker_pool *pool = arg;
    rr_ctx *wctx = rr_ctx_worker(pool->ctx);
    if (!wctx) {
        pthread_mutex_lock(&pool->lock);
        if (!atomic_load(&pool->failed)) {
            pool->status = RR_ERR_NOMEM;
            snprintf(pool->errmsg, sizeof pool->errmsg, "out of memory starting a worker");
        }
        atomic_store(&pool->failed, 1);
        pthread_mutex_unlock(&pool->lock);
        return NULL;
    }
    for (;;) {
        if (atomic_load(&pool->failed) || pool->ctx->cancelled)
            break;
        size_t i = atomic_fetch_add(&pool->next, 1);
        if (i >= pool->n)
            break;
        rr_status st = pool->fn(wctx, i, pool->user);
        if (st != RR_OK) {
            pthread_mutex_lock(&pool->lock);
            if (!atomic_load(&pool->failed)) {
                pool->status = st;
                memcpy(pool->errmsg, wctx->errmsg, sizeof pool->errmsg);
            }
            atomic_store(&pool->failed, 1);
            pthread_mutex_unlock(&pool->lock);
            break;
        }
        size_t done = (size_t)atomic_fetch_add(&pool->done, 1) + 1;
        if ((done & 31) == 0 && pool->ctx->progress) {
            /* progress from the workers, one at a time (under the lock), and
             * never backwards (a worker may get here after another reported more) */
            pthread_mutex_lock(&pool->lock);
            if (done > pool->reported) {
                pool->reported = done;
                rr_progress(pool->ctx, pool->stage, done, pool->n);
            }
            pthread_mutex_unlock(&pool->lock);
        }
    }
    if (pool->finish)
        pool->finish(wctx);
    pthread_mutex_lock(&pool->lock);
    rr_ctx_take_warnings(pool->ctx, wctx);
    pthread_mutex_unlock(&pool->lock);
    rr_ctx_free(wctx);
    return NULL;
}

/* The threads of rr_parallel_for, beside the calling one: made at the first call with more than
 * one thread and kept, waiting, until the context is freed. A thread made for each call began
 * with an allocator heap of its own, while the last call's thread had left
 * its memory behind (on the 6 x 6 bench pair, 2 threads, seven calls: 1.89 -> 1.83 s, system
 * time 0.53 -> 0.45 s, means of 10 alternating runs). A context's calls come from one thread
 * at a time (regrev.h: one context per thread), so one crew serves them in turn. */
struct rr_crew {
    pthread_mutex_t lock;
    pthread_cond_t go, idle;
    pthread_t *tids;
    struct crew_thread **member; /* each thread's place in the crew */
    int n;                /* threads running */
    int active;           /* threads that work on this round (the others only answer) */
    worker_pool *pool;    /* the call's work, while busy > 0 */
    unsigned long round;  /* calls so far: a thread takes each round once */
    int busy;             /* threads still working on this round */
    int quit;
};

typedef struct crew_thread {
    struct rr_crew *crew;
    int index;
    unsigned long joined; /* the round when it was made: it takes the ones after */
} crew_thread;

static void *crew_main(void *arg)
{
    const crew_thread *me = arg;
    struct rr_crew *crew = me->crew;
    pthread_mutex_lock(&crew->lock);
    unsigned long seen = me->joined;
    for (;;) {
        while (crew->round == seen && !crew->quit)
            pthread_cond_wait(&crew->go, &crew->lock);
        if (crew->quit)
            break;
        seen = crew->round;
        worker_pool *pool = me->index < crew->active ? crew->pool : NULL;
        pthread_mutex_unlock(&crew->lock);
        if (pool)
            worker_main(pool);
        pthread_mutex_lock(&crew->lock);
        if (--crew->busy == 0)
            pthread_cond_signal(&crew->idle);
    }
    pthread_mutex_unlock(&crew->lock);
    return NULL;
}

void rr_crew_free(struct rr_crew *crew)
{
    if (!crew)
        return;
    pthread_mutex_lock(&crew->lock);
    crew->quit = 1;
    pthread_cond_broadcast(&crew->go);
    pthread_mutex_unlock(&crew->lock);
    for (int t = 0; t < crew->n; t++) {
        pthread_join(crew->tids[t], NULL);
        free(crew->member[t]);
    }
    free(crew->member);
    pthread_cond_destroy(&crew->go);
    pthread_cond_destroy(&crew->idle);
    pthread_mutex_destroy(&crew->lock);
    free(crew->tids);
    free(crew);
}

/* ctx's crew with up to `want` threads (fewer when no more can be made; NULL when none). */
static struct rr_crew *crew_get(rr_ctx *ctx, int want)
{
    struct rr_crew *crew = ctx->crew;
    if (!crew) {
        if (!(crew = calloc(1, sizeof *crew)))
            return NULL;
        pthread_mutex_init(&crew->lock, NULL);
        pthread_cond_init(&crew->go, NULL);
        pthread_cond_init(&crew->idle, NULL);
        ctx->crew = crew;
    }
    if (crew->n < want) {
        pthread_t *tids = realloc(crew->tids, (size_t)want * sizeof *tids);
        if (tids)
            crew->tids = tids;
        crew_thread **member = tids ? realloc(crew->member, (size_t)want * sizeof *member) : NULL;
        if (member)
            crew->member = member;
        /* A crew thread lives as long as ctx, so also while the caller renames its outputs into
         * place with SIGINT/SIGTERM/SIGHUP held off in its own thread (tools/regrev/cli.c): made
         * with those blocked (a new thread inherits the mask), it never takes them, and the
         * caller's threads decide when they are handled. */
        sigset_t stop, old;
        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &stop, &old);
        /* a new thread starts at the current round: it waits for the next */
        pthread_mutex_lock(&crew->lock);
        while (member && crew->n < want) {
            crew_thread *m = malloc(sizeof *m);
            if (m)
                *m = (crew_thread){crew, crew->n, crew->round};
            if (!m || pthread_create(&tids[crew->n], NULL, crew_main, m) != 0) {
                free(m);
                break;
            }
            member[crew->n++] = m;
        }
        pthread_mutex_unlock(&crew->lock);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return crew->n ? crew : NULL;
}

rr_status rr_parallel_for(rr_ctx *ctx, size_t n, int threads, const char *stage, rr_work_fn fn,
                          rr_worker_done_fn finish, void *user)
{
    if (threads < 1)
        threads = 1;
    if (threads == 1) {
        /* In the calling thread, with the caller's context: simplest to debug and profile. */
        rr_status st = RR_OK;
        for (size_t i = 0; i < n && st == RR_OK; i++) {
            if (ctx->cancelled)
                st = rr_error(ctx, RR_ERR_CANCELLED, "cancelled while %s", stage);
            else
                st = fn(ctx, i, user);
            if ((i & 31) == 0 || i + 1 == n)
                rr_progress(ctx, stage, i + 1, n);
        }
        if (finish)
            finish(ctx);
        return st;
    }
    worker_pool pool = {.ctx = ctx, .n = n, .fn = fn, .finish = finish, .user = user,
                        .stage = stage};
    atomic_init(&pool.next, 0);
    atomic_init(&pool.done, 0);
    atomic_init(&pool.failed, 0);
    pthread_mutex_init(&pool.lock, NULL);
    /* The calling thread is one of the workers: its allocator's memory, warm from the stages
     * before, is used again rather than a new thread's taking fresh pages (on the 6 x 6 bench
     * pair, 2 threads: ~60 MB less peak memory, and first touches of memory are costly). The
     * others are the crew's, the same from call to call for the same reason. No crew (no
     * thread could be made): the calling thread does all. */
    struct rr_crew *crew = crew_get(ctx, threads - 1);
    int helpers = crew ? (crew->n < threads - 1 ? crew->n : threads - 1) : 0;
    if (helpers) {
        pthread_mutex_lock(&crew->lock);
        crew->pool = &pool;
        crew->active = helpers;
        crew->busy = crew->n; /* every thread answers each round */
        crew->round++;
        pthread_cond_broadcast(&crew->go);
        pthread_mutex_unlock(&crew->lock);
    }
    worker_main(&pool);
    if (helpers) {
        pthread_mutex_lock(&crew->lock);
        while (crew->busy > 0)
            pthread_cond_wait(&crew->idle, &crew->lock);
        crew->pool = NULL;
        pthread_mutex_unlock(&crew->lock);
    }
    pthread_mutex_destroy(&pool.lock);
    rr_progress(ctx, stage, atomic_load(&pool.done), n);
    if (atomic_load(&pool.failed)) {
        memcpy(ctx->errmsg, pool.errmsg, sizeof ctx->errmsg);
        return pool.status;
    }
    if (ctx->cancelled)
        return rr_error(ctx, RR_ERR_CANCELLED, "cancelled while %s", stage);
    return RR_OK;
}

/* ---- overlay -------------------------------------------------------------------------------- */

typedef struct piece_list {
    rr_piece *p;
    size_t n, cap;
} piece_list;

typedef struct overlay_job {
    const rr_areaset *a, *b; /* intersect each area of a with the areas of b */
    int a_is_old;
    double tolerance;
    piece_list *lists;       /* one list per area of a */
    const double *covered;   /* second pass: area of each a-area already covered by pieces */
    GEOSGeometry **gained;   /* per new area: what it gained over its old version (pass 1 finds
                              * it comparing the two, pass 2 takes it) */
    GEOSGeometry **lost;     /* pass 1: per old area, what it lost (1a finds it, 1b shares it) */
    const size_t *b_twin;    /* pass 1: per new area, its old version (RR_NONE: a new code) */
    struct region **gain_parts; /* pass 1: per new area, the parts of what it gained */
    int *gain_nparts;
    const rr_piece **recv;   /* second pass: pieces of old areas in each new area, those of new */
    const size_t *recv_start; /* area j at recv[recv_start[j]] .. recv[recv_start[j + 1]] */
    const rr_revision *rev;   /* pass 1: the revision whose review display is made early */
    size_t early;             /* pass 1: its work items before the areas' (0 or 2) */
} overlay_job;


/* The grid both versions were snapped to (0: none, or not the same one). */
static double same_grid(const overlay_job *job)
{
    return job->a->precision == job->b->precision ? job->a->precision : 0;
}

void rr_piece_clear(rr_ctx *ctx, rr_piece *p)
{
    if (p->geom)
        GEOSGeom_destroy_r(ctx->geos, p->geom);
    if (!p->blob_borrowed)
        free(p->blob);
    p->geom = NULL;
    p->shape = NULL;
    p->blob = NULL;
    p->blob_size = 0;
    p->blob_borrowed = 0;
}

rr_status rr_piece_pack(rr_ctx *ctx, rr_piece *p)
{
    if (!p->geom || p->blob)
        return RR_OK;
    size_t size = 0;
    rr_status st = RR_OK;
    unsigned char *blob = rr_gpkg_blob(ctx, p->geom, 0, &size, &st);
    if (!blob) /* no polygon in it (then it stays as it is), or a failure */
        return st;
    GEOSGeom_destroy_r(ctx->geos, p->geom);
    p->geom = NULL;
    p->shape = NULL;
    p->blob = blob;
    p->blob_size = size;
    return RR_OK;
}

const GEOSGeometry *rr_piece_shape(rr_ctx *ctx, const rr_piece *p, GEOSGeometry **own,
                                   rr_status *st)
{
    rr_status why = RR_OK;
    *own = NULL;
    if (st)
        *st = RR_OK;
    if (p->shape || !p->blob)
        return p->shape;
    if (!(*own = rr_gpkg_blob_geometry(ctx, p->blob, p->blob_size, 0, &why)))
        rr_error_prefix(ctx, why, "reading a packed piece back");
    if (st)
        *st = why;
    return *own;
}


void rr_geom_warm(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    double x0, y0, x1, y1;
    if (!g)
        return;
    GEOSGeom_getExtent_r(h, g, &x0, &y0, &x1, &y1);
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON) {
        int holes = GEOSGetNumInteriorRings_r(h, g);
        for (int r = 0; r < holes; r++) {
            const GEOSGeometry *ring = GEOSGetInteriorRingN_r(h, g, r);
            if (ring)
                GEOSGeom_getExtent_r(h, ring, &x0, &y0, &x1, &y1);
        }
    } else if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++)
            rr_geom_warm(h, GEOSGetGeometryN_r(h, g, i));
    }
}

static rr_status list_push(rr_ctx *ctx, piece_list *l, const rr_piece *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        rr_piece *bigger = realloc(l->p, cap * sizeof *bigger);
        if (!bigger)
            return rr_error(ctx, RR_ERR_NOMEM, "out of memory storing pieces");
        l->p = bigger;
        l->cap = cap;
    }
    l->p[l->n++] = *p;
    /* Its envelopes now, by the worker that made it, while its coordinates are in cache: GEOS
     * computes them on first use, and every stage after the overlay asks for every piece's (one
     * thread, 0.03-0.05 s on the 6 x 6 pair when left to the population stage). */
    rr_geom_warm(ctx->geos, p->shape);
    return RR_OK;
}

/* How many polygons sub holds: 1 for a Polygon, its members for a MultiPolygon, else 0. */
static int polygon_count(rr_ctx *ctx, const GEOSGeometry *sub)
{
    int t = GEOSGeomTypeId_r(ctx->geos, sub);
    if (t == GEOS_POLYGON)
        return 1;
    return t == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(ctx->geos, sub) : 0;
}

void rr_geoms_destroy(GEOSGeometry **g, size_t n)
{
    GEOSContextHandle_t h = GEOS_init_r();
    for (size_t i = 0; g && i < n; i++)
        if (g[i])
            GEOSGeom_destroy_r(h, g[i]);
    GEOS_finish_r(h);
}

GEOSGeometry *rr_polygon_of_rings(rr_ctx *ctx, GEOSGeometry *shell, GEOSGeometry **holes,
                                  unsigned nh)
{
    int complete = shell != NULL;
    for (unsigned i = 0; i < nh; i++)
        complete = complete && holes[i] != NULL;
    if (complete)
        return GEOSGeom_createPolygon_r(ctx->geos, shell, holes, nh);
    if (shell)
        GEOSGeom_destroy_r(ctx->geos, shell);
    for (unsigned i = 0; i < nh; i++)
        if (holes[i])
            GEOSGeom_destroy_r(ctx->geos, holes[i]);
    return NULL;
}

/* Only the polygonal part of an overlay's result counts: shared edges and corners have no area.
 * Takes g; returns a Polygon or MultiPolygon, or NULL when no area is left (or on failure). */
GEOSGeometry *rr_polygons_only(rr_ctx *ctx, GEOSGeometry *g)
{
    if (!g)
        return NULL;
    int t = GEOSGeomTypeId_r(ctx->geos, g);
    if ((t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) && GEOSisEmpty_r(ctx->geos, g) == 0)
        return g;
    int n = t == GEOS_GEOMETRYCOLLECTION ? GEOSGetNumGeometries_r(ctx->geos, g) : 0;
    size_t count = 0; /* a MultiPolygon inside counts its members */
    for (int i = 0; i < n; i++)
        count += (size_t)polygon_count(ctx, GEOSGetGeometryN_r(ctx->geos, g, i));
    GEOSGeometry **polys = count ? malloc(count * sizeof *polys) : NULL;
    unsigned np = 0;
    for (int i = 0; polys && i < n; i++) {
        const GEOSGeometry *sub = GEOSGetGeometryN_r(ctx->geos, g, i);
        int m = polygon_count(ctx, sub), single = GEOSGeomTypeId_r(ctx->geos, sub) == GEOS_POLYGON;
        for (int k = 0; k < m; k++) {
            const GEOSGeometry *poly = single ? sub : GEOSGetGeometryN_r(ctx->geos, sub, k);
            if (GEOSisEmpty_r(ctx->geos, poly) == 0 &&
                (polys[np] = GEOSGeom_clone_r(ctx->geos, poly)))
                np++;
        }
    }
    GEOSGeom_destroy_r(ctx->geos, g);
    GEOSGeometry *out =
        np ? GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, polys, np) : NULL;
    if (!out)
        for (unsigned k = 0; k < np; k++)
            GEOSGeom_destroy_r(ctx->geos, polys[k]);
    free(polys);
    return out;
}

void rr_hits_cb(void *item, void *user)
{
    rr_hits *h = user;
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        size_t *bigger = realloc(h->idx, cap * sizeof *bigger);
        if (!bigger) {
            h->failed = 1;
            return;
        }
        h->idx = bigger;
        h->cap = cap;
    }
    h->idx[h->n++] = (size_t)(uintptr_t)item - 1;
}

int rr_cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Per-worker state: a spatial index over the other version, built lazily per thread. */
typedef struct worker_tree {
    GEOSContextHandle_t owner;
    GEOSSTRtree *tree;
    GEOSGeometry **boxes; /* the items: each area's envelope (the areas are packed) */
    size_t nboxes;
} worker_tree;

static _Thread_local worker_tree tls_tree;
static _Thread_local const rr_areaset *tls_tree_set;

/* Run by each worker when it is done: its index belongs to its GEOS handle. */
static void tree_release(rr_ctx *ctx)
{
    if (tls_tree.tree && tls_tree.owner == ctx->geos) {
        GEOSSTRtree_destroy_r(ctx->geos, tls_tree.tree);
        rr_geoms_destroy(tls_tree.boxes, tls_tree.nboxes);
    }
    free(tls_tree.boxes);
    memset(&tls_tree, 0, sizeof tls_tree);
    tls_tree_set = NULL;
}

/* A rectangle of ext (min x, min y, max x, max y), or an empty polygon for no extent. */
static GEOSGeometry *box_of(rr_ctx *ctx, int known, const double ext[4])
{
    return known ? GEOSGeom_createRectangle_r(ctx->geos, ext[0], ext[1], ext[2], ext[3])
                 : GEOSGeom_createEmptyPolygon_r(ctx->geos);
}

static GEOSSTRtree *tree_for(rr_ctx *ctx, const rr_areaset *b)
{
    if (tls_tree.tree && tls_tree.owner == ctx->geos && tls_tree_set == b)
        return tls_tree.tree;
    if (tls_tree.tree && tls_tree.owner == ctx->geos)
        tree_release(ctx);
    tls_tree.tree = GEOSSTRtree_create_r(ctx->geos, 10);
    tls_tree.owner = ctx->geos;
    tls_tree_set = b;
    tls_tree.boxes = calloc(b->n ? b->n : 1, sizeof *tls_tree.boxes);
    if (!tls_tree.tree || !tls_tree.boxes) {
        tree_release(ctx);
        return NULL;
    }
    for (size_t j = 0; j < b->n; j++) {
        double ext[4];
        int known = rr_area_extent(ctx, &b->areas[j], ext);
        if (!(tls_tree.boxes[j] = box_of(ctx, known, ext))) {
            tls_tree.nboxes = j;
            tree_release(ctx);
            return NULL;
        }
        tls_tree.nboxes = j + 1;
        if (known) /* an empty area meets nothing */
            GEOSSTRtree_insert_r(ctx->geos, tls_tree.tree, tls_tree.boxes[j],
                                 (void *)(uintptr_t)(j + 1));
    }
    return tls_tree.tree;
}

/* Query the other version's index with a geometry; hits sorted (the tree's order is not stable). */
static rr_status query(rr_ctx *ctx, const rr_areaset *b, const GEOSGeometry *g, rr_hits *hits)
{
    if (GEOSisEmpty_r(ctx->geos, g) == 1)
        return RR_OK; /* meets nothing */
    GEOSSTRtree *tree = tree_for(ctx, b);
    if (!tree)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory building a spatial index");
    GEOSSTRtree_query_r(ctx->geos, tree, g, rr_hits_cb, hits);
    if (hits->failed)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory querying the spatial index");
    if (hits->n > 1)
        qsort(hits->idx, hits->n, sizeof *hits->idx, rr_cmp_size);
    return RR_OK;
}

static rr_piece new_piece(const overlay_job *job, size_t i, size_t other)
{
    rr_piece p = {.old_idx = RR_NONE, .new_idx = RR_NONE, .pop = NAN, .core_area = NAN};
    if (job->a_is_old) {
        p.old_idx = i;
        p.new_idx = other;
    } else {
        p.old_idx = other;
        p.new_idx = i;
    }
    return p;
}

/* A piece of area i of job->a with area `other` of job->b (RR_NONE: a part the other version
 * does not cover) owning geom, stored in i's list; geom is freed on failure. */
static rr_status push_piece(rr_ctx *ctx, const overlay_job *job, size_t i, size_t other,
                            GEOSGeometry *geom, double area)
{
    rr_piece p = new_piece(job, i, other);
    p.area = area;
    p.tiny = area <= job->tolerance;
    p.geom = geom;
    p.shape = geom;
    /* Packed unless tiny (those go at the end of the overlay): what is read again later reads
     * it back (rr_piece_shape). On the 6 x 6 bench pair the shares of what old areas lost held
     * ~60 MB in GEOS's form at the peak of memory, at the end of sharing out. */
    rr_status st = p.tiny ? RR_OK : rr_piece_pack(ctx, &p);
    if (st == RR_OK)
        st = list_push(ctx, &job->lists[i], &p);
    if (st != RR_OK)
        rr_piece_clear(ctx, &p);
    return st;
}

/* The piece is all of area a: its geometry is the area's blob, borrowed (or, for an area not
 * packed, its geom). */
static void borrow_area(rr_piece *p, const rr_area *a)
{
    p->shape = a->geom;
    p->blob = a->geom ? NULL : a->blob;
    p->blob_size = a->geom ? 0 : a->blob_size;
    p->blob_borrowed = p->blob != NULL;
}

/* Two areas with the same geometry, vertex for vertex (GEOSEqualsExact with no tolerance, on
 * the blobs, which hold the coordinates exactly as GEOS did). */
static int same_packed(rr_ctx *ctx, const rr_area *a, const rr_area *b)
{
    if (a->geom || b->geom)
        return a->geom && b->geom && GEOSEqualsExact_r(ctx->geos, a->geom, b->geom, 0.0) == 1;
    /* the header's srs_id (0 for both) and envelope, then the polygons; and the same type, as
     * GEOSEqualsExact asks */
    return a->blob && b->blob && a->single == b->single && a->blob_size == b->blob_size &&
           memcmp(a->blob, b->blob, a->blob_size) == 0;
}

/* The piece of area i (geom, prepared in *prep when first needed) with `other` into *p:
 * *found 0 when they share no area. */
static rr_status intersect_one(rr_ctx *ctx, const overlay_job *job, size_t i,
                               const GEOSGeometry *geom, const rr_area *whole,
                               const rr_area *other, const GEOSPreparedGeometry **prep,
                               rr_piece *p, int *found)
{
    const char *code = job->a->areas[i].code;
    *found = 1;
    if (whole && fabs(whole->area - other->area) <= job->tolerance &&
        same_packed(ctx, whole, other)) {
        p->area = whole->area;
        borrow_area(p, whole);
        return RR_OK;
    }
    if (!*prep && !(*prep = GEOSPrepare_r(ctx->geos, geom)))
        return rr_error(ctx, RR_ERR_GEOMETRY, "cannot prepare area %s: %s", code,
                        rr_geos_msg(ctx));
    GEOSGeometry *own = NULL;
    rr_status st = RR_OK;
    const GEOSGeometry *og = rr_area_shape(ctx, other, &own, &st);
    if (!og)
        return st;
    char touches = GEOSPreparedIntersects_r(ctx->geos, *prep, og);
    if (touches == 2) {
        st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot test %s against %s: %s", code, other->code,
                      rr_geos_msg(ctx));
    } else if (!touches) {
        *found = 0;
    } else if (whole && GEOSPreparedContainsProperly_r(ctx->geos, *prep, og) == 1) {
        p->area = other->area;
        borrow_area(p, other);
    } else {
        GEOSGeometry *g = GEOSIntersection_r(ctx->geos, geom, og);
        if (!g)
            st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot intersect %s with %s: %s", code,
                          other->code, rr_geos_msg(ctx));
        else if (!(g = rr_polygons_only(ctx, g)))
            *found = 0;
        else {
            GEOSArea_r(ctx->geos, g, &p->area);
            p->tiny = p->area <= job->tolerance;
            p->geom = g;
            p->shape = g;
        }
    }
    if (own)
        GEOSGeom_destroy_r(ctx->geos, own);
    return st;
}

/* Pieces geom ∩ b[h] for every hit but `skip`; adds their area to *covered. `whole` is the area
 * geom belongs to when geom is the whole area (enables the fast paths), else NULL. */
static rr_status intersect_hits(rr_ctx *ctx, const overlay_job *job, size_t i,
                                const GEOSGeometry *geom, const rr_area *whole,
                                const rr_hits *hits, size_t skip, double *covered)
{
    const GEOSPreparedGeometry *prep = NULL;
    rr_status st = RR_OK;
    for (size_t h = 0; h < hits->n && st == RR_OK; h++) {
        if (hits->idx[h] == skip)
            continue;
        rr_piece p = new_piece(job, i, hits->idx[h]);
        int found = 0;
        st = intersect_one(ctx, job, i, geom, whole, &job->b->areas[hits->idx[h]], &prep, &p,
                           &found);
        if (st != RR_OK || !found)
            continue;
        *covered += p.area;
        if ((st = list_push(ctx, &job->lists[i], &p)) != RR_OK)
            rr_piece_clear(ctx, &p);
    }
    if (prep)
        GEOSPreparedGeom_destroy_r(ctx->geos, prep);
    return st;
}

/* The part of geom that no hit (but `skip`) covers: a part only one version has (e.g. the 2025
 * sea extension). Subtracting the neighbours one by one from what is left, rather than their
 * union: geom is small (what an area lost or gained), and an overlay clips the big neighbour to
 * the small geometry's envelope, while a union of neighbours would overlay them all in full. */
static rr_status push_uncovered(rr_ctx *ctx, const overlay_job *job, size_t i,
                                const GEOSGeometry *geom, const rr_hits *hits, size_t skip)
{
    const char *code = job->a->areas[i].code;
    GEOSGeometry *rest = GEOSGeom_clone_r(ctx->geos, geom);
    double left = 0;
    if (!rest)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    GEOSArea_r(ctx->geos, rest, &left);
    for (size_t h = 0; h < hits->n && left > job->tolerance; h++) {
        if (hits->idx[h] == skip)
            continue;
        GEOSGeometry *own = NULL;
        rr_status made = RR_OK;
        const GEOSGeometry *other = rr_area_shape(ctx, &job->b->areas[hits->idx[h]], &own, &made);
        char touches = other ? GEOSIntersects_r(ctx->geos, rest, other) : 2;
        if (touches == 0) {
            if (own)
                GEOSGeom_destroy_r(ctx->geos, own);
            continue;
        }
        GEOSGeometry *smaller = touches == 1 ? GEOSDifference_r(ctx->geos, rest, other) : NULL;
        GEOSGeom_destroy_r(ctx->geos, rest);
        if (own)
            GEOSGeom_destroy_r(ctx->geos, own);
        if (!smaller)
            return other ? rr_error(ctx, RR_ERR_GEOMETRY,
                                    "cannot compute the uncovered part of %s: %s", code,
                                    rr_geos_msg(ctx))
                         : made; /* the message is set */
        rest = rr_polygons_only(ctx, smaller);
        left = 0;
        if (rest)
            GEOSArea_r(ctx->geos, rest, &left);
        else
            break;
    }
    if (!rest)
        return RR_OK;
    if (left <= job->tolerance) {
        GEOSGeom_destroy_r(ctx->geos, rest);
        return RR_OK;
    }
    return push_piece(ctx, job, i, RR_NONE, rest, left);
}

/* Polygons as a growable list (parts of one piece). */
typedef struct part_list {
    GEOSGeometry **g;
    size_t n, cap;
    double area;
} part_list;

static int part_add(rr_ctx *ctx, part_list *l, GEOSGeometry *g)
{
    /* flatten: a MultiPolygon's members become parts of their own */
    int t = GEOSGeomTypeId_r(ctx->geos, g);
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(ctx->geos, g);
        int ok = 1;
        for (int k = 0; ok && k < n; k++) {
            const GEOSGeometry *sub = GEOSGetGeometryN_r(ctx->geos, g, k);
            int st = GEOSGeomTypeId_r(ctx->geos, sub);
            if (st == GEOS_POLYGON || st == GEOS_MULTIPOLYGON)
                ok = part_add(ctx, l, GEOSGeom_clone_r(ctx->geos, sub));
        }
        GEOSGeom_destroy_r(ctx->geos, g);
        return ok;
    }
    if (t != GEOS_POLYGON || GEOSisEmpty_r(ctx->geos, g) == 1) {
        GEOSGeom_destroy_r(ctx->geos, g);
        return 1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        GEOSGeometry **bigger = realloc(l->g, cap * sizeof *bigger);
        if (!bigger) {
            GEOSGeom_destroy_r(ctx->geos, g);
            return 0;
        }
        l->g = bigger;
        l->cap = cap;
    }
    double a = 0;
    GEOSArea_r(ctx->geos, g, &a);
    l->area += a;
    l->g[l->n++] = g;
    return 1;
}

static void parts_free(rr_ctx *ctx, part_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        GEOSGeom_destroy_r(ctx->geos, l->g[k]);
    free(l->g);
    memset(l, 0, sizeof *l);
}

/* One (multi)polygon from parts that meet at most in points or along edges. */
static GEOSGeometry *parts_take(rr_ctx *ctx, part_list *l, int may_share_edges)
{
    GEOSGeometry *g = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, l->g, (unsigned)l->n);
    if (!g)
        return NULL;
    free(l->g);
    memset(l, 0, sizeof *l);
    if (may_share_edges && GEOSisValid_r(ctx->geos, g) != 1) {
        GEOSGeometry *u = GEOSUnaryUnion_r(ctx->geos, g);
        GEOSGeom_destroy_r(ctx->geos, g);
        g = u ? rr_polygons_only(ctx, u) : NULL;
    }
    return g;
}

/* small ∩ big, polygons only (NULL when they only touch; *failed on a GEOS error). An
 * intersection clips `big` to the envelope of `small` before noding, so a thin part along a
 * boundary costs little however large the neighbour is (a covers test would relate all of it). */
static GEOSGeometry *intersect_small(rr_ctx *ctx, const GEOSGeometry *small,
                                     const GEOSGeometry *big, int *failed)
{
    GEOSGeometry *g = GEOSIntersection_r(ctx->geos, small, big);
    if (!g) {
        *failed = 1;
        return NULL;
    }
    return rr_polygons_only(ctx, g);
}

/* The envelopes of geom's n components (x0, y0, x1, y1 each; an empty one meets nothing), as
 * parts_near reads them: a malloc'd array, NULL when out of memory. */
static double *comp_extents(rr_ctx *ctx, const GEOSGeometry *geom, int n)
{
    double *ext = malloc(4 * (size_t)(n > 0 ? n : 1) * sizeof *ext);
    for (int c = 0; ext && c < n; c++)
        if (!GEOSGeom_getExtent_r(ctx->geos, GEOSGetGeometryN_r(ctx->geos, geom, c), &ext[4 * c],
                                  &ext[4 * c + 1], &ext[4 * c + 2], &ext[4 * c + 3]))
            ext[4 * c] = ext[4 * c + 1] = INFINITY, ext[4 * c + 2] = ext[4 * c + 3] = -INFINITY;
    return ext;
}

/* The components of geom (envelopes cext) whose envelope meets box (x0, y0, x1, y1) as one
 * geometry: geom itself when that is all of them, else a new MultiPolygon of copies, also left in
 * *own for the caller to free. NULL when none. */
static const GEOSGeometry *parts_near(rr_ctx *ctx, const GEOSGeometry *geom, const double *cext,
                                      int n, const double *box, GEOSGeometry **own, int *failed)
{
    int k = 0;
    for (int c = 0; c < n; c++)
        k += !(cext[4 * c] > box[2] || cext[4 * c + 2] < box[0] || cext[4 * c + 1] > box[3] ||
               cext[4 * c + 3] < box[1]);
    *own = NULL;
    if (k == 0)
        return NULL;
    if (k == n)
        return geom;
    GEOSGeometry **g = malloc((size_t)k * sizeof *g);
    int m = 0;
    for (int c = 0; g && c < n; c++)
        if (!(cext[4 * c] > box[2] || cext[4 * c + 2] < box[0] || cext[4 * c + 1] > box[3] ||
              cext[4 * c + 3] < box[1]) &&
            !(g[m++] = GEOSGeom_clone_r(ctx->geos, GEOSGetGeometryN_r(ctx->geos, geom, c))))
            break;
    GEOSGeometry *out = NULL;
    if (g && m == k && g[m - 1])
        out = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, g, (unsigned)k);
    if (!out) {
        for (int c = 0; g && c < m; c++)
            if (g[c])
                GEOSGeom_destroy_r(ctx->geos, g[c]);
        *failed = 1;
    }
    free(g);
    *own = out;
    return out;
}

/* The components of target whose envelope meets near's, as parts_near gives them (target itself
 * when that is all of them; NULL when none). Intersecting a small part with a gain of hundreds of
 * parts costs GEOS as much as all those parts; the two or three near it are all that matter. */
static const GEOSGeometry *target_near(rr_ctx *ctx, const GEOSGeometry *target,
                                       const GEOSGeometry *near, GEOSGeometry **own, int *failed)
{
    int n = GEOSGetNumGeometries_r(ctx->geos, target);
    double box[4];
    *own = NULL;
    if (n < 2 || !GEOSGeom_getExtent_r(ctx->geos, near, &box[0], &box[1], &box[2], &box[3]))
        return target;
    double *ext = comp_extents(ctx, target, n);
    if (!ext) {
        *failed = 1;
        return NULL;
    }
    const GEOSGeometry *out = parts_near(ctx, target, ext, n, box, own, failed);
    free(ext);
    return out;
}

/* part less each of the n covers whose envelope meets its own, in turn (no union of the covers;
 * a difference clips the cover to what is left first): a new geometry, NULL on a GEOS failure. */
static GEOSGeometry *less_in_turn(rr_ctx *ctx, const GEOSGeometry *part,
                                  const GEOSGeometry *const *covers, size_t n)
{
    double x0, y0, x1, y1;
    if (!GEOSGeom_getExtent_r(ctx->geos, part, &x0, &y0, &x1, &y1))
        return NULL;
    GEOSGeometry *rest = GEOSGeom_clone_r(ctx->geos, part);
    for (size_t k = 0; rest && k < n; k++) {
        double a0, b0, a1, b1;
        if (!GEOSGeom_getExtent_r(ctx->geos, covers[k], &a0, &b0, &a1, &b1) || a0 > x1 ||
            a1 < x0 || b0 > y1 || b1 < y0)
            continue;
        GEOSGeometry *d = GEOSDifference_r(ctx->geos, rest, covers[k]);
        GEOSGeom_destroy_r(ctx->geos, rest);
        rest = d;
        if (rest && GEOSisEmpty_r(ctx->geos, rest) == 1)
            break;
    }
    return rest;
}

/* Each part of geom less the covers near it (less_in_turn): a MultiPolygon of what is left, or
 * a GEOMETRYCOLLECTION EMPTY when nothing is; NULL on failure. The parts of geom are faces of one
 * arrangement: what is left of them shares no edge either. */
static GEOSGeometry *less_near(rr_ctx *ctx, const GEOSGeometry *geom, const part_list *covers)
{
    int n = GEOSGetNumGeometries_r(ctx->geos, geom);
    part_list left = {0};
    int ok = 1;
    for (int c = 0; c < n && ok; c++) {
        GEOSGeometry *rest = less_in_turn(ctx, GEOSGetGeometryN_r(ctx->geos, geom, c),
                                          (const GEOSGeometry *const *)covers->g, covers->n);
        ok = rest != NULL;
        if (ok && (rest = rr_polygons_only(ctx, rest)) != NULL)
            ok = part_add(ctx, &left, rest);
    }
    GEOSGeometry *out = NULL;
    if (ok)
        out = left.n ? parts_take(ctx, &left, 0)
                     : GEOSGeom_createEmptyCollection_r(ctx->geos, GEOS_GEOMETRYCOLLECTION);
    parts_free(ctx, &left);
    return out;
}

/* Adds g (taken, may be NULL) to a share and a copy of it to `mine`; 0 when out of memory. */
static int share_add(rr_ctx *ctx, part_list *share, part_list *mine, GEOSGeometry *g)
{
    GEOSGeometry *copy = g ? GEOSGeom_clone_r(ctx->geos, g) : NULL;
    if (!copy) {
        if (g)
            GEOSGeom_destroy_r(ctx->geos, g);
        return 0;
    }
    if (!part_add(ctx, share, g)) { /* part_add takes its geometry, always */
        GEOSGeom_destroy_r(ctx->geos, copy);
        return 0;
    }
    return part_add(ctx, mine, copy);
}

/* A polygon's extent and area: two faces cut from different arrangements of the same segments
 * agree to rounding on both, different regions do not. */
typedef struct region {
    double x0, y0, x1, y1, area;
} region;

/* 0 when g has no extent or no area. */
static int region_of(rr_ctx *ctx, const GEOSGeometry *g, region *r)
{
    return GEOSGeom_getExtent_r(ctx->geos, g, &r->x0, &r->y0, &r->x1, &r->y1) &&
           GEOSArea_r(ctx->geos, g, &r->area) && r->area > 0;
}

/* Same area within 1e-9 and same extent within 1e-6 of its size. */
static int same_region(const region *a, const region *b)
{
    double near = 1e-6 * fmax(a->x1 - a->x0, a->y1 - a->y0) + 1e-9;
    return fabs(a->x0 - b->x0) <= near && fabs(a->y0 - b->y0) <= near &&
           fabs(a->x1 - b->x1) <= near && fabs(a->y1 - b->y1) <= near &&
           fabs(a->area - b->area) <= 1e-9 * a->area;
}

static int by_area(const void *pa, const void *pb)
{
    const region *a = pa, *b = pb;
    return (a->area > b->area) - (a->area < b->area);
}

/* 1 when one of the n regions `sorted` (by area, smallest first) is r to rounding: only those
 * within rounding of r's area are looked at. */
static int region_among(const region *r, const region *sorted, int n)
{
    double low = r->area - 1e-9 * r->area;
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (sorted[mid].area < low)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int k = lo; k < n && sorted[k].area <= r->area + 1e-9 * r->area; k++)
        if (same_region(r, &sorted[k]))
            return 1;
    return 0;
}

/* The hit (but skip) whose gain holds a part that is the region of `part`; RR_NONE if none. */
static size_t same_part(rr_ctx *ctx, const overlay_job *job, const GEOSGeometry *part,
                        const rr_hits *hits, size_t skip)
{
    region r;
    if (GEOSGeomTypeId_r(ctx->geos, part) != GEOS_POLYGON || !region_of(ctx, part, &r))
        return RR_NONE;
    for (size_t h = 0; h < hits->n; h++) {
        size_t j = hits->idx[h];
        if (j == skip || job->b_twin[j] == RR_NONE || !job->gain_parts[j])
            continue;
        if (region_among(&r, job->gain_parts[j], job->gain_nparts[j]))
            return h;
    }
    return RR_NONE;
}

/* The regions of the polygons of n geometries, by area (smallest first), as region_among reads
 * them: *out (free it), *nout of them; 0 when out of memory. */
static int regions_of(rr_ctx *ctx, const GEOSGeometry *const *geoms, size_t n, region **out,
                      int *nout)
{
    size_t cap = 0;
    for (size_t k = 0; k < n; k++)
        cap += (size_t)GEOSGetNumGeometries_r(ctx->geos, geoms[k]);
    region *r = malloc((cap ? cap : 1) * sizeof *r);
    int kept = 0;
    if (!r)
        return 0;
    for (size_t k = 0; k < n; k++) {
        int t = GEOSGeomTypeId_r(ctx->geos, geoms[k]);
        int m = t == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(ctx->geos, geoms[k]);
        for (int c = 0; c < m && (size_t)kept < cap; c++)
            kept += region_of(ctx, t == GEOS_POLYGON ? geoms[k]
                                                    : GEOSGetGeometryN_r(ctx->geos, geoms[k], c),
                              &r[kept]);
    }
    if (kept > 1)
        qsort(r, (size_t)kept, sizeof *r, by_area);
    *out = r;
    *nout = kept;
    return 1;
}

/* One round of share_out: the parts of geom are intersected with each area of the other version
 * near them (its `target`), until geom's area is accounted for. With whole_areas 0 the target
 * of an area that continues a code is only what it gained over its earlier version: what this
 * area lost can lie only there (the rest of it was its earlier version, which this area did not
 * overlap), and that is a small geometry, where the whole area would be clipped again for every
 * part. Shares are added to shares[h], copies to *mine; *left is what is not accounted for when
 * it is more than the tolerance (NULL otherwise). */
static rr_status share_round(rr_ctx *ctx, const overlay_job *job, size_t i,
                             const GEOSGeometry *geom, const rr_hits *hits, size_t skip,
                             int whole_areas, part_list *shares, GEOSGeometry **left)
{
    rr_status st = RR_OK;
    int ncomp = GEOSGetNumGeometries_r(ctx->geos, geom);
    part_list mine = {0};
    double *cext = comp_extents(ctx, geom, ncomp);
    double total = 0, got = 0;
    int nplaced = 0; /* parts shared whole by same_part (their extent is then cleared) */
    *left = NULL;
    if (!cext)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    GEOSArea_r(ctx->geos, geom, &total);
    /* what rounding leaves of an area that is all accounted for */
    double residue = 1e-9 * total;
    /* Most parts moved whole: a part one area lost is a part another gained, the same region cut
     * from two arrangements (same area and extent). Those are shared without an overlay. */
    for (int c = 0; c < ncomp && st == RR_OK && !whole_areas; c++) {
        size_t h = same_part(ctx, job, GEOSGetGeometryN_r(ctx->geos, geom, c), hits, skip);
        if (h == RR_NONE)
            continue;
        double before = shares[h].area;
        GEOSGeometry *g = GEOSGeom_clone_r(ctx->geos, GEOSGetGeometryN_r(ctx->geos, geom, c));
        if (!g || !part_add(ctx, &shares[h], g)) { /* part_add takes its geometry */
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
            break;
        }
        got += shares[h].area - before;
        nplaced++;
        cext[4 * c] = cext[4 * c + 1] = INFINITY, cext[4 * c + 2] = cext[4 * c + 3] = -INFINITY;
    }
    for (size_t h = 0; h < hits->n && st == RR_OK && total - got > residue; h++) {
        const rr_area *other = &job->b->areas[hits->idx[h]];
        double box[4];
        GEOSGeometry *own = NULL, *other_own = NULL;
        int failed = 0;
        if (hits->idx[h] == skip || !rr_area_extent(ctx, other, box))
            continue;
        int whole = whole_areas || job->b_twin[hits->idx[h]] == RR_NONE;
        const GEOSGeometry *target = whole ? NULL : job->gained[hits->idx[h]];
        const GEOSGeometry *near = whole || target
                                       ? parts_near(ctx, geom, cext, ncomp, box, &own, &failed)
                                       : NULL;
        /* the whole area in GEOS only when a part lies near it */
        if (near && !failed && whole && !(target = rr_area_shape(ctx, other, &other_own, &st))) {
            if (own)
                GEOSGeom_destroy_r(ctx->geos, own);
            break; /* st and the message are set */
        }
        /* and of a target in many parts (a gain), only the parts near those */
        GEOSGeometry *target_own = NULL;
        if (near && !failed)
            target = target_near(ctx, target, near, &target_own, &failed);
        GEOSGeometry *g = near && target ? intersect_small(ctx, near, target, &failed) : NULL;
        if (own)
            GEOSGeom_destroy_r(ctx->geos, own);
        if (target_own)
            GEOSGeom_destroy_r(ctx->geos, target_own);
        if (other_own)
            GEOSGeom_destroy_r(ctx->geos, other_own);
        if (failed) {
            st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot intersect part of %s with %s: %s",
                          job->a->areas[i].code, other->code, rr_geos_msg(ctx));
            break;
        }
        if (!g)
            continue;
        double a = 0;
        GEOSArea_r(ctx->geos, g, &a);
        if (nplaced == 0 && mine.n == 0 && fabs(total - a) <= residue) {
            /* all of it in one area: keep the parts as cut rather than the overlay's copy */
            GEOSGeom_destroy_r(ctx->geos, g);
            g = GEOSGeom_clone_r(ctx->geos, geom);
        }
        got += a;
        if (!share_add(ctx, &shares[h], &mine, g))
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    }
    /* what is left, when it can be a piece (more than the tolerance: less would not be kept, and
     * the difference is the costly overlay here) */
    if (st == RR_OK && total - got > job->tolerance) {
        /* the parts not shared whole, less what the intersections covered */
        GEOSGeometry *own = NULL;
        int failed = 0;
        /* finite, so that the cleared extent of a part shared whole lies outside */
        const double all[4] = {-DBL_MAX, -DBL_MAX, DBL_MAX, DBL_MAX};
        const GEOSGeometry *open = parts_near(ctx, geom, cext, ncomp, all, &own, &failed);
        if (!open && !failed) {
            st = RR_OK; /* nothing open: what is missing is rounding */
        } else if (open && mine.n == 0) {
            *left = GEOSGeom_clone_r(ctx->geos, open);
        } else if (open) {
            *left = less_near(ctx, open, &mine);
        }
        if (own)
            GEOSGeom_destroy_r(ctx->geos, own);
        if (open || failed) {
            if (!*left)
                st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot compute the uncovered part of %s: %s",
                              job->a->areas[i].code, rr_geos_msg(ctx));
            else
                *left = rr_polygons_only(ctx, *left);
        }
    }
    parts_free(ctx, &mine);
    free(cext);
    return st;
}

/* Share out what an old area lost (thin parts along its boundary, mostly) among the new areas:
 * first among what they gained; what that leaves is intersected with the new areas whole (a part
 * of no new area, or where old areas overlap: then the overlap counts in both, and
 * warn_overlaps sees it). The shares become pieces (below the tolerance: tiny pieces, for pass
 * 2); what no new area covers becomes an uncovered piece. */
static rr_status share_out(rr_ctx *ctx, const overlay_job *job, size_t i, const GEOSGeometry *geom,
                           const rr_hits *hits, size_t skip)
{
    part_list *shares = calloc(hits->n + 1, sizeof *shares);
    size_t *first = calloc(hits->n + 1, sizeof *first); /* parts per share after round 1 */
    GEOSGeometry *left = NULL, *outside = NULL;
    if (!shares || !first) {
        free(shares);
        free(first);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    }
    rr_status st = share_round(ctx, job, i, geom, hits, skip, 0, shares, &left);
    for (size_t h = 0; h < hits->n; h++)
        first[h] = shares[h].n;
    if (st == RR_OK && left)
        st = share_round(ctx, job, i, left, hits, skip, 1, shares, &outside);
    if (left)
        GEOSGeom_destroy_r(ctx->geos, left);
    for (size_t h = 0; h < hits->n && st == RR_OK; h++) {
        if (shares[h].n == 0)
            continue;
        double area = shares[h].area;
        /* Parts of one round never share an edge (faces of one arrangement, or of one
         * intersection); a part from round 2 may border one from round 1. */
        GEOSGeometry *g = parts_take(ctx, &shares[h], first[h] > 0 && shares[h].n > first[h]);
        st = g ? push_piece(ctx, job, i, hits->idx[h], g, area)
               : rr_error(ctx, RR_ERR_GEOMETRY, "cannot assemble a piece of %s: %s",
                          job->a->areas[i].code, rr_geos_msg(ctx));
    }
    /* what no new area covers: a piece when more than the tolerance */
    double outside_area = 0;
    if (outside)
        GEOSArea_r(ctx->geos, outside, &outside_area);
    if (outside && st == RR_OK && outside_area > job->tolerance)
        st = push_piece(ctx, job, i, RR_NONE, outside, outside_area);
    else if (outside)
        GEOSGeom_destroy_r(ctx->geos, outside);
    for (size_t h = 0; h < hits->n; h++)
        parts_free(ctx, &shares[h]);
    free(shares);
    free(first);
    return st;
}

/* The piece *xx of old area i that is all of it (its new version is the same area): the area's
 * own geometry, borrowed, not a copy. */
static rr_status push_whole(rr_ctx *ctx, const overlay_job *job, size_t i, rr_piece *xx)
{
    const rr_area *area = &job->a->areas[i];
    xx->area = area->area;
    borrow_area(xx, area);
    return list_push(ctx, &job->lists[i], xx);
}

/* Pass 1, one old area. Where the code continues, the old and new geometry of that code are
 * compared first: what the old area lost (usually thin slivers) is all that needs intersecting
 * with the neighbours, instead of intersecting whole areas that merely touch. */
static rr_status overlay_old(rr_ctx *ctx, size_t i, void *user)
{
    overlay_job *job = user;
    const rr_area *area = &job->a->areas[i];
    size_t same = rr_areaset_find(job->b, area->code);
    rr_hits hits = {0};
    GEOSGeometry *lost = NULL;
    rr_status st = RR_OK;
    double covered = 0;
    if (same == RR_NONE) { /* a code that ends: intersected whole */
        GEOSGeometry *own = NULL;
        const GEOSGeometry *g = rr_area_shape(ctx, area, &own, &st);
        if (!g)
            ; /* st and the message are set */
        else if ((st = query(ctx, job->b, g, &hits)) == RR_OK &&
                 (st = intersect_hits(ctx, job, i, g, area, &hits, RR_NONE, &covered)) == RR_OK &&
                 area->area - covered > job->tolerance)
            st = push_uncovered(ctx, job, i, g, &hits, RR_NONE);
        if (own)
            GEOSGeom_destroy_r(ctx->geos, own);
        goto out;
    }
    const rr_area *twin = &job->b->areas[same];
    rr_piece xx = new_piece(job, i, same);
    if (fabs(area->area - twin->area) <= job->tolerance && same_packed(ctx, area, twin)) {
        st = push_whole(ctx, job, i, &xx);
        goto out;
    }
    double lost_area = 0;
    GEOSGeometry *kept = NULL;
    rr_compare_path path = RR_COMPARE_SAME;
    if ((st = rr_area_compare_packed(ctx, area, twin, same_grid(job), &lost, &job->gained[same],
                                     &kept, &path)) != RR_OK) {
        st = rr_error_prefix(ctx, st, "comparing the two versions of %s", area->code);
        goto out;
    }
    if (path == RR_COMPARE_SAME) {
        /* the same boundary from another start or the other way round: the piece is the old
         * area as it is (as when exactly equal above) */
        if (kept)
            GEOSGeom_destroy_r(ctx->geos, kept);
        st = push_whole(ctx, job, i, &xx);
        goto out;
    }
    if (job->gained[same] && !regions_of(ctx, (const GEOSGeometry *const *)&job->gained[same], 1,
                                         &job->gain_parts[same],
                                         &job->gain_nparts[same])) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
        if (kept)
            GEOSGeom_destroy_r(ctx->geos, kept);
        goto out;
    }
    if (lost)
        GEOSArea_r(ctx->geos, lost, &lost_area);
    xx.area = area->area - lost_area;
    xx.geom = kept;
    xx.shape = kept;
    if (xx.area > job->tolerance && kept) {
        /* Packed: nothing in the overlay reads it again (what a new area received from the old
         * areas other than its twin is all pass 2 asks for), and on the 6 x 6 bench pair these
         * pieces, most of every area, held 125 MB in GEOS's form against ~70 as blobs. */
        if ((st = rr_piece_pack(ctx, &xx)) != RR_OK ||
            (st = list_push(ctx, &job->lists[i], &xx)) != RR_OK) {
            rr_piece_clear(ctx, &xx);
            goto out;
        }
    } else if (kept) {
        GEOSGeom_destroy_r(ctx->geos, kept);
    }
    job->lost[i] = lost; /* shared out in pass 1b, once every new area knows what it gained */
    lost = NULL;
out:
    if (lost)
        GEOSGeom_destroy_r(ctx->geos, lost);
    free(hits.idx);
    return st;
}

/* Pass 1's work items: review.html's display of the old and of the new version first when it
 * is made early (long items: taken first, so the workers end the pass together; 0.06 s of one
 * worker idle on the 6 x 6 pair as a stage of its own), then the old areas. */
static rr_status pass1_item(rr_ctx *ctx, size_t i, void *user)
{
    overlay_job *job = user;
    if (i < job->early)
        return rr_review_display_make(ctx, job->rev, (int)i);
    return overlay_old(ctx, i - job->early, user);
}

/* Pass 1b, one old area: what it lost, however small, goes to the new areas that gained it. */
static rr_status share_lost(rr_ctx *ctx, size_t i, void *user)
{
    overlay_job *job = user;
    GEOSGeometry *lost = job->lost[i];
    if (!lost)
        return RR_OK;
    job->lost[i] = NULL;
    rr_hits hits = {0};
    size_t same = rr_areaset_find(job->b, job->a->areas[i].code);
    rr_status st = query(ctx, job->b, lost, &hits);
    if (st == RR_OK)
        st = share_out(ctx, job, i, lost, &hits, same);
    GEOSGeom_destroy_r(ctx->geos, lost);
    free(hits.idx);
    return st;
}

/* The shapes of the pieces other old areas (not `same`) gave new area j: *out (free it), *n;
 * those made from a blob (a whole area borrowed: new area j inside an old area that ended,
 * where old areas overlap) also in *own (destroy them, free it). RR_OK, or why not (message
 * set). (What an old area keeps of itself, packed, comes from `same`.) */
static rr_status received_shapes(rr_ctx *ctx, const overlay_job *job, size_t j, size_t same,
                                 const GEOSGeometry ***out, size_t *n, GEOSGeometry ***own,
                                 size_t *nown)
{
    size_t m = job->recv_start[j + 1] - job->recv_start[j], kept = 0, made = 0;
    const GEOSGeometry **g = malloc((m ? m : 1) * sizeof *g);
    GEOSGeometry **mine = malloc((m ? m : 1) * sizeof *mine);
    rr_status st = g && mine ? RR_OK : rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    for (size_t k = job->recv_start[j]; st == RR_OK && k < job->recv_start[j + 1]; k++) {
        const rr_piece *p = job->recv[k];
        if (p->old_idx == same || (!p->shape && !p->blob))
            continue;
        GEOSGeometry *o = NULL;
        if (!(g[kept] = rr_piece_shape(ctx, p, &o, &st)))
            ; /* st and the message are set */
        else
            kept++;
        if (o)
            mine[made++] = o;
    }
    if (st != RR_OK) {
        for (size_t k = 0; k < made; k++)
            GEOSGeom_destroy_r(ctx->geos, mine[k]);
        free(g);
        free(mine);
        return st;
    }
    *out = g;
    *n = kept;
    *own = mine;
    *nown = made;
    return RR_OK;
}

/* 1 when `part` of what a new area gained is, whole, one of the regions of the pieces it
 * received: the same region cut from the other arrangement in pass 1. */
static int received_whole(rr_ctx *ctx, const region *got, int n, const GEOSGeometry *part)
{
    region r;
    return region_of(ctx, part, &r) && region_among(&r, got, n);
}

/* Pass 2, one new area: only what no old area covers. Where the code continues, that is what
 * the area gained, less the pieces other old areas gave it (found in pass 1). */
static rr_status overlay_new_uncovered(rr_ctx *ctx, size_t j, void *user)
{
    overlay_job *job = user;
    const rr_area *area = &job->a->areas[j];
    if (area->area - job->covered[j] <= job->tolerance)
        return RR_OK;
    size_t same = rr_areaset_find(job->b, area->code);
    rr_hits hits = {0};
    rr_status st = RR_OK;
    if (same == RR_NONE) {
        GEOSGeometry *own = NULL;
        const GEOSGeometry *g = rr_area_shape(ctx, area, &own, &st);
        if (g && (st = query(ctx, job->b, g, &hits)) == RR_OK)
            st = push_uncovered(ctx, job, j, g, &hits, RR_NONE);
        if (own)
            GEOSGeom_destroy_r(ctx->geos, own);
        free(hits.idx);
        return st;
    }
    /* What it gained over its old version is covered by the pieces that other old areas gave
     * it in pass 1 (tiny ones too); the rest of it no old area covers. */
    GEOSGeometry *gained = job->gained[j]; /* found in pass 1: this area is ours to free now */
    job->gained[j] = NULL;
    free(hits.idx);
    if (!gained)
        return RR_OK;
    /* Each part of the gain: covered when a piece given to this area matches it exactly (the
     * same region, cut in pass 1 from the other arrangement); else what the pieces near it do
     * not cover (all of it when none is near). */
    part_list open = {0};
    region *got_regions = NULL;
    int ngot = 0;
    const GEOSGeometry **got = NULL;
    size_t ngot_shapes = 0;
    GEOSGeometry **got_own = NULL;
    size_t ngot_own = 0;
    if ((st = received_shapes(ctx, job, j, same, &got, &ngot_shapes, &got_own, &ngot_own)) !=
        RR_OK) {
        GEOSGeom_destroy_r(ctx->geos, gained);
        return rr_error_prefix(ctx, st, "what new area %s gained", area->code);
    }
    if (!regions_of(ctx, got, ngot_shapes, &got_regions, &ngot)) {
        free(got);
        for (size_t k = 0; k < ngot_own; k++)
            GEOSGeom_destroy_r(ctx->geos, got_own[k]);
        free(got_own);
        GEOSGeom_destroy_r(ctx->geos, gained);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (what new area %s gained)", area->code);
    }
    int ncomp = GEOSGetNumGeometries_r(ctx->geos, gained);
    for (int c = 0; c < ncomp && st == RR_OK; c++) {
        const GEOSGeometry *comp = GEOSGetGeometryN_r(ctx->geos, gained, c);
        if (received_whole(ctx, got_regions, ngot, comp))
            continue;
        GEOSGeometry *left = less_in_turn(ctx, comp, got, ngot_shapes);
        if (!left)
            st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot compute the uncovered part of %s: %s",
                          area->code, rr_geos_msg(ctx));
        else if ((left = rr_polygons_only(ctx, left)) && !part_add(ctx, &open, left))
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    }
    free(got);
    free(got_regions);
    for (size_t k = 0; k < ngot_own; k++)
        GEOSGeom_destroy_r(ctx->geos, got_own[k]);
    free(got_own);
    GEOSGeometry *rest = st == RR_OK && open.n ? parts_take(ctx, &open, 0) : NULL;
    parts_free(ctx, &open);
    GEOSGeom_destroy_r(ctx->geos, gained);
    if (st != RR_OK || !rest || !(rest = rr_polygons_only(ctx, rest)))
        return st;
    double rest_area = 0;
    GEOSArea_r(ctx->geos, rest, &rest_area);
    if (rest_area > job->tolerance)
        return push_piece(ctx, job, j, RR_NONE, rest, rest_area);
    GEOSGeom_destroy_r(ctx->geos, rest);
    return RR_OK;
}

/* Areas still in GEOS (a set left unpacked by a failure; a made set is packed and has none) are
 * shared by the workers: their envelopes are made here, before the threads race to cache them. */
static void warm_envelopes(rr_ctx *ctx, const rr_areaset *set)
{
    for (size_t i = 0; i < set->n; i++)
        rr_geom_warm(ctx->geos, set->areas[i].geom);
}

/* covered[j]: the area of new area j that pieces of old areas cover */
static void add_covered(const piece_list *lists, size_t n, double *covered, size_t nnew)
{
    memset(covered, 0, nnew * sizeof *covered);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < lists[i].n; k++)
            if (lists[i].p[k].new_idx != RR_NONE)
                covered[lists[i].p[k].new_idx] += lists[i].p[k].area;
}

static void free_geoms(rr_ctx *ctx, GEOSGeometry **g, size_t n)
{
    for (size_t i = 0; g && i < n; i++)
        if (g[i])
            GEOSGeom_destroy_r(ctx->geos, g[i]);
    free(g);
}

static void free_lists(rr_ctx *ctx, piece_list *lists, size_t n)
{
    for (size_t i = 0; lists && i < n; i++) {
        for (size_t k = 0; k < lists[i].n; k++)
            rr_piece_clear(ctx, &lists[i].p[k]);
        free(lists[i].p);
    }
    free(lists);
}

/* Areas of one version that overlap show up for free in the overlay: the pieces inside an area
 * of the other version add up to more than its area. Only then are the candidate pairs
 * intersected, to name them and the overlap's size. */
static void warn_overlaps(rr_ctx *ctx, const rr_revision *rev, int side)
{
    const rr_areaset *set = side ? rev->old_set : rev->new_set; /* the version that holds them */
    const rr_areaset *host = side ? rev->new_set : rev->old_set;
    double *sum = calloc(host->n + 1, sizeof *sum);
    if (!sum)
        return;
    for (size_t k = 0; k < rev->npieces; k++) {
        const rr_piece *p = &rev->pieces[k];
        size_t h = side ? p->new_idx : p->old_idx;
        if (h != RR_NONE && (side ? p->old_idx : p->new_idx) != RR_NONE)
            sum[h] += p->area;
    }
    size_t warned = 0, nseen = 0, pairs[200];
    for (size_t h = 0; h < host->n && warned < 100; h++) {
        if (sum[h] <= host->areas[h].area + rev->params.tolerance_m2 * 10)
            continue;
        for (size_t a = 0; a < rev->npieces; a++) {
            const rr_piece *pa = &rev->pieces[a];
            size_t ia = side ? pa->old_idx : pa->new_idx;
            if ((side ? pa->new_idx : pa->old_idx) != h || ia == RR_NONE)
                continue;
            for (size_t b = a + 1; b < rev->npieces; b++) {
                const rr_piece *pb = &rev->pieces[b];
                size_t ib = side ? pb->old_idx : pb->new_idx;
                if ((side ? pb->new_idx : pb->old_idx) != h || ib == RR_NONE || ib == ia)
                    continue;
                /* a pair inside several host areas is reported once */
                int seen = 0;
                for (size_t w = 0; w < nseen && !seen; w++)
                    seen = (pairs[2 * w] == ia && pairs[2 * w + 1] == ib) ||
                           (pairs[2 * w] == ib && pairs[2 * w + 1] == ia);
                if (seen || nseen == 100)
                    continue;
                pairs[2 * nseen] = ia;
                pairs[2 * nseen + 1] = ib;
                nseen++;
                GEOSGeometry *own_a = NULL, *own_b = NULL;
                /* a warning only: what cannot be made is not measured, and the context's
                 * message is left as it was */
                char kept_msg[RR_ERRMSG_MAX];
                memcpy(kept_msg, ctx->errmsg, sizeof kept_msg);
                const GEOSGeometry *ga = rr_area_shape(ctx, &set->areas[ia], &own_a, NULL);
                const GEOSGeometry *gb =
                    ga ? rr_area_shape(ctx, &set->areas[ib], &own_b, NULL) : NULL;
                memcpy(ctx->errmsg, kept_msg, sizeof kept_msg);
                GEOSGeometry *g = ga && gb ? GEOSIntersection_r(ctx->geos, ga, gb) : NULL;
                double area = 0;
                if (g) {
                    GEOSArea_r(ctx->geos, g, &area);
                    GEOSGeom_destroy_r(ctx->geos, g);
                }
                if (own_a)
                    GEOSGeom_destroy_r(ctx->geos, own_a);
                if (own_b)
                    GEOSGeom_destroy_r(ctx->geos, own_b);
                if (area > rev->params.tolerance_m2) {
                    rr_warn(ctx, "%s: areas %s and %s of the %s version overlap by %.1f m²; the "
                            "overlap is counted in both", set->path, set->areas[ia].code,
                            set->areas[ib].code, side ? "old" : "new", area);
                    warned++;
                }
            }
        }
    }
    free(sum);
}

/* The kind of an SCB code: 'D' DeSO (2081C1100), 'R' RegSO (2081R001), 0 other. */
static char code_kind(const char *c)
{
    size_t n = strlen(c);
    for (int i = 0; i < 4; i++)
        if (c[i] < '0' || c[i] > '9')
            return 0;
    if (n == 9 && (c[4] == 'A' || c[4] == 'B' || c[4] == 'C'))
        return 'D';
    if (n == 8 && c[4] == 'R')
        return 'R';
    return 0;
}

/* Two versions of one partition share most codes and their kind. Say so when they do not: a
 * RegSO file given as the new DeSO, or the versions swapped, is a likely mistake. */
static void check_versions(rr_ctx *ctx, const rr_areaset *os, const rr_areaset *ns)
{
    size_t common = 0, kinds_old[3] = {0}, kinds_new[3] = {0};
    for (size_t i = 0; i < os->n; i++) {
        common += rr_areaset_find(ns, os->areas[i].code) != RR_NONE;
        char k = code_kind(os->areas[i].code);
        kinds_old[k == 'D' ? 0 : k == 'R' ? 1 : 2]++;
    }
    for (size_t j = 0; j < ns->n; j++) {
        char k = code_kind(ns->areas[j].code);
        kinds_new[k == 'D' ? 0 : k == 'R' ? 1 : 2]++;
    }
    static const char *const kind_names[3] = {"DeSO", "RegSO", "other"};
    int ko = kinds_old[0] > os->n / 2 ? 0 : kinds_old[1] > os->n / 2 ? 1 : 2;
    int kn = kinds_new[0] > ns->n / 2 ? 0 : kinds_new[1] > ns->n / 2 ? 1 : 2;
    if (ko != kn && ko != 2 && kn != 2)
        rr_warn(ctx, "the old codes look like %s codes and the new ones like %s codes: are these "
                "two versions of the same level? (%s, %s)", kind_names[ko], kind_names[kn],
                os->path, ns->path);
    else if (common == 0 && os->n >= 5 && ns->n >= 5)
        rr_warn(ctx, "no code of the old version appears in the new one: are these two versions of "
                "the same partition, with the right code fields? (%s: %s, %s: %s)", os->path,
                os->code_field, ns->path, ns->code_field);
}

rr_status rr_revision_overlay(rr_ctx *ctx, const rr_areaset *old_set, const rr_areaset *new_set,
                              const rr_params *params, rr_revision **out)
{
    rr_status st = RR_OK;
    rr_revision *rev = calloc(1, sizeof *rev);
    piece_list *old_lists = calloc(old_set->n, sizeof *old_lists);
    piece_list *new_lists = calloc(new_set->n, sizeof *new_lists);
    double *covered = calloc(new_set->n, sizeof *covered);
    GEOSGeometry **gained = calloc(new_set->n + 1, sizeof *gained);
    GEOSGeometry **lost = calloc(old_set->n + 1, sizeof *lost);
    size_t *b_twin = calloc(new_set->n + 1, sizeof *b_twin);
    region **gain_info = calloc(new_set->n + 1, sizeof *gain_info);
    int *gain_n = calloc(new_set->n + 1, sizeof *gain_n);
    size_t *recv_start = NULL;
    const rr_piece **recv = NULL;
    if (!rev || !old_lists || !new_lists || !covered || !gained || !lost || !b_twin ||
        !gain_info || !gain_n) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory for the overlay");
        goto fail;
    }
    if (old_set->crs && new_set->crs && rr_crs_same(ctx, old_set->crs, new_set->crs) == 0) {
        st = rr_error(ctx, RR_ERR_CRS, "the two versions are in different CRSs (%s: %s, %s: %s)",
                      old_set->path, old_set->crs_name, new_set->path, new_set->crs_name);
        goto fail;
    }
    rev->old_set = old_set;
    rev->new_set = new_set;
    if (params)
        rev->params = *params;
    else
        rr_params_default(&rev->params);
    check_versions(ctx, old_set, new_set);
    warm_envelopes(ctx, old_set);
    warm_envelopes(ctx, new_set);
    if (rev->params.review_early &&
        (st = rr_review_display_begin(ctx, rev, &rev->display_memo)) != RR_OK)
        goto fail;

    for (size_t j = 0; j < new_set->n; j++)
        b_twin[j] = rr_areaset_find(old_set, new_set->areas[j].code);
    overlay_job job = {.a = old_set, .b = new_set, .a_is_old = 1,
                       .tolerance = rev->params.tolerance_m2, .lists = old_lists,
                       .gained = gained, .lost = lost, .b_twin = b_twin,
                       .gain_parts = gain_info, .gain_nparts = gain_n, .rev = rev,
                       .early = rev->display_memo ? 2 : 0};
    st = rr_parallel_for(ctx, job.early + old_set->n, rev->params.threads, "overlaying",
                         pass1_item, tree_release, &job);
    /* GEOS caches an envelope when first asked: what a new area gained is read by every worker
     * sharing out a neighbour's loss, so its envelopes are made here, before they share it (two
     * workers filling one cache leak one and race). */
    for (size_t j = 0; st == RR_OK && j < new_set->n; j++)
        rr_geom_warm(ctx->geos, gained[j]);
    if (st == RR_OK)
        st = rr_parallel_for(ctx, old_set->n, rev->params.threads, "sharing out changes",
                             share_lost, tree_release, &job);
    if (st != RR_OK)
        goto fail;
    add_covered(old_lists, old_set->n, covered, new_set->n);
    if (!(recv_start = calloc(new_set->n + 2, sizeof *recv_start))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory for the overlay");
        goto fail;
    }
    size_t nrecv = 0;
    for (size_t i = 0; i < old_set->n; i++)
        for (size_t k = 0; k < old_lists[i].n; k++)
            if (old_lists[i].p[k].new_idx != RR_NONE) {
                recv_start[old_lists[i].p[k].new_idx + 2]++;
                nrecv++;
            }
    for (size_t j = 0; j < new_set->n; j++)
        recv_start[j + 2] += recv_start[j + 1];
    if (!(recv = malloc((nrecv + 1) * sizeof *recv))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory for the overlay");
        goto fail;
    }
    for (size_t i = 0; i < old_set->n; i++)
        for (size_t k = 0; k < old_lists[i].n; k++)
            if (old_lists[i].p[k].new_idx != RR_NONE)
                recv[recv_start[old_lists[i].p[k].new_idx + 1]++] = &old_lists[i].p[k];
    overlay_job job2 = {.a = new_set, .b = old_set, .a_is_old = 0,
                        .tolerance = rev->params.tolerance_m2, .lists = new_lists,
                        .covered = covered, .gained = gained, .recv = recv,
                        .recv_start = recv_start};
    st = rr_parallel_for(ctx, new_set->n, rev->params.threads, "finding uncovered parts",
                         overlay_new_uncovered, tree_release, &job2);
    if (st != RR_OK)
        goto fail;

    size_t total = 0;
    for (size_t i = 0; i < old_set->n; i++)
        total += old_lists[i].n;
    for (size_t i = 0; i < new_set->n; i++)
        total += new_lists[i].n;
    rev->pieces = calloc(total ? total : 1, sizeof *rev->pieces);
    if (!rev->pieces) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory for %zu pieces", total);
        goto fail;
    }
    for (int side = 0; side < 2; side++) {
        piece_list *lists = side ? new_lists : old_lists;
        for (size_t i = 0; i < (side ? new_set->n : old_set->n); i++) {
            for (size_t k = 0; k < lists[i].n; k++) {
                if (lists[i].p[k].tiny)
                    rr_piece_clear(ctx, &lists[i].p[k]); /* served pass 2 */
                else
                    rev->pieces[rev->npieces++] = lists[i].p[k];
            }
            lists[i].n = 0;
        }
    }
    warn_overlaps(ctx, rev, 1);
    warn_overlaps(ctx, rev, 0);
    *out = rev;
    rev = NULL; /* the caller's now; st is RR_OK */
fail:
    free_lists(ctx, old_lists, old_set->n);
    free_lists(ctx, new_lists, new_set->n);
    free(covered);
    free_geoms(ctx, gained, new_set->n);
    free(recv);
    free(recv_start);
    free_geoms(ctx, lost, old_set->n);
    free(b_twin);
    for (size_t j = 0; gain_info && j < new_set->n; j++)
        free(gain_info[j]);
    free(gain_info);
    free(gain_n);
    rr_revision_free(rev);
    return st;
}

size_t rr_revision_piece_count(const rr_revision *rev) { return rev->npieces; }
size_t rr_revision_relation_count(const rr_revision *rev) { return rev->nrel; }
