/* write_csv.c: the CSV outputs: pieces, key, changes, areas (UTF-8, comma, '.' decimals). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static FILE *open_out(rr_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        rr_error(ctx, RR_ERR_IO, "cannot write: %s (%s)", strerror(errno), path);
    return f;
}

static rr_status close_out(rr_ctx *ctx, FILE *f, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return rr_error(ctx, RR_ERR_IO, "write failed: %s (%s)", strerror(errno ? errno : EIO), path);
    return RR_OK;
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void put_field(FILE *f, const char *s)
{
    rr_csv_put_field(f, s, ',', 0);
}

static void put_num(FILE *f, double v, int significant)
{
    char b[64];
    rr_fmt_num(b, sizeof b, v, significant);
    fputs(b, f);
}

/* Areas with 3 decimals (mm²-level is below any survey accuracy); weights with 12 significant
 * digits (CONTRACT: at least 9). */
static void put_area(FILE *f, double v)
{
    char b[64];
    snprintf(b, sizeof b, "%.3f", v);
    fputs(b, f);
}

static void put_pop(FILE *f, const rr_revision *rev, double v)
{
    if (!rev->has_pop || isnan(v))
        return;
    char b[64];
    snprintf(b, sizeof b, "%.3f", v);
    fputs(b, f);
}



static _Thread_local const rr_revision *piece_rev;
static int cmp_piece_q(const void *a, const void *b)
{
    const rr_piece *x = *(const rr_piece *const *)a, *y = *(const rr_piece *const *)b;
    int c = strcmp(rr_old_code(piece_rev, x->old_idx), rr_old_code(piece_rev, y->old_idx));
    if (c)
        return c;
    if ((c = strcmp(rr_new_code(piece_rev, x->new_idx), rr_new_code(piece_rev, y->new_idx))))
        return c;
    return x->area < y->area ? 1 : x->area > y->area ? -1 : 0;
}

/* "old_code,new_code," of a row (an empty code for a part only one version covers). */
static void put_codes(FILE *f, const rr_revision *rev, size_t old_idx, size_t new_idx)
{
    put_field(f, rr_old_code(rev, old_idx));
    fputc(',', f);
    put_field(f, rr_new_code(rev, new_idx));
    fputc(',', f);
}

/* "area_m2,pop" of a row. */
static void put_area_pop(FILE *f, const rr_revision *rev, double area, double pop)
{
    put_area(f, area);
    fputc(',', f);
    put_pop(f, rev, pop);
}

rr_status rr_write_pieces_csv(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    const rr_piece **order = malloc((rev->npieces ? rev->npieces : 1) * sizeof *order);
    if (!order)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
    for (size_t k = 0; k < rev->npieces; k++)
        order[k] = &rev->pieces[k];
    piece_rev = rev;
    qsort(order, rev->npieces, sizeof *order, cmp_piece_q);
    FILE *f = open_out(ctx, path);
    if (!f) {
        free(order);
        return RR_ERR_IO;
    }
    fputs("old_code,new_code,area_m2,pop,transfer\n", f);
    for (size_t k = 0; k < rev->npieces; k++) {
        const rr_piece *p = order[k];
        put_codes(f, rev, p->old_idx, p->new_idx);
        put_area_pop(f, rev, p->area, p->pop);
        fprintf(f, ",%d\n", p->transfer ? 1 : 0);
    }
    free(order);
    return close_out(ctx, f, path);
}

rr_status rr_write_key_csv(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    FILE *f = open_out(ctx, path);
    if (!f)
        return RR_ERR_IO;
    fputs("old_code,new_code,area_m2,pop,w_area_old,w_area_new,w_pop_old,w_pop_new\n", f);
    for (size_t k = 0; k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        put_codes(f, rev, r->old_idx, r->new_idx);
        put_area_pop(f, rev, r->area, r->pop);
        const double w[4] = {r->w_area_old, r->w_area_new, r->w_pop_old, r->w_pop_new};
        for (int i = 0; i < 4; i++) {
            fputc(',', f);
            if (i < 2 || rev->has_pop)
                put_num(f, w[i], 12);
        }
        fputc('\n', f);
    }
    return close_out(ctx, f, path);
}

rr_status rr_write_changes_csv(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    FILE *f = open_out(ctx, path);
    if (!f)
        return RR_ERR_IO;
    fputs("old_code,new_code,change_type,area_m2,pop\n", f);
    for (size_t k = 0; k < rev->nchanges; k++) {
        const rr_change *c = &rev->changes[k];
        put_codes(f, rev, c->old_idx, c->new_idx);
        put_field(f, rr_change_type_name(c->type));
        fputc(',', f);
        put_area_pop(f, rev, c->area, c->pop);
        fputc('\n', f);
    }
    return close_out(ctx, f, path);
}

rr_status rr_write_areas_csv(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    FILE *f = open_out(ctx, path);
    if (!f)
        return RR_ERR_IO;
    fputs("version,code,class,kommun,area_m2,pop,related\n", f);
    for (int side = 0; side < 2; side++) {
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        const rr_area_info *info = side ? rev->new_info : rev->old_info;
        for (size_t i = 0; i < set->n; i++) {
            const rr_area *a = &set->areas[i];
            fputs(side ? "new," : "old,", f);
            put_field(f, a->code);
            fputc(',', f);
            fputs(rr_area_class_name(info[i].cls), f);
            fputc(',', f);
            put_field(f, a->kommun ? a->kommun : "");
            fputc(',', f);
            put_area(f, a->area);
            fputc(',', f);
            if (rev->has_pop)
                put_pop(f, rev, info[i].pop);
            fputc(',', f);
            put_field(f, info[i].related ? info[i].related : "");
            fputc('\n', f);
        }
    }
    return close_out(ctx, f, path);
}

rr_status rr_write_comparability_csv(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    FILE *f = open_out(ctx, path);
    if (!f)
        return RR_ERR_IO;
    fputs("version,code,comparability,unit,apportioned_share,related\n", f);
    for (int side = 0; side < 2; side++) {
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        const rr_area_info *info = side ? rev->new_info : rev->old_info;
        const size_t *units = side ? rev->units_new : rev->units_old;
        for (size_t i = 0; i < set->n; i++) {
            fputs(side ? "new," : "old,", f);
            put_field(f, set->areas[i].code);
            fprintf(f, ",%s,%zu,", rr_comparability_name(info[i].cmp), units[i] + 1);
            put_num(f, info[i].apportioned, 9);
            fputc(',', f);
            put_field(f, info[i].related ? info[i].related : "");
            fputc('\n', f);
        }
    }
    return close_out(ctx, f, path);
}

rr_status rr_write_units_csv(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    size_t no = rev->old_set->n, nn = rev->new_set->n, nu = rev->nunits;
    rr_buf *old_codes = calloc(nu + 1, sizeof *old_codes), *new_codes = calloc(nu + 1, sizeof *new_codes);
    double *area = calloc(nu + 1, sizeof *area), *pop = calloc(nu + 1, sizeof *pop);
    rr_status st = RR_OK;
    FILE *f = NULL;
    if (!old_codes || !new_codes || !area || !pop) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    for (size_t i = 0; i < no; i++) {
        rr_buf *b = &old_codes[rev->units_old[i]];
        rr_buf_addf(b, "%s%s", b->len ? ";" : "", rev->old_set->areas[i].code);
    }
    for (size_t j = 0; j < nn; j++) {
        rr_buf *b = &new_codes[rev->units_new[j]];
        rr_buf_addf(b, "%s%s", b->len ? ";" : "", rev->new_set->areas[j].code);
    }
    for (size_t k = 0; k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        if (r->old_idx == RR_NONE || r->new_idx == RR_NONE)
            continue;
        area[rev->units_old[r->old_idx]] += r->area;
        pop[rev->units_old[r->old_idx]] += r->pop;
    }
    if (!(f = open_out(ctx, path))) {
        st = RR_ERR_IO;
        goto out;
    }
    fputs("unit,old_codes,new_codes,area_m2,pop\n", f);
    for (size_t u = 0; u < nu; u++) {
        if (old_codes[u].failed || new_codes[u].failed) {
            fclose(f);
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        fprintf(f, "%zu,", u + 1);
        put_field(f, old_codes[u].s ? old_codes[u].s : "");
        fputc(',', f);
        put_field(f, new_codes[u].s ? new_codes[u].s : "");
        fputc(',', f);
        put_area(f, area[u]);
        fputc(',', f);
        put_pop(f, rev, pop[u]);
        fputc('\n', f);
    }
    st = close_out(ctx, f, path);
out:
    for (size_t u = 0; old_codes && u < nu; u++)
        rr_buf_free(&old_codes[u]);
    for (size_t u = 0; new_codes && u < nu; u++)
        rr_buf_free(&new_codes[u]);
    free(old_codes);
    free(new_codes);
    free(area);
    free(pop);
    return st;
}

rr_status rr_write_bestfit_csv(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    FILE *f = open_out(ctx, path);
    if (!f)
        return RR_ERR_IO;
    fputs("version,code,best_code,share\n", f);
    for (int side = 0; side < 2; side++) {
        const rr_areaset *set = side ? rev->new_set : rev->old_set;
        const rr_areaset *other = side ? rev->old_set : rev->new_set;
        const size_t *by = side ? rev->rel_by_new : rev->rel_by_old;
        const size_t *first = side ? rev->rel_first_new : rev->rel_first_old;
        const rr_area_info *info = side ? rev->new_info : rev->old_info;
        for (size_t i = 0; i < set->n; i++) {
            const rr_relation *best = NULL;
            double best_w = -1;
            for (size_t k = first[i]; k < first[i + 1]; k++) {
                const rr_relation *r = &rev->rel[by[k]];
                double w = rev->has_pop && !info[i].pop_fallback ? (side ? r->w_pop_new : r->w_pop_old)
                                                                 : (side ? r->w_area_new : r->w_area_old);
                if (w > best_w) { /* ties: the first, i.e. the smallest code */
                    best_w = w;
                    best = r;
                }
            }
            fputs(side ? "new," : "old,", f);
            put_field(f, set->areas[i].code);
            fputc(',', f);
            if (best) {
                put_field(f, other->areas[side ? best->old_idx : best->new_idx].code);
                fputc(',', f);
                put_num(f, best_w, 9);
            } else {
                fputc(',', f);
            }
            fputc('\n', f);
        }
    }
    return close_out(ctx, f, path);
}

/* A relation rests on the grid's resolution when most of its people come from cells that are
 * only partly inside its pieces: the split of those cells is by area, not by where people live. */
#define RR_GRID_FLAG_SHARE 0.5

rr_status rr_write_key_uncertainty_csv(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    FILE *f = open_out(ctx, path);
    if (!f)
        return RR_ERR_IO;
    fputs("old_code,new_code,pop,pop_from_partial_cells,share_from_partial_cells,rests_on_grid\n", f);
    for (size_t k = 0; k < rev->nrel; k++) {
        const rr_relation *r = &rev->rel[k];
        put_codes(f, rev, r->old_idx, r->new_idx);
        put_pop(f, rev, r->pop);
        fputc(',', f);
        put_pop(f, rev, r->pop_partial);
        fputc(',', f);
        if (rev->has_pop && r->pop > 0) {
            double share = r->pop_partial / r->pop;
            put_num(f, share, 6);
            fprintf(f, ",%d", share > RR_GRID_FLAG_SHARE ? 1 : 0);
        } else {
            fputc(',', f);
        }
        fputc('\n', f);
    }
    return close_out(ctx, f, path);
}
