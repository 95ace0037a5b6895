/* keyfile.c: correspondence keys as files: read key.csv, reverse, chain two keys, write, and
 * the quality (exact or estimated) of carrying data into each target area. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define WEIGHT_SUM_TOL 1e-6 /* key.csv carries 12 significant digits; users' keys fewer */
#define WHOLE_TOL 1e-9      /* a weight this close to 1 is a whole area */

static void row_clear(rr_keyrel *r)
{
    free(r->from);
    free(r->to);
    r->from = r->to = NULL;
}

void rr_key_free(rr_key *key)
{
    if (!key)
        return;
    for (size_t k = 0; k < key->n; k++)
        row_clear(&key->rows[k]);
    free(key->rows);
    free(key->by_to);
    free(key->name);
    for (size_t k = 0; k < key->ncmp; k++)
        free(key->cmp_code[k]);
    free(key->cmp_code);
    free(key->cmp_exact);
    free(key);
}

static int cmp_rows(const void *a, const void *b)
{
    const rr_keyrel *x = a, *y = b;
    int c = strcmp(x->from, y->from);
    return c ? c : strcmp(x->to, y->to);
}

static _Thread_local const rr_key *sort_key;
static int cmp_by_to(const void *a, const void *b)
{
    const rr_keyrel *x = &sort_key->rows[*(const size_t *)a];
    const rr_keyrel *y = &sort_key->rows[*(const size_t *)b];
    int c = strcmp(x->to, y->to);
    return c ? c : strcmp(x->from, y->from);
}

/* Sort the rows and build the index by target code. */
static rr_status key_index(rr_ctx *ctx, rr_key *key)
{
    qsort(key->rows, key->n, sizeof *key->rows, cmp_rows);
    free(key->by_to);
    key->by_to = malloc((key->n ? key->n : 1) * sizeof *key->by_to);
    if (!key->by_to)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", key->name);
    for (size_t k = 0; k < key->n; k++)
        key->by_to[k] = k;
    sort_key = key;
    qsort(key->by_to, key->n, sizeof *key->by_to, cmp_by_to);
    key->has_pop = 1;
    size_t real = 0;
    for (size_t k = 0; k < key->n; k++) {
        const rr_keyrel *r = &key->rows[k];
        if (!r->from[0] || !r->to[0])
            continue;
        real++;
        if (!isfinite(r->w_pop_from) || !isfinite(r->w_pop_to))
            key->has_pop = 0;
    }
    if (real == 0)
        key->has_pop = 0;
    return RR_OK;
}

int rr_key_find_from(const rr_key *key, const char *code, size_t *first, size_t *count)
{
    size_t lo = 0, hi = key->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(key->rows[mid].from, code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < key->n && strcmp(key->rows[end].from, code) == 0)
        end++;
    *first = lo;
    *count = end - lo;
    return end > lo;
}

int rr_key_find_to(const rr_key *key, const char *code, size_t *first, size_t *count)
{
    size_t lo = 0, hi = key->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(key->rows[key->by_to[mid]].to, code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < key->n && strcmp(key->rows[key->by_to[end]].to, code) == 0)
        end++;
    *first = lo;
    *count = end - lo;
    return end > lo;
}

/* For every code on one side, its weights (rows with an empty code count only where they carry
 * a weight) sum to 1. A code whose every row goes to an empty code carries nothing and is not
 * checked: a translation reports what falls there. */
static rr_status check_sums(rr_ctx *ctx, const rr_key *key, int pop, int to_side)
{
    const char *col = pop ? (to_side ? "w_pop_new" : "w_pop_old")
                          : (to_side ? "w_area_new" : "w_area_old");
    if (key->reversed)
        col = pop ? (to_side ? "w_pop_old" : "w_pop_new")
                  : (to_side ? "w_area_old" : "w_area_new");
    size_t k = 0;
    while (k < key->n) {
        const rr_keyrel *first = &key->rows[to_side ? key->by_to[k] : k];
        const char *code = to_side ? first->to : first->from;
        double sum = 0;
        int real = 0;
        size_t end = k;
        for (; end < key->n; end++) {
            const rr_keyrel *r = &key->rows[to_side ? key->by_to[end] : end];
            if (strcmp(to_side ? r->to : r->from, code) != 0)
                break;
            double w = to_side ? (pop ? r->w_pop_to : r->w_area_to)
                               : (pop ? r->w_pop_from : r->w_area_from);
            if (isfinite(w))
                sum += w;
            if (r->from[0] && r->to[0])
                real = 1;
        }
        if (code[0] && real && fabs(sum - 1) > WEIGHT_SUM_TOL)
            return rr_error(ctx, RR_ERR_DATA,
                            "the weights %s of code %s sum to %.9g, not 1 (%s, line %zu, code %s)",
                            col, code, sum, key->name, first->line, code);
        k = end;
    }
    return RR_OK;
}

static rr_status key_check(rr_ctx *ctx, const rr_key *key)
{
    for (size_t k = 1; k < key->n; k++)
        if (cmp_rows(&key->rows[k - 1], &key->rows[k]) == 0)
            return rr_error(ctx, RR_ERR_DATA,
                            "the relation %s -> %s appears twice (%s, lines %zu and %zu)",
                            key->rows[k].from[0] ? key->rows[k].from : "(none)",
                            key->rows[k].to[0] ? key->rows[k].to : "(none)", key->name,
                            key->rows[k - 1].line < key->rows[k].line ? key->rows[k - 1].line
                                                                      : key->rows[k].line,
                            key->rows[k - 1].line < key->rows[k].line ? key->rows[k].line
                                                                      : key->rows[k - 1].line);
    rr_status st;
    for (int side = 0; side < 2; side++) {
        if ((st = check_sums(ctx, key, 0, side)) != RR_OK)
            return st;
        if (key->has_pop && (st = check_sums(ctx, key, 1, side)) != RR_OK)
            return st;
    }
    return RR_OK;
}

static rr_key *key_alloc(size_t n, const char *name)
{
    rr_key *key = calloc(1, sizeof *key);
    if (!key)
        return NULL;
    key->rows = calloc(n ? n : 1, sizeof *key->rows);
    key->name = rr_strdup(name);
    if (!key->rows || !key->name) {
        rr_key_free(key);
        return NULL;
    }
    return key;
}

rr_status rr_key_read_csv(rr_ctx *ctx, const char *path, rr_key **out)
{
    rr_csv csv = {0};
    rr_key *key = NULL;
    rr_status st = rr_csv_read(ctx, path, &csv);
    if (st != RR_OK)
        return st;
    static const char *const names[8] = {"old_code", "new_code", "area_m2", "pop",
                                         "w_area_old", "w_area_new", "w_pop_old", "w_pop_new"};
    static const int required[8] = {1, 1, 0, 0, 1, 1, 0, 0};
    size_t col[8];
    for (int i = 0; i < 8; i++) {
        col[i] = rr_csv_column(&csv, names[i]);
        if (col[i] == RR_NONE && required[i]) {
            st = rr_error(ctx, RR_ERR_FORMAT,
                          "not a key: the header has no column '%s' (a key.csv starts with "
                          "old_code,new_code,area_m2,pop,w_area_old,w_area_new,w_pop_old,"
                          "w_pop_new) (%s, line %zu)",
                          names[i], path, csv.rec[0].line);
            goto out;
        }
    }
    if (!(key = key_alloc(csv.nrec - 1, path))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    for (size_t k = 1; k < csv.nrec; k++) {
        const rr_csv_record *rec = &csv.rec[k];
        rr_keyrel *r = &key->rows[key->n];
        r->line = rec->line;
        r->from = rr_strdup(rec->field[col[0]]);
        r->to = rr_strdup(rec->field[col[1]]);
        key->n++;
        if (!r->from || !r->to) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        rr_code_normalise(r->from);
        rr_code_normalise(r->to);
        if (!r->from[0] && !r->to[0]) {
            st = rr_error(ctx, RR_ERR_FORMAT, "a relation without codes (%s, line %zu)", path,
                          rec->line);
            goto out;
        }
        double v[8];
        for (int i = 2; i < 8; i++) {
            v[i] = NAN;
            if (col[i] == RR_NONE)
                continue;
            int got = rr_parse_number(rec->field[col[i]], 0, &v[i]);
            if (got < 0) {
                st = rr_error(ctx, RR_ERR_FORMAT,
                              "text where a number belongs: '%s' in column %s (%s, line %zu, "
                              "column %zu)",
                              rec->field[col[i]], names[i], path, rec->line, col[i] + 1);
                goto out;
            }
            if (got == 0)
                v[i] = NAN;
            if (i >= 4 && isfinite(v[i]) && (v[i] < 0 || v[i] > 1 + WHOLE_TOL)) {
                st = rr_error(ctx, RR_ERR_DATA,
                              "weight %s = %s is outside [0, 1] (%s, line %zu, column %zu)",
                              names[i], rec->field[col[i]], path, rec->line, col[i] + 1);
                goto out;
            }
        }
        if (r->from[0] && r->to[0] && (!isfinite(v[4]) || !isfinite(v[5]))) {
            size_t c = !isfinite(v[4]) ? col[4] : col[5];
            st = rr_error(ctx, RR_ERR_DATA,
                          "the relation %s -> %s has no area weight (%s, line %zu, column %zu)",
                          r->from, r->to, path, rec->line, c + 1);
            goto out;
        }
        r->area = v[2];
        r->pop = v[3];
        r->w_area_from = v[4];
        r->w_area_to = v[5];
        r->w_pop_from = v[6];
        r->w_pop_to = v[7];
    }
    if ((st = key_index(ctx, key)) != RR_OK || (st = key_check(ctx, key)) != RR_OK)
        goto out;
    *out = key;
    key = NULL;
out:
    rr_key_free(key);
    rr_csv_free(&csv);
    return st;
}

static rr_status key_copy_rows(rr_ctx *ctx, rr_key *dst, const rr_key *src, int swap)
{
    for (size_t k = 0; k < src->n; k++) {
        const rr_keyrel *s = &src->rows[k];
        rr_keyrel *d = &dst->rows[dst->n];
        *d = *s;
        d->from = rr_strdup(swap ? s->to : s->from);
        d->to = rr_strdup(swap ? s->from : s->to);
        dst->n++;
        if (!d->from || !d->to)
            return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", src->name);
        if (swap) {
            d->w_area_from = s->w_area_to;
            d->w_area_to = s->w_area_from;
            d->w_pop_from = s->w_pop_to;
            d->w_pop_to = s->w_pop_from;
        }
    }
    return RR_OK;
}

rr_status rr_key_reverse(rr_ctx *ctx, const rr_key *key, rr_key **out)
{
    rr_key *rev = key_alloc(key->n, key->name);
    if (!rev)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", key->name);
    rr_status st = key_copy_rows(ctx, rev, key, 1);
    rev->reversed = !key->reversed;
    rev->chained = key->chained;
    if (st == RR_OK)
        st = key_index(ctx, rev);
    /* The quality from a comparability.csv belongs to one direction: the reverse derives its
     * own from the weights. */
    if (st != RR_OK) {
        rr_key_free(rev);
        return st;
    }
    *out = rev;
    return RR_OK;
}

/* NAN-aware sum for merged rows: a weight stays empty only when every part is empty. */
static double add_opt(double a, double b)
{
    if (isnan(a))
        return b;
    if (isnan(b))
        return a;
    return a + b;
}

rr_status rr_key_chain(rr_ctx *ctx, const rr_key *first, const rr_key *second, rr_key **out)
{
    rr_status st = RR_OK;
    char *name = rr_sprintf("%s + %s", first->name, second->name);
    if (!name)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", first->name);
    /* Upper bound of rows: each row of A fans out to the rows of its b in B. */
    size_t cap = second->n;
    for (size_t k = 0; k < first->n; k++) {
        size_t f, c;
        const rr_keyrel *a = &first->rows[k];
        if (!a->to[0]) {
            cap++;
            continue;
        }
        if (!rr_key_find_from(second, a->to, &f, &c)) {
            st = rr_error(ctx, RR_ERR_DATA,
                          "cannot chain: code %s, which %s carries data to, is not in %s "
                          "(%s, line %zu, code %s)",
                          a->to, first->name, second->name, first->name, a->line, a->to);
            free(name);
            return st;
        }
        cap += c;
    }
    rr_key *key = key_alloc(cap, name);
    free(name);
    if (!key)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", first->name);
    key->chained = 1;
    for (size_t k = 0; k < first->n && st == RR_OK; k++) {
        const rr_keyrel *a = &first->rows[k];
        size_t f = 0, c = 0;
        if (a->to[0])
            rr_key_find_from(second, a->to, &f, &c);
        else
            c = 1; /* a part of a that version b does not cover: stays as it is */
        /* b's amounts in B, to split a's piece by b's shares (empty parts included, so that
         * the area of a is kept) */
        double b_area = 0, b_pop = 0;
        for (size_t j = f; a->to[0] && j < f + c; j++) {
            b_area += isfinite(second->rows[j].area) ? second->rows[j].area : 0;
            b_pop += isfinite(second->rows[j].pop) ? second->rows[j].pop : 0;
        }
        for (size_t j = f; j < f + c; j++) {
            rr_keyrel *r = &key->rows[key->n];
            if (!a->to[0]) {
                *r = *a;
                r->from = rr_strdup(a->from);
                r->to = rr_strdup("");
            } else {
                const rr_keyrel *b = &second->rows[j];
                if (!a->from[0] && !b->to[0])
                    continue; /* covered by neither end: not a relation */
                double share_area = b_area > 0 ? b->area / b_area : NAN;
                double share_pop = b_pop > 0 ? b->pop / b_pop : share_area;
                r->from = rr_strdup(a->from);
                r->to = rr_strdup(b->to);
                r->area = a->area * share_area;
                r->pop = a->pop * share_pop;
                r->w_area_from = a->w_area_from * b->w_area_from;
                r->w_area_to = a->w_area_to * b->w_area_to;
                r->w_pop_from = a->w_pop_from * b->w_pop_from;
                r->w_pop_to = a->w_pop_to * b->w_pop_to;
                r->line = 0;
            }
            key->n++;
            if (!r->from || !r->to)
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", key->name);
        }
    }
    for (size_t k = 0; k < second->n && st == RR_OK; k++) {
        const rr_keyrel *b = &second->rows[k];
        if (b->from[0])
            continue;
        rr_keyrel *r = &key->rows[key->n];
        *r = *b;
        r->from = rr_strdup("");
        r->to = rr_strdup(b->to);
        r->line = 0;
        key->n++;
        if (!r->from || !r->to)
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", key->name);
    }
    if (st != RR_OK) {
        rr_key_free(key);
        return st;
    }
    /* merge the rows of the same pair (reached through several b) */
    qsort(key->rows, key->n, sizeof *key->rows, cmp_rows);
    size_t m = 0;
    for (size_t k = 0; k < key->n; k++) {
        rr_keyrel *r = &key->rows[k];
        if (m > 0 && cmp_rows(&key->rows[m - 1], r) == 0) {
            rr_keyrel *d = &key->rows[m - 1];
            d->area = add_opt(d->area, r->area);
            d->pop = add_opt(d->pop, r->pop);
            d->w_area_from = add_opt(d->w_area_from, r->w_area_from);
            d->w_area_to = add_opt(d->w_area_to, r->w_area_to);
            d->w_pop_from = add_opt(d->w_pop_from, r->w_pop_from);
            d->w_pop_to = add_opt(d->w_pop_to, r->w_pop_to);
            row_clear(r);
            continue;
        }
        key->rows[m++] = *r;
    }
    key->n = m;
    if ((st = key_index(ctx, key)) != RR_OK) {
        rr_key_free(key);
        return st;
    }
    *out = key;
    return RR_OK;
}

static void put_field(FILE *f, const char *s)
{
    rr_csv_put_field(f, s, ',', 0);
}

static void put_fixed(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.3f", v);
}

rr_status rr_key_write_csv(rr_ctx *ctx, const rr_key *key, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rr_error(ctx, RR_ERR_IO, "cannot write: %s (%s)", strerror(errno), path);
    fputs("old_code,new_code,area_m2,pop,w_area_old,w_area_new,w_pop_old,w_pop_new\n", f);
    for (size_t k = 0; k < key->n; k++) {
        const rr_keyrel *r = &key->rows[k];
        put_field(f, r->from);
        fputc(',', f);
        put_field(f, r->to);
        fputc(',', f);
        put_fixed(f, r->area);
        fputc(',', f);
        put_fixed(f, r->pop);
        const double w[4] = {r->w_area_from, r->w_area_to, r->w_pop_from, r->w_pop_to};
        for (int i = 0; i < 4; i++) {
            char b[64];
            rr_fmt_num(b, sizeof b, isfinite(w[i]) ? w[i] : NAN, 12);
            fputc(',', f);
            fputs(b, f);
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return rr_error(ctx, RR_ERR_IO, "write failed: %s (%s)", strerror(errno ? errno : EIO),
                        path);
    return RR_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_str_tagged(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

rr_status rr_key_read_comparability(rr_ctx *ctx, rr_key *key, const char *path)
{
    if (key->chained)
        return rr_error(ctx, RR_ERR_ARG,
                        "a comparability table describes one revision, not a chain of keys (%s)",
                        path);
    rr_csv csv = {0};
    rr_status st = rr_csv_read(ctx, path, &csv);
    if (st != RR_OK)
        return st;
    size_t cv = rr_csv_column(&csv, "version"), cc = rr_csv_column(&csv, "code"),
           cq = rr_csv_column(&csv, "comparability");
    char **codes = NULL;
    unsigned char *exact = NULL;
    size_t n = 0;
    if (cv == RR_NONE || cc == RR_NONE || cq == RR_NONE) {
        st = rr_error(ctx, RR_ERR_FORMAT,
                      "not a comparability table: the header needs version, code and "
                      "comparability (%s, line 1)",
                      path);
        goto out;
    }
    codes = calloc(csv.nrec, sizeof *codes);
    exact = calloc(csv.nrec, 1);
    if (!codes || !exact) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    const char *target = key->reversed ? "old" : "new";
    for (size_t k = 1; k < csv.nrec; k++) {
        const rr_csv_record *rec = &csv.rec[k];
        if (strcmp(rec->field[cv], target) != 0)
            continue;
        const char *cls = rec->field[cq];
        int is_exact;
        if (!strcmp(cls, "identical") || !strcmp(cls, "recoded") || !strcmp(cls, "aggregate"))
            is_exact = 1;
        else if (!strcmp(cls, "estimated"))
            is_exact = 0;
        else {
            st = rr_error(ctx, RR_ERR_FORMAT,
                          "unknown comparability '%s' (identical, recoded, aggregate or "
                          "estimated) (%s, line %zu, column %zu)",
                          cls, path, rec->line, cq + 1);
            goto out;
        }
        if (!(codes[n] = rr_strdup(rec->field[cc]))) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        rr_code_normalise(codes[n]);
        exact[n] = (unsigned char)is_exact;
        n++;
    }
    /* sort the codes and carry their flags along (the flag is the string's first byte) */
    for (size_t i = 0; i < n; i++) {
        char *tagged = rr_sprintf("%c%s", exact[i] ? 'e' : 'x', codes[i]);
        if (!tagged) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        free(codes[i]);
        codes[i] = tagged;
    }
    qsort(codes, n, sizeof *codes, cmp_str_tagged);
    for (size_t i = 0; i < n; i++) {
        exact[i] = codes[i][0] == 'e';
        memmove(codes[i], codes[i] + 1, strlen(codes[i]));
    }
    for (size_t k = 0; k < key->ncmp; k++)
        free(key->cmp_code[k]);
    free(key->cmp_code);
    free(key->cmp_exact);
    key->cmp_code = codes;
    key->cmp_exact = exact;
    key->ncmp = n;
    codes = NULL;
    exact = NULL;
    n = 0;
out:
    for (size_t k = 0; k < n; k++)
        free(codes[k]);
    free(codes);
    free(exact);
    rr_csv_free(&csv);
    return st;
}

size_t rr_key_row_count(const rr_key *key)
{
    return key->n;
}

void rr_key_row(const rr_key *key, size_t k, rr_relation_view *out)
{
    const rr_keyrel *r = &key->rows[k];
    out->old_code = r->from;
    out->new_code = r->to;
    out->area_m2 = r->area;
    out->pop = r->pop;
    out->w_area_old = r->w_area_from;
    out->w_area_new = r->w_area_to;
    out->w_pop_old = r->w_pop_from;
    out->w_pop_new = r->w_pop_to;
}

int rr_key_has_pop(const rr_key *key)
{
    return key->has_pop;
}

const char *rr_key_quality(const rr_key *key, const char *to_code)
{
    size_t f, c;
    if (!to_code[0] || !rr_key_find_to(key, to_code, &f, &c))
        return NULL;
    if (key->ncmp) {
        char *const *hit = bsearch(&to_code, key->cmp_code, key->ncmp, sizeof *key->cmp_code,
                                   cmp_str);
        if (hit)
            return key->cmp_exact[hit - key->cmp_code] ? "exact" : "estimated";
    }
    int sources = 0;
    for (size_t j = f; j < f + c; j++) {
        const rr_keyrel *r = &key->rows[key->by_to[j]];
        if (!r->from[0])
            continue; /* a part no source area covers carries no data (e.g. sea) */
        sources++;
        if (!(fabs(r->w_area_from - 1) <= WHOLE_TOL))
            return "estimated";
    }
    return sources ? "exact" : "estimated";
}
