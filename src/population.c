/* population.c: population of each piece from a population source (dasymetric overlay). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One contribution of a cell to a piece: the covered area (1 for a point inside). */
typedef struct contrib {
    size_t cell;
    double amount;
    int whole; /* the whole cell lies in the piece */
} contrib;

typedef struct contrib_list {
    contrib *c;
    size_t n, cap;
} contrib_list;

typedef struct pop_job {
    rr_revision *rev;
    const rr_popsource *pop;
    contrib_list *lists; /* one per piece */
} pop_job;

typedef struct cell_hits {
    size_t *idx;
    size_t n, cap;
    int failed;
} cell_hits;

static void cell_cb(void *item, void *user)
{
    cell_hits *h = user;
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
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

static _Thread_local GEOSSTRtree *tls_cells;
static _Thread_local GEOSContextHandle_t tls_cells_owner;

static void cells_release(rr_ctx *ctx)
{
    if (tls_cells && tls_cells_owner == ctx->geos)
        GEOSSTRtree_destroy_r(ctx->geos, tls_cells);
    tls_cells = NULL;
    tls_cells_owner = NULL;
}

static rr_status contrib_push(rr_ctx *ctx, contrib_list *l, contrib c)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        contrib *bigger = realloc(l->c, cap * sizeof *bigger);
        if (!bigger)
            return rr_error(ctx, RR_ERR_NOMEM, "out of memory estimating population");
        l->c = bigger;
        l->cap = cap;
    }
    l->c[l->n++] = c;
    return RR_OK;
}

static rr_status pop_one(rr_ctx *ctx, size_t i, void *user)
{
    pop_job *job = user;
    const rr_popsource *pop = job->pop;
    const rr_piece *piece = &job->rev->pieces[i];
    if (!tls_cells || tls_cells_owner != ctx->geos) {
        tls_cells = GEOSSTRtree_create_r(ctx->geos, 10);
        tls_cells_owner = ctx->geos;
        if (!tls_cells)
            return rr_error(ctx, RR_ERR_NOMEM, "out of memory indexing population cells");
        for (size_t c = 0; c < pop->n; c++)
            GEOSSTRtree_insert_r(ctx->geos, tls_cells, pop->cells[c], (void *)(uintptr_t)(c + 1));
    }
    cell_hits hits = {0};
    GEOSSTRtree_query_r(ctx->geos, tls_cells, piece->shape, cell_cb, &hits);
    if (hits.failed) {
        free(hits.idx);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory querying population cells");
    }
    rr_status st = RR_OK;
    const GEOSPreparedGeometry *prep = hits.n ? GEOSPrepare_r(ctx->geos, piece->shape) : NULL;
    if (hits.n && !prep) {
        free(hits.idx);
        return rr_error(ctx, RR_ERR_GEOMETRY, "cannot prepare a piece: %s", rr_geos_msg(ctx));
    }
    for (size_t h = 0; h < hits.n && st == RR_OK; h++) {
        size_t c = hits.idx[h];
        const GEOSGeometry *cell = pop->cells[c];
        contrib k = {.cell = c};
        if (pop->points) {
            char in = GEOSPreparedIntersects_r(ctx->geos, prep, cell);
            if (in == 2)
                st = rr_error(ctx, RR_ERR_GEOMETRY, "point test failed: %s", rr_geos_msg(ctx));
            else if (in == 1) {
                k.amount = 1.0;
                k.whole = 1;
                st = contrib_push(ctx, &job->lists[i], k);
            }
            continue;
        }
        char inside = GEOSPreparedContainsProperly_r(ctx->geos, prep, cell);
        if (inside == 1) {
            k.amount = pop->cell_area[c];
            k.whole = 1;
        } else {
            char touch = GEOSPreparedIntersects_r(ctx->geos, prep, cell);
            if (touch != 1)
                continue;
            GEOSGeometry *g = GEOSIntersection_r(ctx->geos, piece->shape, cell);
            if (!g) {
                st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot intersect a piece with a population cell: %s",
                              rr_geos_msg(ctx));
                break;
            }
            GEOSArea_r(ctx->geos, g, &k.amount);
            GEOSGeom_destroy_r(ctx->geos, g);
            if (k.amount <= 0)
                continue;
            k.whole = k.amount >= pop->cell_area[c] * (1 - 1e-9);
        }
        st = contrib_push(ctx, &job->lists[i], k);
    }
    if (prep)
        GEOSPreparedGeom_destroy_r(ctx->geos, prep);
    free(hits.idx);
    return st;
}

rr_status rr_revision_set_population(rr_ctx *ctx, rr_revision *rev, const rr_popsource *pop)
{
    rr_status st = RR_OK;
    contrib_list *lists = calloc(rev->npieces ? rev->npieces : 1, sizeof *lists);
    double *covered = calloc(pop->n ? pop->n : 1, sizeof *covered);
    if (!lists || !covered) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory estimating population");
        goto out;
    }
    pop_job job = {rev, pop, lists};
    st = rr_parallel_for(ctx, rev->npieces, rev->params.threads, "estimating population", pop_one,
                         cells_release, &job);
    if (st != RR_OK)
        goto out;
    /* A cell only partly inside all areas (at the edge of the region) gives all its people to the
     * covered part: totals are kept. Cells wholly outside every area are reported as lost. */
    for (size_t i = 0; i < rev->npieces; i++)
        for (size_t k = 0; k < lists[i].n; k++)
            covered[lists[i].c[k].cell] += lists[i].c[k].amount;
    rev->pop_lost = 0;
    size_t lost_cells = 0;
    for (size_t c = 0; c < pop->n; c++)
        if (covered[c] <= 0) {
            rev->pop_lost += pop->value[c];
            lost_cells++;
        }
    for (size_t i = 0; i < rev->npieces; i++) {
        double sum = 0, partial = 0;
        for (size_t k = 0; k < lists[i].n; k++) {
            const contrib *cb = &lists[i].c[k];
            double share = pop->value[cb->cell] * cb->amount / covered[cb->cell];
            sum += share;
            if (!cb->whole)
                partial += share;
        }
        rev->pieces[i].pop = sum;
        rev->pieces[i].pop_partial = partial;
    }
    rev->has_pop = 1;
    rev->pop_total_source = pop->total;
    if (lost_cells)
        rr_warn(ctx, "%s: %zu population %s (%.0f people) lie outside every area and are not "
                "counted", pop->path, lost_cells, pop->points ? "points" : "cells", rev->pop_lost);
out:
    for (size_t i = 0; lists && i < rev->npieces; i++)
        free(lists[i].c);
    free(lists);
    free(covered);
    return st;
}

rr_status rr_popsource_from_wkt(rr_ctx *ctx, size_t n, const char *const *wkts,
                                const double *values, rr_popsource **out)
{
    rr_popsource *pop = calloc(1, sizeof *pop);
    GEOSWKTReader *rd = GEOSWKTReader_create_r(ctx->geos);
    rr_status st = RR_OK;
    if (!pop || !rd || !(pop->cells = calloc(n ? n : 1, sizeof *pop->cells)) ||
        !(pop->value = calloc(n ? n : 1, sizeof *pop->value)) ||
        !(pop->cell_area = calloc(n ? n : 1, sizeof *pop->cell_area)) ||
        !(pop->path = rr_strdup("(wkt)")) || !(pop->kind = rr_strdup("wkt"))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *g = GEOSWKTReader_read_r(ctx->geos, rd, wkts[i]);
        if (!g) {
            st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot read population WKT %zu: %s", i,
                          rr_geos_msg(ctx));
            goto out;
        }
        pop->cells[pop->n] = g;
        pop->value[pop->n] = values[i];
        pop->points = GEOSGeomTypeId_r(ctx->geos, g) == GEOS_POINT;
        GEOSArea_r(ctx->geos, g, &pop->cell_area[pop->n]);
        pop->total += values[i];
        pop->n++;
    }
    *out = pop;
    pop = NULL;
out:
    if (rd)
        GEOSWKTReader_destroy_r(ctx->geos, rd);
    rr_popsource_free(pop);
    return st;
}
