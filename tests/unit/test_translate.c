/* test_translate.c: keys (read, reverse, chain) and translation of counts, means and medians on
 * keys small enough to check by hand: a split 0.25/0.75, a merge, an unchanged area. */
#include "test_support.h"

#include <stdlib.h>
#include <unistd.h>

#ifndef REGREV_TEST_TMP
#define REGREV_TEST_TMP "/tmp"
#endif

static char *write_file(const char *name, const char *content)
{
    char *path = malloc(512);
    assert_non_null(path);
    snprintf(path, 512, "%s/%ld-translate-%s", REGREV_TEST_TMP, (long)getpid(), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Key 2018 -> 2025 (A = 0001A0010 ...):
 *   A (1000 m², 100 people) splits into A1 (250 m², 20 people) and A2 (750 m², 80 people):
 *     w_area_old 0.25 / 0.75, w_pop_old 0.2 / 0.8;
 *   B (500 m², 30 people) and C (500 m², 70 people) merge into D:
 *     w_area_new 0.5 / 0.5, w_pop_new 0.3 / 0.7;
 *   E is unchanged. A part of A (a sliver of 1 m²) lies outside every new area. */
#define KEY_HEADER "old_code,new_code,area_m2,pop,w_area_old,w_area_new,w_pop_old,w_pop_new\n"
static const char key_a[] =
    KEY_HEADER
    "0001A0010,,1.000,0.000,,,,\n"
    "0001A0010,0001A0011,250.000,20.000,0.25,1,0.2,1\n"
    "0001A0010,0001A0012,750.000,80.000,0.75,1,0.8,1\n"
    "0001A0020,0001A0030,500.000,30.000,1,0.5,1,0.3\n"
    "0001A0021,0001A0030,500.000,70.000,1,0.5,1,0.7\n"
    "0001A0040,0001A0040,1000.000,10.000,1,1,1,1\n";

/* Key 2025 -> next: A1 and A2 merge back into X; D stays; E splits in halves E1/E2. */
static const char key_b[] =
    KEY_HEADER
    "0001A0011,0001X0001,250.000,20.000,1,0.25,1,0.2\n"
    "0001A0012,0001X0001,750.000,80.000,1,0.75,1,0.8\n"
    "0001A0030,0001A0030,1000.000,100.000,1,1,1,1\n"
    "0001A0040,0001A0041,500.000,5.000,0.5,1,0.5,1\n"
    "0001A0040,0001A0042,500.000,5.000,0.5,1,0.5,1\n";

typedef struct fixture {
    rr_ctx *ctx;
    rr_key *key;
    char *paths[8];
    int npaths;
} fixture;

static rr_key *read_key(rr_ctx *ctx, const char *name, const char *content)
{
    char *path = write_file(name, content);
    rr_key *key = NULL;
    assert_ok(ctx, rr_key_read_csv(ctx, path, &key));
    unlink(path);
    free(path);
    return key;
}

static rr_table *read_table(rr_ctx *ctx, const char *name, const char *content,
                            const char *denominator)
{
    char *path = write_file(name, content);
    rr_table_opts o = {.path = path, .denominator = denominator};
    rr_table *t = NULL;
    assert_ok(ctx, rr_table_read(ctx, &o, NULL, &t));
    unlink(path);
    free(path);
    return t;
}

static rr_table *translate(rr_ctx *ctx, const rr_table *in, const rr_key *key, rr_kind kind,
                           rr_weights weights, rr_translate_report *rep)
{
    rr_translate_opts o = {.kind = kind, .weights = weights};
    rr_table *out = NULL;
    assert_ok(ctx, rr_table_translate(ctx, in, key, &o, &out, rep));
    return out;
}

static const char counts[] = "code,2024\n"
                             "0001A0010,100\n"
                             "0001A0020,10\n"
                             "0001A0021,20\n"
                             "0001A0040,5\n";

static void test_translate_key_read(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a);
    assert_int_equal(rr_key_row_count(key), 6);
    assert_true(rr_key_has_pop(key));
    rr_relation_view v;
    rr_key_row(key, 0, &v);
    assert_string_equal(v.old_code, "0001A0010");
    assert_string_equal(v.new_code, "");
    assert_true(isnan(v.w_area_old));
    assert_string_equal(rr_key_quality(key, "0001A0011"), "estimated");
    assert_string_equal(rr_key_quality(key, "0001A0030"), "exact");
    assert_string_equal(rr_key_quality(key, "0001A0040"), "exact");
    assert_null(rr_key_quality(key, "0009Z0000"));
    rr_key_free(key);
}

static void test_translate_key_errors(void **state)
{
    rr_ctx *ctx = *state;
    char *p = write_file("badsum.csv", KEY_HEADER "0001A0010,0001A0011,1,1,0.25,1,0.2,1\n"
                                                  "0001A0010,0001A0012,1,1,0.5,1,0.8,1\n");
    rr_key *key = NULL;
    assert_fails_with(ctx, rr_key_read_csv(ctx, p, &key), RR_ERR_DATA,
                      "the weights w_area_old of code 0001A0010 sum to 0.75, not 1");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 2"));
    unlink(p);
    free(p);
    p = write_file("badnum.csv", KEY_HEADER "0001A0010,0001A0011,1,1,one,1,1,1\n");
    assert_fails_with(ctx, rr_key_read_csv(ctx, p, &key), RR_ERR_FORMAT,
                      "text where a number belongs: 'one' in column w_area_old");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 2, column 5"));
    unlink(p);
    free(p);
    p = write_file("notakey.csv", "code,value\n0001A0010,1\n");
    assert_fails_with(ctx, rr_key_read_csv(ctx, p, &key), RR_ERR_FORMAT,
                      "not a key: the header has no column 'old_code'");
    unlink(p);
    free(p);
    p = write_file("twice.csv", KEY_HEADER "0001A0010,0001A0011,1,1,1,0.5,1,0.5\n"
                                           "0001A0010,0001A0011,1,1,1,0.5,1,0.5\n");
    assert_fails_with(ctx, rr_key_read_csv(ctx, p, &key), RR_ERR_DATA,
                      "the relation 0001A0010 -> 0001A0011 appears twice");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "lines 2 and 3"));
    unlink(p);
    free(p);
    assert_null(key);
}

/* counts with population weights: A1 = 0.2 x 100, A2 = 0.8 x 100, D = 10 + 20, E = 5 */
static void test_translate_counts_pop(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a);
    rr_table *in = read_table(ctx, "counts.csv", counts, NULL);
    rr_translate_report rep;
    rr_table *out = translate(ctx, in, key, RR_KIND_COUNT, RR_WEIGHTS_DEFAULT, &rep);
    assert_int_equal(rep.weights, RR_WEIGHTS_POP);
    assert_int_equal(rr_table_code_count(out), 4);
    assert_near(rr_table_value(out, "0001A0011", 0), 20, 1e-9);
    assert_near(rr_table_value(out, "0001A0012", 0), 80, 1e-9);
    assert_near(rr_table_value(out, "0001A0030", 0), 30, 1e-9);
    assert_near(rr_table_value(out, "0001A0040", 0), 5, 1e-9);
    assert_string_equal(rr_table_quality(out, "0001A0011"), "estimated");
    assert_string_equal(rr_table_quality(out, "0001A0030"), "exact");
    assert_string_equal(rr_table_quality(out, "0001A0040"), "exact");
    assert_near(rep.total_in, 135, 1e-9);
    assert_near(rep.total_out, 135, 1e-9);
    assert_int_equal(rep.kommun_checked, 1);
    assert_int_equal(rep.kommun_differ, 0);
    assert_int_equal(rep.codes_exact, 2);
    /* the sliver of A outside the new areas: 1 of 1001 m², no people: nothing by population */
    assert_near(rep.uncovered, 0, 1e-12);
    assert_near(rep.dropped, 0, 0);
    rr_table_free(out);
    /* by area: A1 = 25, A2 = 75; the sliver holds 100 x 1/1001 (reported, kept in A1 and A2) */
    out = translate(ctx, in, key, RR_KIND_COUNT, RR_WEIGHTS_AREA, &rep);
    assert_int_equal(rep.weights, RR_WEIGHTS_AREA);
    assert_near(rr_table_value(out, "0001A0011", 0), 25, 1e-9);
    assert_near(rr_table_value(out, "0001A0012", 0), 75, 1e-9);
    assert_near(rep.uncovered, 100.0 / 1001.0, 1e-9);
    assert_near(rep.total_out, 135, 1e-9);
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
}

/* Means: income per person. Without a denominator they are weighted by the population of each
 * piece: D = (30 x 10 + 70 x 20) / 100 = 17; with a denominator column (B 40, C 60 people):
 * D = (40 x 10 + 60 x 20) / 100 = 16, and the denominator is carried as a count (100). */
static void test_translate_means(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a);
    rr_table *in = read_table(ctx, "mean.csv", counts, NULL);
    rr_table *out = translate(ctx, in, key, RR_KIND_MEAN, RR_WEIGHTS_DEFAULT, NULL);
    assert_near(rr_table_value(out, "0001A0030", 0), 17, 1e-9);
    assert_near(rr_table_value(out, "0001A0011", 0), 100, 1e-9); /* one source: its mean */
    assert_near(rr_table_value(out, "0001A0012", 0), 100, 1e-9);
    assert_near(rr_table_value(out, "0001A0040", 0), 5, 1e-9);
    /* the key's population is an estimate: only the unchanged area is exact */
    assert_string_equal(rr_table_quality(out, "0001A0030"), "estimated");
    assert_string_equal(rr_table_quality(out, "0001A0040"), "exact");
    rr_table_free(out);
    rr_table_free(in);

    in = read_table(ctx, "rate.csv",
                    "code,period,income,persons\n"
                    "0001A0010,2024,100,50\n"
                    "0001A0020,2024,10,40\n"
                    "0001A0021,2024,20,60\n"
                    "0001A0040,2024,5,8\n",
                    "persons");
    out = translate(ctx, in, key, RR_KIND_MEAN, RR_WEIGHTS_DEFAULT, NULL);
    assert_int_equal(rr_table_series_count(out), 2);
    size_t income = strcmp(rr_table_series_name(out, 0), "period=2024, income") == 0 ? 0 : 1;
    assert_string_equal(rr_table_series_name(out, income), "period=2024, income");
    assert_near(rr_table_value(out, "0001A0030", income), 16, 1e-9);
    assert_near(rr_table_value(out, "0001A0030", 1 - income), 100, 1e-9);
    assert_near(rr_table_value(out, "0001A0011", 1 - income), 10, 1e-9); /* 0.2 x 50 */
    assert_near(rr_table_value(out, "0001A0011", income), 100, 1e-9);
    assert_string_equal(rr_table_quality(out, "0001A0030"), "exact"); /* whole areas */
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
}

/* A median is estimated as the population-weighted mean, and exact only where the area did not
 * change. */
static void test_translate_median(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a);
    rr_table *in = read_table(ctx, "median.csv", counts, NULL);
    rr_table *out = translate(ctx, in, key, RR_KIND_MEDIAN, RR_WEIGHTS_DEFAULT, NULL);
    assert_near(rr_table_value(out, "0001A0030", 0), 17, 1e-9);
    assert_string_equal(rr_table_quality(out, "0001A0030"), "estimated");
    assert_string_equal(rr_table_quality(out, "0001A0011"), "estimated");
    assert_string_equal(rr_table_quality(out, "0001A0040"), "exact");
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
}

/* A missing input stays missing in every area it feeds; others are untouched. */
static void test_translate_missing_stays_missing(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a);
    rr_table *in = read_table(ctx, "missing.csv",
                              "code,2023,2024\n"
                              "0001A0010,100,..\n"
                              "0001A0020,..,10\n"
                              "0001A0021,20,20\n"
                              "0001A0040,5,5\n",
                              NULL);
    rr_translate_report rep;
    rr_table *out = translate(ctx, in, key, RR_KIND_COUNT, RR_WEIGHTS_POP, &rep);
    assert_true(isnan(rr_table_value(out, "0001A0030", 0)));   /* B missing in 2023 */
    assert_near(rr_table_value(out, "0001A0011", 0), 20, 1e-9);
    assert_true(isnan(rr_table_value(out, "0001A0011", 1)));   /* A missing in 2024 */
    assert_true(isnan(rr_table_value(out, "0001A0012", 1)));
    assert_near(rr_table_value(out, "0001A0030", 1), 30, 1e-9);
    assert_int_equal(rep.cells_missing, 3);
    rr_table_free(out);
    rr_table_free(in);
    /* a table without C: D cannot be complete */
    in = read_table(ctx, "partial.csv", "code,2024\n0001A0020,10\n", NULL);
    out = translate(ctx, in, key, RR_KIND_COUNT, RR_WEIGHTS_POP, &rep);
    assert_int_equal(rr_table_code_count(out), 1);
    assert_true(isnan(rr_table_value(out, "0001A0030", 0)));
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
}

/* Going back: D -> B 0.3, C 0.7 (w_pop_new); A1 and A2 -> A whole. */
static void test_translate_reverse(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a), *rev = NULL;
    assert_ok(ctx, rr_key_reverse(ctx, key, &rev));
    rr_table *in = read_table(ctx, "new.csv",
                              "code,2024\n0001A0011,20\n0001A0012,80\n0001A0030,100\n"
                              "0001A0040,5\n",
                              NULL);
    rr_table *out = translate(ctx, in, rev, RR_KIND_COUNT, RR_WEIGHTS_DEFAULT, NULL);
    assert_int_equal(rr_table_code_count(out), 4);
    assert_near(rr_table_value(out, "0001A0010", 0), 100, 1e-9);
    assert_near(rr_table_value(out, "0001A0020", 0), 30, 1e-9);
    assert_near(rr_table_value(out, "0001A0021", 0), 70, 1e-9);
    assert_string_equal(rr_table_quality(out, "0001A0010"), "exact");
    assert_string_equal(rr_table_quality(out, "0001A0020"), "estimated");
    rr_table_free(out);
    out = translate(ctx, in, rev, RR_KIND_COUNT, RR_WEIGHTS_AREA, NULL);
    assert_near(rr_table_value(out, "0001A0020", 0), 50, 1e-9);
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(rev);
    rr_key_free(key);
}

/* A then B: A -> X is whole again (w = 0.25 x 1 + 0.75 x 1 = 1); E -> E1, E2 halves. */
static void test_translate_chain(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *a = read_key(ctx, "a.csv", key_a), *b = read_key(ctx, "b.csv", key_b), *ab = NULL;
    assert_ok(ctx, rr_key_chain(ctx, a, b, &ab));
    rr_relation_view v;
    int found = 0;
    for (size_t k = 0; k < rr_key_row_count(ab); k++) {
        rr_key_row(ab, k, &v);
        if (strcmp(v.old_code, "0001A0010") == 0 && strcmp(v.new_code, "0001X0001") == 0) {
            found = 1;
            assert_near(v.w_area_old, 1, 1e-12);
            assert_near(v.w_area_new, 1, 1e-12);  /* 1 x 0.25 + 1 x 0.75 */
            assert_near(v.w_pop_old, 1, 1e-12);
            assert_near(v.area_m2, 1000, 1e-9);
            assert_near(v.pop, 100, 1e-9);
        }
        if (strcmp(v.old_code, "0001A0020") == 0) {
            assert_string_equal(v.new_code, "0001A0030");
            assert_near(v.w_pop_new, 0.3, 1e-12);
        }
    }
    assert_true(found);
    /* A's sliver outside 2025's areas stays a part without a code */
    rr_key_row(ab, 0, &v);
    assert_string_equal(v.old_code, "0001A0010");
    assert_string_equal(v.new_code, "");
    assert_near(v.area_m2, 1, 1e-12);
    assert_string_equal(rr_key_quality(ab, "0001X0001"), "exact");
    assert_string_equal(rr_key_quality(ab, "0001A0041"), "estimated");

    rr_table *in = read_table(ctx, "counts.csv", counts, NULL);
    rr_table *out = translate(ctx, in, ab, RR_KIND_COUNT, RR_WEIGHTS_DEFAULT, NULL);
    assert_int_equal(rr_table_code_count(out), 4);
    assert_near(rr_table_value(out, "0001X0001", 0), 100, 1e-9);
    assert_near(rr_table_value(out, "0001A0030", 0), 30, 1e-9);
    assert_near(rr_table_value(out, "0001A0041", 0), 2.5, 1e-9);
    assert_string_equal(rr_table_quality(out, "0001X0001"), "exact");
    rr_table_free(out);

    /* written and read back, the chained key translates the same */
    char *path = write_file("ab.csv", "");
    assert_ok(ctx, rr_key_write_csv(ctx, ab, path));
    rr_key *back = NULL;
    assert_ok(ctx, rr_key_read_csv(ctx, path, &back));
    assert_int_equal(rr_key_row_count(back), rr_key_row_count(ab));
    out = translate(ctx, in, back, RR_KIND_COUNT, RR_WEIGHTS_DEFAULT, NULL);
    assert_near(rr_table_value(out, "0001A0042", 0), 2.5, 1e-9);
    rr_table_free(out);
    rr_key_free(back);
    unlink(path);
    free(path);

    /* B without A2: A's data could not go on */
    rr_key *b_short = read_key(ctx, "bshort.csv",
                               KEY_HEADER "0001A0011,0001X0001,250,20,1,1,1,1\n"
                                          "0001A0030,0001A0030,1000,100,1,1,1,1\n"
                                          "0001A0040,0001A0040,1000,10,1,1,1,1\n");
    rr_key *bad = NULL;
    assert_fails_with(ctx, rr_key_chain(ctx, a, b_short, &bad), RR_ERR_DATA,
                      "code 0001A0012");
    assert_null(bad);
    rr_key_free(b_short);
    rr_table_free(in);
    rr_key_free(ab);
    rr_key_free(b);
    rr_key_free(a);
}

static void test_translate_unknown_code(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a);
    rr_table *in = read_table(ctx, "unknown.csv",
                              "code,2024\n0001A0010,100\n0001A0020,10\n0009Z0001,7\n"
                              "0001A0021,20\n",
                              NULL);
    rr_translate_opts o = {0};
    rr_table *out = NULL;
    assert_fails_with(ctx, rr_table_translate(ctx, in, key, &o, &out, NULL), RR_ERR_DATA,
                      "code 0009Z0001 is not in the key");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 4"));
    assert_null(out);
    /* passed through with a warning */
    diag_log log = {0};
    rr_ctx_set_diag(ctx, diag_collect, &log);
    o.allow_unknown = 1;
    assert_ok(ctx, rr_table_translate(ctx, in, key, &o, &out, NULL));
    rr_ctx_set_diag(ctx, NULL, NULL);
    assert_int_equal(log.warnings, 1);
    assert_non_null(strstr(log.text, "0009Z0001"));
    assert_near(rr_table_value(out, "0009Z0001", 0), 7, 0);
    assert_near(rr_table_value(out, "0001A0030", 0), 30, 1e-9);
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
}

/* Weights on a row with an empty code drop what falls there: reported, never silent. A key
 * moving a part across a municipal border breaks that municipality's total: reported. */
static void test_translate_reports_dropped_and_kommun(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "drop.csv",
                           KEY_HEADER "0001A0010,,100,10,0.1,,0.1,\n"
                                      "0001A0010,0001A0010,900,90,0.9,0.5,0.9,0.5\n"
                                      "0002A0010,0001A0010,900,90,0.9,0.5,0.9,0.5\n"
                                      "0002A0010,0002A0010,100,10,0.1,1,0.1,1\n");
    rr_table *in = read_table(ctx, "in.csv", "code,v\n0001A0010,100\n0002A0010,50\n", NULL);
    diag_log log = {0};
    rr_ctx_set_diag(ctx, diag_collect, &log);
    rr_translate_report rep;
    rr_table *out = translate(ctx, in, key, RR_KIND_COUNT, RR_WEIGHTS_AREA, &rep);
    rr_ctx_set_diag(ctx, NULL, NULL);
    assert_near(rr_table_value(out, "0001A0010", 0), 90 + 45, 1e-9);
    assert_near(rr_table_value(out, "0002A0010", 0), 5, 1e-9);
    assert_near(rep.dropped, 10, 1e-9);
    assert_near(rep.total_in, 150, 1e-9);
    assert_near(rep.total_out, 140, 1e-9);
    assert_int_equal(rep.kommun_checked, 2);
    assert_int_equal(rep.kommun_differ, 2);
    assert_non_null(strstr(log.text, "10 falls on parts that no area of the other version"));
    assert_non_null(strstr(log.text, "municipality 0002 is not preserved: 50 in, 5 out"));
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
}

/* The translation keeps the PxWeb CSV's layout: quoted text, dimensions, a quality column. */
static void test_translate_pxweb_shape(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a);
    rr_table *in = read_table(ctx, "px.csv",
                              "\"Region\",\"Alder\",\"000007Y7 2024\"\n"
                              "\"0001A0010_DeSO2025\",\"totalt\",100\n"
                              "\"0001A0010_DeSO2025\",\"80-\",..\n"
                              "\"0001A0020_DeSO2025\",\"totalt\",10\n"
                              "\"0001A0020_DeSO2025\",\"80-\",1\n"
                              "\"0001A0021_DeSO2025\",\"totalt\",20\n"
                              "\"0001A0021_DeSO2025\",\"80-\",2\n",
                              NULL);
    assert_int_equal(rr_table_format_of(in), RR_TABLE_PXWEB_CSV);
    rr_table *out = translate(ctx, in, key, RR_KIND_COUNT, RR_WEIGHTS_POP, NULL);
    char *path = write_file("px-out.csv", "");
    assert_ok(ctx, rr_table_write(ctx, out, path));
    char *text = slurp(path);
    assert_string_equal(text, "\"Region\",\"Alder\",\"000007Y7 2024\",\"quality\"\n"
                              "\"0001A0011\",\"totalt\",20,\"estimated\"\n"
                              "\"0001A0011\",\"80-\",..,\"estimated\"\n"
                              "\"0001A0012\",\"totalt\",80,\"estimated\"\n"
                              "\"0001A0012\",\"80-\",..,\"estimated\"\n"
                              "\"0001A0030\",\"totalt\",30,\"exact\"\n"
                              "\"0001A0030\",\"80-\",3,\"exact\"\n");
    free(text);
    unlink(path);
    free(path);
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
}

/* JSON-stat: the geographic dimension gets the new codes, values are recomputed (null where
 * missing, with status ".."), quality goes into the dimension's extension. */
static void test_translate_jsonstat_shape(void **state)
{
    rr_ctx *ctx = *state;
    rr_key *key = read_key(ctx, "key.csv", key_a);
    rr_table *in = read_table(ctx, "in.json",
                              "{\"version\":\"2.0\",\"class\":\"dataset\",\"id\":[\"Tid\",\"Region\"],"
                              "\"size\":[2,3],\"role\":{\"geo\":[\"Region\"]},\"dimension\":{"
                              "\"Tid\":{\"category\":{\"index\":[\"2023\",\"2024\"]}},"
                              "\"Region\":{\"category\":{\"index\":[\"0001A0010\",\"0001A0020\","
                              "\"0001A0021\"],\"label\":{\"0001A0010\":\"A\"}}}},"
                              "\"value\":[100,10,20,200,null,40]}",
                              NULL);
    rr_table *out = translate(ctx, in, key, RR_KIND_COUNT, RR_WEIGHTS_POP, NULL);
    char *path = write_file("out.json", "");
    assert_ok(ctx, rr_table_write(ctx, out, path));
    char *text = slurp(path);
    /* codes sorted: A1, A2, D; value[tid * 3 + region] */
    assert_non_null(strstr(text, "\"size\":[2,3]"));
    assert_non_null(strstr(text, "\"index\":{\"0001A0011\":0,\"0001A0012\":1,\"0001A0030\":2}"));
    assert_non_null(strstr(text, "\"value\":[20,80,30,40,160,null]"));
    assert_non_null(strstr(text, "\"status\":{\"5\":\"..\"}"));
    assert_non_null(strstr(text, "\"extension\":{\"quality\":{\"0001A0011\":\"estimated\","
                                 "\"0001A0012\":\"estimated\",\"0001A0030\":\"exact\"}}"));
    free(text);
    /* and it reads back as a table */
    rr_table_opts o = {.path = path};
    rr_table *back = NULL;
    assert_ok(ctx, rr_table_read(ctx, &o, NULL, &back));
    assert_near(rr_table_value(back, "0001A0012", 1), 160, 1e-9);
    rr_table_free(back);
    unlink(path);
    free(path);
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_translate_key_read),
        cmocka_unit_test(test_translate_key_errors),
        cmocka_unit_test(test_translate_counts_pop),
        cmocka_unit_test(test_translate_means),
        cmocka_unit_test(test_translate_median),
        cmocka_unit_test(test_translate_missing_stays_missing),
        cmocka_unit_test(test_translate_reverse),
        cmocka_unit_test(test_translate_chain),
        cmocka_unit_test(test_translate_unknown_code),
        cmocka_unit_test(test_translate_reports_dropped_and_kommun),
        cmocka_unit_test(test_translate_pxweb_shape),
        cmocka_unit_test(test_translate_jsonstat_shape),
    };
    return RUN_TESTS(tests);
}
