/* test_alloc.c: allocation-failure runs [tg chaos]: a whole job is run again and again, the k-th
 * allocation of regrev_core (and of jansson, which the JSON readers and writers use) failing in
 * run k, until a run no longer reaches k allocations. Every failing run must return
 * RR_ERR_NOMEM with a message (or succeed, where a failure is harmless), never crash, and free
 * everything: the ASan build's LeakSanitizer and the valgrind run in .ci/run see every leak. */
#include "test_support.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "internal.h"

#ifndef REGREV_TEST_TMP
#define REGREV_TEST_TMP "/tmp"
#endif

#define SQ(x0, y0, x1, y1) "POLYGON((" #x0 " " #y0 "," #x1 " " #y0 "," #x1 " " #y1 "," #x0 " " #y1 "," #x0 " " #y0 "))"

static char tmp_dir[1024];

static const char *tmp_path(const char *name)
{
    static char path[4][2048];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", tmp_dir, name);
    return p;
}

static const char *write_tmp(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

typedef rr_status (*scenario_fn)(rr_ctx *ctx);

/* jansson's allocations go through the same countdown. Its parser reports a failed allocation
 * inside a token as a syntax error ("string or '}' expected"): jansson's limitation, so such a
 * failure may end in RR_ERR_FORMAT. */
static int jansson_failed;

static void *jansson_malloc(size_t size)
{
    void *p = rr_malloc(size);
    if (!p)
        jansson_failed = 1;
    return p;
}

/* Run the scenario with allocation k failing, for k = 1, 2, … until one run makes fewer than k
 * allocations. */
static void fail_each_allocation(rr_ctx *ctx, const char *name, scenario_fn run)
{
    rr_alloc_fail_at(0);
    rr_status st = run(ctx);
    if (st != RR_OK)
        fail_msg("%s without failures: %s: %s", name, rr_status_name(st), rr_ctx_errmsg(ctx));
    unsigned long total = rr_alloc_count(), nomem = 0, absorbed = 0, json_syntax = 0, k;
    for (k = 1;; k++) {
        rr_alloc_fail_at(k);
        jansson_failed = 0;
        st = run(ctx);
        int fired = rr_alloc_fired();
        rr_alloc_fail_at(0);
        if (!fired) {
            if (st != RR_OK)
                fail_msg("%s, no failure at %lu: %s: %s", name, k, rr_status_name(st),
                         rr_ctx_errmsg(ctx));
            break;
        }
        if (st == RR_OK) {
            absorbed++;
            if (getenv("RR_ALLOC_VERBOSE"))
                print_message("%s: allocation %lu failing: no error\n", name, k);
            continue;
        }
        if (st == RR_ERR_FORMAT && jansson_failed && strstr(rr_ctx_errmsg(ctx), "not valid JSON")) {
            json_syntax++;
            continue;
        }
        if (st != RR_ERR_NOMEM)
            fail_msg("%s, allocation %lu failing: %s, not out of memory: %s", name, k,
                     rr_status_name(st), rr_ctx_errmsg(ctx));
        if (!strstr(rr_ctx_errmsg(ctx), "out of memory") && !strstr(rr_ctx_errmsg(ctx), "memory"))
            fail_msg("%s, allocation %lu failing: message without 'out of memory': %s", name, k,
                     rr_ctx_errmsg(ctx));
        nomem++;
    }
    print_message("%s: %lu allocations in a clean run; %lu runs, each failing one allocation: "
                  "%lu out of memory, %lu harmless, %lu inside jansson's parser (reported by "
                  "jansson as a syntax error)\n",
                  name, total, k - 1, nomem, absorbed, json_syntax);
}

/* ---- overlay, population, calibration, analysis, every CSV and JSON writer ------------------ */

static rr_status revision_job(rr_ctx *ctx)
{
    /* Old: A and B, 1 x 1 km each, and F, 100 m wide. New: A shrinks to x < 900, B is split in C
     * (south) and D (north), each taking half the strip A lost; E is new land no old area
     * covered; F's land is in no new area. */
    const char *oc[] = {"0001A0010", "0001A0020", "0001A0060"};
    const char *ow[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 1000), SQ(2100, 0, 2200, 1000)};
    const char *nc[] = {"0001A0010", "0001A0030", "0001A0040", "0001A0050"};
    const char *nw[] = {SQ(0, 0, 900, 1000), SQ(900, 0, 2000, 500), SQ(900, 500, 2000, 1000),
                        SQ(2000, 0, 2100, 1000)};
    const char *cells[] = {SQ(0, 0, 500, 500),       SQ(500, 0, 1000, 500),
                           SQ(1000, 0, 1500, 500),   SQ(1500, 0, 2000, 500),
                           SQ(0, 500, 500, 1000),    SQ(500, 500, 1000, 1000),
                           SQ(1000, 500, 1500, 1000), SQ(1500, 500, 2000, 1000)};
    const double people[] = {10, 20, 30, 40, 50, 60, 70, 80};
    static const char *const outputs[] = {
        "pieces.csv", "key.csv", "changes.csv", "areas.csv", "comparability.csv",
        "units.csv", "bestfit.csv", "key_uncertainty.csv", "summary.json"};
    rr_params params;
    rr_params_default(&params);
    params.threads = 1; /* the failure countdown is one per process */
    rr_areaset *old_set = NULL, *new_set = NULL;
    rr_popsource *pop = NULL;
    rr_areatotals *t_old = NULL, *t_new = NULL;
    rr_revision *rev = NULL;
    rr_outset *outs = NULL;
    rr_status st;
    if ((st = rr_areaset_from_wkt(ctx, 3, oc, ow, "EPSG:3006", &old_set)) != RR_OK ||
        (st = rr_areaset_from_wkt(ctx, 4, nc, nw, "EPSG:3006", &new_set)) != RR_OK ||
        (st = rr_popsource_from_wkt(ctx, 8, cells, people, &pop)) != RR_OK ||
        (st = rr_revision_overlay(ctx, old_set, new_set, &params, &rev)) != RR_OK ||
        (st = rr_revision_set_population(ctx, rev, pop)) != RR_OK ||
        (st = rr_areatotals_read(ctx, tmp_path("totals_old.csv"), NULL, NULL, &t_old)) != RR_OK ||
        (st = rr_areatotals_read(ctx, tmp_path("totals_new.csv"), NULL, NULL, &t_new)) != RR_OK ||
        (st = rr_revision_calibrate(ctx, rev, t_old, t_new)) != RR_OK ||
        (st = rr_revision_analyse(ctx, rev)) != RR_OK ||
        (st = rr_outset_begin(ctx, tmp_path("out"), &outs)) != RR_OK)
        goto out;
    rr_run_info info = {.old_path = "old", .new_path = "new", .pop_path = "pop"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0] && st == RR_OK; i++) {
        const char *p = rr_outset_add(ctx, outs, outputs[i]);
        if (!p) {
            st = RR_ERR_NOMEM; /* the only way rr_outset_add fails here */
            break;
        }
        switch (i) {
        case 0: st = rr_write_pieces_csv(ctx, rev, p); break;
        case 1: st = rr_write_key_csv(ctx, rev, p); break;
        case 2: st = rr_write_changes_csv(ctx, rev, p); break;
        case 3: st = rr_write_areas_csv(ctx, rev, p); break;
        case 4: st = rr_write_comparability_csv(ctx, rev, p); break;
        case 5: st = rr_write_units_csv(ctx, rev, p); break;
        case 6: st = rr_write_bestfit_csv(ctx, rev, p); break;
        case 7: st = rr_write_key_uncertainty_csv(ctx, rev, p); break;
        default: st = rr_write_summary_json(ctx, rev, &info, p); break;
        }
    }
    if (st == RR_OK) {
        st = rr_outset_commit(ctx, outs);
        outs = NULL;
    }
out:
    rr_outset_abort(outs);
    rr_revision_free(rev);
    rr_areatotals_free(t_old);
    rr_areatotals_free(t_new);
    rr_popsource_free(pop);
    rr_areaset_free(new_set);
    rr_areaset_free(old_set);
    return st;
}

static void test_alloc_revision(void **state)
{
    rr_ctx *ctx = *state;
    write_tmp("totals_old.csv", "deso,total\n0001A0010,150\n0001A0020,230\n0001A0060,0\n");
    write_tmp("totals_new.csv", "deso,total\n0001A0010,140\n0001A0030,110\n0001A0040,130\n"
                                "0001A0050,0\n");
    fail_each_allocation(ctx, "overlay + population + calibration + analysis + writers",
                         revision_job);
}

/* ---- reading files, snapping, the plain C overlay on the grid, the grid CSV ----------------- */

#define FEAT(code, ring) "{\"type\":\"Feature\",\"properties\":{\"deso\":\"" code "\"}," \
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[" ring "]}}"
#define FC(...) "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":" \
    "{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":[" __VA_ARGS__ "]}"

static rr_status inputs_job(rr_ctx *ctx)
{
    rr_read_opts oo = {.path = tmp_path("old.geojson")}, no = {.path = tmp_path("new.geojson")};
    rr_pop_opts po = {.path = tmp_path("grid.csv")};
    rr_params params;
    rr_params_default(&params);
    params.threads = 1; /* the failure countdown is one per process */
    rr_areaset *old_set = NULL, *new_set = NULL;
    rr_popsource *pop = NULL;
    rr_revision *rev = NULL;
    rr_status st;
    if ((st = rr_inputs_read(ctx, &oo, &no, &po, 1, &old_set, &new_set, &pop)) == RR_OK &&
        (st = rr_revision_overlay(ctx, old_set, new_set, &params, &rev)) == RR_OK &&
        (st = rr_revision_set_population(ctx, rev, pop)) == RR_OK)
        st = rr_revision_analyse(ctx, rev);
    rr_revision_free(rev);
    rr_popsource_free(pop);
    rr_areaset_free(new_set);
    rr_areaset_free(old_set);
    return st;
}

static void test_alloc_inputs(void **state)
{
    rr_ctx *ctx = *state;
    /* Old: a polygon collapsed onto a line (skipped once repaired: a failure after it must not
     * free an area twice), A and B side by side. New: their shared edge redrawn as a zig-zag
     * that crosses the old one, so the twins are compared through noded changed stretches. */
    write_tmp("old.geojson",
              FC(FEAT("0001A0099", "[[0,0],[500,0],[1000,0],[0,0]]") ","
                 FEAT("0001A0010", "[[0,0],[1000,0],[1000,1000],[0,1000],[0,0]]") ","
                 FEAT("0001A0020", "[[1000,0],[2000,0],[2000,1000],[1000,1000],[1000,0]]")));
    write_tmp("new.geojson",
              FC(FEAT("0001A0010", "[[0,0],[1000,0],[1100,300],[900,600],[1000,1000],[0,1000],"
                                   "[0,0]]") ","
                 FEAT("0001A0020", "[[1000,0],[2000,0],[2000,1000],[1000,1000],[900,600],"
                                   "[1100,300],[1000,0]]")));
    write_tmp("grid.csv", "e,n,befolkning\n500,500,10\n1500,500,20\n500,1500,0\n"
                          "1500,1500,5\n");
    fail_each_allocation(ctx, "reading files + snapping + plain C overlay + grid CSV",
                         inputs_job);
}

/* ---- keys and tables: read, reverse, chain, translate, write ------------------------------- */

static const char key_csv[] =
    "old_code,new_code,area_m2,pop,w_area_old,w_area_new,w_pop_old,w_pop_new\n"
    ",0001A0050,100000,0,,,,\n"
    "0001A0010,0001A0010,900000,140,0.9,1,0.933333333333,1\n"
    "0001A0010,0001A0030,50000,5,0.05,0.0454545454545,0.0333333333333,0.0454545454545\n"
    "0001A0010,0001A0040,50000,5,0.05,0.0384615384615,0.0333333333333,0.0384615384615\n"
    "0001A0020,0001A0030,500000,105,0.5,0.954545454545,0.456521739130,0.954545454545\n"
    "0001A0020,0001A0040,500000,125,0.5,0.961538461538,0.543478260870,0.961538461538\n";

static rr_status table_job_one(rr_ctx *ctx, const rr_key *key, const char *table,
                               rr_table_format format, rr_kind kind, const char *denominator)
{
    rr_table_opts topts = {.path = tmp_path(table), .format = format, .denominator = denominator};
    rr_translate_opts xopts = {.kind = kind, .allow_unknown = 1};
    rr_table *in = NULL, *out = NULL;
    rr_translate_report rep;
    rr_status st;
    if ((st = rr_table_read(ctx, &topts, key, &in)) == RR_OK &&
        (st = rr_table_translate(ctx, in, key, &xopts, &out, &rep)) == RR_OK)
        st = rr_table_write(ctx, out, tmp_path("translated.out"));
    rr_table_free(out);
    rr_table_free(in);
    return st;
}

static rr_status table_job(rr_ctx *ctx)
{
    rr_key *key = NULL, *rev = NULL, *chain = NULL;
    rr_status st;
    if ((st = rr_key_read_csv(ctx, tmp_path("key.csv"), &key)) != RR_OK ||
        (st = rr_key_reverse(ctx, key, &rev)) != RR_OK ||
        (st = rr_key_chain(ctx, key, rev, &chain)) != RR_OK ||
        (st = rr_key_write_csv(ctx, chain, tmp_path("chain.out"))) != RR_OK ||
        (st = rr_key_read_comparability(ctx, key, tmp_path("comparability.csv"))) != RR_OK ||
        (st = table_job_one(ctx, key, "long.csv", RR_TABLE_AUTO, RR_KIND_COUNT, NULL)) != RR_OK ||
        (st = table_job_one(ctx, key, "wide.csv", RR_TABLE_AUTO, RR_KIND_MEAN, "pop")) != RR_OK ||
        (st = table_job_one(ctx, rev, "pxweb.csv", RR_TABLE_AUTO, RR_KIND_COUNT, NULL)) != RR_OK ||
        (st = table_job_one(ctx, key, "table.json", RR_TABLE_AUTO, RR_KIND_MEDIAN, NULL)) != RR_OK)
        goto out;
out:
    rr_key_free(chain);
    rr_key_free(rev);
    rr_key_free(key);
    return st;
}

static void test_alloc_tables(void **state)
{
    rr_ctx *ctx = *state;
    write_tmp("key.csv", key_csv);
    write_tmp("comparability.csv", "version,code,comparability,unit,apportioned_share,related\n"
                                   "new,0001A0010,identical,1,0,0001A0010\n"
                                   "new,0001A0030,estimated,2,0.05,0001A0010;0001A0020\n"
                                   "old,0001A0010,identical,1,0,0001A0010\n");
    write_tmp("long.csv", "code,period,age,value\n0001A0010,2023,all,150\n0001A0010,2024,all,..\n"
                          "0001A0020,2023,all,230\n0001A0020,2024,all,240\n0009A0010,2024,all,7\n");
    write_tmp("wide.csv", "deso;name;pop;income\n0001A0010;North;150;210,5\n"
                          "0001A0020;South;230;190\n");
    write_tmp("pxweb.csv", "\"Region\",\"Alder\",\"000007Y7 2024\"\n"
                           "\"0001A0010_DeSO2025\",\"totalt\",140\n"
                           "\"0001A0030_DeSO2025\",\"totalt\",110\n"
                           "\"0001A0040_DeSO2025\",\"totalt\",130\n"
                           "\"0001A0040_DeSO2025\",\"65-69\",\"..\"\n");
    write_tmp("table.json",
              "{\"version\":\"2.0\",\"class\":\"dataset\",\"id\":[\"Region\",\"Tid\"],"
              "\"size\":[2,2],\"role\":{\"geo\":[\"Region\"]},\"dimension\":{"
              "\"Region\":{\"category\":{\"index\":{\"0001A0010\":0,\"0001A0020\":1},"
              "\"label\":{\"0001A0010\":\"North\",\"0001A0020\":\"South\"}}},"
              "\"Tid\":{\"category\":{\"index\":[\"2023\",\"2024\"]}}},"
              "\"value\":[31000,null,27500,28000],\"status\":{\"1\":\"..\"}}");
    fail_each_allocation(ctx, "keys + tables (long, wide, PxWeb, JSON-stat) + translation",
                         table_job);
}

static int setup_tmp(void **state)
{
    snprintf(tmp_dir, sizeof tmp_dir, "%s/alloc", REGREV_TEST_TMP);
    mkdir(tmp_dir, 0777);
    /* jansson's allocations count too: the JSON-stat reader and the JSON writers use it */
    json_set_alloc_funcs(jansson_malloc, free);
    return ctx_setup(state);
}

static int teardown_tmp(void **state)
{
    rr_alloc_fail_at(0);
    json_set_alloc_funcs(malloc, free);
    return ctx_teardown(state);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_revision),
        cmocka_unit_test(test_alloc_inputs),
        cmocka_unit_test(test_alloc_tables),
    };
    static char pattern[256];
    if (argc > 1) {
        snprintf(pattern, sizeof pattern, "*%s*", argv[1]);
        cmocka_set_test_filter(pattern);
    }
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
