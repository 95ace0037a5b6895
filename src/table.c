/* table.c: statistical tables users have (long CSV, wide CSV, SCB's PxWeb CSV, JSON-stat 2.0):
 * reading them into codes x series, and writing a translation back in the same shape. */
#include <ctype.h>
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "table.h"

/* ==== CSV files ============================================================================ */

typedef struct csv_state {
    rr_csv *csv;
    size_t cap;
    char **fields;
    size_t nfields, fcap;
    size_t feeding_line; /* the line being fed to the parser */
    size_t rec_line;     /* the line the current record starts on */
    int nomem;
} csv_state;

static void on_field(void *s, size_t len, void *user)
{
    csv_state *st = user;
    if (st->nomem)
        return;
    if (st->nfields == 0)
        st->rec_line = st->feeding_line;
    if (st->nfields == st->fcap) {
        size_t cap = st->fcap ? 2 * st->fcap : 16;
        char **f = realloc(st->fields, cap * sizeof *f);
        if (!f) {
            st->nomem = 1;
            return;
        }
        st->fields = f;
        st->fcap = cap;
    }
    char *copy = rr_strndup(s ? (const char *)s : "", s ? len : 0);
    if (!copy) {
        st->nomem = 1;
        return;
    }
    st->fields[st->nfields++] = copy;
}

static void drop_fields(char **fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(fields[i]);
    free(fields);
}

static void on_record(int term, void *user)
{
    (void)term;
    csv_state *st = user;
    if (st->nomem)
        return;
    if (st->nfields == 0)
        return;
    /* a line of blanks only is no record */
    if (st->nfields == 1 && st->fields[0][0] == '\0') {
        free(st->fields[0]);
        st->nfields = 0;
        return;
    }
    rr_csv *csv = st->csv;
    if (csv->nrec == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 256;
        rr_csv_record *r = realloc(csv->rec, cap * sizeof *r);
        if (!r) {
            st->nomem = 1;
            return;
        }
        csv->rec = r;
        st->cap = cap;
    }
    char **exact = realloc(st->fields, st->nfields * sizeof *exact);
    if (exact)
        st->fields = exact;
    csv->rec[csv->nrec].field = st->fields;
    csv->rec[csv->nrec].nfields = st->nfields;
    csv->rec[csv->nrec].line = st->rec_line;
    csv->nrec++;
    st->fields = NULL;
    st->nfields = st->fcap = 0;
}

static int space_only(unsigned char c)
{
    return c == CSV_SPACE;
}

void rr_csv_free(rr_csv *csv)
{
    if (!csv)
        return;
    for (size_t k = 0; k < csv->nrec; k++)
        drop_fields(csv->rec[k].field, csv->rec[k].nfields);
    free(csv->rec);
    csv->rec = NULL;
    csv->nrec = 0;
}

static char *slurp(rr_ctx *ctx, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        rr_error(ctx, RR_ERR_IO, "%s (%s)", e == ENOENT ? "no such file" : strerror(e), path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        char *b = realloc(buf, cap + 1);
        if (!b) {
            free(buf);
            buf = NULL;
        }
        buf = b;
    }
    if (!buf) {
        fclose(f);
        rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        return NULL;
    }
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(buf);
        rr_error(ctx, RR_ERR_IO, "read failed: %s (%s)", strerror(e ? e : EIO), path);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The delimiter that occurs most often outside quotes on the first line. */
static char detect_delim(const char *s, size_t n)
{
    size_t count[3] = {0, 0, 0};
    int quoted = 0;
    for (size_t i = 0; i < n && s[i] != '\n'; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted)
            count[0] += s[i] == ',', count[1] += s[i] == ';', count[2] += s[i] == '\t';
    }
    if (count[1] > count[0] && count[1] >= count[2])
        return ';';
    if (count[2] > count[0] && count[2] > count[1])
        return '\t';
    return ',';
}

rr_status rr_csv_read(rr_ctx *ctx, const char *path, rr_csv *out)
{
    size_t len = 0;
    char *buf = slurp(ctx, path, &len);
    if (!buf)
        return ctx->errmsg[0] && strstr(ctx->errmsg, "out of memory") ? RR_ERR_NOMEM : RR_ERR_IO;
    char *text = buf;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 byte order mark */
        text += 3;
        len -= 3;
    }
    rr_csv csv = {0};
    csv_state st = {.csv = &csv};
    struct csv_parser p;
    rr_status status = RR_OK;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        free(buf);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
    }
    /* libcsv's field buffer comes from regrev's allocator too (alloc.c) */
    csv_set_realloc_func(&p, rr_realloc);
    csv_set_free_func(&p, free);
    csv.delim = detect_delim(text, len);
    csv_set_delim(&p, (unsigned char)csv.delim);
    if (csv.delim == '\t')
        csv_set_space_func(&p, space_only);
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    csv.quoted_header = i < len && text[i] == '"';
    const char *nl = memchr(text, '\n', len);
    csv.crlf = nl && nl > text && nl[-1] == '\r';
    /* Feed line by line so that records and errors know their line. */
    size_t pos = 0, line = 0;
    while (pos < len && status == RR_OK) {
        const char *end = memchr(text + pos, '\n', len - pos);
        size_t n = end ? (size_t)(end - (text + pos)) + 1 : len - pos;
        st.feeding_line = ++line;
        size_t done = csv_parse(&p, text + pos, n, on_field, on_record, &st);
        if (st.nomem || csv_error(&p) == CSV_ENOMEM)
            status = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        else if (done < n)
            status = rr_error(ctx, RR_ERR_FORMAT,
                              "malformed CSV: a quote inside an unquoted field or text after a "
                              "closing quote (%s, line %zu, column %zu)",
                              path, line, done + 1);
        pos += n;
    }
    if (status == RR_OK) {
        st.feeding_line = line;
        if (csv_fini(&p, on_field, on_record, &st) != 0)
            status = rr_error(ctx, RR_ERR_FORMAT,
                              "malformed CSV: a quoted field is not closed (%s, line %zu)", path,
                              st.nfields ? st.rec_line : line);
        else if (st.nomem)
            status = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
    }
    csv_free(&p);
    drop_fields(st.fields, st.nfields);
    free(buf);
    if (status == RR_OK && csv.nrec == 0)
        status = rr_error(ctx, RR_ERR_FORMAT, "empty file: no header and no rows (%s)", path);
    for (size_t k = 1; k < csv.nrec && status == RR_OK; k++) {
        const rr_csv_record *r = &csv.rec[k];
        if (r->nfields != csv.rec[0].nfields)
            status = rr_error(ctx, RR_ERR_FORMAT,
                              "ragged row: %zu fields where the header has %zu (%s, line %zu, "
                              "column %zu)",
                              r->nfields, csv.rec[0].nfields, path, r->line,
                              (r->nfields < csv.rec[0].nfields ? r->nfields : csv.rec[0].nfields) +
                                  1);
    }
    if (status != RR_OK) {
        rr_csv_free(&csv);
        return status;
    }
    *out = csv;
    return RR_OK;
}

static int name_eq(const char *a, const char *b)
{
    while (isspace((unsigned char)*a))
        a++;
    size_t n = strlen(a);
    while (n && isspace((unsigned char)a[n - 1]))
        n--;
    return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

size_t rr_csv_column(const rr_csv *csv, const char *name)
{
    for (size_t j = 0; j < csv->rec[0].nfields; j++)
        if (name_eq(csv->rec[0].field[j], name))
            return j;
    return RR_NONE;
}

int rr_parse_number(const char *text, int decimal_comma, double *out)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    if (n == 0 || (n == 2 && text[0] == '.' && text[1] == '.') || (n == 1 && text[0] == '.'))
        return 0;
    char buf[64];
    if (n >= sizeof buf)
        return -1;
    size_t i = 0, digits = 0;
    if (text[i] == '+' || text[i] == '-')
        i++;
    while (i < n && isdigit((unsigned char)text[i]))
        i++, digits++;
    if (i < n && (text[i] == '.' || (decimal_comma && text[i] == ','))) {
        i++;
        while (i < n && isdigit((unsigned char)text[i]))
            i++, digits++;
    }
    if (digits == 0)
        return -1;
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < n && (text[i] == '+' || text[i] == '-'))
            i++;
        size_t exp = 0;
        while (i < n && isdigit((unsigned char)text[i]))
            i++, exp++;
        if (exp == 0)
            return -1;
    }
    if (i != n)
        return -1;
    /* Plain decimals of at most 15 digits (coordinates, counts) without strtod: the digits as an
     * integer, below 2^53 and so exact, divided by an exact power of ten is the correctly
     * rounded value, the very double strtod gives (Clinger's fast path). */
    if (digits <= 15 && memchr(text, 'e', n) == NULL && memchr(text, 'E', n) == NULL) {
        static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        uint64_t m = 0;
        size_t frac = 0, k = text[0] == '+' || text[0] == '-';
        int in_frac = 0;
        for (; k < n; k++) {
            if (text[k] == '.' || text[k] == ',') {
                in_frac = 1;
                continue;
            }
            m = m * 10 + (uint64_t)(text[k] - '0');
            frac += (size_t)in_frac;
        }
        double v = (double)m / pow10[frac];
        *out = text[0] == '-' ? -v : v;
        return 1;
    }
    memcpy(buf, text, n);
    buf[n] = '\0';
    for (char *c = buf; *c; c++)
        if (*c == ',')
            *c = '.';
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return -1;
    *out = v;
    return 1;
}

const char *rr_code_kommun(const char *code, char buf[5])
{
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)code[i]))
            return NULL;
    if (!isalpha((unsigned char)code[4]))
        return NULL;
    memcpy(buf, code, 4);
    buf[4] = '\0';
    return buf;
}

/* ==== tables: common ========================================================================= */

static void free_strings(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

static void layout_free(rr_csv_layout *l, size_t ncodes)
{
    if (!l)
        return;
    free(l->missing);
    free_strings(l->header, l->ncols);
    free(l->role);
    free(l->value_index);
    free(l->dim_col);
    free_strings(l->group_dims, l->ngroups * l->ndims);
    free(l->label_col);
    free_strings(l->labels, ncodes * l->nlabels);
    free(l);
}

static void jsonstat_free(rr_jsonstat *js)
{
    if (!js)
        return;
    json_decref(js->root);
    for (size_t d = 0; d < js->ndims; d++) {
        free(js->dim_id ? js->dim_id[d] : NULL);
        if (js->cat && js->cat[d])
            free_strings(js->cat[d], js->size[d]);
    }
    free(js->dim_id);
    free(js->cat);
    free(js->size);
    free(js);
}

void rr_table_free(rr_table *t)
{
    if (!t)
        return;
    free(t->path);
    free_strings(t->code, t->ncodes);
    free_strings(t->code_raw, t->ncodes);
    free(t->code_line);
    free_strings(t->series_name, t->series_name ? t->nseries : 0);
    free(t->series_den);
    free(t->series_is_den);
    free(t->value);
    free(t->cell);
    free((void *)t->quality);
    free(t->passthrough);
    if (t->labels && t->source && t->source->csv)
        free_strings(t->labels, t->ncodes * t->source->csv->nlabels);
    layout_free(t->csv, t->ncodes);
    jsonstat_free(t->js);
    free(t);
}

rr_status rr_table_alloc_cells(rr_ctx *ctx, rr_table *t)
{
    size_t n = t->nseries * t->ncodes;
    if (t->ncodes && (n / t->ncodes != t->nseries || n > RR_TABLE_MAX_CELLS))
        return rr_error(ctx, RR_ERR_FORMAT,
                        "table too large: %zu codes x %zu series; regrev holds at most %zu "
                        "values (%s)",
                        t->ncodes, t->nseries, (size_t)RR_TABLE_MAX_CELLS, t->path);
    t->value = malloc((n ? n : 1) * sizeof *t->value);
    t->cell = calloc(n ? n : 1, 1);
    if (!t->value || !t->cell)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", t->path);
    for (size_t i = 0; i < n; i++)
        t->value[i] = NAN;
    return RR_OK;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t rr_table_find_code(const rr_table *t, const char *code)
{
    char *const *hit = bsearch(&code, t->code, t->ncodes, sizeof *t->code, cmp_strp);
    return hit ? (size_t)(hit - t->code) : RR_NONE;
}

/* Sort the (normalised) codes of a table, keeping raw codes and lines alongside, and fail on a
 * code written twice in different ways (0114A0010 and 0114A0010_DeSO2025). `perm` receives,
 * for each original position, the sorted position. */
typedef struct code_entry {
    char *code, *raw;
    size_t line, orig;
} code_entry;

static int cmp_code_entry(const void *a, const void *b)
{
    const code_entry *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    if (c)
        return c;
    return x->orig < y->orig ? -1 : x->orig > y->orig;
}

/* Take over n entries (codes may repeat; the first occurrence wins) into t->code etc.;
 * perm[orig] = code index. */
static rr_status set_codes(rr_ctx *ctx, rr_table *t, code_entry *e, size_t n, size_t *perm,
                           int unique_required, const char *where)
{
    qsort(e, n, sizeof *e, cmp_code_entry);
    t->code = calloc(n ? n : 1, sizeof *t->code);
    t->code_raw = calloc(n ? n : 1, sizeof *t->code_raw);
    t->code_line = calloc(n ? n : 1, sizeof *t->code_line);
    if (!t->code || !t->code_raw || !t->code_line)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", t->path);
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (m > 0 && strcmp(t->code[m - 1], e[k].code) == 0) {
            if (unique_required)
                return rr_error(ctx, RR_ERR_FORMAT,
                                "code %s appears twice in %s ('%s' and '%s') (%s, code %s)",
                                e[k].code, where, t->code_raw[m - 1], e[k].raw, t->path,
                                e[k].code);
            free(e[k].code);
            free(e[k].raw);
            e[k].code = e[k].raw = NULL;
            perm[e[k].orig] = m - 1;
            continue;
        }
        t->code[m] = e[k].code;
        t->code_raw[m] = e[k].raw;
        t->code_line[m] = e[k].line;
        e[k].code = e[k].raw = NULL;
        perm[e[k].orig] = m;
        m++;
        t->ncodes = m;
    }
    return RR_OK;
}

/* ==== CSV tables =========================================================================== */

static const char *const code_names[] = {"code", "kod", "region", "deso", "desokod", "deso_kod",
                                         "deso2018", "deso2025", "regso", "regsokod",
                                         "regso_kod", "area", "omrade", "område", "geo",
                                         "areacode", "id", NULL};
static const char *const value_names[] = {"value", "värde", "varde", "obs_value", NULL};
static const char *const period_names[] = {"period", "year", "tid", "år", "ar", "time",
                                           "date", "datum", "month", "quarter", NULL};

static size_t find_named(const rr_csv *csv, const char *const *names, size_t skip)
{
    for (size_t i = 0; names[i]; i++) {
        size_t j = rr_csv_column(csv, names[i]);
        if (j != RR_NONE && j != skip)
            return j;
    }
    return RR_NONE;
}

/* A header naming a period: its last word is a year, optionally with a month, quarter or half
 * (2024, 2024M03, 2024K1, 2024Q1, "000007Y7 2024"). */
static int period_header(const char *h)
{
    const char *w = strrchr(h, ' ');
    w = w ? w + 1 : h;
    if (!(isdigit((unsigned char)w[0]) && isdigit((unsigned char)w[1]) &&
          isdigit((unsigned char)w[2]) && isdigit((unsigned char)w[3])))
        return 0;
    int year = (w[0] - '0') * 1000 + (w[1] - '0') * 100 + (w[2] - '0') * 10 + (w[3] - '0');
    if (year < 1800 || year > 2200)
        return 0;
    w += 4;
    if (*w == '\0')
        return 1;
    if (!strchr("MKQH", toupper((unsigned char)*w)))
        return 0;
    w++;
    size_t d = 0;
    while (isdigit((unsigned char)w[d]))
        d++;
    return d >= 1 && d <= 2 && w[d] == '\0';
}

/* DeSO (0114A0010), RegSO (0114R001) codes, with or without vintage suffix. */
static int looks_like_code(const char *s)
{
    char buf[5];
    if (!rr_code_kommun(s, buf))
        return 0;
    size_t d = 0;
    while (isdigit((unsigned char)s[5 + d]))
        d++;
    return d >= 3 && (s[5 + d] == '\0' || s[5 + d] == '_');
}

/* Without allocating (a failure would silently change what is detected): codes are short, and
 * the area reader refuses codes over 256 characters, so no key holds a longer one. */
static int key_knows(const rr_key *key, const char *raw)
{
    char c[512];
    size_t len = strlen(raw);
    if (!key || len >= sizeof c)
        return 0;
    memcpy(c, raw, len + 1);
    rr_code_normalise(c);
    size_t f, n;
    return c[0] && (rr_key_find_from(key, c, &f, &n) || rr_key_find_to(key, c, &f, &n));
}

/* A small string -> index hash map (open addressing), for dimension combinations. */
typedef struct strmap {
    char **key;
    size_t *val;
    size_t cap, n;
} strmap;

static size_t str_hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int strmap_grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    char **k = calloc(cap, sizeof *k);
    size_t *v = calloc(cap, sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->key[i])
            continue;
        size_t h = str_hash(m->key[i]) & (cap - 1);
        while (k[h])
            h = (h + 1) & (cap - 1);
        k[h] = m->key[i];
        v[h] = m->val[i];
    }
    free(m->key);
    free(m->val);
    m->key = k;
    m->val = v;
    m->cap = cap;
    return 0;
}

/* The index of s, inserting it with value `next` if new (*inserted = 1). RR_NONE: no memory. */
static size_t strmap_get(strmap *m, const char *s, size_t next, int *inserted)
{
    *inserted = 0;
    if ((m->n + 1) * 2 > m->cap && strmap_grow(m) != 0)
        return RR_NONE;
    size_t h = str_hash(s) & (m->cap - 1);
    while (m->key[h]) {
        if (strcmp(m->key[h], s) == 0)
            return m->val[h];
        h = (h + 1) & (m->cap - 1);
    }
    if (!(m->key[h] = rr_strdup(s)))
        return RR_NONE;
    m->val[h] = next;
    m->n++;
    *inserted = 1;
    return next;
}

static void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->key[i]);
    free(m->key);
    free(m->val);
}

typedef struct col_stats {
    size_t numbers, missing, text;
    size_t first_text_line; /* 1-based line of the first text cell */
    int varies_in_code;     /* two rows of one code differ */
    size_t distinct;        /* 1 or "more than 1" (2) */
} col_stats;

static rr_status read_csv_table(rr_ctx *ctx, const rr_table_opts *opts, const rr_key *key,
                                rr_table *t)
{
    rr_csv csv = {0};
    rr_status st = rr_csv_read(ctx, opts->path, &csv);
    if (st != RR_OK)
        return st;
    const char *path = opts->path;
    const rr_csv_record *hdr = &csv.rec[0];
    size_t ncols = hdr->nfields, nrows = csv.nrec - 1;
    size_t *row_code = NULL, *row_group = NULL, *den_cols = NULL;
    code_entry *entries = NULL;
    col_stats *stats = NULL;
    strmap groups = {0};
    rr_csv_layout *l = calloc(1, sizeof *l);
    if (!l) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    t->csv = l;
    l->delim = csv.delim;
    l->quote_text = csv.quoted_header;
    l->crlf = csv.crlf;
    l->ncols = ncols;
    l->header = calloc(ncols, sizeof *l->header);
    l->role = calloc(ncols, sizeof *l->role);
    l->value_index = malloc(ncols * sizeof *l->value_index);
    l->dim_col = malloc(ncols * sizeof *l->dim_col);
    l->label_col = malloc(ncols * sizeof *l->label_col);
    stats = calloc(ncols, sizeof *stats);
    if (!l->header || !l->role || !l->value_index || !l->dim_col || !l->label_col || !stats) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    for (size_t j = 0; j < ncols; j++) {
        if (!(l->header[j] = rr_strdup(hdr->field[j]))) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        l->value_index[j] = RR_NONE;
        for (size_t i = 0; i < j; i++)
            if (hdr->field[j][0] && name_eq(hdr->field[i], hdr->field[j])) {
                st = rr_error(ctx, RR_ERR_FORMAT,
                              "the header names column '%s' twice (%s, line %zu, columns %zu "
                              "and %zu)",
                              hdr->field[j], path, hdr->line, i + 1, j + 1);
                goto out;
            }
    }
    /* the code column */
    if (opts->code_column) {
        l->code_col = rr_csv_column(&csv, opts->code_column);
        if (l->code_col == RR_NONE) {
            st = rr_error(ctx, RR_ERR_FORMAT, "no column '%s' in the header (%s, line %zu)",
                          opts->code_column, path, hdr->line);
            goto out;
        }
    } else {
        l->code_col = find_named(&csv, code_names, RR_NONE);
        if (l->code_col == RR_NONE)
            l->code_col = 0;
    }
    for (size_t j = 0; j < ncols; j++)
        if (looks_like_code(hdr->field[j]) || (j == l->code_col && key_knows(key, hdr->field[j]))) {
            st = rr_error(ctx, RR_ERR_FORMAT,
                          "no header: the first line holds data (code %s); the first line must "
                          "name the columns (%s, line %zu, column %zu)",
                          hdr->field[j], path, hdr->line, j + 1);
            goto out;
        }
    if (nrows == 0) {
        st = rr_error(ctx, RR_ERR_FORMAT, "no rows under the header (%s, line %zu)", path,
                      hdr->line);
        goto out;
    }
    int decimal_comma = csv.delim != ',';
    /* per column: what its cells hold, and whether it varies within a code */
    row_code = malloc(nrows * sizeof *row_code);
    row_group = malloc(nrows * sizeof *row_group);
    entries = calloc(nrows, sizeof *entries);
    if (!row_code || !row_group || !entries) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    for (size_t r = 0; r < nrows; r++) {
        const rr_csv_record *rec = &csv.rec[r + 1];
        entries[r].orig = r;
        entries[r].line = rec->line;
        entries[r].raw = rr_strdup(rec->field[l->code_col]);
        entries[r].code = rr_strdup(rec->field[l->code_col]);
        if (!entries[r].raw || !entries[r].code) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        rr_code_normalise(entries[r].code);
        rr_code_normalise(entries[r].raw);
        if (!entries[r].code[0]) {
            st = rr_error(ctx, RR_ERR_FORMAT, "empty code (%s, line %zu, column %zu)", path,
                          rec->line, l->code_col + 1);
            goto out;
        }
    }
    st = set_codes(ctx, t, entries, nrows, row_code, 0, "the table");
    if (st != RR_OK)
        goto out;
    {
        /* first row of each code, to see whether a column varies within codes */
        size_t *first_row = malloc(t->ncodes * sizeof *first_row);
        if (!first_row) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        for (size_t c = 0; c < t->ncodes; c++)
            first_row[c] = RR_NONE;
        for (size_t r = 0; r < nrows; r++) {
            const rr_csv_record *rec = &csv.rec[r + 1];
            size_t c = row_code[r];
            int first = first_row[c] == RR_NONE;
            if (first)
                first_row[c] = r;
            for (size_t j = 0; j < ncols; j++) {
                col_stats *s = &stats[j];
                double v;
                int got = rr_parse_number(rec->field[j], decimal_comma, &v);
                if (got > 0)
                    s->numbers++;
                else if (got == 0)
                    s->missing++;
                else if (s->text++ == 0)
                    s->first_text_line = rec->line;
                if (!first && strcmp(rec->field[j], csv.rec[first_row[c] + 1].field[j]) != 0)
                    s->varies_in_code = 1;
                if (r > 0 && strcmp(rec->field[j], csv.rec[1].field[j]) != 0)
                    s->distinct = 2;
            }
        }
        free(first_row);
    }
    /* the shape */
    size_t value_col = RR_NONE, den_col = RR_NONE;
    if (opts->denominator) {
        den_col = rr_csv_column(&csv, opts->denominator);
        if (den_col == RR_NONE || den_col == l->code_col) {
            st = rr_error(ctx, RR_ERR_FORMAT,
                          "no denominator column '%s' in the header (%s, line %zu)",
                          opts->denominator, path, hdr->line);
            goto out;
        }
    }
    if (opts->value_column) {
        value_col = rr_csv_column(&csv, opts->value_column);
        if (value_col == RR_NONE || value_col == l->code_col) {
            st = rr_error(ctx, RR_ERR_FORMAT, "no value column '%s' in the header (%s, line %zu)",
                          opts->value_column, path, hdr->line);
            goto out;
        }
    } else if (opts->format == RR_TABLE_AUTO || opts->format == RR_TABLE_LONG) {
        value_col = find_named(&csv, value_names, l->code_col);
    }
    size_t period_col = find_named(&csv, period_names, l->code_col);
    rr_table_format fmt = opts->format;
    if (fmt == RR_TABLE_AUTO) {
        if (value_col != RR_NONE || period_col != RR_NONE)
            fmt = RR_TABLE_LONG;
        else
            fmt = csv.quoted_header && name_eq(hdr->field[l->code_col], "region")
                      ? RR_TABLE_PXWEB_CSV
                      : RR_TABLE_WIDE;
    }
    t->format = fmt;
    int any_period = 0;
    for (size_t j = 0; j < ncols; j++)
        if (j != l->code_col && period_header(hdr->field[j]))
            any_period = 1;
    for (size_t j = 0; j < ncols; j++) {
        const col_stats *s = &stats[j];
        int is_value = 0;
        if (j == l->code_col) {
            l->role[j] = RR_COL_CODE;
            continue;
        }
        if (j == den_col || j == value_col)
            is_value = 1;
        else if (fmt == RR_TABLE_LONG)
            is_value = 0;
        else if (any_period)
            is_value = period_header(hdr->field[j]);
        else
            is_value = s->numbers > s->text;
        if (is_value) {
            l->role[j] = RR_COL_VALUE;
            l->value_index[j] = l->nvalues++;
        } else if (!s->varies_in_code && s->distinct > 1) {
            l->role[j] = RR_COL_LABEL;
            l->label_col[l->nlabels++] = j;
        } else {
            l->role[j] = RR_COL_DIM;
            l->dim_col[l->ndims++] = j;
        }
    }
    if (fmt == RR_TABLE_LONG && value_col == RR_NONE) {
        /* the last numeric column that is not the period */
        for (size_t j = ncols; j-- > 0;) {
            if (j == l->code_col || j == period_col || j == den_col)
                continue;
            if (stats[j].numbers > stats[j].text) {
                value_col = j;
                break;
            }
        }
        if (value_col == RR_NONE) {
            st = rr_error(ctx, RR_ERR_FORMAT,
                          "a long table needs a value column: none is named value and none "
                          "holds numbers (use --value-column) (%s, line %zu)",
                          path, hdr->line);
            goto out;
        }
        /* it was counted as a dimension or label: make it the value */
        l->ndims = l->nlabels = l->nvalues = 0;
        for (size_t j = 0; j < ncols; j++) {
            if (j == l->code_col)
                continue;
            l->value_index[j] = RR_NONE;
            if (j == value_col || j == den_col) {
                l->role[j] = RR_COL_VALUE;
                l->value_index[j] = l->nvalues++;
            } else if (!stats[j].varies_in_code && stats[j].distinct > 1) {
                l->role[j] = RR_COL_LABEL;
                l->label_col[l->nlabels++] = j;
            } else {
                l->role[j] = RR_COL_DIM;
                l->dim_col[l->ndims++] = j;
            }
        }
    }
    if (l->nvalues == 0 || (den_col != RR_NONE && l->nvalues == 1)) {
        st = rr_error(ctx, RR_ERR_FORMAT,
                      "no value columns: no column holds numbers besides the code column "
                      "(%s, line %zu)",
                      path, hdr->line);
        goto out;
    }
    /* every value cell: a number or a missing-value marker */
    for (size_t j = 0; j < ncols; j++) {
        if (l->role[j] != RR_COL_VALUE || stats[j].text == 0)
            continue;
        for (size_t r = 0; r < nrows; r++) {
            const rr_csv_record *rec = &csv.rec[r + 1];
            double v;
            if (rr_parse_number(rec->field[j], decimal_comma, &v) < 0) {
                st = rr_error(ctx, RR_ERR_FORMAT,
                              "text where a number belongs: '%s' in column '%s' (%s, line %zu, "
                              "column %zu)",
                              rec->field[j], hdr->field[j], path, rec->line, j + 1);
                goto out;
            }
        }
    }
    /* groups: combinations of dimension values in order of appearance */
    rr_buf gkey = {0};
    size_t group_cap = 0;
    for (size_t r = 0; r < nrows; r++) {
        const rr_csv_record *rec = &csv.rec[r + 1];
        gkey.len = 0;
        if (gkey.s)
            gkey.s[0] = '\0';
        for (size_t d = 0; d < l->ndims; d++) {
            rr_buf_add(&gkey, rec->field[l->dim_col[d]]);
            rr_buf_add(&gkey, "\x1f");
        }
        int inserted;
        size_t g = gkey.failed ? RR_NONE
                               : strmap_get(&groups, gkey.s ? gkey.s : "", l->ngroups, &inserted);
        if (g == RR_NONE) {
            rr_buf_free(&gkey);
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        if (inserted && l->ngroups == group_cap) { /* grows by doubling: many groups are linear */
            group_cap = group_cap ? 2 * group_cap : 16;
            char **gd = realloc(l->group_dims, group_cap * (l->ndims ? l->ndims : 1) * sizeof *gd);
            if (!gd) {
                rr_buf_free(&gkey);
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
                goto out;
            }
            l->group_dims = gd;
        }
        if (inserted) {
            char **gd = l->group_dims;
            for (size_t d = 0; d < l->ndims; d++)
                gd[l->ngroups * l->ndims + d] = rr_strdup(rec->field[l->dim_col[d]]);
            l->ngroups++;
        }
        row_group[r] = g;
    }
    rr_buf_free(&gkey);
    for (size_t i = 0; i < l->ngroups * l->ndims; i++)
        if (!l->group_dims[i]) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
    l->code_major = !(nrows >= 2 && row_code[0] != row_code[1] && l->ngroups > 1);
    /* series = group x value column */
    t->nseries = l->ngroups * l->nvalues;
    t->series_name = calloc(t->nseries ? t->nseries : 1, sizeof *t->series_name);
    t->series_den = malloc((t->nseries ? t->nseries : 1) * sizeof *t->series_den);
    t->series_is_den = calloc(t->nseries ? t->nseries : 1, 1);
    den_cols = malloc(l->nvalues * sizeof *den_cols);
    if (!t->series_name || !t->series_den || !t->series_is_den || !den_cols) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    size_t den_index = den_col == RR_NONE ? RR_NONE : l->value_index[den_col];
    for (size_t g = 0; g < l->ngroups; g++) {
        for (size_t j = 0; j < ncols; j++) {
            if (l->role[j] != RR_COL_VALUE)
                continue;
            size_t s = g * l->nvalues + l->value_index[j];
            rr_buf name = {0};
            for (size_t d = 0; d < l->ndims; d++) {
                if (d)
                    rr_buf_add(&name, ", ");
                rr_buf_addf(&name, "%s=%s", hdr->field[l->dim_col[d]],
                            l->group_dims[g * l->ndims + d]);
            }
            if (l->nvalues > 1 || l->ndims == 0 || fmt != RR_TABLE_LONG)
                rr_buf_addf(&name, "%s%s", l->ndims ? ", " : "", hdr->field[j]);
            if (name.failed || !name.s) {
                rr_buf_free(&name);
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
                goto out;
            }
            t->series_name[s] = name.s;
            t->series_den[s] = RR_NONE;
            if (den_index != RR_NONE) {
                if (l->value_index[j] == den_index)
                    t->series_is_den[s] = 1;
                else
                    t->series_den[s] = g * l->nvalues + den_index;
            }
        }
    }
    if ((st = rr_table_alloc_cells(ctx, t)) != RR_OK)
        goto out;
    l->labels = calloc(t->ncodes * l->nlabels + 1, sizeof *l->labels);
    if (!l->labels) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    for (size_t r = 0; r < nrows; r++) {
        const rr_csv_record *rec = &csv.rec[r + 1];
        size_t c = row_code[r], g = row_group[r];
        for (size_t i = 0; i < l->nlabels; i++)
            if (!l->labels[c * l->nlabels + i] &&
                !(l->labels[c * l->nlabels + i] = rr_strdup(rec->field[l->label_col[i]]))) {
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
                goto out;
            }
        for (size_t j = 0; j < ncols; j++) {
            if (l->role[j] != RR_COL_VALUE)
                continue;
            size_t s = g * l->nvalues + l->value_index[j];
            size_t cell = s * t->ncodes + c;
            if (t->cell[cell] != RR_CELL_ABSENT) {
                st = rr_error(ctx, RR_ERR_FORMAT,
                              "code %s appears twice with the same dimension values "
                              "(%s, line %zu, code %s)",
                              t->code[c], path, rec->line, t->code[c]);
                goto out;
            }
            double v;
            int got = rr_parse_number(rec->field[j], decimal_comma, &v);
            if (got > 0) {
                t->cell[cell] = RR_CELL_VALUE;
                t->value[cell] = v;
                const char *dot = strchr(rec->field[j], ',');
                if (dot && decimal_comma)
                    l->decimal_comma = 1;
            } else {
                t->cell[cell] = RR_CELL_MISSING;
                if (!l->missing) {
                    char *m = rr_strdup(rec->field[j]);
                    if (!m) {
                        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
                        goto out;
                    }
                    rr_code_normalise(m); /* trims blanks */
                    l->missing = m;
                }
            }
        }
    }
out:
    if (entries)
        for (size_t r = 0; r < nrows; r++) {
            free(entries[r].code);
            free(entries[r].raw);
        }
    free(entries);
    free(row_code);
    free(row_group);
    free(den_cols);
    free(stats);
    strmap_free(&groups);
    rr_csv_free(&csv);
    return st;
}

/* ==== JSON-stat 2.0 ========================================================================= */

static rr_status js_fail(rr_ctx *ctx, const char *path, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static rr_status js_fail(rr_ctx *ctx, const char *path, const char *where, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rr_error(ctx, RR_ERR_FORMAT, "%s (%s, %s)", what, path, where);
}

/* Category ids of a dimension in index order. */
static rr_status js_categories(rr_ctx *ctx, const char *path, const char *id, json_t *dim,
                               size_t size, char ***out)
{
    char where[300];
    snprintf(where, sizeof where, "dimension %s", id);
    json_t *cat = json_is_object(dim) ? json_object_get(dim, "category") : NULL;
    if (!json_is_object(cat))
        return js_fail(ctx, path, where, "not JSON-stat 2.0: the dimension has no category");
    json_t *index = json_object_get(cat, "index");
    /* the categories are counted before size is trusted with an allocation */
    size_t listed = json_is_array(index) ? json_array_size(index)
                    : json_is_object(index) ? json_object_size(index) : size;
    if (listed != size)
        return js_fail(ctx, path, where, "the dimension has %zu categories but size says %zu",
                       listed, size);
    char **ids = calloc(size ? size : 1, sizeof *ids);
    if (!ids)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
    rr_status st = RR_OK;
    if (json_is_array(index)) {
        for (size_t i = 0; st == RR_OK && i < size; i++) {
            json_t *v = json_array_get(index, i);
            if (!json_is_string(v))
                st = js_fail(ctx, path, where, "category.index[%zu] is not a string", i);
            else if (!(ids[i] = rr_strdup(json_string_value(v))))
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        }
    } else if (json_is_object(index)) {
        const char *k;
        json_t *v;
        json_object_foreach(index, k, v)
        {
            if (st != RR_OK)
                break;
            json_int_t pos = json_is_integer(v) ? json_integer_value(v) : -1;
            if (pos < 0 || (size_t)pos >= size || ids[pos])
                st = js_fail(ctx, path, where, "category.index['%s'] is not a free position "
                                               "below %zu", k, size);
            else if (!(ids[pos] = rr_strdup(k)))
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        }
    } else if (!index) {
        /* a single category may be given by its label alone */
        json_t *label = json_object_get(cat, "label");
        if (!json_is_object(label) || json_object_size(label) != 1 || size != 1)
            st = js_fail(ctx, path, where,
                         "not JSON-stat 2.0: category.index is missing (allowed only for a "
                         "single category with a label)");
        else if (!(ids[0] = rr_strdup(json_object_iter_key(json_object_iter(label)))))
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
    } else {
        st = js_fail(ctx, path, where, "category.index is neither an array nor an object");
    }
    if (st != RR_OK) {
        free_strings(ids, size);
        return st;
    }
    *out = ids;
    return RR_OK;
}

static rr_status read_jsonstat(rr_ctx *ctx, const rr_table_opts *opts, const rr_key *key,
                               rr_table *t)
{
    const char *path = opts->path;
    json_error_t jerr;
    memset(&jerr, 0, sizeof jerr); /* jansson may fail before it sets the error code */
    json_t *root = json_load_file(path, JSON_DECODE_ANY, &jerr);
    if (!root) {
        /* jansson leaves the text empty when it fails before parsing (its buffers) */
        if (json_error_code(&jerr) == json_error_out_of_memory || !jerr.text[0])
            return rr_error(ctx, RR_ERR_NOMEM, "out of memory reading JSON (%s)", path);
        if (jerr.line <= 0 && jerr.position == 0)
            return rr_error(ctx, RR_ERR_FORMAT, "empty file (%s)", path);
        return rr_error(ctx, RR_ERR_FORMAT, "not valid JSON: %s (%s, line %d, column %d)",
                        jerr.text, path, jerr.line, jerr.column);
    }
    rr_jsonstat *js = calloc(1, sizeof *js);
    if (!js) {
        json_decref(root);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
    }
    js->root = root;
    t->js = js;
    t->format = RR_TABLE_JSONSTAT;
    rr_status st = RR_OK;
    code_entry *entries = NULL;
    size_t *perm = NULL, *stride = NULL, *sstride = NULL;
    if (!json_is_object(root))
        return js_fail(ctx, path, "top level", "not a JSON-stat dataset: the top level is not "
                                               "an object");
    json_t *cls = json_object_get(root, "class");
    if (json_object_get(root, "dataset") && !cls)
        return js_fail(ctx, path, "top level",
                       "a JSON-stat 1.x bundle; regrev reads JSON-stat 2.0 datasets (class "
                       "\"dataset\", as SCB's API v2 serves them)");
    if (cls && (!json_is_string(cls) || strcmp(json_string_value(cls), "dataset") != 0))
        return js_fail(ctx, path, "class",
                       "a JSON-stat %s; regrev reads a single dataset (class \"dataset\")",
                       json_is_string(cls) ? json_string_value(cls) : "document");
    json_t *id = json_object_get(root, "id"), *size = json_object_get(root, "size");
    json_t *dims = json_object_get(root, "dimension"), *value = json_object_get(root, "value");
    if (!json_is_array(id) || !json_is_array(size) || !json_is_object(dims) || !value)
        return js_fail(ctx, path, "top level",
                       "not a JSON-stat 2.0 dataset: it needs id, size, dimension and value");
    js->ndims = json_array_size(id);
    if (js->ndims == 0 || json_array_size(size) != js->ndims)
        return js_fail(ctx, path, "size", "id has %zu dimensions but size has %zu", js->ndims,
                       json_array_size(size));
    js->size = calloc(js->ndims, sizeof *js->size);
    js->dim_id = calloc(js->ndims, sizeof *js->dim_id);
    js->cat = calloc(js->ndims, sizeof *js->cat);
    if (!js->size || !js->dim_id || !js->cat)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
    size_t total = 1;
    for (size_t d = 0; d < js->ndims; d++) {
        json_t *idv = json_array_get(id, d), *sv = json_array_get(size, d);
        if (!json_is_string(idv))
            return js_fail(ctx, path, "id", "id[%zu] is not a string", d);
        if (!json_is_integer(sv) || json_integer_value(sv) < 1)
            return js_fail(ctx, path, "size", "size[%zu] is not a positive integer", d);
        js->size[d] = (size_t)json_integer_value(sv);
        if (!(js->dim_id[d] = rr_strdup(json_string_value(idv))))
            return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        if (total > RR_TABLE_MAX_CELLS / js->size[d])
            return js_fail(ctx, path, "size",
                           "the sizes multiply to more than %zu values, the most regrev holds",
                           (size_t)RR_TABLE_MAX_CELLS);
        total *= js->size[d];
        json_t *dim = json_object_get(dims, js->dim_id[d]);
        if (!dim)
            return js_fail(ctx, path, "dimension", "dimension '%s' (listed in id) is missing",
                           js->dim_id[d]);
        if ((st = js_categories(ctx, path, js->dim_id[d], dim, js->size[d], &js->cat[d])) !=
            RR_OK)
            return st;
    }
    /* the geographic dimension */
    js->geo = RR_NONE;
    if (opts->code_column) {
        for (size_t d = 0; d < js->ndims; d++)
            if (strcmp(js->dim_id[d], opts->code_column) == 0)
                js->geo = d;
        if (js->geo == RR_NONE)
            return js_fail(ctx, path, "id", "no dimension '%s'", opts->code_column);
    }
    json_t *role = json_object_get(root, "role");
    json_t *geo = json_is_object(role) ? json_object_get(role, "geo") : NULL;
    if (js->geo == RR_NONE && json_is_array(geo) && json_array_size(geo) >= 1) {
        const char *g = json_string_value(json_array_get(geo, 0));
        for (size_t d = 0; g && d < js->ndims; d++)
            if (strcmp(js->dim_id[d], g) == 0)
                js->geo = d;
    }
    if (js->geo == RR_NONE) {
        size_t best = 0;
        for (size_t d = 0; d < js->ndims; d++) {
            size_t known = 0;
            for (size_t i = 0; i < js->size[d]; i++)
                known += (size_t)(key_knows(key, js->cat[d][i]) || looks_like_code(js->cat[d][i]));
            if (known > best) {
                best = known;
                js->geo = d;
            }
        }
    }
    if (js->geo == RR_NONE)
        return js_fail(ctx, path, "role",
                       "no geographic dimension: none has role geo and no dimension has codes "
                       "the key knows (name it with --code-column)");
    size_t g = js->geo;
    /* codes */
    entries = calloc(js->size[g], sizeof *entries);
    perm = malloc(js->size[g] * sizeof *perm);
    if (!entries || !perm) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    for (size_t i = 0; i < js->size[g]; i++) {
        entries[i].orig = i;
        entries[i].line = i + 1;
        entries[i].code = rr_strdup(js->cat[g][i]);
        entries[i].raw = rr_strdup(js->cat[g][i]);
        if (!entries[i].code || !entries[i].raw) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        rr_code_normalise(entries[i].code);
    }
    char where[300];
    snprintf(where, sizeof where, "the categories of dimension %s", js->dim_id[g]);
    if ((st = set_codes(ctx, t, entries, js->size[g], perm, 1, where)) != RR_OK)
        goto out;
    /* series: every combination of the other dimensions */
    t->nseries = total / js->size[g];
    stride = malloc(js->ndims * sizeof *stride);
    sstride = malloc(js->ndims * sizeof *sstride);
    t->series_name = calloc(t->nseries, sizeof *t->series_name);
    t->series_den = malloc(t->nseries * sizeof *t->series_den);
    t->series_is_den = calloc(t->nseries, 1);
    if (!stride || !sstride || !t->series_name || !t->series_den || !t->series_is_den) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    size_t acc = 1, sacc = 1;
    for (size_t d = js->ndims; d-- > 0;) {
        stride[d] = acc;
        acc *= js->size[d];
        sstride[d] = d == g ? 0 : sacc;
        if (d != g)
            sacc *= js->size[d];
    }
    /* denominator: a category of one of the other dimensions */
    size_t den_dim = RR_NONE, den_cat = 0;
    if (opts->denominator) {
        const char *want = opts->denominator;
        const char *eq = strchr(want, '=');
        for (size_t d = 0; d < js->ndims && den_dim == RR_NONE; d++) {
            if (d == g)
                continue;
            if (eq && (strlen(js->dim_id[d]) != (size_t)(eq - want) ||
                       strncmp(js->dim_id[d], want, (size_t)(eq - want)) != 0))
                continue;
            for (size_t i = 0; i < js->size[d]; i++)
                if (strcmp(js->cat[d][i], eq ? eq + 1 : want) == 0) {
                    den_dim = d;
                    den_cat = i;
                    break;
                }
        }
        if (den_dim == RR_NONE) {
            st = js_fail(ctx, path, "dimension",
                         "no category '%s' for the denominator in the dimensions other than %s",
                         want, js->dim_id[g]);
            goto out;
        }
    }
    for (size_t s = 0; s < t->nseries; s++) {
        rr_buf name = {0};
        size_t den = s;
        int first = 1;
        for (size_t d = 0; d < js->ndims; d++) {
            if (d == g)
                continue;
            size_t m = (s / sstride[d]) % js->size[d];
            rr_buf_addf(&name, "%s%s=%s", first ? "" : ", ", js->dim_id[d], js->cat[d][m]);
            first = 0;
            if (d == den_dim)
                den = s - m * sstride[d] + den_cat * sstride[d];
        }
        if (name.failed) {
            rr_buf_free(&name);
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            goto out;
        }
        t->series_name[s] = name.s ? name.s : rr_strdup(js->dim_id[g]);
        t->series_den[s] = RR_NONE;
        if (den_dim != RR_NONE) {
            if (den == s)
                t->series_is_den[s] = 1;
            else
                t->series_den[s] = den;
        }
    }
    /* values: a dense array, or an object of index -> value (absent: missing); null is missing */
    if (!json_is_array(value) && !json_is_object(value)) {
        st = js_fail(ctx, path, "value", "value is neither an array nor an object");
        goto out;
    }
    if (json_is_array(value) && json_array_size(value) != total) {
        st = js_fail(ctx, path, "value", "value has %zu entries but the sizes multiply to %zu",
                     json_array_size(value), total);
        goto out;
    }
    if ((st = rr_table_alloc_cells(ctx, t)) != RR_OK)
        goto out;
    if (json_is_object(value))
        memset(t->cell, RR_CELL_MISSING, total);
    size_t nvalues = json_is_array(value) ? total : json_object_size(value);
    void *iter = json_is_object(value) ? json_object_iter(value) : NULL;
    for (size_t k = 0; k < nvalues && st == RR_OK; k++) {
        json_t *v;
        size_t i = k;
        if (json_is_array(value)) {
            v = json_array_get(value, k);
        } else {
            const char *entry = json_object_iter_key(iter);
            char *end = NULL;
            unsigned long long pos = strtoull(entry, &end, 10);
            if (!isdigit((unsigned char)entry[0]) || *end || pos >= total) {
                st = js_fail(ctx, path, "value", "value has an entry '%s' that is not an index "
                                                 "below %zu", entry, total);
                break;
            }
            i = (size_t)pos;
            v = json_object_iter_value(iter);
            iter = json_object_iter_next(value, iter);
        }
        size_t s = 0, cat = 0;
        for (size_t d = 0; d < js->ndims; d++) {
            size_t m = (i / stride[d]) % js->size[d];
            if (d == g)
                cat = m;
            else
                s += m * sstride[d];
        }
        size_t cell = s * t->ncodes + perm[cat];
        if (json_is_number(v)) {
            t->cell[cell] = RR_CELL_VALUE;
            t->value[cell] = json_number_value(v);
        } else if (!v || json_is_null(v)) {
            t->cell[cell] = RR_CELL_MISSING;
        } else {
            st = js_fail(ctx, path, "value", "value[%zu] is not a number or null", i);
        }
    }
out:
    if (entries)
        for (size_t i = 0; i < js->size[js->geo]; i++) {
            free(entries[i].code);
            free(entries[i].raw);
        }
    free(entries);
    free(perm);
    free(stride);
    free(sstride);
    return st;
}

/* ==== reading ================================================================================ */

static int json_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int c;
    size_t n = 0;
    while ((c = fgetc(f)) != EOF && n < 4096) {
        n++;
        if (c == 0xEF || c == 0xBB || c == 0xBF || isspace(c))
            continue;
        break;
    }
    fclose(f);
    return c == '{' || c == '[';
}

rr_status rr_table_read(rr_ctx *ctx, const rr_table_opts *opts, const rr_key *key,
                        rr_table **out)
{
    if (!opts || !opts->path)
        return rr_error(ctx, RR_ERR_ARG, "no table given");
    rr_table *t = calloc(1, sizeof *t);
    if (!t || !(t->path = rr_strdup(opts->path))) {
        free(t);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", opts->path);
    }
    rr_status st;
    FILE *probe = fopen(opts->path, "rb");
    if (!probe) {
        int e = errno;
        st = rr_error(ctx, RR_ERR_IO, "%s (%s)", e == ENOENT ? "no such file" : strerror(e),
                      opts->path);
    } else {
        fclose(probe);
        if (opts->format == RR_TABLE_JSONSTAT ||
            (opts->format == RR_TABLE_AUTO && json_file(opts->path)))
            st = read_jsonstat(ctx, opts, key, t);
        else
            st = read_csv_table(ctx, opts, key, t);
    }
    if (st != RR_OK) {
        rr_table_free(t);
        return st;
    }
    *out = t;
    return RR_OK;
}

/* ==== accessors ============================================================================== */

static const rr_table *meta(const rr_table *t)
{
    return t->source ? t->source : t;
}

rr_table_format rr_table_format_of(const rr_table *t)
{
    return meta(t)->format;
}

const char *rr_table_format_name(rr_table_format f)
{
    switch (f) {
    case RR_TABLE_LONG: return "long CSV";
    case RR_TABLE_WIDE: return "wide CSV";
    case RR_TABLE_PXWEB_CSV: return "PxWeb CSV";
    case RR_TABLE_JSONSTAT: return "JSON-stat 2.0";
    default: return "automatic";
    }
}

size_t rr_table_code_count(const rr_table *t)
{
    return t->ncodes;
}

const char *rr_table_code(const rr_table *t, size_t i)
{
    return i < t->ncodes ? t->code[i] : NULL;
}

size_t rr_table_series_count(const rr_table *t)
{
    return t->nseries;
}

const char *rr_table_series_name(const rr_table *t, size_t j)
{
    return j < t->nseries ? meta(t)->series_name[j] : NULL;
}

double rr_table_value(const rr_table *t, const char *code, size_t j)
{
    size_t c = rr_table_find_code(t, code);
    if (c == RR_NONE || j >= t->nseries)
        return NAN;
    size_t cell = j * t->ncodes + c;
    return t->cell[cell] == RR_CELL_VALUE ? t->value[cell] : NAN;
}

const char *rr_table_quality(const rr_table *t, const char *code)
{
    size_t c = rr_table_find_code(t, code);
    return c == RR_NONE || !t->quality ? NULL : t->quality[c];
}

/* ==== writing ================================================================================ */

static void put_text(FILE *f, const char *s, const rr_csv_layout *l)
{
    rr_csv_put_field(f, s, l->delim, l->quote_text);
}

static void fmt_value(char *b, size_t size, double v, int decimal_comma)
{
    rr_fmt_num(b, size, v, 12);
    if (decimal_comma)
        for (char *c = b; *c; c++)
            if (*c == '.')
                *c = ',';
}

/* Label i of code c: an input table's own, or what the translation resolved. */
static const char *label_of(const rr_table *t, size_t c, size_t i)
{
    const rr_csv_layout *l = meta(t)->csv;
    char **labels = t->source ? t->labels : l->labels;
    const char *s = labels ? labels[c * l->nlabels + i] : NULL;
    return s ? s : "";
}

static rr_status write_csv_table(rr_ctx *ctx, const rr_table *t, const char *path)
{
    const rr_table *m = meta(t);
    const rr_csv_layout *l = m->csv;
    FILE *f = fopen(path, "w");
    if (!f)
        return rr_error(ctx, RR_ERR_IO, "cannot write: %s (%s)", strerror(errno), path);
    const char *eol = l->crlf ? "\r\n" : "\n";
    const char *missing = l->missing ? l->missing : "";
    for (size_t j = 0; j < l->ncols; j++) {
        if (j)
            fputc(l->delim, f);
        put_text(f, l->header[j], l);
    }
    if (t->quality) {
        fputc(l->delim, f);
        put_text(f, "quality", l);
    }
    fputs(eol, f);
    size_t outer = l->code_major ? t->ncodes : l->ngroups;
    size_t inner = l->code_major ? l->ngroups : t->ncodes;
    for (size_t a = 0; a < outer; a++) {
        for (size_t b = 0; b < inner; b++) {
            size_t c = l->code_major ? a : b, g = l->code_major ? b : a;
            int present = 0;
            for (size_t v = 0; v < l->nvalues && !present; v++)
                present = t->cell[(g * l->nvalues + v) * t->ncodes + c] != RR_CELL_ABSENT;
            if (!present)
                continue;
            size_t d = 0, li = 0;
            for (size_t j = 0; j < l->ncols; j++) {
                if (j)
                    fputc(l->delim, f);
                switch (l->role[j]) {
                case RR_COL_CODE:
                    put_text(f, t->passthrough && t->passthrough[c] ? t->code_raw[c]
                                : t->source ? t->code[c] : t->code_raw[c], l);
                    break;
                case RR_COL_DIM:
                    put_text(f, l->group_dims[g * l->ndims + d++], l);
                    break;
                case RR_COL_LABEL: {
                    put_text(f, label_of(t, c, li++), l);
                    break;
                }
                default: {
                    size_t cell = (g * l->nvalues + l->value_index[j]) * t->ncodes + c;
                    if (t->cell[cell] == RR_CELL_VALUE) {
                        char num[64];
                        fmt_value(num, sizeof num, t->value[cell], l->decimal_comma);
                        fputs(num, f);
                    } else {
                        fputs(missing, f);
                    }
                }
                }
            }
            if (t->quality) {
                fputc(l->delim, f);
                put_text(f, t->quality[c] ? t->quality[c] : "", l);
            }
            fputs(eol, f);
        }
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return rr_error(ctx, RR_ERR_IO, "write failed: %s (%s)", strerror(errno ? errno : EIO),
                        path);
    return RR_OK;
}

static json_t *js_number(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    char b[64];
    rr_fmt_num(b, sizeof b, v, 12);
    return json_real(strtod(b, NULL));
}

static rr_status write_jsonstat(rr_ctx *ctx, const rr_table *t, const char *path)
{
    const rr_table *m = meta(t);
    const rr_jsonstat *js = m->js;
    size_t g = js->geo;
    rr_status st = RR_OK;
    json_t *root = json_deep_copy(js->root);
    json_t *index = json_object(), *label = json_object(), *quality = json_object();
    json_t *values = json_array(), *status = json_object();
    size_t *stride = malloc(js->ndims * sizeof *stride);
    size_t *sstride = malloc(js->ndims * sizeof *sstride);
    if (!root || !index || !label || !quality || !values || !status || !stride || !sstride) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    json_t *dim = json_object_get(json_object_get(root, "dimension"), js->dim_id[g]);
    json_t *cat = json_object_get(dim, "category");
    json_t *old_label = json_object_get(cat, "label");
    size_t total = 1, sacc = 1;
    for (size_t d = js->ndims; d-- > 0;) {
        size_t size = d == g ? t->ncodes : js->size[d];
        stride[d] = total;
        total *= size;
        sstride[d] = d == g ? 0 : sacc;
        if (d != g)
            sacc *= js->size[d];
    }
    int bad = 0;
    for (size_t c = 0; c < t->ncodes; c++) {
        const char *id = (t->passthrough && t->passthrough[c]) || !t->source ? t->code_raw[c]
                                                                              : t->code[c];
        /* the label of the same code in the input, if it was there */
        json_t *lab = NULL;
        size_t src = t->source ? rr_table_find_code(t->source, t->code[c]) : c;
        if (src != RR_NONE && json_is_object(old_label))
            lab = json_object_get(old_label, meta(t)->code_raw[src]);
        bad |= json_object_set_new(index, id, json_integer((json_int_t)c));
        bad |= json_object_set_new(label, id, lab ? json_incref(lab) : json_string(id));
        if (t->quality)
            bad |= json_object_set_new(quality, id, json_string(t->quality[c]));
    }
    for (size_t i = 0; i < total; i++) {
        size_t s = 0, c = 0;
        for (size_t d = 0; d < js->ndims; d++) {
            size_t size = d == g ? t->ncodes : js->size[d];
            size_t mi = (i / stride[d]) % size;
            if (d == g)
                c = mi;
            else
                s += mi * sstride[d];
        }
        size_t cell = s * t->ncodes + c;
        if (t->cell[cell] == RR_CELL_VALUE) {
            bad |= json_array_append_new(values, js_number(t->value[cell]));
        } else {
            char idx[32];
            snprintf(idx, sizeof idx, "%zu", i);
            bad |= json_array_append_new(values, json_null());
            bad |= json_object_set_new(status, idx, json_string(".."));
        }
    }
    json_t *newcat = json_object();
    bad |= !newcat;
    bad |= json_object_set_new(newcat, "index", index);
    bad |= json_object_set_new(newcat, "label", label);
    index = label = NULL;
    bad |= json_object_set_new(dim, "category", newcat);
    if (t->quality) {
        json_t *ext = json_object_get(dim, "extension");
        if (!json_is_object(ext)) {
            ext = json_object();
            if (json_object_set_new(dim, "extension", ext) != 0) { /* ext is gone */
                bad = 1;
                ext = NULL;
            }
        }
        bad |= json_object_set_new(ext, "quality", quality);
        quality = NULL;
    }
    bad |= json_array_set_new(json_object_get(root, "size"), g, json_integer((json_int_t)t->ncodes));
    bad |= json_object_set_new(root, "value", values);
    values = NULL;
    json_object_del(root, "status");
    if (json_object_size(status)) {
        bad |= json_object_set_new(root, "status", status);
        status = NULL;
    }
    if (bad) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
        goto out;
    }
    st = rr_json_write(ctx, root, JSON_COMPACT | JSON_REAL_PRECISION(12), path);
out:
    json_decref(root);
    json_decref(index);
    json_decref(label);
    json_decref(quality);
    json_decref(values);
    json_decref(status);
    free(stride);
    free(sstride);
    return st;
}

rr_status rr_table_write(rr_ctx *ctx, const rr_table *t, const char *path)
{
    if (meta(t)->js)
        return write_jsonstat(ctx, t, path);
    return write_csv_table(ctx, t, path);
}
