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

/* Does the piece keep a core of at least min_core m² that is min_width wide? A redrawn boundary
 * leaves long thin slivers (a road moved to the next road); a real transfer moves a block with a
 * body. The core is what an inward buffer of min_width/2 leaves. */
static int has_core(rr_ctx *ctx, rr_piece *p, double width, double min_core)
{
    if (width <= 0)
        return 1;
    if (isnan(p->core_area)) {
        GEOSGeometry *core = GEOSBuffer_r(ctx->geos, p->shape, -width / 2, 2);
        p->core_area = 0;
        if (core) {
            GEOSArea_r(ctx->geos, core, &p->core_area);
            GEOSGeom_destroy_r(ctx->geos, core);
        }
    }
    return p->core_area > 0 && p->core_area >= min_core;
}

/* The sliver rule, for a piece that is not the main part of either of its areas (see README,
 * "What counts as a transfer"): big enough, with a body at least min_width wide, a noticeable
 * share of one of its areas, and, with population, either people or real size. */
static int passes_rule(rr_ctx *ctx, const rr_revision *rev, rr_piece *p)
{
    const rr_params *pr = &rev->params;
    if (p->area < pr->min_area_m2)
        return 0;
    double share_old = p->old_idx != RR_NONE ? p->area / rev->old_set->areas[p->old_idx].area : 0;
    double share_new = p->new_idx != RR_NONE ? p->area / rev->new_set->areas[p->new_idx].area : 0;
    if (fmax(share_old, share_new) < pr->min_share)
        return 0;
    if (!has_core(ctx, p, pr->min_width_m, pr->min_core_m2))
        return 0;
    if (rev->has_pop && p->pop < pr->min_pop && p->area < 10 * pr->min_area_m2)
        return 0;
    return 1;
}

static int cmp_rel(const void *a, const void *b, const rr_revision *rev)
{
    const rr_relation *x = a, *y = b;
    const char *xo = x->old_idx == RR_NONE ? "" : rev->old_set->areas[x->old_idx].code;
    const char *yo = y->old_idx == RR_NONE ? "" : rev->old_set->areas[y->old_idx].code;
    int c = strcmp(xo, yo);
    if (c)
        return c;
    const char *xn = x->new_idx == RR_NONE ? "" : rev->new_set->areas[x->new_idx].code;
    const char *yn = y->new_idx == RR_NONE ? "" : rev->new_set->areas[y->new_idx].code;
    return strcmp(xn, yn);
}

/* qsort has no user pointer in C11: sort index arrays with a file-local pointer set under the
 * caller's control (analysis runs single-threaded per revision). */
static _Thread_local const rr_revision *sort_rev;
static int cmp_rel_q(const void *a, const void *b) { return cmp_rel(a, b, sort_rev); }

static int cmp_change_q(const void *a, const void *b)
{
    const rr_change *x = a, *y = b;
    const rr_revision *rev = sort_rev;
    const char *xo = x->old_idx == RR_NONE ? "" : rev->old_set->areas[x->old_idx].code;
    const char *yo = y->old_idx == RR_NONE ? "" : rev->old_set->areas[y->old_idx].code;
    int c = strcmp(xo, yo);
    if (c)
        return c;
    const char *xn = x->new_idx == RR_NONE ? "" : rev->new_set->areas[x->new_idx].code;
    const char *yn = y->new_idx == RR_NONE ? "" : rev->new_set->areas[y->new_idx].code;
    if ((c = strcmp(xn, yn)))
        return c;
    return strcmp(change_names[x->type], change_names[y->type]);
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
    rev->rel = NULL;
    rev->changes = NULL;
    rev->old_info = rev->new_info = NULL;
    rev->units_old = rev->units_new = NULL;
    rev->nrel = rev->nchanges = rev->nunits = 0;
}

void rr_revision_free(rr_revision *rev)
{
    if (!rev)
        return;
    GEOSContextHandle_t h = GEOS_init_r();
    for (size_t i = 0; i < rev->npieces; i++)
        if (rev->pieces[i].geom)
            GEOSGeom_destroy_r(h, rev->pieces[i].geom);
    GEOS_finish_r(h);
    free(rev->pieces);
    free_results(rev);
    free(rev);
}

/* Find or add the relation (o, n). */
static rr_relation *relation(rr_relation *rel, size_t *nrel, size_t o, size_t n)
{
    for (size_t k = *nrel; k-- > 0;)
        if (rel[k].old_idx == o && rel[k].new_idx == n)
            return &rel[k];
    rr_relation *r = &rel[(*nrel)++];
    memset(r, 0, sizeof *r);
    r->old_idx = o;
    r->new_idx = n;
    return r;
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static char *join_codes(const rr_areaset *set, const size_t *idx, size_t n)
{
    rr_buf b = {0};
    rr_buf_add(&b, "");
    for (size_t i = 0; i < n; i++)
        rr_buf_addf(&b, "%s%s", i ? ";" : "", set->areas[idx[i]].code);
    if (b.failed) {
        rr_buf_free(&b);
        return NULL;
    }
    return b.s;
}

static int cmp_idx_code(const void *a, const void *b, const rr_areaset *set)
{
    return strcmp(set->areas[*(const size_t *)a].code, set->areas[*(const size_t *)b].code);
}
static _Thread_local const rr_areaset *sort_set;
static int cmp_idx_code_q(const void *a, const void *b) { return cmp_idx_code(a, b, sort_set); }

rr_status rr_revision_analyse(rr_ctx *ctx, rr_revision *rev)
{
    const rr_areaset *os = rev->old_set, *ns = rev->new_set;
    size_t no = os->n, nn = ns->n;
    rr_status st = RR_OK;
    free_results(rev);
    size_t *dom_old = malloc((no ? no : 1) * sizeof *dom_old);
    size_t *dom_new = malloc((nn ? nn : 1) * sizeof *dom_new);
    size_t *parent = malloc((no + nn ? no + nn : 1) * sizeof *parent);
    size_t *buf = malloc((no + nn + 1) * sizeof *buf);
    rev->rel = calloc(rev->npieces ? rev->npieces : 1, sizeof *rev->rel);
    rev->old_info = calloc(no ? no : 1, sizeof *rev->old_info);
    rev->new_info = calloc(nn ? nn : 1, sizeof *rev->new_info);
    rev->units_old = malloc((no ? no : 1) * sizeof *rev->units_old);
    rev->units_new = malloc((nn ? nn : 1) * sizeof *rev->units_new);
    if (!dom_old || !dom_new || !parent || !buf || !rev->rel || !rev->old_info || !rev->new_info ||
        !rev->units_old || !rev->units_new) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory analysing the revision");
        goto out;
    }
    /* The main piece of each area, by area: it is always a relation. */
    for (size_t i = 0; i < no; i++)
        dom_old[i] = RR_NONE;
    for (size_t j = 0; j < nn; j++)
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
    rev->transfers_total = 0;
    for (size_t k = 0; k < rev->npieces; k++) {
        rr_piece *p = &rev->pieces[k];
        int same_code = p->old_idx != RR_NONE && p->new_idx != RR_NONE &&
                        strcmp(os->areas[p->old_idx].code, ns->areas[p->new_idx].code) == 0;
        if (!same_code)
            rev->transfers_total++;
        /* Parts only one version covers are always relations (CONTRACT: they never dilute the
         * weights); whether they count as a change (the sea extension) is the rule's call. */
        int uncovered = p->old_idx == RR_NONE || p->new_idx == RR_NONE;
        p->moved = !same_code && passes_rule(ctx, rev, p);
        p->transfer = same_code || uncovered || (p->old_idx != RR_NONE && dom_old[p->old_idx] == k) ||
                      (p->new_idx != RR_NONE && dom_new[p->new_idx] == k) || p->moved;
    }
    /* Relations: transfers, then folded pieces added to their old area's main relation, so each
     * old area's totals are kept. */
    for (size_t k = 0; k < rev->npieces; k++) {
        const rr_piece *p = &rev->pieces[k];
        if (!p->transfer)
            continue;
        rr_relation *r = relation(rev->rel, &rev->nrel, p->old_idx, p->new_idx);
        r->area += p->area;
        r->pop += rev->has_pop ? p->pop : 0;
    }
    for (size_t k = 0; k < rev->npieces; k++) {
        const rr_piece *p = &rev->pieces[k];
        if (p->transfer)
            continue;
        const rr_piece *h = &rev->pieces[dom_old[p->old_idx]];
        rr_relation *r = relation(rev->rel, &rev->nrel, h->old_idx, h->new_idx);
        r->area += p->area;
        r->pop += rev->has_pop ? p->pop : 0;
    }
    sort_rev = rev;
    qsort(rev->rel, rev->nrel, sizeof *rev->rel, cmp_rel_q);

    /* Weights per code over rows with a real code on the other side. */
    double *sum_old_a = calloc(no ? no : 1, sizeof(double)), *sum_old_p = calloc(no ? no : 1, sizeof(double));
    double *sum_new_a = calloc(nn ? nn : 1, sizeof(double)), *sum_new_p = calloc(nn ? nn : 1, sizeof(double));
    if (!sum_old_a || !sum_old_p || !sum_new_a || !sum_new_p) {
        free(sum_old_a); free(sum_old_p); free(sum_new_a); free(sum_new_p);
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory computing weights");
        goto out;
    }
    for (size_t k = 0; k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        if (r->old_idx == RR_NONE || r->new_idx == RR_NONE)
            continue;
        sum_old_a[r->old_idx] += r->area;
        sum_old_p[r->old_idx] += r->pop;
        sum_new_a[r->new_idx] += r->area;
        sum_new_p[r->new_idx] += r->pop;
    }
    for (size_t k = 0; k < rev->nrel; k++) {
        rr_relation *r = &rev->rel[k];
        r->w_area_old = r->w_area_new = r->w_pop_old = r->w_pop_new = NAN;
        if (r->old_idx == RR_NONE || r->new_idx == RR_NONE)
            continue;
        r->w_area_old = r->area / sum_old_a[r->old_idx];
        r->w_area_new = r->area / sum_new_a[r->new_idx];
        if (rev->has_pop) {
            int fo = !(sum_old_p[r->old_idx] > 0), fn = !(sum_new_p[r->new_idx] > 0);
            r->w_pop_old = fo ? r->w_area_old : r->pop / sum_old_p[r->old_idx];
            r->w_pop_new = fn ? r->w_area_new : r->pop / sum_new_p[r->new_idx];
            rev->old_info[r->old_idx].pop_fallback |= fo;
            rev->new_info[r->new_idx].pop_fallback |= fn;
        }
    }
    free(sum_old_a); free(sum_old_p); free(sum_new_a); free(sum_new_p);

    /* Comparable units: connected components of the relation graph (real codes only). */
    for (size_t i = 0; i < no + nn; i++)
        parent[i] = i;
    for (size_t k = 0; k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        if (r->old_idx == RR_NONE || r->new_idx == RR_NONE)
            continue;
        size_t a = uf_find(parent, r->old_idx), b = uf_find(parent, no + r->new_idx);
        if (a != b)
            parent[a < b ? b : a] = a < b ? a : b;
    }
    /* Number units in order of their smallest old code (old codes are sorted), then new-only. */
    size_t *unit_of_root = malloc((no + nn ? no + nn : 1) * sizeof *unit_of_root);
    if (!unit_of_root) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory numbering units");
        goto out;
    }
    for (size_t i = 0; i < no + nn; i++)
        unit_of_root[i] = RR_NONE;
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
    free(unit_of_root);

    for (size_t k = 0; k < rev->npieces && rev->has_pop; k++) {
        const rr_piece *p = &rev->pieces[k];
        if (p->old_idx != RR_NONE)
            rev->old_info[p->old_idx].pop += p->pop;
        if (p->new_idx != RR_NONE)
            rev->new_info[p->new_idx].pop += p->pop;
    }

    /* Classes and related codes. */
    size_t *uo = calloc(rev->nunits ? rev->nunits : 1, sizeof *uo);
    size_t *un = calloc(rev->nunits ? rev->nunits : 1, sizeof *un);
    if (!uo || !un) {
        free(uo);
        free(un);
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory classifying areas");
        goto out;
    }
    for (size_t i = 0; i < no; i++)
        uo[rev->units_old[i]]++;
    for (size_t j = 0; j < nn; j++)
        un[rev->units_new[j]]++;
    for (int side = 0; side < 2 && st == RR_OK; side++) {
        const rr_areaset *set = side ? ns : os, *other = side ? os : ns;
        size_t n = side ? nn : no;
        const size_t *units = side ? rev->units_new : rev->units_old;
        rr_area_info *info = side ? rev->new_info : rev->old_info;
        for (size_t i = 0; i < n; i++) {
            size_t u = units[i], cnt = 0;
            size_t a = uo[u], b = un[u];
            for (size_t k = 0; k < rev->nrel; k++) {
                const rr_relation *r = &rev->rel[k];
                size_t mine = side ? r->new_idx : r->old_idx, theirs = side ? r->old_idx : r->new_idx;
                if (mine == i && theirs != RR_NONE)
                    buf[cnt++] = theirs;
            }
            sort_set = other;
            qsort(buf, cnt, sizeof *buf, cmp_idx_code_q);
            if (!(info[i].related = join_codes(other, buf, cnt))) {
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
                break;
            }
            rr_area_class c;
            if (cnt == 0)
                c = side ? RR_CLASS_NEW : RR_CLASS_CEASED;
            else if (a == 1 && b == 1) {
                const rr_area *me = &set->areas[i], *them = &other->areas[buf[0]];
                if (strcmp(me->code, them->code) != 0)
                    c = RR_CLASS_RECODED;
                else {
                    /* the one relation's pieces cover both areas within the tolerance */
                    double shared = 0;
                    for (size_t k = 0; k < rev->npieces; k++) {
                        const rr_piece *p = &rev->pieces[k];
                        if ((side ? p->new_idx : p->old_idx) == i && (side ? p->old_idx : p->new_idx) == buf[0])
                            shared += p->area;
                    }
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
        }
    }
    free(uo);
    free(un);
    if (st != RR_OK)
        goto out;

    /* SCB's change list. */
    rev->changes = calloc(2 * rev->nrel + no + nn + 1, sizeof *rev->changes);
    if (!rev->changes) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory listing changes");
        goto out;
    }
    double *given = calloc(no ? no : 1, sizeof(double) * 2), *recv = calloc(nn ? nn : 1, sizeof(double) * 4);
    if (!given || !recv) {
        free(given);
        free(recv);
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory listing changes");
        goto out;
    }
    for (size_t k = 0; k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        if (r->new_idx == RR_NONE)
            continue;
        if (r->old_idx == RR_NONE)
            continue; /* the sea extension: counted from its pieces below */
        const char *oc = os->areas[r->old_idx].code, *nc = ns->areas[r->new_idx].code;
        if (strcmp(oc, nc) == 0)
            continue;
        int old_continues = rr_areaset_find(ns, oc) != RR_NONE;
        int new_existed = rr_areaset_find(os, nc) != RR_NONE;
        rr_change *c = &rev->changes[rev->nchanges++];
        c->old_idx = r->old_idx;
        c->new_idx = r->new_idx;
        c->area = r->area;
        c->pop = rev->has_pop ? r->pop : NAN;
        if (!old_continues) {
            if (rev->old_info[r->old_idx].cls == RR_CLASS_RECODED && !new_existed)
                c->type = RR_CH_RECODED;
            else
                c->type = new_existed ? RR_CH_CEASED_TO_EXISTING : RR_CH_CEASED_TO_NEW;
        } else {
            c->type = new_existed ? RR_CH_GIVES_TO_EXISTING : RR_CH_GIVES_TO_NEW;
            given[2 * r->old_idx] += r->area;
            given[2 * r->old_idx + 1] += r->pop;
        }
        size_t self = rr_areaset_find(ns, nc);
        if (new_existed && self != RR_NONE) {
            recv[4 * self] += r->area;
            recv[4 * self + 1] += r->pop;
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
out:
    free(dom_old);
    free(dom_new);
    free(parent);
    free(buf);
    if (st != RR_OK)
        free_results(rev);
    return st;
}

size_t rr_revision_change_count(const rr_revision *rev) { return rev->nchanges; }

static const char *code_or_empty(const rr_areaset *set, size_t i)
{
    return i == RR_NONE ? "" : set->areas[i].code;
}

void rr_revision_piece(const rr_revision *rev, size_t k, rr_piece_view *out)
{
    const rr_piece *p = &rev->pieces[k];
    out->old_code = code_or_empty(rev->old_set, p->old_idx);
    out->new_code = code_or_empty(rev->new_set, p->new_idx);
    out->area_m2 = p->area;
    out->pop = rev->has_pop ? p->pop : NAN;
    out->transfer = p->transfer;
}

void rr_revision_relation(const rr_revision *rev, size_t k, rr_relation_view *out)
{
    const rr_relation *r = &rev->rel[k];
    out->old_code = code_or_empty(rev->old_set, r->old_idx);
    out->new_code = code_or_empty(rev->new_set, r->new_idx);
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
    out->old_code = code_or_empty(rev->old_set, c->old_idx);
    out->new_code = code_or_empty(rev->new_set, c->new_idx);
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
