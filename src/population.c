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

/* Add the contributions of the cells under `geom` to list, with sign +1 or -1. */
static rr_status collect(rr_ctx *ctx, const rr_popsource *pop, const GEOSGeometry *geom,
                         double sign, contrib_list *list)
{
    rr_hits hits = {0};
    GEOSSTRtree_query_r(ctx->geos, tls_cells, geom, rr_hits_cb, &hits);
    if (hits.failed) {
        free(hits.idx);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory querying population cells");
    }
    rr_status st = RR_OK;
    const GEOSPreparedGeometry *prep = hits.n ? GEOSPrepare_r(ctx->geos, geom) : NULL;
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
                k.amount = sign;
                k.whole = 1;
                st = contrib_push(ctx, list, k);
            }
            continue;
        }
        if (GEOSPreparedContainsProperly_r(ctx->geos, prep, cell) == 1) {
            k.amount = pop->cell_area[c];
            k.whole = 1;
        } else {
            if (GEOSPreparedIntersects_r(ctx->geos, prep, cell) != 1)
                continue;
            /* Not GEOSClipByRect: in GEOS 3.11 it returned the whole cell for an area that only
             * grazes it (Dalarna 2080A0020: 1 km² instead of 0.3 m²). OverlayNG clips to the
             * cell's envelope first, which keeps this fast. */
            GEOSGeometry *g = GEOSIntersection_r(ctx->geos, geom, cell);
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
        k.amount *= sign;
        st = contrib_push(ctx, list, k);
    }
    if (prep)
        GEOSPreparedGeom_destroy_r(ctx->geos, prep);
    free(hits.idx);
    return st;
}

static int cmp_contrib(const void *a, const void *b)
{
    const contrib *x = a, *y = b;
    return x->cell < y->cell ? -1 : x->cell > y->cell;
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
    contrib_list *list = &job->lists[i];
    if (piece->shape)
        return collect(ctx, pop, piece->shape, 1, list);
    /* A continuing area's own piece, kept without geometry: its old area minus what it lost. */
    rr_status st = collect(ctx, pop, job->rev->old_set->areas[piece->old_idx].geom, 1, list);
    if (st == RR_OK)
        st = collect(ctx, pop, piece->lost, -1, list);
    if (st != RR_OK || list->n < 2)
        return st;
    qsort(list->c, list->n, sizeof *list->c, cmp_contrib);
    size_t w = 0;
    for (size_t k = 0; k < list->n; k++) {
        if (w > 0 && list->c[w - 1].cell == list->c[k].cell) {
            list->c[w - 1].amount += list->c[k].amount;
            list->c[w - 1].whole = 0; /* the cell also touches what the area lost */
        } else {
            list->c[w++] = list->c[k];
        }
    }
    /* drop cells that cancel out (all of their part went with what was lost) */
    size_t kept = 0;
    for (size_t k = 0; k < w; k++) {
        double scale = pop->points ? 1 : pop->cell_area[list->c[k].cell];
        if (list->c[k].amount > 1e-9 * scale)
            list->c[kept++] = list->c[k];
    }
    list->n = kept;
    return RR_OK;
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

/* Scale the pieces of each area of one side to its target; returns the largest relative
 * deviation before scaling (how far this margin was from fitting). */
static double fit_margin(rr_revision *rev, int side, const double *target, double *sum)
{
    const rr_areaset *set = side ? rev->new_set : rev->old_set;
    memset(sum, 0, set->n * sizeof *sum);
    for (size_t k = 0; k < rev->npieces; k++) {
        size_t i = side ? rev->pieces[k].new_idx : rev->pieces[k].old_idx;
        if (i != RR_NONE)
            sum[i] += rev->pieces[k].pop;
    }
    double worst = 0;
    for (size_t i = 0; i < set->n; i++)
        if (!isnan(target[i]) && target[i] > 0)
            worst = fmax(worst, fabs(sum[i] - target[i]) / target[i]);
    for (size_t k = 0; k < rev->npieces; k++) {
        rr_piece *p = &rev->pieces[k];
        size_t i = side ? p->new_idx : p->old_idx;
        if (i == RR_NONE || isnan(target[i]))
            continue;
        double f = sum[i] > 0 ? target[i] / sum[i] : 0;
        p->pop *= f;
        p->pop_partial *= f;
    }
    return worst;
}

/* Targets per area from a totals table (NAN where the table has no value). */
static double *targets(rr_ctx *ctx, const rr_areaset *set, const rr_areatotals *t, double *total,
                       size_t *matched)
{
    double *target = malloc((set->n + 1) * sizeof *target);
    if (!target)
        return NULL;
    *total = 0;
    *matched = 0;
    for (size_t i = 0; i < set->n; i++) {
        size_t r = rr_areatotals_find(t, set->areas[i].code);
        target[i] = r == RR_NONE ? NAN : t->value[r];
        if (r != RR_NONE) {
            *total += t->value[r];
            (*matched)++;
        }
    }
    if (*matched < set->n)
        rr_warn(ctx, "%s: %zu of %zu areas have no total; their pieces keep their estimate",
                t->path, set->n - *matched, set->n);
    if (*matched < t->n)
        rr_notice(ctx, "%s: %zu codes of the table are not among the areas (other regions?)",
                  t->path, t->n - *matched);
    return target;
}

rr_status rr_revision_calibrate(rr_ctx *ctx, rr_revision *rev, const rr_areatotals *old_totals,
                                const rr_areatotals *new_totals)
{
    if (!old_totals && !new_totals)
        return RR_OK;
    double *t_old = NULL, *t_new = NULL, *sum = NULL;
    double total_old = 0, total_new = 0;
    size_t m_old = 0, m_new = 0;
    rr_status st = RR_OK;
    size_t nmax = rev->old_set->n > rev->new_set->n ? rev->old_set->n : rev->new_set->n;
    if (!(sum = malloc((nmax + 1) * sizeof *sum)) ||
        (old_totals && !(t_old = targets(ctx, rev->old_set, old_totals, &total_old, &m_old))) ||
        (new_totals && !(t_new = targets(ctx, rev->new_set, new_totals, &total_new, &m_new)))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory calibrating population");
        goto out;
    }
    if (!rev->has_pop) {
        /* no population source: start from area shares */
        for (size_t k = 0; k < rev->npieces; k++) {
            rev->pieces[k].pop = rev->pieces[k].area;
            rev->pieces[k].pop_partial = 0;
        }
        rev->has_pop = 1;
    }
    /* An area whose estimate is zero but whose total is not: spread by area inside it. */
    for (int side = 0; side < 2; side++) {
        const double *t = side ? t_new : t_old;
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        if (!t)
            continue;
        memset(sum, 0, set->n * sizeof *sum);
        for (size_t k = 0; k < rev->npieces; k++) {
            size_t i = side ? rev->pieces[k].new_idx : rev->pieces[k].old_idx;
            if (i != RR_NONE)
                sum[i] += rev->pieces[k].pop;
        }
        for (size_t k = 0; k < rev->npieces; k++) {
            size_t i = side ? rev->pieces[k].new_idx : rev->pieces[k].old_idx;
            if (i != RR_NONE && !(sum[i] > 0) && t[i] > 0)
                rev->pieces[k].pop = rev->pieces[k].area * 1e-6;
        }
    }
    rev->calib_scale_new = 1;
    if (t_old && t_new && total_new > 0) {
        rev->calib_scale_new = total_old / total_new;
        for (size_t j = 0; j < rev->new_set->n; j++)
            t_new[j] *= rev->calib_scale_new;
    }
    rev->calib_iterations = 0;
    for (int it = 0; it < 200; it++) {
        rev->calib_iterations = it + 1;
        if (t_old)
            fit_margin(rev, 0, t_old, sum);
        if (t_new)
            fit_margin(rev, 1, t_new, sum);
        if (!t_old || !t_new)
            break;
        /* converged when the old margin still fits after fitting the new one */
        double dev = 0;
        memset(sum, 0, rev->old_set->n * sizeof *sum);
        for (size_t k = 0; k < rev->npieces; k++)
            if (rev->pieces[k].old_idx != RR_NONE)
                sum[rev->pieces[k].old_idx] += rev->pieces[k].pop;
        for (size_t i = 0; i < rev->old_set->n; i++)
            if (!isnan(t_old[i]) && t_old[i] > 0)
                dev = fmax(dev, fabs(sum[i] - t_old[i]) / t_old[i]);
        if (dev < 1e-9)
            break;
    }
    /* report how well both margins fit now */
    rev->calib_dev_old = rev->calib_dev_new = 0;
    for (int side = 0; side < 2; side++) {
        const double *t = side ? t_new : t_old;
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        if (!t)
            continue;
        memset(sum, 0, set->n * sizeof *sum);
        for (size_t k = 0; k < rev->npieces; k++) {
            size_t i = side ? rev->pieces[k].new_idx : rev->pieces[k].old_idx;
            if (i != RR_NONE)
                sum[i] += rev->pieces[k].pop;
        }
        double dev = 0;
        for (size_t i = 0; i < set->n; i++)
            if (!isnan(t[i]) && t[i] > 0)
                dev = fmax(dev, fabs(sum[i] - t[i]) / t[i]);
        if (side)
            rev->calib_dev_new = dev;
        else
            rev->calib_dev_old = dev;
    }
    rev->calibrated = (t_old ? 1 : 0) | (t_new ? 2 : 0);
    if (t_old && t_new && rev->calib_dev_old > 1e-6)
        rr_warn(ctx, "the old and new totals cannot both be met (are they of different years?): "
                "after %d iterations the fit is off by up to %.3g %% on the old totals",
                rev->calib_iterations, 100 * rev->calib_dev_old);
    rr_notice(ctx, "population calibrated to %s%s%s totals (%zu + %zu areas)%s: %d iteration%s, "
              "largest deviation %.3g %% from old totals, %.3g %% from new totals%s",
              t_old ? "old" : "", t_old && t_new ? " and " : "", t_new ? "new" : "", m_old, m_new,
              t_old && t_new ? " by iterative proportional fitting" : "", rev->calib_iterations,
              rev->calib_iterations == 1 ? "" : "s", 100 * rev->calib_dev_old,
              100 * rev->calib_dev_new,
              t_old && t_new ? " (new totals scaled to the old grand total)" : "");
out:
    free(t_old);
    free(t_new);
    free(sum);
    return st;
}
