/* analysis.c: the sliver rule, the key's relations, SCB's change list and the area classes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const change_names[RR_CH_COUNT] = {
    "Upphör; till nybildad",
    "Upphör; till befintlig",
    "Minskas och ger del till befintlig eller nybildad",
    "Ger del/delar till befintlig",
    "Ger del till nybildad",
    "Utvidgas",
    "Utvidgas till territorialvattengräns",
    "Kodändrad; annat än 20-22",
};

static const char *const class_names[RR_CLASS_COUNT] = {
    "unchanged", "recoded", "boundary", "split", "merged", "complex", "new", "ceased"};

const char *rr_change_type_name(rr_change_type t) { return change_names[t]; }
const char *rr_area_class_name(rr_area_class c) { return class_names[c]; }

static const char *const comparability_names[] = {"identical", "recoded", "aggregate", "estimated"};
const char *rr_comparability_name(rr_comparability c) { return comparability_names[c]; }

/* p->core_area measured (when not yet): RR_OK, or why a packed piece could not be read back (its
 * core then stays unmeasured, and the message is set). */
static rr_status measure_piece_core(rr_ctx *ctx, rr_piece *p, double width)
{
    if (width > 0 && isnan(p->core_area)) {
        GEOSGeometry *own = NULL;
        rr_status st = RR_OK;
        const GEOSGeometry *shape = rr_piece_shape(ctx, p, &own, &st);
        if (st != RR_OK)
            return st;
        GEOSGeometry *core = shape ? GEOSBuffer_r(ctx->geos, shape, -width / 2, 2) : NULL;
        if (own)
            GEOSGeom_destroy_r(ctx->geos, own);
        p->core_area = 0;
        if (core) {
            GEOSArea_r(ctx->geos, core, &p->core_area);
            GEOSGeom_destroy_r(ctx->geos, core);
        }
    }
    return RR_OK;
}

/* Does the piece keep a core of at least min_core m² that is min_width wide? A redrawn boundary
 * leaves long thin slivers (a road moved to the next road); a real transfer moves a block with a
 * body. The core is what an inward buffer of min_width/2 leaves. */
static int has_core(rr_ctx *ctx, rr_piece *p, double width, double min_core)
{
    if (width <= 0)
        return 1;
    if (measure_piece_core(ctx, p, width) != RR_OK)
        return 0; /* not reached: measure_core measured every piece the rule asks about */
    return p->core_area > 0 && p->core_area >= min_core;
}

/* The sliver rule, for a piece that is not the main part of either of its areas (see README,
 * "What counts as a transfer"): big enough, with a body at least min_width wide, a noticeable
 * share of one of its areas, and, with population, either people or real size. */
static int big_enough(const rr_revision *rev, const rr_piece *p)
{
    const rr_params *pr = &rev->params;
    if (p->area < pr->min_area_m2)
        return 0;
    double share_old = p->old_idx != RR_NONE ? p->area / rev->old_set->areas[p->old_idx].area : 0;
    double share_new = p->new_idx != RR_NONE ? p->area / rev->new_set->areas[p->new_idx].area : 0;
    return fmax(share_old, share_new) >= pr->min_share;
}

static int passes_rule(rr_ctx *ctx, const rr_revision *rev, rr_piece *p)
{
    const rr_params *pr = &rev->params;
    if (!big_enough(rev, p) || !has_core(ctx, p, pr->min_width_m, pr->min_core_m2))
        return 0;
    if (rev->has_pop && p->pop < pr->min_pop && p->area < 10 * pr->min_area_m2)
        return 0;
    return 1;
}

static void free_results(rr_revision *rev)
{
    free(rev->rel);
    free(rev->changes);
    for (size_t i = 0; rev->old_info && i < rev->old_set->n; i++)
        free(rev->old_info[i].related);
    for (size_t i = 0; rev->new_info && i < rev->new_set->n; i++)
        free(rev->new_info[i].related);
    free(rev->old_info);
    free(rev->new_info);
    free(rev->units_old);
    free(rev->units_new);
    free(rev->rel_by_new);
    free(rev->rel_by_old);
    free(rev->rel_first_old);
    free(rev->rel_first_new);
    free(rev->folded_into);
    rr_shape_memo_free(rev->shape_memo);
    rev->shape_memo = NULL;
    rev->rel_by_old = NULL;
    rev->folded_into = NULL;
    rev->rel = NULL;
    rev->changes = NULL;
    rev->old_info = rev->new_info = NULL;
    rev->units_old = rev->units_new = NULL;
    rev->rel_by_new = rev->rel_first_old = rev->rel_first_new = NULL;
    rev->nrel = rev->nchanges = rev->nunits = 0;
}

void rr_revision_free(rr_revision *rev)
{
    if (!rev)
        return;
    GEOSContextHandle_t h = GEOS_init_r();
    for (size_t i = 0; i < rev->npieces; i++) {
        if (rev->pieces[i].geom)
            GEOSGeom_destroy_r(h, rev->pieces[i].geom);
        if (!rev->pieces[i].blob_borrowed) /* else a whole area's, freed with its set */
            free(rev->pieces[i].blob);
    }
    GEOS_finish_r(h);
    free(rev->pieces);
    free_results(rev);
    rr_display_memo_free(rev->display_memo, rev);
    free(rev);
}

/* Sort keys: areas are sorted by code, so index order is code order; "no area" (the empty code)
 * sorts first. */
static size_t idx_key(size_t i) { return i == RR_NONE ? 0 : i + 1; }

static int cmp_rel_q(const void *a, const void *b)
{
    const rr_relation *x = a, *y = b;
    size_t xo = idx_key(x->old_idx), yo = idx_key(y->old_idx);
    if (xo != yo)
        return xo < yo ? -1 : 1;
    size_t xn = idx_key(x->new_idx), yn = idx_key(y->new_idx);
    return xn < yn ? -1 : xn > yn;
}

/* qsort has no user pointer in C11; the change comparison needs the names of the types only. */
static int cmp_change_q(const void *a, const void *b)
{
    const rr_change *x = a, *y = b;
    size_t xo = idx_key(x->old_idx), yo = idx_key(y->old_idx);
    if (xo != yo)
        return xo < yo ? -1 : 1;
    size_t xn = idx_key(x->new_idx), yn = idx_key(y->new_idx);
    if (xn != yn)
        return xn < yn ? -1 : 1;
    return strcmp(change_names[x->type], change_names[y->type]);
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* The main piece of each area, by area: it is always a relation, and folded pieces join the old
 * area's main relation. */
static void find_main_pieces(const rr_revision *rev, size_t *dom_old, size_t *dom_new)
{
    for (size_t i = 0; i < rev->old_set->n; i++)
        dom_old[i] = RR_NONE;
    for (size_t j = 0; j < rev->new_set->n; j++)
        dom_new[j] = RR_NONE;
    for (size_t k = 0; k < rev->npieces; k++) {
        const rr_piece *p = &rev->pieces[k];
        if (p->old_idx != RR_NONE &&
            (dom_old[p->old_idx] == RR_NONE || p->area > rev->pieces[dom_old[p->old_idx]].area))
            dom_old[p->old_idx] = k;
        if (p->new_idx != RR_NONE &&
            (dom_new[p->new_idx] == RR_NONE || p->area > rev->pieces[dom_new[p->new_idx]].area))
            dom_new[p->new_idx] = k;
    }
}

/* A piece of an area that keeps its code (the old and the new area have the same code). */
static int same_code(const rr_revision *rev, const rr_piece *p)
{
    return p->old_idx != RR_NONE && p->new_idx != RR_NONE &&
           strcmp(rev->old_set->areas[p->old_idx].code, rev->new_set->areas[p->new_idx].code) == 0;
}

/* The costly part of the sliver rule, the inward buffer of has_core, for piece k when the rule
 * gets that far with it: run for all pieces side by side before the rule itself. */
static rr_status measure_core(rr_ctx *ctx, size_t k, void *user)
{
    rr_revision *rev = user;
    rr_piece *p = &rev->pieces[k];
    if (!same_code(rev, p) && big_enough(rev, p))
        return measure_piece_core(ctx, p, rev->params.min_width_m);
    return RR_OK;
}

static void mark_transfers(rr_ctx *ctx, rr_revision *rev, const size_t *dom_old,
                           const size_t *dom_new)
{
    rev->transfers_total = 0;
    for (size_t k = 0; k < rev->npieces; k++) {
        rr_piece *p = &rev->pieces[k];
        int kept_code = same_code(rev, p);
        if (!kept_code)
            rev->transfers_total++;
        /* Parts only one version covers are always relations (CONTRACT: they never dilute the
         * weights); whether they count as a change (the sea extension) is the rule's call. */
        int uncovered = p->old_idx == RR_NONE || p->new_idx == RR_NONE;
        p->moved = !kept_code && passes_rule(ctx, rev, p);
        p->transfer = kept_code || uncovered || p->moved ||
                      (p->old_idx != RR_NONE && dom_old[p->old_idx] == k) ||
                      (p->new_idx != RR_NONE && dom_new[p->new_idx] == k);
    }
}

/* Relations: transfers, plus folded pieces added to their old area's main relation so each old
 * area's totals are kept. One entry per piece, sorted, then equal pairs merged. */
static rr_status build_relations(rr_ctx *ctx, rr_revision *rev, const size_t *dom_old)
{
    rev->rel = calloc(rev->npieces ? rev->npieces : 1, sizeof *rev->rel);
    if (!rev->rel)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory building the key");
    for (size_t k = 0; k < rev->npieces; k++) {
        const rr_piece *p = &rev->pieces[k];
        const rr_piece *host = p->transfer ? p : &rev->pieces[dom_old[p->old_idx]];
        rr_relation *r = &rev->rel[k];
        r->old_idx = host->old_idx;
        r->new_idx = host->new_idx;
        r->area = p->area;
        r->pop = rev->has_pop ? p->pop : 0;
        r->pop_partial = rev->has_pop ? p->pop_partial : 0;
    }
    qsort(rev->rel, rev->npieces, sizeof *rev->rel, cmp_rel_q);
    size_t w = 0;
    for (size_t k = 0; k < rev->npieces; k++) {
        if (w > 0 && rev->rel[w - 1].old_idx == rev->rel[k].old_idx &&
            rev->rel[w - 1].new_idx == rev->rel[k].new_idx) {
            rev->rel[w - 1].area += rev->rel[k].area;
            rev->rel[w - 1].pop += rev->rel[k].pop;
            rev->rel[w - 1].pop_partial += rev->rel[k].pop_partial;
        } else {
            rev->rel[w++] = rev->rel[k];
        }
    }
    rev->nrel = w;
    return RR_OK;
}

static _Thread_local const rr_relation *sort_rel;
static int cmp_rel_new_q(const void *a, const void *b)
{
    const rr_relation *x = &sort_rel[*(const size_t *)a], *y = &sort_rel[*(const size_t *)b];
    size_t xn = idx_key(x->new_idx), yn = idx_key(y->new_idx);
    if (xn != yn)
        return xn < yn ? -1 : 1;
    size_t xo = idx_key(x->old_idx), yo = idx_key(y->old_idx);
    return xo < yo ? -1 : xo > yo;
}

/* Index the relations with a real code on both sides per area: rel_by_old[rel_first_old[i] ..
 * rel_first_old[i+1]) are those of old area i, sorted by new code; likewise for the new side. */
static rr_status index_relations(rr_ctx *ctx, rr_revision *rev)
{
    size_t no = rev->old_set->n, nn = rev->new_set->n;
    rev->rel_first_old = calloc(no + 1, sizeof(size_t));
    rev->rel_first_new = calloc(nn + 1, sizeof(size_t));
    rev->rel_by_new = malloc((rev->nrel ? rev->nrel : 1) * sizeof(size_t));
    rev->rel_by_old = malloc((rev->nrel ? rev->nrel : 1) * sizeof(size_t));
    if (!rev->rel_first_old || !rev->rel_first_new || !rev->rel_by_new || !rev->rel_by_old)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory indexing the key");
    size_t m = 0;
    for (size_t k = 0; k < rev->nrel; k++)
        if (rev->rel[k].old_idx != RR_NONE && rev->rel[k].new_idx != RR_NONE) {
            rev->rel_by_old[m] = k; /* rel is sorted by old, then new */
            rev->rel_by_new[m++] = k;
        }
    sort_rel = rev->rel;
    qsort(rev->rel_by_new, m, sizeof(size_t), cmp_rel_new_q);
    /* counts, then prefix sums */
    for (size_t k = 0; k < m; k++) {
        const rr_relation *r = &rev->rel[rev->rel_by_new[k]];
        rev->rel_first_old[r->old_idx + 1]++;
        rev->rel_first_new[r->new_idx + 1]++;
    }
    for (size_t i = 0; i < no; i++)
        rev->rel_first_old[i + 1] += rev->rel_first_old[i];
    for (size_t j = 0; j < nn; j++)
        rev->rel_first_new[j + 1] += rev->rel_first_new[j];
    rev->nrel_real = m;
    return RR_OK;
}

/* The k-th relation (with a real code on both sides) of area i of one side. */
static const rr_relation *area_rel(const rr_revision *rev, int side, size_t i, size_t k)
{
    if (side)
        return &rev->rel[rev->rel_by_new[rev->rel_first_new[i] + k]];
    return &rev->rel[rev->rel_by_old[rev->rel_first_old[i] + k]];
}

static size_t area_rel_count(const rr_revision *rev, int side, size_t i)
{
    const size_t *first = side ? rev->rel_first_new : rev->rel_first_old;
    return first[i + 1] - first[i];
}

static rr_status compute_weights(rr_ctx *ctx, rr_revision *rev)
{
    for (int side = 0; side < 2; side++) {
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        rr_area_info *info = side ? rev->new_info : rev->old_info;
        for (size_t i = 0; i < set->n; i++) {
            double sa = 0, sp = 0;
            size_t n = area_rel_count(rev, side, i);
            for (size_t k = 0; k < n; k++) {
                sa += area_rel(rev, side, i, k)->area;
                sp += area_rel(rev, side, i, k)->pop;
            }
            int fallback = rev->has_pop && !(sp > 0);
            info[i].pop_fallback = fallback;
            for (size_t k = 0; k < n; k++) {
                rr_relation *r = (rr_relation *)area_rel(rev, side, i, k);
                double wa = r->area / sa;
                double wp = !rev->has_pop ? NAN : fallback ? wa : r->pop / sp;
                if (side) {
                    r->w_area_new = wa;
                    r->w_pop_new = wp;
                } else {
                    r->w_area_old = wa;
                    r->w_pop_old = wp;
                }
            }
        }
    }
    for (size_t k = 0; k < rev->nrel; k++) {
        rr_relation *r = &rev->rel[k];
        if (r->old_idx == RR_NONE || r->new_idx == RR_NONE)
            r->w_area_old = r->w_area_new = r->w_pop_old = r->w_pop_new = NAN;
    }
    (void)ctx;
    return RR_OK;
}

/* Comparable units: connected components of the relation graph (real codes only), numbered in
 * order of their first old code, then new-only areas. */
static rr_status find_units(rr_ctx *ctx, rr_revision *rev)
{
    size_t no = rev->old_set->n, nn = rev->new_set->n;
    size_t *parent = malloc((no + nn + 1) * sizeof *parent);
    size_t *unit_of_root = malloc((no + nn + 1) * sizeof *unit_of_root);
    rev->units_old = malloc((no + 1) * sizeof *rev->units_old);
    rev->units_new = malloc((nn + 1) * sizeof *rev->units_new);
    if (!parent || !unit_of_root || !rev->units_old || !rev->units_new) {
        free(parent);
        free(unit_of_root);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory finding comparable units");
    }
    for (size_t i = 0; i < no + nn; i++) {
        parent[i] = i;
        unit_of_root[i] = RR_NONE;
    }
    for (size_t k = 0; k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        if (r->old_idx == RR_NONE || r->new_idx == RR_NONE)
            continue;
        size_t a = uf_find(parent, r->old_idx), b = uf_find(parent, no + r->new_idx);
        if (a != b)
            parent[a < b ? b : a] = a < b ? a : b;
    }
    rev->nunits = 0;
    for (size_t i = 0; i < no + nn; i++) {
        size_t root = uf_find(parent, i);
        if (unit_of_root[root] == RR_NONE)
            unit_of_root[root] = rev->nunits++;
        if (i < no)
            rev->units_old[i] = unit_of_root[root];
        else
            rev->units_new[i - no] = unit_of_root[root];
    }
    free(parent);
    free(unit_of_root);
    return RR_OK;
}

static char *related_codes(const rr_revision *rev, int side, size_t i)
{
    const rr_areaset *other = side ? rev->old_set : rev->new_set;
    rr_buf b = {0};
    rr_buf_add(&b, "");
    size_t n = area_rel_count(rev, side, i);
    for (size_t k = 0; k < n; k++) {
        const rr_relation *r = area_rel(rev, side, i, k);
        rr_buf_addf(&b, "%s%s", k ? ";" : "", other->areas[side ? r->old_idx : r->new_idx].code);
    }
    if (b.failed) {
        rr_buf_free(&b);
        return NULL;
    }
    return b.s;
}

/* Per area: related codes, class, comparability and apportioned share. */
static rr_status classify(rr_ctx *ctx, rr_revision *rev)
{
    size_t no = rev->old_set->n, nn = rev->new_set->n;
    size_t *uo = calloc(rev->nunits + 1, sizeof *uo), *un = calloc(rev->nunits + 1, sizeof *un);
    if (!uo || !un) {
        free(uo);
        free(un);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory classifying areas");
    }
    for (size_t i = 0; i < no; i++)
        uo[rev->units_old[i]]++;
    for (size_t j = 0; j < nn; j++)
        un[rev->units_new[j]]++;
    for (size_t k = 0; k < rev->npieces && rev->has_pop; k++) {
        const rr_piece *p = &rev->pieces[k];
        if (p->old_idx != RR_NONE)
            rev->old_info[p->old_idx].pop += p->pop;
        if (p->new_idx != RR_NONE)
            rev->new_info[p->new_idx].pop += p->pop;
    }
    rr_status st = RR_OK;
    for (int side = 0; side < 2 && st == RR_OK; side++) {
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        const rr_areaset *other = side ? rev->old_set : rev->new_set;
        size_t n = side ? nn : no;
        const size_t *units = side ? rev->units_new : rev->units_old;
        rr_area_info *info = side ? rev->new_info : rev->old_info;
        for (size_t i = 0; i < n; i++) {
            size_t cnt = area_rel_count(rev, side, i);
            size_t a = uo[units[i]], b = un[units[i]];
            if (!(info[i].related = related_codes(rev, side, i))) {
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
                break;
            }
            /* Shares of this area that come from (or go to) areas only partly inside it. */
            double total = 0, partial = 0;
            int whole = 1;
            for (size_t k = 0; k < cnt; k++) {
                const rr_relation *r = area_rel(rev, side, i, k);
                size_t them = side ? r->old_idx : r->new_idx;
                double amount = rev->has_pop && !info[i].pop_fallback ? r->pop : r->area;
                total += amount;
                if (area_rel_count(rev, !side, them) > 1) {
                    whole = 0;
                    partial += amount;
                }
            }
            info[i].apportioned = total > 0 ? partial / total : 0;
            rr_area_class c;
            if (cnt == 0)
                c = side ? RR_CLASS_NEW : RR_CLASS_CEASED;
            else if (a == 1 && b == 1) {
                const rr_relation *r = area_rel(rev, side, i, 0);
                const rr_area *me = &set->areas[i], *them = &other->areas[side ? r->old_idx : r->new_idx];
                if (strcmp(me->code, them->code) != 0)
                    c = RR_CLASS_RECODED;
                else {
                    /* the same area if the pair's own intersection covers both within tolerance */
                    double shared = r->area - rev->folded_into[side ? r->old_idx : i];
                    double tol = rev->params.tolerance_m2;
                    c = (me->area - shared <= tol && them->area - shared <= tol) ? RR_CLASS_UNCHANGED
                                                                                : RR_CLASS_BOUNDARY;
                }
            } else if (a == 1)
                c = RR_CLASS_SPLIT;
            else if (b == 1)
                c = RR_CLASS_MERGED;
            else
                c = RR_CLASS_COMPLEX;
            info[i].cls = c;
            if (c == RR_CLASS_UNCHANGED || c == RR_CLASS_BOUNDARY)
                info[i].cmp = RR_CMP_IDENTICAL;
            else if (c == RR_CLASS_RECODED)
                info[i].cmp = RR_CMP_RECODED;
            else if (cnt > 0 && whole)
                info[i].cmp = RR_CMP_AGGREGATE;
            else
                info[i].cmp = RR_CMP_ESTIMATED;
            if (info[i].cmp != RR_CMP_ESTIMATED)
                info[i].apportioned = 0;
        }
    }
    free(uo);
    free(un);
    return st;
}

/* SCB's change list from the relations (and, for the sea, from the pieces). */
static rr_status list_changes(rr_ctx *ctx, rr_revision *rev)
{
    const rr_areaset *os = rev->old_set, *ns = rev->new_set;
    size_t no = os->n, nn = ns->n;
    rev->changes = calloc(rev->nrel + no + 2 * nn + 1, sizeof *rev->changes);
    double *given = calloc(2 * no + 1, sizeof(double)), *recv = calloc(4 * nn + 1, sizeof(double));
    if (!rev->changes || !given || !recv) {
        free(given);
        free(recv);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory listing changes");
    }
    for (size_t k = 0; k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        if (r->new_idx == RR_NONE || r->old_idx == RR_NONE)
            continue; /* the sea extension is counted from its pieces below */
        const char *oc = os->areas[r->old_idx].code, *nc = ns->areas[r->new_idx].code;
        if (strcmp(oc, nc) == 0)
            continue;
        int old_continues = rr_areaset_find(ns, oc) != RR_NONE;
        size_t new_before = rr_areaset_find(os, nc);
        rr_change *c = &rev->changes[rev->nchanges++];
        c->old_idx = r->old_idx;
        c->new_idx = r->new_idx;
        c->area = r->area;
        c->pop = rev->has_pop ? r->pop : NAN;
        if (!old_continues) {
            if (rev->old_info[r->old_idx].cls == RR_CLASS_RECODED && new_before == RR_NONE)
                c->type = RR_CH_RECODED;
            else
                c->type = new_before != RR_NONE ? RR_CH_CEASED_TO_EXISTING : RR_CH_CEASED_TO_NEW;
        } else {
            c->type = new_before != RR_NONE ? RR_CH_GIVES_TO_EXISTING : RR_CH_GIVES_TO_NEW;
            given[2 * r->old_idx] += r->area;
            given[2 * r->old_idx + 1] += r->pop;
        }
        if (new_before != RR_NONE) {
            recv[4 * r->new_idx] += r->area;
            recv[4 * r->new_idx + 1] += r->pop;
        }
    }
    for (size_t k = 0; k < rev->npieces; k++) {
        const rr_piece *p = &rev->pieces[k];
        if (p->old_idx == RR_NONE && p->moved) {
            recv[4 * p->new_idx + 2] += p->area;
            recv[4 * p->new_idx + 3] += rev->has_pop ? p->pop : 0;
        }
    }
    for (size_t i = 0; i < no; i++) {
        if (given[2 * i] <= 0)
            continue;
        rr_change *c = &rev->changes[rev->nchanges++];
        c->old_idx = i;
        c->new_idx = rr_areaset_find(ns, os->areas[i].code);
        c->type = RR_CH_SHRINKS;
        c->area = given[2 * i];
        c->pop = rev->has_pop ? given[2 * i + 1] : NAN;
    }
    for (size_t j = 0; j < nn; j++) {
        size_t self_old = rr_areaset_find(os, ns->areas[j].code);
        for (size_t sea = 0; sea < 2; sea++) {
            if (recv[4 * j + 2 * sea] <= 0 || self_old == RR_NONE)
                continue;
            rr_change *c = &rev->changes[rev->nchanges++];
            c->old_idx = self_old;
            c->new_idx = j;
            c->type = sea ? RR_CH_GROWS_SEA : RR_CH_GROWS;
            c->area = recv[4 * j + 2 * sea];
            c->pop = rev->has_pop ? recv[4 * j + 2 * sea + 1] : NAN;
        }
    }
    free(given);
    free(recv);
    qsort(rev->changes, rev->nchanges, sizeof *rev->changes, cmp_change_q);
    return RR_OK;
}

rr_status rr_revision_analyse(rr_ctx *ctx, rr_revision *rev)
{
    size_t no = rev->old_set->n, nn = rev->new_set->n;
    rr_status st = RR_OK;
    free_results(rev);
    size_t *dom_old = malloc((no + 1) * sizeof *dom_old);
    size_t *dom_new = malloc((nn + 1) * sizeof *dom_new);
    rev->old_info = calloc(no + 1, sizeof *rev->old_info);
    rev->new_info = calloc(nn + 1, sizeof *rev->new_info);
    rev->folded_into = calloc(no + 1, sizeof *rev->folded_into);
    if (!dom_old || !dom_new || !rev->old_info || !rev->new_info || !rev->folded_into) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory analysing the revision");
        goto out;
    }
    /* Workers buffer the pieces: their envelopes, which GEOS caches on first use, were made
     * with each piece (rr_geom_warm in overlay.c's list_push) */
    if ((st = rr_parallel_for(ctx, rev->npieces, rev->params.threads, "measuring pieces",
                              measure_core, NULL, rev)) != RR_OK)
        goto out;
    find_main_pieces(rev, dom_old, dom_new);
    mark_transfers(ctx, rev, dom_old, dom_new);
    for (size_t k = 0; k < rev->npieces; k++)
        if (!rev->pieces[k].transfer)
            rev->folded_into[rev->pieces[k].old_idx] += rev->pieces[k].area;
    if ((st = build_relations(ctx, rev, dom_old)) != RR_OK ||
        (st = index_relations(ctx, rev)) != RR_OK || (st = compute_weights(ctx, rev)) != RR_OK ||
        (st = find_units(ctx, rev)) != RR_OK || (st = classify(ctx, rev)) != RR_OK ||
        (st = list_changes(ctx, rev)) != RR_OK)
        goto out;
    rev->shape_memo = rr_shape_memo_new(rev->nchanges); /* NULL: each writer makes its own */
out:
    free(dom_old);
    free(dom_new);
    if (st != RR_OK)
        free_results(rev);
    return st;
}

size_t rr_revision_change_count(const rr_revision *rev) { return rev->nchanges; }

void rr_revision_piece(const rr_revision *rev, size_t k, rr_piece_view *out)
{
    const rr_piece *p = &rev->pieces[k];
    out->old_code = rr_old_code(rev, p->old_idx);
    out->new_code = rr_new_code(rev, p->new_idx);
    out->area_m2 = p->area;
    out->pop = rev->has_pop ? p->pop : NAN;
    out->transfer = p->transfer;
}

void rr_revision_relation(const rr_revision *rev, size_t k, rr_relation_view *out)
{
    const rr_relation *r = &rev->rel[k];
    out->old_code = rr_old_code(rev, r->old_idx);
    out->new_code = rr_new_code(rev, r->new_idx);
    out->area_m2 = r->area;
    out->pop = rev->has_pop ? r->pop : NAN;
    out->w_area_old = r->w_area_old;
    out->w_area_new = r->w_area_new;
    out->w_pop_old = rev->has_pop ? r->w_pop_old : NAN;
    out->w_pop_new = rev->has_pop ? r->w_pop_new : NAN;
}

void rr_revision_change(const rr_revision *rev, size_t k, rr_change_view *out)
{
    const rr_change *c = &rev->changes[k];
    out->old_code = rr_old_code(rev, c->old_idx);
    out->new_code = rr_new_code(rev, c->new_idx);
    out->change_type = rr_change_type_name(c->type);
    out->area_m2 = c->area;
    out->pop = c->pop;
}

const char *rr_revision_area_class(const rr_revision *rev, int new_version, const char *code,
                                   const char **related)
{
    const rr_areaset *set = new_version ? rev->new_set : rev->old_set;
    const rr_area_info *info = new_version ? rev->new_info : rev->old_info;
    size_t i = rr_areaset_find(set, code);
    if (i == RR_NONE || !info)
        return NULL;
    if (related)
        *related = info[i].related ? info[i].related : "";
    return rr_area_class_name(info[i].cls);
}

const char *rr_revision_area_comparability(const rr_revision *rev, int new_version,
                                           const char *code, size_t *unit,
                                           double *apportioned_share)
{
    const rr_areaset *set = new_version ? rev->new_set : rev->old_set;
    const rr_area_info *info = new_version ? rev->new_info : rev->old_info;
    size_t i = rr_areaset_find(set, code);
    if (i == RR_NONE || !info)
        return NULL;
    if (unit)
        *unit = (new_version ? rev->units_new : rev->units_old)[i] + 1;
    if (apportioned_share)
        *apportioned_share = info[i].apportioned;
    return rr_comparability_name(info[i].cmp);
}
