/* test_table.c: the table readers (long, wide, PxWeb CSV, JSON-stat 2.0): shapes, codes with
 * SCB's suffix, missing values, and errors that name file, line and column. */
#include "test_support.h"

#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef REGREV_TEST_TMP
#define REGREV_TEST_TMP "/tmp"
#endif

static char *write_file(const char *name, const char *content)
{
    char *path = malloc(512);
    assert_non_null(path);
    snprintf(path, 512, "%s/%ld-table-%s", REGREV_TEST_TMP, (long)getpid(), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

static void drop_file(char *path)
{
    unlink(path);
    free(path);
}

static rr_table *read_ok(rr_ctx *ctx, const char *name, const char *content, rr_table_opts *o)
{
    char *path = write_file(name, content);
    rr_table_opts d = {0};
    if (!o)
        o = &d;
    o->path = path;
    rr_table *t = NULL;
    assert_ok(ctx, rr_table_read(ctx, o, NULL, &t));
    drop_file(path);
    o->path = NULL;
    return t;
}

/* The error of reading `content`: status and message checked, the file name in it. */
static void read_fails(rr_ctx *ctx, const char *name, const char *content, rr_status code,
                       const char *substring)
{
    char *path = write_file(name, content);
    rr_table_opts o = {.path = path};
    rr_table *t = NULL;
    assert_fails_with(ctx, rr_table_read(ctx, &o, NULL, &t), code, substring);
    assert_non_null(strstr(rr_ctx_errmsg(ctx), name));
    assert_null(t);
    drop_file(path);
}

static size_t series(const rr_table *t, const char *name)
{
    for (size_t j = 0; j < rr_table_series_count(t); j++)
        if (strcmp(rr_table_series_name(t, j), name) == 0)
            return j;
    fail_msg("no series '%s'", name);
    return 0;
}

static void test_table_long_csv_keeps_dimensions(void **state)
{
    rr_ctx *ctx = *state;
    rr_table *t = read_ok(ctx, "long.csv",
                          "code,period,sex,value\n"
                          "0001A0010,2020,men,10\n"
                          "0001A0010,2020,women,11\n"
                          "0001A0010,2021,men,12\n"
                          "0001A0020,2020,men,20\n"
                          "0001A0020,2021,men,..\n",
                          NULL);
    assert_int_equal(rr_table_format_of(t), RR_TABLE_LONG);
    assert_int_equal(rr_table_code_count(t), 2);
    assert_int_equal(rr_table_series_count(t), 3); /* (2020,men) (2020,women) (2021,men) */
    size_t s = series(t, "period=2020, sex=men");
    assert_near(rr_table_value(t, "0001A0010", s), 10, 0);
    assert_near(rr_table_value(t, "0001A0020", s), 20, 0);
    assert_near(rr_table_value(t, "0001A0010", series(t, "period=2020, sex=women")), 11, 0);
    assert_true(isnan(rr_table_value(t, "0001A0020", series(t, "period=2020, sex=women"))));
    assert_true(isnan(rr_table_value(t, "0001A0020", series(t, "period=2021, sex=men"))));
    rr_table_free(t);
}

/* Without a value column, the last numeric column of a table with a period is the value. */
static void test_table_long_csv_last_numeric_column(void **state)
{
    rr_ctx *ctx = *state;
    rr_table *t = read_ok(ctx, "long2.csv",
                          "region;year;antal\n0001A0010;2020;1,5\n0001A0020;2020;2\n", NULL);
    assert_int_equal(rr_table_format_of(t), RR_TABLE_LONG);
    assert_int_equal(rr_table_series_count(t), 1);
    /* ';' as delimiter lets ',' be the decimal mark */
    assert_near(rr_table_value(t, "0001A0010", 0), 1.5, 1e-12);
    rr_table_free(t);
}

static void test_table_wide_csv(void **state)
{
    rr_ctx *ctx = *state;
    rr_table *t = read_ok(ctx, "wide.csv",
                          "deso,2019,2020\n0001A0010,1,2\n0001A0020,.,4\n0001A0030,5,\n", NULL);
    assert_int_equal(rr_table_format_of(t), RR_TABLE_WIDE);
    assert_int_equal(rr_table_series_count(t), 2);
    assert_string_equal(rr_table_series_name(t, 0), "2019");
    assert_near(rr_table_value(t, "0001A0010", 1), 2, 0);
    assert_true(isnan(rr_table_value(t, "0001A0020", 0))); /* "." */
    assert_true(isnan(rr_table_value(t, "0001A0030", 1))); /* empty */
    rr_table_free(t);
}

/* A name column is an attribute of the code, not a dimension. */
static void test_table_wide_csv_label_column(void **state)
{
    rr_ctx *ctx = *state;
    rr_table *t = read_ok(ctx, "named.csv",
                          "code,name,total\n0001A0010,North,1\n0001A0020,South,2\n", NULL);
    assert_int_equal(rr_table_series_count(t), 1);
    assert_string_equal(rr_table_series_name(t, 0), "total");
    rr_table_free(t);
}

#define PXWEB_HEADER "\"Region\",\"Alder\",\"Kon\",\"000007Y7 2024\"\n"

static void test_table_pxweb_csv(void **state)
{
    rr_ctx *ctx = *state;
    rr_table *t = read_ok(ctx, "px.csv",
                          PXWEB_HEADER
                          "\"2021A0010_DeSO2025\",\"totalt\",\"1+2\",1402\n"
                          "\"2021A0010_DeSO2025\",\"65-69\",\"1+2\",87\n"
                          "\"2021A0020_DeSO2025\",\"totalt\",\"1+2\",..\n"
                          "\"2021A0020_DeSO2025\",\"65-69\",\"1+2\",88\n",
                          NULL);
    assert_int_equal(rr_table_format_of(t), RR_TABLE_PXWEB_CSV);
    assert_int_equal(rr_table_code_count(t), 2);
    assert_string_equal(rr_table_code(t, 0), "2021A0010");
    assert_int_equal(rr_table_series_count(t), 2);
    size_t tot = series(t, "Alder=totalt, Kon=1+2, 000007Y7 2024");
    assert_near(rr_table_value(t, "2021A0010", tot), 1402, 0);
    assert_true(isnan(rr_table_value(t, "2021A0020", tot)));
    assert_near(rr_table_value(t, "2021A0020", series(t, "Alder=65-69, Kon=1+2, 000007Y7 2024")),
                88, 0);
    rr_table_free(t);
}

static void test_table_pxweb_csv_broken(void **state)
{
    rr_ctx *ctx = *state;
    read_fails(ctx, "px-ragged.csv",
               PXWEB_HEADER "\"2021A0010_DeSO2025\",\"totalt\",\"1+2\",1402\n"
                            "\"2021A0020_DeSO2025\",\"totalt\",1402\n",
               RR_ERR_FORMAT, "ragged row: 3 fields where the header has 4");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 3, column 4"));
    read_fails(ctx, "px-text.csv",
               PXWEB_HEADER "\"2021A0010_DeSO2025\",\"totalt\",\"1+2\",1402\n"
                            "\"2021A0020_DeSO2025\",\"totalt\",\"1+2\",many\n",
               RR_ERR_FORMAT, "text where a number belongs: 'many' in column '000007Y7 2024'");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 3, column 4"));
    read_fails(ctx, "px-quote.csv",
               PXWEB_HEADER "\"2021A0010_DeSO2025\",\"tot\"alt\",\"1+2\",1402\n", RR_ERR_FORMAT,
               "malformed CSV");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 2"));
    read_fails(ctx, "px-open.csv", PXWEB_HEADER "\"2021A0010_DeSO2025,1\n", RR_ERR_FORMAT,
               "a quoted field is not closed");
}

static void test_table_csv_errors(void **state)
{
    rr_ctx *ctx = *state;
    read_fails(ctx, "empty.csv", "", RR_ERR_FORMAT, "empty file");
    read_fails(ctx, "blank.csv", "\n\n", RR_ERR_FORMAT, "empty file");
    read_fails(ctx, "noheader.csv", "0001A0010,5\n0001A0020,6\n", RR_ERR_FORMAT,
               "no header: the first line holds data (code 0001A0010)");
    read_fails(ctx, "onlyheader.csv", "code,value\n", RR_ERR_FORMAT, "no rows under the header");
    read_fails(ctx, "dup.csv", "code,period,value\n0001A0010,2020,1\n0001A0010,2020,2\n",
               RR_ERR_FORMAT, "code 0001A0010 appears twice");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 3"));
    read_fails(ctx, "long-text.csv", "code,period,value\n0001A0010,2020,1\n0001A0020,2020,x\n",
               RR_ERR_FORMAT, "'x' in column 'value'");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 3, column 3"));
    read_fails(ctx, "emptycode.csv", "code,value\n,1\n", RR_ERR_FORMAT, "empty code");
    rr_table_opts o = {.path = REGREV_TEST_TMP "/does-not-exist.csv"};
    rr_table *t = NULL;
    assert_fails_with(ctx, rr_table_read(ctx, &o, NULL, &t), RR_ERR_IO, "no such file");
}

/* JSON-stat 2.0 as SCB's API v2 serves it: Region (role geo) x Tid, a dense value array with
 * null for missing values, a status object. */
#define JS_DENSE                                                                                \
    "{\"version\":\"2.0\",\"class\":\"dataset\",\"label\":\"Folkmängd\","                       \
    "\"id\":[\"Region\",\"Tid\"],\"size\":[3,2],"                                               \
    "\"role\":{\"geo\":[\"Region\"],\"time\":[\"Tid\"]},"                                       \
    "\"dimension\":{"                                                                           \
    "\"Region\":{\"label\":\"region\",\"category\":{\"index\":{\"2021A0010_DeSO2025\":0,"       \
    "\"2021A0020_DeSO2025\":1,\"2021B2010_DeSO2025\":2},\"label\":{\"2021A0010_DeSO2025\":"     \
    "\"Vansbro A\",\"2021A0020_DeSO2025\":\"Vansbro B\",\"2021B2010_DeSO2025\":\"Vansbro C\"}}},"\
    "\"Tid\":{\"label\":\"år\",\"category\":{\"index\":[\"2023\",\"2024\"]}}},"                 \
    "\"value\":[1,2,3,null,5,6],\"status\":{\"3\":\"..\"}}"

static void test_table_jsonstat_dense(void **state)
{
    rr_ctx *ctx = *state;
    rr_table *t = read_ok(ctx, "dense.json", JS_DENSE, NULL);
    assert_int_equal(rr_table_format_of(t), RR_TABLE_JSONSTAT);
    assert_int_equal(rr_table_code_count(t), 3);
    assert_string_equal(rr_table_code(t, 1), "2021A0020");
    assert_int_equal(rr_table_series_count(t), 2);
    size_t s23 = series(t, "Tid=2023"), s24 = series(t, "Tid=2024");
    /* row-major: value[region * 2 + tid] */
    assert_near(rr_table_value(t, "2021A0010", s23), 1, 0);
    assert_near(rr_table_value(t, "2021A0010", s24), 2, 0);
    assert_near(rr_table_value(t, "2021A0020", s23), 3, 0);
    assert_true(isnan(rr_table_value(t, "2021A0020", s24)));
    assert_near(rr_table_value(t, "2021B2010", s24), 6, 0);
    rr_table_free(t);
}

/* No role: the geographic dimension is the one with codes; values as a sparse object (absent
 * entries are missing); the dimension with the codes comes second. */
static void test_table_jsonstat_sparse_no_role(void **state)
{
    rr_ctx *ctx = *state;
    rr_table *t = read_ok(ctx, "sparse.json",
                          "{\"version\":\"2.0\",\"class\":\"dataset\",\"id\":[\"Kon\",\"Omr\"],"
                          "\"size\":[2,2],\"dimension\":{"
                          "\"Kon\":{\"category\":{\"index\":[\"1\",\"2\"]}},"
                          "\"Omr\":{\"category\":{\"index\":[\"0114A0010\",\"0114A0020\"]}}},"
                          "\"value\":{\"0\":10,\"1\":20,\"3\":40}}",
                          NULL);
    assert_int_equal(rr_table_code_count(t), 2);
    size_t k1 = series(t, "Kon=1"), k2 = series(t, "Kon=2");
    assert_near(rr_table_value(t, "0114A0010", k1), 10, 0);
    assert_near(rr_table_value(t, "0114A0020", k1), 20, 0);
    assert_true(isnan(rr_table_value(t, "0114A0010", k2)));
    assert_near(rr_table_value(t, "0114A0020", k2), 40, 0);
    rr_table_free(t);
}

static void test_table_jsonstat_broken(void **state)
{
    rr_ctx *ctx = *state;
    read_fails(ctx, "bad.json", "{\"version\":\"2.0\",\n\"class\":\"dataset\",\n\"id\":[1,}",
               RR_ERR_FORMAT, "not valid JSON");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "line 3, column"));
    read_fails(ctx, "short.json",
               "{\"class\":\"dataset\",\"id\":[\"Region\"],\"size\":[3],\"role\":{\"geo\":"
               "[\"Region\"]},\"dimension\":{\"Region\":{\"category\":{\"index\":[\"0114A0010\","
               "\"0114A0020\",\"0114A0030\"]}}},\"value\":[1,2]}",
               RR_ERR_FORMAT, "value has 2 entries but the sizes multiply to 3");
    read_fails(ctx, "cats.json",
               "{\"class\":\"dataset\",\"id\":[\"Region\"],\"size\":[3],\"dimension\":{"
               "\"Region\":{\"category\":{\"index\":[\"0114A0010\",\"0114A0020\"]}}},"
               "\"value\":[1,2,3]}",
               RR_ERR_FORMAT, "has 2 categories but size says 3");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "dimension Region"));
    read_fails(ctx, "text.json",
               "{\"class\":\"dataset\",\"id\":[\"Region\"],\"size\":[2],\"dimension\":{"
               "\"Region\":{\"category\":{\"index\":[\"0114A0010\",\"0114A0020\"]}}},"
               "\"value\":[1,\"two\"]}",
               RR_ERR_FORMAT, "value[1] is not a number");
    read_fails(ctx, "bundle.json", "{\"dataset\":{\"dimension\":{}}}", RR_ERR_FORMAT,
               "JSON-stat 1.x bundle");
    read_fails(ctx, "nogeo.json",
               "{\"class\":\"dataset\",\"id\":[\"Tid\"],\"size\":[2],\"dimension\":{"
               "\"Tid\":{\"category\":{\"index\":[\"2020\",\"2021\"]}}},\"value\":[1,2]}",
               RR_ERR_FORMAT, "no geographic dimension");
}

/* Numbers are read to the very double strtod gives (the plain decimals take a path of their
 * own): SCB's coordinates and counts, decimal commas, signs, 15 digits, exponents, and 20,000
 * random decimals of 1 to 15 digits; text that is no number is refused. */
static void test_table_parse_number_as_strtod(void **state)
{
    (void)state;
    const char *cases[] = {"352499.999", "6860500.0", "0.1", "-12.5", "+7", "5.", ".5", "-0.0",
                           "123456789012345", "1234567890.12345", "0.000000000000001",
                           "999999999999999", "1e3", "2.5E-3", "12345678901234567890", "  42 "};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        double got = 0;
        assert_int_equal(rr_parse_number(cases[k], 0, &got), 1);
        double want = strtod(cases[k], NULL);
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("%s: %.17g, strtod %.17g", cases[k], got, want);
    }
    double got = 0;
    assert_int_equal(rr_parse_number("1,25", 1, &got), 1);
    assert_true(got == 1.25);
    assert_int_equal(rr_parse_number("1,25", 0, &got), -1);
    assert_int_equal(rr_parse_number("12a", 0, &got), -1);
    assert_int_equal(rr_parse_number("..", 0, &got), 0);
    unsigned long long r = 0x9e3779b97f4a7c15ULL;
    for (int k = 0; k < 20000; k++) {
        char text[40];
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        int ndig = 1 + (int)(r % 15), point = (int)((r >> 8) % (unsigned)(ndig + 1));
        size_t len = 0;
        if ((r >> 20) & 1)
            text[len++] = '-';
        for (int d = 0; d < ndig; d++) {
            if (d == point && d > 0)
                text[len++] = '.';
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            text[len++] = (char)('0' + r % 10);
        }
        text[len] = '\0';
        double want = strtod(text, NULL);
        assert_int_equal(rr_parse_number(text, 0, &got), 1);
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("%s: %.17g, strtod %.17g", text, got, want);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_long_csv_keeps_dimensions),
        cmocka_unit_test(test_table_long_csv_last_numeric_column),
        cmocka_unit_test(test_table_wide_csv),
        cmocka_unit_test(test_table_wide_csv_label_column),
        cmocka_unit_test(test_table_pxweb_csv),
        cmocka_unit_test(test_table_pxweb_csv_broken),
        cmocka_unit_test(test_table_csv_errors),
        cmocka_unit_test(test_table_jsonstat_dense),
        cmocka_unit_test(test_table_jsonstat_sparse_no_role),
        cmocka_unit_test(test_table_jsonstat_broken),
        cmocka_unit_test(test_table_parse_number_as_strtod),
    };
    return RUN_TESTS(tests);
}
