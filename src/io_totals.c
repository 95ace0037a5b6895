/* io_totals.c: read per-area population totals (CSV, SCB statistical-database CSV, any table). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io_gdal.h"

static const char *const code_names[] = {"deso", "desokod", "regsokod", "regso", "region",
                                         "kod", "code", "omrade", NULL};
static const char *const value_names[] = {"total", "totalt", "befolkning", "folkmangd",
                                          "folkmängd", "pop", "population", "value", NULL};
/* Values that mean "all" in another dimension of an SCB table. */
static const char *const total_markers[] = {"totalt", "total", "tot", "1+2", "totalt ålder",
                                            "samtliga", NULL};

static int is_total_marker(const char *v)
{
    for (const char *const *m = total_markers; *m; m++)
        if (strcasecmp(v, *m) == 0)
            return 1;
    return 0;
}


static _Thread_local char **sort_codes;
static int cmp_idx_q(const void *a, const void *b)
{
    return strcmp(sort_codes[*(const size_t *)a], sort_codes[*(const size_t *)b]);
}

void rr_areatotals_free(rr_areatotals *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->codes[i]);
    free(t->codes);
    free(t->value);
    free(t->path);
    free(t);
}

size_t rr_areatotals_count(const rr_areatotals *t) { return t->n; }

size_t rr_areatotals_find(const rr_areatotals *t, const char *code)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->codes[mid], code);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return RR_NONE;
}

static int parse_number(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s)
        return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (*end || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

rr_status rr_areatotals_read(rr_ctx *ctx, const char *path, const char *code_field,
                             const char *value_field, rr_areatotals **out)
{
    GDALDatasetH ds = NULL;
    const char *opts[] = {"AUTODETECT_TYPE=NO", NULL};
    rr_status st = rr_gdal_open_vector(ctx, path, opts, &ds);
    if (st != RR_OK)
        return st;
    rr_areatotals *t = calloc(1, sizeof *t);
    size_t cap = 0;
    OGRFeatureH f = NULL;
    if (!t || !(t->path = rr_strdup(path))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    if (!lyr) {
        st = rr_error(ctx, RR_ERR_FORMAT, "no table in %s", path);
        goto out;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int nf = OGR_FD_GetFieldCount(defn);
    int ci = code_field ? OGR_FD_GetFieldIndex(defn, code_field)
                        : rr_gdal_field_named(defn, code_names);
    if (ci < 0 && !code_field && nf > 0)
        ci = 0; /* the first column, as SCB's tables have it */
    if (ci < 0) {
        st = rr_error(ctx, RR_ERR_FORMAT, "no code column '%s' (%s)", code_field ? code_field : "",
                      path);
        goto out;
    }
    int vi = value_field ? OGR_FD_GetFieldIndex(defn, value_field)
                         : rr_gdal_field_named(defn, value_names);
    if (vi < 0 && value_field) {
        st = rr_error(ctx, RR_ERR_FORMAT, "no value column '%s' (%s)", value_field, path);
        goto out;
    }
    if (vi < 0) { /* the last column that holds a number in the first row */
        OGR_L_ResetReading(lyr);
        OGRFeatureH first = OGR_L_GetNextFeature(lyr);
        double v;
        for (int i = nf - 1; first && i >= 0 && vi < 0; i--)
            if (i != ci && parse_number(OGR_F_GetFieldAsString(first, i), &v))
                vi = i;
        if (first)
            OGR_F_Destroy(first);
        if (vi < 0) {
            st = rr_error(ctx, RR_ERR_FORMAT, "no numeric value column; name it with a --pop-*-field "
                          "option (%s)", path);
            goto out;
        }
    }
    OGR_L_ResetReading(lyr);
    size_t line = 1;
    while ((f = OGR_L_GetNextFeature(lyr)) != NULL) {
        line++;
        /* other text dimensions (age, sex): keep the rows that are totals */
        int keep = 1;
        for (int i = 0; i < nf && keep; i++) {
            if (i == ci || i == vi)
                continue;
            const char *v = OGR_F_GetFieldAsString(f, i);
            double num;
            if (!parse_number(v, &num) && v[0] && !is_total_marker(v) && strchr(v, '+') == NULL)
                keep = 0;
        }
        if (!keep) {
            OGR_F_Destroy(f);
            continue;
        }
        char *code = rr_strdup(OGR_F_GetFieldAsString(f, ci));
        if (!code) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        rr_code_normalise(code);
        const char *txt = OGR_F_GetFieldAsString(f, vi);
        double v;
        if (!code[0]) {
            free(code);
            OGR_F_Destroy(f);
            continue;
        }
        if (strcmp(txt, "..") == 0 || strcmp(txt, ".") == 0 || !txt[0]) {
            rr_warn(ctx, "%s, line %zu, code %s: value missing ('%s'); area not calibrated", path,
                    line, code, txt);
            free(code);
            OGR_F_Destroy(f);
            continue;
        }
        if (!parse_number(txt, &v) || v < 0) {
            st = rr_error(ctx, RR_ERR_FORMAT, "'%s' is not a population count (%s, line %zu, column "
                          "%s, code %s)", txt, path, line, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, vi)),
                          code);
            free(code);
            goto out;
        }
        if (t->n == cap) {
            cap = cap ? 2 * cap : 256;
            char **c2 = realloc(t->codes, cap * sizeof *c2);
            if (c2)
                t->codes = c2;
            double *v2 = realloc(t->value, cap * sizeof *v2);
            if (v2)
                t->value = v2;
            if (!c2 || !v2) {
                free(code);
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
                goto out;
            }
        }
        t->codes[t->n] = code;
        t->value[t->n++] = v;
        OGR_F_Destroy(f);
    }
    f = NULL;
    if (t->n == 0) {
        st = rr_error(ctx, RR_ERR_FORMAT, "no per-area totals found (%s)", path);
        goto out;
    }
    /* sort by code; a code twice is an error (two rows of totals for one area) */
    size_t *order = malloc(t->n * sizeof *order);
    char **codes = malloc(t->n * sizeof *codes);
    double *values = malloc(t->n * sizeof *values);
    if (!order || !codes || !values) {
        free(order);
        free(codes);
        free(values);
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    for (size_t i = 0; i < t->n; i++)
        order[i] = i;
    sort_codes = t->codes;
    qsort(order, t->n, sizeof *order, cmp_idx_q);
    for (size_t i = 0; i < t->n; i++) {
        codes[i] = t->codes[order[i]];
        values[i] = t->value[order[i]];
    }
    free(order);
    free(t->codes);
    free(t->value);
    t->codes = codes;
    t->value = values;
    for (size_t i = 1; i < t->n; i++)
        if (strcmp(t->codes[i], t->codes[i - 1]) == 0) {
            st = rr_error(ctx, RR_ERR_DATA, "code %s has more than one total (%s)", t->codes[i], path);
            goto out;
        }
    *out = t;
    t = NULL;
out:
    if (f)
        OGR_F_Destroy(f);
    rr_areatotals_free(t);
    GDALClose(ds);
    return st;
}

void rr_link_free(rr_link *link)
{
    if (!link)
        return;
    for (size_t i = 0; i < link->n; i++) {
        free(link->codes[i]);
        free(link->groups[i]);
    }
    free(link->codes);
    free(link->groups);
    free(link->path);
    free(link->from);
    free(link->to);
    free(link);
}

const char *rr_link_group(const rr_link *link, const char *code)
{
    size_t lo = 0, hi = link->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(link->codes[mid], code);
        if (c == 0)
            return link->groups[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return 1;
    return 0;
}

rr_status rr_link_read(rr_ctx *ctx, const char *path, const char *from, const char *to,
                       rr_link **out)
{
    GDALDatasetH ds = NULL;
    const char *opts[] = {"AUTODETECT_TYPE=NO", NULL};
    rr_status st = rr_gdal_open_vector(ctx, path, opts, &ds);
    if (st != RR_OK)
        return st;
    rr_link *link = calloc(1, sizeof *link);
    size_t cap = 0;
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    if (!link || !(link->path = rr_strdup(path))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    if (!lyr) {
        st = rr_error(ctx, RR_ERR_FORMAT, "no table in the link file (%s)", path);
        goto out;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int nf = OGR_FD_GetFieldCount(defn), fi = -1, ti = -1;
    if (from)
        fi = OGR_FD_GetFieldIndex(defn, from);
    else
        for (int i = 0; i < nf && fi < 0; i++)
            if (contains_ci(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), "deso"))
                fi = i;
    if (to)
        ti = OGR_FD_GetFieldIndex(defn, to);
    else
        for (int i = nf - 1; i >= 0 && ti < 0; i--)
            if (i != fi && contains_ci(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), "kod"))
                ti = i;
    if (fi < 0 || ti < 0 || fi == ti) {
        char *names = NULL;
        rr_buf b = {0};
        for (int i = 0; i < nf; i++)
            rr_buf_addf(&b, "%s%s", i ? ", " : "", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        names = b.s;
        st = rr_error(ctx, RR_ERR_FORMAT, "cannot tell which columns link codes to groups; name "
                      "them (FROM,TO); the columns are: %s (%s)", names ? names : "?", path);
        free(names);
        goto out;
    }
    link->from = rr_strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, fi)));
    link->to = rr_strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, ti)));
    OGRFeatureH f;
    size_t line = 1;
    while ((f = OGR_L_GetNextFeature(lyr)) != NULL) {
        line++;
        char *code = rr_strdup(OGR_F_GetFieldAsString(f, fi));
        char *group = rr_strdup(OGR_F_GetFieldAsString(f, ti));
        OGR_F_Destroy(f);
        if (!code || !group) {
            free(code);
            free(group);
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        rr_code_normalise(code);
        rr_code_normalise(group);
        if (!code[0] || !group[0]) {
            free(code);
            free(group);
            st = rr_error(ctx, RR_ERR_FORMAT, "empty code or group (%s, line %zu)", path, line);
            goto out;
        }
        if (link->n == cap) {
            cap = cap ? 2 * cap : 256;
            char **c2 = realloc(link->codes, cap * sizeof *c2);
            if (c2)
                link->codes = c2;
            char **g2 = realloc(link->groups, cap * sizeof *g2);
            if (g2)
                link->groups = g2;
            if (!c2 || !g2) {
                free(code);
                free(group);
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
                goto out;
            }
        }
        link->codes[link->n] = code;
        link->groups[link->n++] = group;
    }
    /* sort pairs by code (insertion into an index array, then permute) */
    size_t *order = malloc((link->n + 1) * sizeof *order);
    char **codes = malloc((link->n + 1) * sizeof *codes), **groups = malloc((link->n + 1) * sizeof *groups);
    if (!order || !codes || !groups) {
        free(order);
        free(codes);
        free(groups);
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    for (size_t i = 0; i < link->n; i++)
        order[i] = i;
    sort_codes = link->codes;
    qsort(order, link->n, sizeof *order, cmp_idx_q);
    for (size_t i = 0; i < link->n; i++) {
        codes[i] = link->codes[order[i]];
        groups[i] = link->groups[order[i]];
    }
    free(order);
    free(link->codes);
    free(link->groups);
    link->codes = codes;
    link->groups = groups;
    for (size_t i = 1; i < link->n; i++)
        if (strcmp(link->codes[i], link->codes[i - 1]) == 0 &&
            strcmp(link->groups[i], link->groups[i - 1]) != 0) {
            st = rr_error(ctx, RR_ERR_DATA, "code %s links to two groups, %s and %s (%s)",
                          link->codes[i], link->groups[i - 1], link->groups[i], path);
            goto out;
        }
    *out = link;
    link = NULL;
out:
    rr_link_free(link);
    GDALClose(ds);
    return st;
}
