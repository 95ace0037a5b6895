/* translate.c: carry a statistical table across a revision with a key: counts by weights,
 * means and rates by a denominator or population, medians as estimated means; missing stays
 * missing; totals overall and per municipality are checked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define WHOLE_TOL 1e-9
#define TOTAL_TOL 1e-6 /* relative: totals of counts are preserved to this */
#define MAX_LISTED 5   /* codes named one by one in warnings */

typedef struct kommun_total {
    char code[5];
    double in, out;
} kommun_total;

static int cmp_kommun(const void *a, const void *b)
{
    return strcmp(((const kommun_total *)a)->code, ((const kommun_total *)b)->code);
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The table holds a count in series s: everything for --kind count, and denominators. */
static int is_count(const rr_table *in, const rr_translate_opts *opts, size_t s)
{
    return opts->kind == RR_KIND_COUNT || in->series_is_den[s];
}

/* Relations of an output code that carry data: rows (from -> to) with a source code. */
typedef struct contrib {
    size_t in_code;  /* index in the input table, or RR_NONE when the table lacks it */
    double w;        /* the chosen weight of the source area (share of it going here) */
    double amount;   /* population (or area) of the piece: weight of a mean */
} contrib;

static const char *median_quality(const rr_key *key, const char *code)
{
    /* a median carries exactly only to the same area (identical or recoded) */
    size_t f, n, sources = 0;
    const rr_keyrel *only = NULL;
    if (!rr_key_find_to(key, code, &f, &n))
        return "estimated";
    for (size_t j = f; j < f + n; j++) {
        const rr_keyrel *r = &key->rows[key->by_to[j]];
        if (r->from[0]) {
            sources++;
            only = r;
        }
    }
    if (sources == 1 && fabs(only->w_area_from - 1) <= WHOLE_TOL &&
        fabs(only->w_area_to - 1) <= WHOLE_TOL)
        return "exact";
    return "estimated";
}

rr_status rr_table_translate(rr_ctx *ctx, const rr_table *in, const rr_key *key,
                             const rr_translate_opts *opts_in, rr_table **out,
                             rr_translate_report *report)
{
    rr_translate_opts opts = opts_in ? *opts_in : (rr_translate_opts){0};
    rr_translate_report rep = {0};
    rr_status st = RR_OK;
    if (in->source)
        return rr_error(ctx, RR_ERR_ARG, "the table is already a translation (%s)", in->path);
    int use_pop;
    if (opts.weights == RR_WEIGHTS_POP && !key->has_pop)
        return rr_error(ctx, RR_ERR_ARG,
                        "population weights asked for, but the key has none (%s)", key->name);
    use_pop = opts.weights == RR_WEIGHTS_POP || (opts.weights == RR_WEIGHTS_DEFAULT && key->has_pop);
    if (opts.weights == RR_WEIGHTS_DEFAULT && !key->has_pop)
        rr_notice(ctx, "the key has no population weights: translating by area (%s)", key->name);
    rep.weights = use_pop ? RR_WEIGHTS_POP : RR_WEIGHTS_AREA;
    rep.codes_in = in->ncodes;

    rr_table *t = NULL;
    char **targets = NULL;
    size_t ntargets = 0;
    unsigned char *unknown = calloc(in->ncodes ? in->ncodes : 1, 1);
    contrib *cb = NULL;
    double *dropped = NULL, *uncovered = NULL, *tin = NULL, *tout = NULL;
    unsigned char *series_missing = NULL;
    kommun_total *kt = NULL;
    size_t nkt = 0;
    if (!unknown)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);

    /* 1. input codes the key does not know */
    size_t first_unknown = RR_NONE, max_rows = 1;
    for (size_t c = 0; c < in->ncodes; c++) {
        size_t f, n;
        if (!rr_key_find_from(key, in->code[c], &f, &n)) {
            unknown[c] = 1;
            rep.codes_unknown++;
            if (first_unknown == RR_NONE || in->code_line[c] < in->code_line[first_unknown])
                first_unknown = c;
        }
    }
    if (rep.codes_unknown && !opts.allow_unknown) {
        char more[160] = "";
        size_t other_side = 0;
        for (size_t c = 0; c < in->ncodes; c++) {
            size_t f, n;
            other_side += unknown[c] && rr_key_find_to(key, in->code[c], &f, &n);
        }
        if (rep.codes_unknown > 1)
            snprintf(more, sizeof more, " (nor are %zu other codes of the table)",
                     rep.codes_unknown - 1);
        if (other_side * 2 > rep.codes_unknown)
            snprintf(more + strlen(more), sizeof more - strlen(more),
                     "; the table's codes are those of the version the key goes to: "
                     "--reverse?");
        st = rr_error(ctx, RR_ERR_DATA,
                      "code %s is not in the key%s; --allow-unknown passes such rows through "
                      "unchanged (%s, %s %zu, code %s; key %s)",
                      in->code[first_unknown], more, in->path,
                      in->format == RR_TABLE_JSONSTAT ? "category" : "line",
                      in->code_line[first_unknown], in->code[first_unknown], key->name);
        goto out;
    }
    if (rep.codes_unknown) {
        size_t listed = 0;
        for (size_t c = 0; c < in->ncodes; c++)
            if (unknown[c] && listed++ < MAX_LISTED)
                rr_warn(ctx, "code %s is not in the key: passed through unchanged (%s, %s %zu)",
                        in->code[c], in->path,
                        in->format == RR_TABLE_JSONSTAT ? "category" : "line", in->code_line[c]);
        if (listed > MAX_LISTED)
            rr_warn(ctx, "%zu more codes are not in the key: passed through unchanged (%s)",
                    listed - MAX_LISTED, in->path);
    }

    /* 2. the output codes: every code the input's known codes carry data to, and the passed */
    size_t cap = 0;
    for (size_t c = 0; c < in->ncodes; c++) {
        size_t f, n;
        if (unknown[c])
            cap++;
        else if (rr_key_find_from(key, in->code[c], &f, &n))
            cap += n;
    }
    targets = calloc(cap ? cap : 1, sizeof *targets);
    if (!targets) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);
        goto out;
    }
    for (size_t c = 0; c < in->ncodes; c++) {
        size_t f, n;
        if (unknown[c]) {
            targets[ntargets++] = in->code[c];
            continue;
        }
        rr_key_find_from(key, in->code[c], &f, &n);
        for (size_t j = f; j < f + n; j++)
            if (key->rows[j].to[0])
                targets[ntargets++] = key->rows[j].to;
    }
    qsort(targets, ntargets, sizeof *targets, cmp_strp);
    size_t m = 0;
    for (size_t k = 0; k < ntargets; k++)
        if (m == 0 || strcmp(targets[m - 1], targets[k]) != 0)
            targets[m++] = targets[k];
    ntargets = m;

    t = calloc(1, sizeof *t);
    if (!t || !(t->path = rr_strdup(in->path))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);
        goto out;
    }
    t->source = in;
    t->format = in->format;
    t->ncodes = ntargets;
    t->nseries = in->nseries;
    t->code = calloc(ntargets ? ntargets : 1, sizeof *t->code);
    t->code_raw = calloc(ntargets ? ntargets : 1, sizeof *t->code_raw);
    t->code_line = calloc(ntargets ? ntargets : 1, sizeof *t->code_line);
    t->quality = calloc(ntargets ? ntargets : 1, sizeof *t->quality);
    t->passthrough = calloc(ntargets ? ntargets : 1, 1);
    if (!t->code || !t->code_raw || !t->code_line || !t->quality || !t->passthrough) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);
        goto out;
    }
    for (size_t c = 0; c < ntargets; c++) {
        size_t src = rr_table_find_code(in, targets[c]);
        int pass = src != RR_NONE && unknown[src];
        t->code[c] = rr_strdup(targets[c]);
        t->code_raw[c] = rr_strdup(pass ? in->code_raw[src] : targets[c]);
        if (!t->code[c] || !t->code_raw[c]) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);
            goto out;
        }
        size_t f, n;
        if (pass && rr_key_find_to(key, targets[c], &f, &n)) {
            st = rr_error(ctx, RR_ERR_DATA,
                          "code %s is not in the key as a source, but the key carries data to "
                          "it: passing it through would count it twice (%s, line %zu, code %s)",
                          targets[c], in->path, in->code_line[src], targets[c]);
            goto out;
        }
        t->passthrough[c] = (unsigned char)pass;
    }
    if ((st = rr_table_alloc_cells(ctx, t)) != RR_OK)
        goto out;

    /* 3. values */
    int has_den = 0;
    for (size_t s = 0; s < in->nseries; s++)
        has_den |= in->series_den[s] != RR_NONE;
    for (size_t c = 0; c < ntargets; c++) {
        size_t f, n;
        if (rr_key_find_to(key, t->code[c], &f, &n) && n > max_rows)
            max_rows = n;
    }
    cb = malloc(max_rows * sizeof *cb);
    dropped = calloc(in->nseries ? in->nseries : 1, sizeof *dropped);
    uncovered = calloc(in->nseries ? in->nseries : 1, sizeof *uncovered);
    tin = calloc(in->nseries ? in->nseries : 1, sizeof *tin);
    tout = calloc(in->nseries ? in->nseries : 1, sizeof *tout);
    series_missing = calloc(in->nseries ? in->nseries : 1, 1);
    if (!cb || !dropped || !uncovered || !tin || !tout || !series_missing) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);
        goto out;
    }
    for (size_t c = 0; c < ntargets; c++) {
        if (t->passthrough[c]) {
            size_t src = rr_table_find_code(in, t->code[c]);
            for (size_t s = 0; s < in->nseries; s++) {
                t->cell[s * ntargets + c] = in->cell[s * in->ncodes + src];
                t->value[s * ntargets + c] = in->value[s * in->ncodes + src];
            }
            t->quality[c] = "exact";
            rep.codes_exact++;
            continue;
        }
        size_t f, n, nc = 0;
        rr_key_find_to(key, t->code[c], &f, &n);
        double amount_sum = 0;
        for (size_t j = f; j < f + n; j++) {
            const rr_keyrel *r = &key->rows[key->by_to[j]];
            if (!r->from[0])
                continue; /* a part no source area covers: no data comes from it */
            contrib *x = &cb[nc++];
            x->in_code = rr_table_find_code(in, r->from);
            x->w = use_pop ? r->w_pop_from : r->w_area_from;
            x->amount = use_pop ? r->pop : r->area;
            if (!isfinite(x->amount) || x->amount < 0)
                x->amount = 0;
            amount_sum += x->amount;
        }
        if (amount_sum <= 0) /* nobody lives in any piece: weigh a mean by area */
            for (size_t j = f, k = 0; j < f + n; j++) {
                const rr_keyrel *r = &key->rows[key->by_to[j]];
                if (r->from[0])
                    cb[k++].amount = isfinite(r->area) ? r->area : 1;
            }
        for (size_t s = 0; s < in->nseries; s++) {
            int seen = 0, incomplete = 0;
            double num = 0, den = 0;
            size_t dser = in->series_den[s];
            int counting = is_count(in, &opts, s);
            for (size_t k = 0; k < nc; k++) {
                const contrib *x = &cb[k];
                unsigned char cell = x->in_code == RR_NONE
                                         ? RR_CELL_ABSENT
                                         : in->cell[s * in->ncodes + x->in_code];
                double v = x->in_code == RR_NONE ? NAN : in->value[s * in->ncodes + x->in_code];
                if (cell != RR_CELL_ABSENT)
                    seen = 1;
                double weight;
                if (counting) {
                    weight = x->w;
                } else if (dser != RR_NONE) {
                    unsigned char dc = x->in_code == RR_NONE
                                           ? RR_CELL_ABSENT
                                           : in->cell[dser * in->ncodes + x->in_code];
                    if (x->w == 0)
                        continue;
                    if (dc != RR_CELL_VALUE) {
                        incomplete = 1;
                        continue;
                    }
                    weight = x->w * in->value[dser * in->ncodes + x->in_code];
                } else {
                    weight = x->amount;
                }
                if (weight == 0)
                    continue;
                if (cell != RR_CELL_VALUE) {
                    incomplete = 1;
                    continue;
                }
                num += weight * v;
                den += weight;
            }
            size_t cell = s * ntargets + c;
            if (!seen)
                continue; /* the table has nothing for this area in this series */
            if (incomplete || (!counting && den == 0)) {
                t->cell[cell] = RR_CELL_MISSING;
                series_missing[s] = 1;
                rep.cells_missing++;
            } else {
                t->cell[cell] = RR_CELL_VALUE;
                t->value[cell] = counting ? num : num / den;
                if (!isfinite(t->value[cell])) { /* inputs near the largest double: refuse */
                    st = rr_error(ctx, RR_ERR_DATA,
                                  "the value of code %s in %s is out of range after "
                                  "translation (the inputs are too large to add) (%s)",
                                  t->code[c], in->series_name[s], in->path);
                    goto out;
                }
            }
        }
        const char *q = rr_key_quality(key, t->code[c]);
        /* A mean weighted by its own denominator is exact on a union of whole areas; one
         * weighted by the key's population estimate, and a median, only on the same area. */
        if (opts.kind == RR_KIND_MEDIAN || (opts.kind == RR_KIND_MEAN && !has_den))
            q = strcmp(q ? q : "estimated", "exact") == 0 ? median_quality(key, t->code[c])
                                                          : "estimated";
        t->quality[c] = q ? q : "estimated";
        if (strcmp(t->quality[c], "exact") == 0)
            rep.codes_exact++;
    }
    rep.codes_out = ntargets;

    /* 4. what falls on parts with an empty code, and totals of counts */
    for (size_t c = 0; c < in->ncodes; c++) {
        size_t f, n;
        if (unknown[c] || !rr_key_find_from(key, in->code[c], &f, &n))
            continue;
        double real = 0, empty_w = 0, empty_amount = 0, all_amount = 0;
        int empty_weighted = 0, has_empty = 0;
        for (size_t j = f; j < f + n; j++) {
            const rr_keyrel *r = &key->rows[j];
            double w = use_pop ? r->w_pop_from : r->w_area_from;
            double a = use_pop ? r->pop : r->area;
            if (!isfinite(a))
                a = 0;
            all_amount += a;
            if (r->to[0]) {
                real += 1;
                continue;
            }
            has_empty = 1;
            empty_amount += a;
            if (isfinite(w)) {
                empty_weighted = 1;
                empty_w += w;
            }
        }
        if (!has_empty)
            continue;
        for (size_t s = 0; s < in->nseries; s++) {
            size_t cell = s * in->ncodes + c;
            if (!is_count(in, &opts, s) || in->cell[cell] != RR_CELL_VALUE)
                continue;
            double v = in->value[cell];
            if (real == 0)
                dropped[s] += v; /* no area of the other version covers any of it */
            else if (empty_weighted)
                dropped[s] += empty_w * v;
            else if (all_amount > 0)
                uncovered[s] += v * empty_amount / all_amount;
        }
    }
    int kommun_ok = 1;
    char kb[5];
    for (size_t c = 0; c < in->ncodes && kommun_ok; c++)
        kommun_ok = rr_code_kommun(in->code[c], kb) != NULL;
    for (size_t c = 0; c < ntargets && kommun_ok; c++)
        kommun_ok = rr_code_kommun(t->code[c], kb) != NULL;
    if (kommun_ok) {
        kt = calloc(in->ncodes + ntargets + 1, sizeof *kt);
        if (!kt) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);
            goto out;
        }
        for (size_t c = 0; c < in->ncodes; c++)
            memcpy(kt[nkt++].code, rr_code_kommun(in->code[c], kb), 5);
        for (size_t c = 0; c < ntargets; c++)
            memcpy(kt[nkt++].code, rr_code_kommun(t->code[c], kb), 5);
        qsort(kt, nkt, sizeof *kt, cmp_kommun);
        size_t u = 0;
        for (size_t k = 0; k < nkt; k++)
            if (u == 0 || strcmp(kt[u - 1].code, kt[k].code) != 0)
                kt[u++] = kt[k];
        nkt = u;
    }
    for (size_t s = 0; s < in->nseries; s++) {
        if (!is_count(in, &opts, s) || series_missing[s])
            continue;
        /* a series whose input has gaps the output does not show (absent codes) is skipped */
        rep.series_checked++;
        for (size_t c = 0; c < in->ncodes; c++) {
            size_t cell = s * in->ncodes + c;
            if (in->cell[cell] != RR_CELL_VALUE)
                continue;
            tin[s] += in->value[cell];
            if (kt) {
                kommun_total probe;
                memcpy(probe.code, rr_code_kommun(in->code[c], kb), 5);
                kommun_total *k = bsearch(&probe, kt, nkt, sizeof *kt, cmp_kommun);
                k->in += in->value[cell];
            }
        }
        for (size_t c = 0; c < ntargets; c++) {
            size_t cell = s * ntargets + c;
            if (t->cell[cell] != RR_CELL_VALUE)
                continue;
            tout[s] += t->value[cell];
            if (kt) {
                kommun_total probe;
                memcpy(probe.code, rr_code_kommun(t->code[c], kb), 5);
                kommun_total *k = bsearch(&probe, kt, nkt, sizeof *kt, cmp_kommun);
                k->out += t->value[cell];
            }
        }
        /* what the key's weights drop stays in its municipality's account */
        if (kt && dropped[s] != 0)
            for (size_t c = 0; c < in->ncodes; c++) {
                size_t f, n;
                if (unknown[c] || !rr_key_find_from(key, in->code[c], &f, &n))
                    continue;
                size_t cell = s * in->ncodes + c;
                if (in->cell[cell] != RR_CELL_VALUE)
                    continue;
                double real = 0, empty_w = 0;
                int weighted = 0;
                for (size_t j = f; j < f + n; j++) {
                    const rr_keyrel *r = &key->rows[j];
                    double w = use_pop ? r->w_pop_from : r->w_area_from;
                    if (r->to[0])
                        real++;
                    else if (isfinite(w))
                        weighted = 1, empty_w += w;
                }
                double d = real == 0 ? in->value[cell] : weighted ? empty_w * in->value[cell] : 0;
                kommun_total probe;
                memcpy(probe.code, rr_code_kommun(in->code[c], kb), 5);
                kommun_total *k = bsearch(&probe, kt, nkt, sizeof *kt, cmp_kommun);
                k->out += d;
            }
        rep.total_in += tin[s];
        rep.total_out += tout[s];
        rep.dropped += dropped[s];
        rep.uncovered += uncovered[s];
        double diff = tin[s] - (tout[s] + dropped[s]);
        if (fabs(diff) > TOTAL_TOL * fmax(1.0, fabs(tin[s])))
            rr_warn(ctx, "the total of %s is not preserved: %.10g in, %.10g out%s (%s)",
                    in->series_name[s], tin[s], tout[s] + dropped[s],
                    dropped[s] != 0 ? " including what falls on empty codes" : "", in->path);
    }
    if (kt && rep.series_checked) {
        size_t listed = 0;
        for (size_t k = 0; k < nkt; k++) {
            rep.kommun_checked++;
            double diff = kt[k].in - kt[k].out;
            if (fabs(diff) <= TOTAL_TOL * fmax(1.0, fabs(kt[k].in)))
                continue;
            rep.kommun_differ++;
            if (listed++ < MAX_LISTED)
                rr_warn(ctx,
                        "the total of municipality %s is not preserved: %.10g in, %.10g out "
                        "(the key moves data across municipal borders) (%s)",
                        kt[k].code, kt[k].in, kt[k].out, in->path);
        }
        if (listed > MAX_LISTED)
            rr_warn(ctx, "%zu more municipalities' totals are not preserved (%s)",
                    listed - MAX_LISTED, in->path);
    }
    if (rep.dropped != 0)
        rr_warn(ctx,
                "%.10g falls on parts that no area of the other version covers (the key "
                "carries it to an empty code): it is not in the output (%s)",
                rep.dropped, in->path);
    if (rep.uncovered != 0)
        rr_notice(ctx,
                  "%.6g lies on parts that no area of the other version covers; the key's weights "
                  "give it to the neighbouring areas (%s)",
                  rep.uncovered, in->path);

    /* 5. labels of CSV tables: the code's own, or the one all its sources agree on */
    if (in->csv && in->csv->nlabels) {
        size_t nl = in->csv->nlabels;
        t->labels = calloc(ntargets * nl + 1, sizeof *t->labels);
        if (!t->labels) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);
            goto out;
        }
        for (size_t c = 0; c < ntargets; c++) {
            size_t self = rr_table_find_code(in, t->code[c]);
            for (size_t i = 0; i < nl; i++) {
                const char *label = NULL;
                if (self != RR_NONE) {
                    label = in->csv->labels[self * nl + i];
                } else {
                    size_t f, n;
                    int agree = 1;
                    rr_key_find_to(key, t->code[c], &f, &n);
                    for (size_t j = f; j < f + n && agree; j++) {
                        size_t src = rr_table_find_code(in, key->rows[key->by_to[j]].from);
                        if (src == RR_NONE)
                            continue;
                        const char *l = in->csv->labels[src * nl + i];
                        if (!label)
                            label = l;
                        else if (l && strcmp(l, label) != 0)
                            agree = 0;
                    }
                    if (!agree)
                        label = NULL;
                }
                if (label && !(t->labels[c * nl + i] = rr_strdup(label))) {
                    st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", in->path);
                    goto out;
                }
            }
        }
    }
    *out = t;
    t = NULL;
    if (report)
        *report = rep;
out:
    rr_table_free(t);
    free(targets);
    free(unknown);
    free(cb);
    free(dropped);
    free(uncovered);
    free(tin);
    free(tout);
    free(series_missing);
    free(kt);
    return st;
}
