/* test_population.c: dasymetric population of pieces on hand-computable grids and points. */
#include "test_support.h"

#include <geos_c.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef REGREV_TEST_TMP
#define REGREV_TEST_TMP "/tmp"
#endif

#define SQ(x0, y0, x1, y1) "POLYGON((" #x0 " " #y0 "," #x1 " " #y0 "," #x1 " " #y1 "," #x0 " " #y1 "," #x0 " " #y0 "))"

static double piece_pop(const rr_revision *rev, const char *o, const char *n)
{
    double s = 0;
    int found = 0;
    for (size_t k = 0; k < rr_revision_piece_count(rev); k++) {
        rr_piece_view v;
        rr_revision_piece(rev, k, &v);
        if (strcmp(v.old_code, o) == 0 && strcmp(v.new_code, n) == 0) {
            s += v.pop;
            found = 1;
        }
    }
    if (!found)
        fail_msg("no piece %s -> %s", o, n);
    return s;
}

/* The overlay of os and ns with people from pop (freed here), analysed. */
static rr_revision *overlay_with(rr_ctx *ctx, rr_areaset *os, rr_areaset *ns, rr_popsource *pop)
{
    rr_params p;
    rr_params_default(&p);
    rr_revision *rev = NULL;
    assert_ok(ctx, rr_revision_overlay(ctx, os, ns, &p, &rev));
    assert_ok(ctx, rr_revision_set_population(ctx, rev, pop));
    assert_ok(ctx, rr_revision_analyse(ctx, rev));
    rr_popsource_free(pop);
    return rev;
}

static rr_revision *run(rr_ctx *ctx, rr_areaset **os, rr_areaset **ns, size_t n_old,
                        const char *const *oc, const char *const *ow, size_t n_new,
                        const char *const *nc, const char *const *nw, size_t n_cells,
                        const char *const *cells, const double *values)
{
    rr_popsource *pop = NULL;
    assert_ok(ctx, rr_areaset_from_wkt(ctx, n_old, oc, ow, NULL, os));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, n_new, nc, nw, NULL, ns));
    assert_ok(ctx, rr_popsource_from_wkt(ctx, n_cells, cells, values, &pop));
    return overlay_with(ctx, *os, *ns, pop);
}

static void run_free(rr_revision *rev, rr_areaset *os, rr_areaset *ns)
{
    rr_revision_free(rev);
    rr_areaset_free(os);
    rr_areaset_free(ns);
}

/* One 1 km cell of 100 people split 1:3 between two new areas: 25 and 75. */
static void test_population_cell_split(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001A0010"}, *ow[] = {SQ(0, 0, 1000, 1000)};
    const char *nc[] = {"0001A0011", "0001A0012"};
    const char *nw[] = {SQ(0, 0, 250, 1000), SQ(250, 0, 1000, 1000)};
    const char *cells[] = {SQ(0, 0, 1000, 1000)};
    const double values[] = {100};
    rr_areaset *os, *ns;
    rr_revision *rev = run(ctx, &os, &ns, 1, oc, ow, 2, nc, nw, 1, cells, values);
    assert_near(piece_pop(rev, "0001A0010", "0001A0011"), 25, 1e-9);
    assert_near(piece_pop(rev, "0001A0010", "0001A0012"), 75, 1e-9);
    for (size_t k = 0; k < rr_revision_relation_count(rev); k++) {
        rr_relation_view v;
        rr_revision_relation(rev, k, &v);
        if (strcmp(v.new_code, "0001A0011") == 0)
            assert_near(v.w_pop_old, 0.25, 1e-12);
    }
    run_free(rev, os, ns);
}

/* A cell half outside every area gives all its people to the covered half. */
static void test_population_cell_partly_outside(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001A"}, *ow[] = {SQ(0, 0, 1000, 1000)};
    const char *cells[] = {SQ(500, 0, 1500, 1000), SQ(5000, 5000, 6000, 6000)};
    const double values[] = {100, 7};
    rr_areaset *os, *ns;
    rr_revision *rev = run(ctx, &os, &ns, 1, oc, ow, 1, oc, ow, 2, cells, values);
    assert_near(piece_pop(rev, "0001A", "0001A"), 100, 1e-9);
    run_free(rev, os, ns);
}

/* A point on the shared boundary of two pieces is split evenly; points inside count whole. */
static void test_population_points_on_boundary(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001A"}, *ow[] = {SQ(0, 0, 1000, 1000)};
    const char *nc[] = {"0001B", "0001C"};
    const char *nw[] = {SQ(0, 0, 500, 1000), SQ(500, 0, 1000, 1000)};
    const char *pts[] = {"POINT(500 500)", "POINT(100 100)", "POINT(900 900)"};
    const double values[] = {10, 3, 4};
    rr_areaset *os, *ns;
    rr_revision *rev = run(ctx, &os, &ns, 1, oc, ow, 2, nc, nw, 3, pts, values);
    assert_near(piece_pop(rev, "0001A", "0001B"), 5 + 3, 1e-9);
    assert_near(piece_pop(rev, "0001A", "0001C"), 5 + 4, 1e-9);
    run_free(rev, os, ns);
}

static const char *write_tmp(const char *name, const char *content)
{
    static char path[2][512];
    static int which;
    which = !which;
    snprintf(path[which], sizeof path[which], "%s/%ld-%s", REGREV_TEST_TMP, (long)getpid(), name);
    FILE *f = fopen(path[which], "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path[which];
}

/* Areas a (codes oc, WKT ow) in both versions, people from a 3 × 3 grid of 1 km cells given by
 * their centres in a CSV, as SCB publishes it (cells clipped as rectangles): 1 … 9 people, 1 at
 * the bottom left, rows of 3. */
static rr_revision *run_on_grid(rr_ctx *ctx, rr_areaset **os, rr_areaset **ns, size_t n,
                                const char *const *oc, const char *const *ow)
{
    const char *path = write_tmp("grid3.csv", "e,n,befolkning\n500,500,1\n1500,500,2\n"
                                              "2500,500,3\n500,1500,4\n1500,1500,5\n"
                                              "2500,1500,6\n500,2500,7\n1500,2500,8\n"
                                              "2500,2500,9\n");
    rr_popsource *pop = NULL;
    assert_ok(ctx, rr_areaset_from_wkt(ctx, n, oc, ow, NULL, os));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, n, oc, ow, NULL, ns));
    rr_pop_opts po = {.path = path};
    assert_ok(ctx, rr_popsource_read(ctx, &po, *os, &pop));
    unlink(path);
    return overlay_with(ctx, *os, *ns, pop);
}

/* Append to buf the counter-clockwise ring of the square (x0,y0)-(x1,y1) with n points a side
 * (the extra ones collinear), or clockwise when `clockwise`. */
static void square_ring(char *buf, size_t size, double x0, double y0, double x1, double y1, int n,
                        int clockwise)
{
    size_t len = strlen(buf);
    for (int k = 0; k <= 4 * n; k++) {
        int m = clockwise ? 4 * n - k : k, side = m / n % 4;
        double t = (double)(m % n) / n;
        double x = side == 0 ? x0 + t * (x1 - x0) : side == 1 ? x1
                   : side == 2 ? x1 - t * (x1 - x0) : x0;
        double y = side == 0 ? y0 : side == 1 ? y0 + t * (y1 - y0)
                   : side == 2 ? y1 : y1 - t * (y1 - y0);
        if (m == 4 * n)
            x = x0, y = y0;
        len += (size_t)snprintf(buf + len, size - len, "%s%.6f %.6f", k ? "," : "", x, y);
    }
}

/* A square of 2 × 2 km with a hole, both rings with 60 vertices a side (long rings: most of a
 * ring is far from any one cell), beside an area B that covers the rest of a 3 × 3 grid of 1 km
 * cells holding 1 … 9 people (1 at the bottom left, rows of 3). The square (500,500)-(2500,2500)
 * covers a quarter of each corner cell, half of each side cell and all of the middle one; the
 * hole (1200,1200)-(1800,1800), which B fills, takes 0.36 of the middle cell: A gets
 * ¼ (1 + 3 + 7 + 9) + ½ (2 + 4 + 6 + 8) + 5 × 0.64 = 5 + 10 + 3.2 = 18.2, B the other 26.8. */
static void test_population_long_rings_on_grid(void **state)
{
    rr_ctx *ctx = *state;
    static char a[32768], b[32768];
    strcpy(a, "POLYGON((");
    square_ring(a, sizeof a, 500, 500, 2500, 2500, 60, 0);
    strcat(a, "),(");
    square_ring(a, sizeof a, 1200, 1200, 1800, 1800, 60, 1);
    strcat(a, "))");
    strcpy(b, "MULTIPOLYGON(((");
    square_ring(b, sizeof b, 0, 0, 3000, 3000, 1, 0);
    strcat(b, "),(");
    square_ring(b, sizeof b, 500, 500, 2500, 2500, 60, 1);
    strcat(b, ")),((");
    square_ring(b, sizeof b, 1200, 1200, 1800, 1800, 60, 0);
    strcat(b, ")))");
    const char *oc[] = {"0001A", "0001B"}, *ow[] = {a, b};
    rr_areaset *os, *ns;
    rr_revision *rev = run_on_grid(ctx, &os, &ns, 2, oc, ow);
    assert_near(piece_pop(rev, "0001A", "0001A"), 18.2, 1e-9);
    assert_near(piece_pop(rev, "0001B", "0001B"), 26.8, 1e-9);
    run_free(rev, os, ns);
}

/* A circle of 400 vertices (radius 1300 m about (1500,1500)) beside the rest of a 3 × 3 grid of
 * 1 km cells holding 1 … 9 people: its share of each cell is the covered area, which GEOS's
 * own intersection gives independently of the clipping under test (a ring whose vertices are
 * not collinear: the runs of it far from a cell really are shortened). */
static void test_population_circle_matches_geos(void **state)
{
    rr_ctx *ctx = *state;
    static char circle[32768], rest[40000];
    size_t len = (size_t)snprintf(circle, sizeof circle, "POLYGON((");
    for (int k = 0; k <= 400; k++) {
        double t = 2 * 3.14159265358979323846 * (k % 400) / 400;
        len += (size_t)snprintf(circle + len, sizeof circle - len, "%s%.4f %.4f", k ? "," : "",
                                1500 + 1300 * cos(t), 1500 + 1300 * sin(t));
    }
    snprintf(circle + len, sizeof circle - len, "))");
    GEOSContextHandle_t h = GEOS_init_r();
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *c = GEOSWKTReader_read_r(h, r, circle);
    GEOSGeometry *box = GEOSWKTReader_read_r(h, r, "POLYGON((0 0,3000 0,3000 3000,0 3000,0 0))");
    GEOSGeometry *out = GEOSDifference_r(h, box, c);
    GEOSWKTWriter *w = GEOSWKTWriter_create_r(h);
    GEOSWKTWriter_setRoundingPrecision_r(h, w, 4);
    char *out_wkt = GEOSWKTWriter_write_r(h, w, out);
    snprintf(rest, sizeof rest, "%s", out_wkt);
    const char *oc[] = {"0001A", "0001B"}, *ow[] = {circle, rest};
    double want = 0;
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 3; i++) {
            GEOSGeometry *cell = GEOSGeom_createRectangle_r(h, 1000 * i, 1000 * j, 1000 * (i + 1),
                                                            1000 * (j + 1));
            GEOSGeometry *in = GEOSIntersection_r(h, c, cell);
            double a = 0;
            GEOSArea_r(h, in, &a);
            want += (1 + i + 3 * j) * a / 1e6;
            GEOSGeom_destroy_r(h, in);
            GEOSGeom_destroy_r(h, cell);
        }
    rr_areaset *os, *ns;
    rr_revision *rev = run_on_grid(ctx, &os, &ns, 2, oc, ow);
    assert_near(piece_pop(rev, "0001A", "0001A"), want, 1e-6);
    assert_near(piece_pop(rev, "0001B", "0001B"), 45 - want, 1e-6);
    run_free(rev, os, ns);
    GEOSFree_r(h, out_wkt);
    GEOSWKTWriter_destroy_r(h, w);
    GEOSWKTReader_destroy_r(h, r);
    GEOSGeom_destroy_r(h, out);
    GEOSGeom_destroy_r(h, box);
    GEOSGeom_destroy_r(h, c);
    GEOS_finish_r(h);
}

/* A grid CSV read quickly (libcsv) agrees with one that GDAL reads: semicolons and an empty
 * value are the plain case (9 cells, the empty one skipped: 8 with 43 people); a value that is
 * not a number goes to GDAL's reader, whose message names it. */
static void test_population_csv_grid_plain_and_bad(void **state)
{
    rr_ctx *ctx = *state;
    rr_popsource *pop = NULL;
    const char *path = write_tmp("semi.csv", "e;n;befolkning\n500;500;1\n1500;500;\n2500;500;3\n"
                                             "500;1500;4\n1500;1500;5\n2500;1500;6\n"
                                             "500;2500;7\n1500;2500;8\n2500;2500;9\n");
    rr_pop_opts po = {.path = path};
    assert_ok(ctx, rr_popsource_read(ctx, &po, NULL, &pop));
    assert_near(rr_popsource_total(pop), 43, 1e-12);
    rr_popsource_free(pop);
    pop = NULL;
    path = write_tmp("bad.csv", "e,n,befolkning\n500,500,1\n1500,500,many\n");
    po.path = path;
    assert_fails_with(ctx, rr_popsource_read(ctx, &po, NULL, &pop), RR_ERR_FORMAT,
                      "population 'many' is not a number");
    assert_null(pop);
}

/* Centres that lie on no grid are points (a point inside a piece counts whole): left square
 * 1 + 2 = 3 people, right 4. */
static void test_population_csv_points_off_grid(void **state)
{
    rr_ctx *ctx = *state;
    const char *codes[] = {"L", "R"};
    const char *wkts[] = {"POLYGON((0 0,500 0,500 1000,0 1000,0 0))",
                          "POLYGON((500 0,1000 0,1000 1000,500 1000,500 0))"};
    const char *path = write_tmp("points.csv", "e,n,befolkning\n100,100,1\n250,730,2\n900,420,4\n");
    rr_areaset *os = NULL, *ns = NULL;
    rr_popsource *pop = NULL;
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 2, codes, wkts, NULL, &os));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 2, codes, wkts, NULL, &ns));
    rr_pop_opts po = {.path = path};
    assert_ok(ctx, rr_popsource_read(ctx, &po, os, &pop));
    unlink(path);
    rr_revision *rev = overlay_with(ctx, os, ns, pop);
    assert_near(piece_pop(rev, "L", "L"), 3, 1e-12);
    assert_near(piece_pop(rev, "R", "R"), 4, 1e-12);
    run_free(rev, os, ns);
}

/* An area with no people falls back to area weights. */
static void test_population_zero_falls_back_to_area(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001A0010"}, *ow[] = {SQ(0, 0, 1000, 1000)};
    const char *nc[] = {"0001A0011", "0001A0012"};
    const char *nw[] = {SQ(0, 0, 250, 1000), SQ(250, 0, 1000, 1000)};
    const char *cells[] = {SQ(5000, 5000, 6000, 6000)};
    const double values[] = {9};
    rr_areaset *os, *ns;
    rr_revision *rev = run(ctx, &os, &ns, 1, oc, ow, 2, nc, nw, 1, cells, values);
    for (size_t k = 0; k < rr_revision_relation_count(rev); k++) {
        rr_relation_view v;
        rr_revision_relation(rev, k, &v);
        assert_near(v.w_pop_old, v.w_area_old, 1e-12);
    }
    run_free(rev, os, ns);
}


/* IPF on a 2×2 table: four equal pieces (seeds 1,1,1,1), margins A=30, B=70 and C=40, D=60.
 * With equal seeds the fit is the independence table: AC = 30·40/100 = 12, AD = 18, BC = 28,
 * BD = 42. */
static void test_population_ipf_2x2(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001A", "0001B"};
    const char *ow[] = {SQ(0, 0, 1000, 2000), SQ(1000, 0, 2000, 2000)};
    const char *nc[] = {"0001C", "0001D"};
    const char *nw[] = {SQ(0, 0, 2000, 1000), SQ(0, 1000, 2000, 2000)};
    rr_params p;
    rr_params_default(&p);
    rr_areaset *os = NULL, *ns = NULL;
    rr_revision *rev = NULL;
    rr_areatotals *t_old = NULL, *t_new = NULL;
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 2, oc, ow, NULL, &os));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 2, nc, nw, NULL, &ns));
    assert_ok(ctx, rr_revision_overlay(ctx, os, ns, &p, &rev));
    assert_ok(ctx, rr_areatotals_read(ctx, write_tmp("old.csv", "deso,total\n0001A,30\n0001B,70\n"),
                                      NULL, NULL, &t_old));
    /* an SCB-style export: suffixed codes, another dimension whose total rows are kept */
    assert_ok(ctx, rr_areatotals_read(ctx, write_tmp("new.csv",
        "\"Region\",\"Alder\",\"000007Y7 2024\"\n\"0001C_DeSO2025\",\"totalt\",40\n"
        "\"0001C_DeSO2025\",\"65-69\",7\n\"0001D_DeSO2025\",\"totalt\",60\n"), NULL, NULL, &t_new));
    assert_int_equal(rr_areatotals_count(t_new), 2);
    assert_ok(ctx, rr_revision_calibrate(ctx, rev, t_old, t_new));
    assert_ok(ctx, rr_revision_analyse(ctx, rev));
    assert_near(piece_pop(rev, "0001A", "0001C"), 12, 1e-6);
    assert_near(piece_pop(rev, "0001A", "0001D"), 18, 1e-6);
    assert_near(piece_pop(rev, "0001B", "0001C"), 28, 1e-6);
    assert_near(piece_pop(rev, "0001B", "0001D"), 42, 1e-6);
    rr_areatotals_free(t_old);
    rr_areatotals_free(t_new);
    run_free(rev, os, ns);
}

/* A row of forty 1 km cells holding 1 … 40 people (and the cells of `far`, CSV lines far from
 * it) under old area A; new area B takes its first 8.3 km and C the rest: B gets 1 + … + 8 +
 * 0.3 × 9 = 38.7 (the cell 8–9 km lies across the boundary), C 820 − 38.7 = 781.3 (as points
 * the centres would give B 36); the far cells lie outside every area and are not counted. */
static void check_row_of_forty(rr_ctx *ctx, const char *far, double cell_size, double total)
{
    char csv[4096] = "x,y,pop\n";
    for (int k = 0; k < 40; k++)
        snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%d,500,%d\n", 1000 * k + 500,
                 k + 1);
    strcat(csv, far);
    const char *path = write_tmp("row.csv", csv);
    const char *oc[] = {"0001A"}, *ow[] = {SQ(0, 0, 40000, 1000)};
    const char *nc[] = {"0001B", "0001C"};
    const char *nw[] = {SQ(0, 0, 8300, 1000), SQ(8300, 0, 40000, 1000)};
    rr_areaset *os = NULL, *ns = NULL;
    rr_popsource *pop = NULL;
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 1, oc, ow, NULL, &os));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 2, nc, nw, NULL, &ns));
    rr_pop_opts po = {.path = path, .cell_size = cell_size};
    assert_ok(ctx, rr_popsource_read(ctx, &po, os, &pop));
    unlink(path);
    assert_near(rr_popsource_total(pop), total, 1e-9);
    rr_revision *rev = overlay_with(ctx, os, ns, pop);
    assert_near(piece_pop(rev, "0001A", "0001B"), 38.7, 1e-9);
    assert_near(piece_pop(rev, "0001A", "0001C"), 781.3, 1e-9);
    run_free(rev, os, ns);
}

/* Two cells 2,000 km north of the row: the cell index's buckets become coarse (about 8.2 km), so
 * cells straddle bucket boundaries (the cell 8–9 km too). */
static void test_population_grid_far_apart(void **state)
{
    check_row_of_forty(*state, "500,2000500,7\n500,2001500,3\n", 0, 830);
}

/* Cells at absurd distances (1e20 and 1e300 m, where a cell's box has no width left) do not
 * blow up the cell index (it once asked for 20 GB, or wrote past its buckets). */
static void test_population_grid_outliers(void **state)
{
    check_row_of_forty(*state, "1e20,500,7\n1e300,500,3\n", 1000, 830);
}

/* 5 × 5 cells of 100 m from (0, 0) with 1 + (k * 7) % 11 people in cell k = 5 j + i: as a CSV
 * of cell centres (a grid of boxes) and as polygons. */
typedef struct grid5 {
    char csv[2048];
    char wkt[25][160];
    const char *cells[25];
    double values[25];
} grid5;

static void grid5_make(grid5 *g)
{
    strcpy(g->csv, "x,y,pop\n");
    for (int j = 0; j < 5; j++)
        for (int i = 0; i < 5; i++) {
            int k = 5 * j + i;
            g->values[k] = 1 + (k * 7) % 11;
            snprintf(g->csv + strlen(g->csv), sizeof g->csv - strlen(g->csv), "%d,%d,%g\n",
                     100 * i + 50, 100 * j + 50, g->values[k]);
            snprintf(g->wkt[k], sizeof g->wkt[k], "POLYGON((%d %d,%d %d,%d %d,%d %d,%d %d))",
                     100 * i, 100 * j, 100 * i + 100, 100 * j, 100 * i + 100, 100 * j + 100,
                     100 * i, 100 * j + 100, 100 * i, 100 * j);
            g->cells[k] = g->wkt[k];
        }
}

/* The overlay of the old area ow (code oc) and the n new areas with the people of g, as boxes
 * (kind 0) or as polygons (kind 1), analysed; free with run_free. */
static rr_revision *grid5_run(rr_ctx *ctx, const grid5 *g, int kind, const char *oc,
                              const char *ow, size_t n, const char *const *nc,
                              const char *const *nw, rr_areaset **os, rr_areaset **ns)
{
    rr_popsource *pop = NULL;
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 1, &oc, &ow, NULL, os));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, n, nc, nw, NULL, ns));
    if (kind == 0) {
        const char *path = write_tmp("grid5.csv", g->csv);
        rr_pop_opts po = {.path = path};
        assert_ok(ctx, rr_popsource_read(ctx, &po, *os, &pop));
        unlink(path);
    } else {
        assert_ok(ctx, rr_popsource_from_wkt(ctx, 25, g->cells, g->values, &pop));
    }
    return overlay_with(ctx, *os, *ns, pop);
}

/* Cells held as boxes and cells as GEOS polygons (the same 5 × 5 grid of 100 m cells, one given
 * by centres, one as WKT) give the same population to pieces cut by a slanted boundary: the
 * clipping and the box index of the first against GEOS's intersections and STRtree. */
static void test_population_boxes_match_polygons(void **state)
{
    rr_ctx *ctx = *state;
    static grid5 g;
    grid5_make(&g);
    const char *nc[] = {"0001B", "0001C"};
    const char *nw[] = {"POLYGON((0 0,130 0,370 500,0 500,0 0))",
                        "POLYGON((130 0,500 0,500 500,370 500,130 0))"};
    double got[2][2];
    for (int kind = 0; kind < 2; kind++) {
        rr_areaset *os = NULL, *ns = NULL;
        rr_revision *rev = grid5_run(ctx, &g, kind, "0001A", SQ(0, 0, 500, 500), 2, nc, nw, &os,
                                     &ns);
        got[kind][0] = piece_pop(rev, "0001A", "0001B");
        got[kind][1] = piece_pop(rev, "0001A", "0001C");
        run_free(rev, os, ns);
    }
    double total = 0;
    for (int k = 0; k < 25; k++)
        total += g.values[k];
    assert_near(got[0][0] + got[0][1], total, 1e-9);
    assert_near(got[0][0], got[1][0], 1e-9);
    assert_near(got[0][1], got[1][1], 1e-9);
    assert_true(got[0][0] > 0.3 * total && got[0][0] < 0.7 * total);
}

/* What an old area keeps of itself is packed during the overlay (a blob, not GEOS) and read back
 * by the population stage: from the blob for a grid of boxes, through GEOS for polygon cells.
 * Old A is 500 × 500 m, with 100 m cells of 1 + (k * 7) % 11 people. First the new A keeps
 * x < 250 but for a 100 × 100 m hole at (100..200, 200..300), which goes to the new H, and B
 * takes x >= 250: A has the columns 0 and 1 whole and half of column 2, less the cell at (1, 2);
 * B the other half of column 2 and the columns 3 and 4; H that one cell. Then B takes the strip
 * 200..300 through the middle and A keeps two parts, the columns 0, 1, 3 and 4. */
static void test_population_packed_piece(void **state)
{
    rr_ctx *ctx = *state;
    static grid5 g;
    grid5_make(&g);
    double want[2][3] = {{0, 0, 0}, {0, 0, 0}}; /* A, B, H */
    for (int k = 0; k < 25; k++) {
        int i = k % 5, j = k / 5;
        if (i == 1 && j == 2)
            want[0][2] += g.values[k];
        else if (i < 2)
            want[0][0] += g.values[k];
        else if (i == 2)
            want[0][0] += g.values[k] / 2, want[0][1] += g.values[k] / 2;
        else
            want[0][1] += g.values[k];
        want[1][i == 2] += g.values[k];
    }
    const char *nc[] = {"0001A", "0001B", "0001H"};
    const char *nw[2][3] = {
        {"POLYGON((0 0,250 0,250 500,0 500,0 0),(100 200,100 300,200 300,200 200,100 200))",
         SQ(250, 0, 500, 500), SQ(100, 200, 200, 300)},
        {"MULTIPOLYGON(((0 0,200 0,200 500,0 500,0 0)),((300 0,500 0,500 500,300 500,300 0)))",
         SQ(200, 0, 300, 500), NULL}};
    for (int scene = 0; scene < 2; scene++)
        for (int kind = 0; kind < 2; kind++) {
            rr_areaset *os = NULL, *ns = NULL;
            rr_revision *rev = grid5_run(ctx, &g, kind, "0001A", SQ(0, 0, 500, 500),
                                         scene ? 2 : 3, nc, nw[scene], &os, &ns);
            assert_near(piece_pop(rev, "0001A", "0001A"), want[scene][0], 1e-9);
            assert_near(piece_pop(rev, "0001A", "0001B"), want[scene][1], 1e-9);
            if (scene == 0)
                assert_near(piece_pop(rev, "0001A", "0001H"), want[scene][2], 1e-9);
            run_free(rev, os, ns);
        }
}

/* A raster (ESRI ASCII grid, 500 m cells) with a nodata cell: the 2×2 raster covers one area;
 * the cells with 10 (top left), 20 and 30 (bottom row) give 60 people; -9999 is no data. The new
 * version splits the area at x = 250: the left piece gets half of the 10 and half of the 20. */
static void test_population_raster_with_nodata(void **state)
{
    rr_ctx *ctx = *state;
    const char *path = write_tmp("pop.asc", "ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\n"
                                            "cellsize 500\nNODATA_value -9999\n10 -9999\n20 30\n");
    const char *oc[] = {"0001A"}, *ow[] = {SQ(0, 0, 1000, 1000)};
    const char *nc[] = {"0001B", "0001C"};
    const char *nw[] = {SQ(0, 0, 250, 1000), SQ(250, 0, 1000, 1000)};
    rr_params p;
    rr_params_default(&p);
    rr_areaset *os = NULL, *ns = NULL;
    rr_revision *rev = NULL;
    rr_popsource *pop = NULL;
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 1, oc, ow, NULL, &os));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 2, nc, nw, NULL, &ns));
    rr_pop_opts po = {.path = path};
    assert_ok(ctx, rr_popsource_read(ctx, &po, os, &pop));
    assert_near(rr_popsource_total(pop), 60, 1e-9);
    assert_ok(ctx, rr_revision_overlay(ctx, os, ns, &p, &rev));
    assert_ok(ctx, rr_revision_set_population(ctx, rev, pop));
    assert_ok(ctx, rr_revision_analyse(ctx, rev));
    assert_near(piece_pop(rev, "0001A", "0001B"), 15, 1e-9);
    assert_near(piece_pop(rev, "0001A", "0001C"), 45, 1e-9);
    rr_popsource_free(pop);
    run_free(rev, os, ns);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_population_cell_split),
        cmocka_unit_test(test_population_cell_partly_outside),
        cmocka_unit_test(test_population_points_on_boundary),
        cmocka_unit_test(test_population_long_rings_on_grid),
        cmocka_unit_test(test_population_circle_matches_geos),
        cmocka_unit_test(test_population_csv_grid_plain_and_bad),
        cmocka_unit_test(test_population_csv_points_off_grid),
        cmocka_unit_test(test_population_zero_falls_back_to_area),
        cmocka_unit_test(test_population_ipf_2x2),
        cmocka_unit_test(test_population_raster_with_nodata),
        cmocka_unit_test(test_population_grid_far_apart),
        cmocka_unit_test(test_population_grid_outliers),
        cmocka_unit_test(test_population_boxes_match_polygons),
        cmocka_unit_test(test_population_packed_piece),
    };
    return RUN_TESTS(tests);
}
