/* test_valid.c: the "certainly valid" fast path (valid.c) against GEOS's isValid, the judge: it
 * must never say 1 where GEOS says invalid. Hand cases (the expected GEOS answer written down and
 * checked against GEOS too), thousands of random shapes, and every feature of the Dalarna DeSO
 * 2018 and 2025 layers, snapped to the 0.0001 grid as regrev reads them. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gdal.h>
#include <ogr_api.h>

#include "internal.h"
#include "valid.h"

#define RR_PI 3.14159265358979323846

static unsigned long long rnd_state = 88172645463325252ULL;
static unsigned rnd(void)
{
    return test_rnd(&rnd_state);
}

/* uniform in [lo, hi) */
static double urand(double lo, double hi)
{
    return lo + (hi - lo) * (double)(rnd() % 1000000) / 1e6;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static GEOSGeometry *from_wkt(rr_ctx *ctx, const char *wkt)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(ctx->geos);
    GEOSGeometry *g = GEOSWKTReader_read_r(ctx->geos, r, wkt);
    GEOSWKTReader_destroy_r(ctx->geos, r);
    if (!g)
        fail_msg("cannot read %s", wkt);
    return g;
}

static char *to_wkt(rr_ctx *ctx, const GEOSGeometry *g)
{
    GEOSWKTWriter *w = GEOSWKTWriter_create_r(ctx->geos);
    GEOSWKTWriter_setRoundingPrecision_r(ctx->geos, w, 17);
    GEOSWKTWriter_setTrim_r(ctx->geos, w, 1);
    char *s = GEOSWKTWriter_write_r(ctx->geos, w, g);
    GEOSWKTWriter_destroy_r(ctx->geos, w);
    return s;
}

/* The one rule: ours 1 means GEOS 1. Returns ours. */
static int judged(rr_ctx *ctx, const GEOSGeometry *g, const char *what)
{
    int ours = rr_geos_surely_valid(ctx->geos, g);
    char geos = GEOSisValid_r(ctx->geos, g);
    assert_int_not_equal(ours, -1);
    if (ours == 1 && geos != 1) {
        char *wkt = to_wkt(ctx, g);
        fail_msg("%s: fast path says valid, GEOS says %d: %s", what, geos, wkt);
    }
    return ours;
}

/* ---- hand cases -------------------------------------------------------------------------- */

typedef struct hand_case {
    const char *what;
    const char *wkt;
    int geos; /* GEOS's answer, by the OGC rules */
    int ours; /* 1, 0, or -2 when ours may say 0 or 1 (a valid case the fast path may defer) */
} hand_case;

static const hand_case hand_cases[] = {
    {"square", "POLYGON((0 0,10 0,10 10,0 10,0 0))", 1, 1},
    {"square clockwise", "POLYGON((0 0,0 10,10 10,10 0,0 0))", 1, 1},
    {"triangle", "POLYGON((0 0,10 0,0 10,0 0))", 1, 1},
    {"bowtie", "POLYGON((0 0,10 10,10 0,0 10,0 0))", 0, 0},
    {"square with a hole", "POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,2 8,8 8,8 2,2 2))", 1, 1},
    {"hole touching the shell at a point",
     "POLYGON((0 0,10 0,10 10,0 10,0 0),(0 5,5 8,5 2,0 5))", 1, -2},
    {"hole outside the shell", "POLYGON((0 0,10 0,10 10,0 10,0 0),(20 20,20 30,30 30,20 20))", 0,
     0},
    {"hole around the shell", "POLYGON((4 4,6 4,6 6,4 6,4 4),(0 0,10 0,10 10,0 10,0 0))", 0, 0},
    {"nested holes",
     "POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,9 1,9 9,1 9,1 1),(3 3,7 3,7 7,3 7,3 3))", 0, 0},
    {"two holes side by side",
     "POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,4 1,4 4,1 4,1 1),(6 6,9 6,9 9,6 9,6 6))", 1, 1},
    {"hole crossing the shell", "POLYGON((0 0,10 0,10 10,0 10,0 0),(5 5,15 5,15 6,5 6,5 5))", 0,
     0},
    {"two disjoint squares",
     "MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)),((2 0,3 0,3 1,2 1,2 0)))", 1, 1},
    {"two overlapping squares",
     "MULTIPOLYGON(((0 0,2 0,2 2,0 2,0 0)),((1 1,3 1,3 3,1 3,1 1)))", 0, 0},
    {"two squares sharing an edge",
     "MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)),((1 0,2 0,2 1,1 1,1 0)))", 0, 0},
    {"two squares sharing a corner",
     "MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)),((1 1,2 1,2 2,1 2,1 1)))", 1, -2},
    {"square inside the other",
     "MULTIPOLYGON(((0 0,10 0,10 10,0 10,0 0)),((2 2,8 2,8 8,2 8,2 2)))", 0, 0},
    {"square around the other",
     "MULTIPOLYGON(((2 2,8 2,8 8,2 8,2 2)),((0 0,10 0,10 10,0 10,0 0)))", 0, 0},
    {"island in a lake",
     "MULTIPOLYGON(((0 0,10 0,10 10,0 10,0 0),(2 2,8 2,8 8,2 8,2 2)),((4 4,6 4,6 6,4 6,4 4)))", 1,
     1},
    {"lake around the island",
     "MULTIPOLYGON(((4 4,6 4,6 6,4 6,4 4)),((0 0,10 0,10 10,0 10,0 0),(2 2,8 2,8 8,2 8,2 2)))", 1,
     1},
    {"island in a lake but also in the shell",
     "MULTIPOLYGON(((0 0,10 0,10 10,0 10,0 0),(2 2,4 2,4 4,2 4,2 2)),((6 6,7 6,7 7,6 7,6 6)))", 0,
     0},
    {"spike (collinear backtrack)", "POLYGON((0 0,10 0,10 10,10 15,10 10,0 10,0 0))", 0, 0},
    {"straight-on vertices", "POLYGON((0 0,5 0,10 0,10 10,0 10,0 5,0 0))", 1, 1},
    {"repeated point", "POLYGON((0 0,10 0,10 0,10 10,0 10,0 0))", 1, 0},
    {"ring touching itself at a vertex", "POLYGON((0 0,10 0,5 5,10 10,0 10,5 5,0 0))", 0, 0},
    {"flat ring", "POLYGON((0 0,10 0,20 0,0 0))", 0, 0},
    {"shell crossing itself near SWEREF99 coordinates",
     "POLYGON((500000 6500000,500000.002 6500000.001,500000.002 6500000,500000 6500000.001,"
     "500000 6500000))", 0, 0},
    {"empty polygon", "POLYGON EMPTY", 1, 0},
};

static void test_valid_hand_cases(void **state)
{
    rr_ctx *ctx = *state;
    for (size_t i = 0; i < sizeof hand_cases / sizeof hand_cases[0]; i++) {
        const hand_case *k = &hand_cases[i];
        GEOSGeometry *g = from_wkt(ctx, k->wkt);
        char geos = GEOSisValid_r(ctx->geos, g);
        int ours = rr_geos_surely_valid(ctx->geos, g);
        if (geos != k->geos)
            fail_msg("%s: GEOS says %d, the rules %d", k->what, geos, k->geos);
        if (ours == 1 && geos != 1)
            fail_msg("%s: fast path says valid, GEOS invalid", k->what);
        if (k->ours != -2 && ours != k->ours)
            fail_msg("%s: fast path says %d, expected %d", k->what, ours, k->ours);
        if (k->ours == -2)
            printf("    %s: GEOS %d, fast path %d\n", k->what, geos, ours);
        GEOSGeom_destroy_r(ctx->geos, g);
    }
}

/* Cases GEOS cannot even build: given to rr_polygons_surely_valid as coordinates. */
static void test_valid_raw_rings(void **state)
{
    (void)state;
    size_t first[] = {0, 1};
    const double tri3[] = {0, 0, 1, 0, 0, 0};                       /* 3 points */
    const double open[] = {0, 0, 1, 0, 1, 1, 0, 1};                  /* not closed */
    const double nan_xy[] = {0, 0, 1, 0, NAN, 1, 0, 1, 0, 0};        /* a NaN */
    const double inf_xy[] = {0, 0, 1, 0, 1, INFINITY, 0, 1, 0, 0};   /* an infinity */
    const double square[] = {0, 0, 1, 0, 1, 1, 0, 1, 0, 0};
    rr_ringv r;
    r = (rr_ringv){tri3, 3};
    assert_int_equal(rr_polygons_surely_valid(&r, first, 1), 0);
    r = (rr_ringv){open, 4};
    assert_int_equal(rr_polygons_surely_valid(&r, first, 1), 0);
    r = (rr_ringv){nan_xy, 5};
    assert_int_equal(rr_polygons_surely_valid(&r, first, 1), 0);
    r = (rr_ringv){inf_xy, 5};
    assert_int_equal(rr_polygons_surely_valid(&r, first, 1), 0);
    r = (rr_ringv){square, 5};
    assert_int_equal(rr_polygons_surely_valid(&r, first, 1), 1);
    /* a polygon without rings */
    size_t none[] = {0, 0};
    assert_int_equal(rr_polygons_surely_valid(&r, none, 1), 0);
}

/* A NaN inside a ring GEOS can build: GEOS says "Invalid Coordinate". */
static void test_valid_nan_coordinate(void **state)
{
    rr_ctx *ctx = *state;
    double xy[] = {0, 0, 10, 0, NAN, 10, 0, 10, 0, 0};
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(ctx->geos, xy, 5, 0, 0);
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(ctx->geos, cs);
    assert_non_null(ring);
    GEOSGeometry *g = GEOSGeom_createPolygon_r(ctx->geos, ring, NULL, 0);
    assert_int_equal(GEOSisValid_r(ctx->geos, g), 0);
    assert_int_equal(rr_geos_surely_valid(ctx->geos, g), 0);
    GEOSGeom_destroy_r(ctx->geos, g);
}

/* Anything but a Polygon or MultiPolygon: 0. */
static void test_valid_other_types(void **state)
{
    rr_ctx *ctx = *state;
    const char *wkt[] = {"POINT(1 1)", "LINESTRING(0 0,1 1)", "MULTIPOLYGON EMPTY",
                         "GEOMETRYCOLLECTION(POLYGON((0 0,1 0,1 1,0 0)))"};
    for (size_t i = 0; i < 4; i++) {
        GEOSGeometry *g = from_wkt(ctx, wkt[i]);
        assert_int_equal(rr_geos_surely_valid(ctx->geos, g), 0);
        GEOSGeom_destroy_r(ctx->geos, g);
    }
}

/* A ring of n vertices: a circle of radius R around (cx, cy) with k wiggles of relative depth
 * d (r = R (1 + d sin(k t)) stays positive and t only grows: a simple ring). */
static double *wiggly_ring(size_t n, double cx, double cy, double R, double d, int k, double t0)
{
    double *xy = malloc(2 * (n + 1) * sizeof *xy);
    assert_non_null(xy);
    for (size_t i = 0; i < n; i++) {
        double t = t0 + 2 * RR_PI * (double)i / (double)n, r = R * (1 + d * sin(k * t));
        xy[2 * i] = cx + r * cos(t);
        xy[2 * i + 1] = cy + r * sin(t);
    }
    xy[2 * n] = xy[0];
    xy[2 * n + 1] = xy[1];
    return xy;
}

static GEOSGeometry *ring_geom(rr_ctx *ctx, const double *xy, size_t n)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(ctx->geos, xy, (unsigned)n, 0, 0);
    return cs ? GEOSGeom_createLinearRing_r(ctx->geos, cs) : NULL;
}

/* 100,000 vertices in one long ring: 1, and without quadratic work (a 1 also proves the work
 * stayed under the caps: 50 n pair tests). */
static void test_valid_long_ring(void **state)
{
    rr_ctx *ctx = *state;
    size_t n = 100000;
    double *xy = wiggly_ring(n, 500000, 6500000, 20000, 0.05, 300, 0);
    GEOSGeometry *g = GEOSGeom_createPolygon_r(ctx->geos, ring_geom(ctx, xy, n + 1), NULL, 0);
    assert_non_null(g);
    double t0 = now();
    char geos = GEOSisValid_r(ctx->geos, g);
    double t1 = now();
    int ours = rr_geos_surely_valid(ctx->geos, g);
    double t2 = now();
    rr_ringv r = {xy, n + 1};
    size_t first[] = {0, 1};
    int raw = rr_polygons_surely_valid(&r, first, 1);
    double t3 = now();
    printf("    100,000 vertices: GEOS %d in %.1f ms, fast path %d in %.1f ms (%.1f ms on "
           "buffers)\n", geos, 1e3 * (t1 - t0), ours, 1e3 * (t2 - t1), 1e3 * (t3 - t2));
    /* as the reader calls it: a scratch already grown */
    rr_valid_scratch *sc = rr_valid_scratch_new();
    assert_non_null(sc);
    assert_int_equal(rr_geos_surely_valid_s(sc, ctx->geos, g), 1);
    t0 = now();
    int ours_s = rr_geos_surely_valid_s(sc, ctx->geos, g);
    t1 = now();
    int raw_s = rr_polygons_surely_valid_s(sc, &r, first, 1);
    t2 = now();
    printf("    the same with a grown scratch: fast path %d in %.1f ms (%.1f ms on buffers)\n",
           ours_s, 1e3 * (t1 - t0), 1e3 * (t2 - t1));
    rr_valid_scratch_free(sc);
    assert_int_equal(geos, 1);
    assert_int_equal(ours, 1);
    assert_int_equal(raw, 1);
    assert_int_equal(ours_s, 1);
    assert_int_equal(raw_s, 1);
    GEOSGeom_destroy_r(ctx->geos, g);
    free(xy);
}

/* ---- random shapes ------------------------------------------------------------------------ */

enum { MAXR = 16, MAXP = 8, MAXV = 400 };

/* A geometry under construction: polygons of rings of coordinates. */
typedef struct shape {
    int npolys, nrings[MAXP];
    size_t n[MAXP][MAXR];
    double xy[MAXP][MAXR][2 * MAXV];
} shape;

static double *add_ring(shape *s, int p)
{
    if (s->npolys <= p)
        s->npolys = p + 1;
    int r = s->nrings[p]++;
    s->n[p][r] = 0;
    return s->xy[p][r];
}

/* Close the ring last added to polygon p after k points, snapping all to grid (0: none). */
static void close_ring(shape *s, int p, size_t k, double grid)
{
    int r = s->nrings[p] - 1;
    double *xy = s->xy[p][r];
    for (size_t i = 0; grid > 0 && i < 2 * k; i++)
        xy[i] = round(xy[i] / grid) * grid;
    xy[2 * k] = xy[0];
    xy[2 * k + 1] = xy[1];
    s->n[p][r] = k + 1;
}

/* A star-shaped ring: k points at increasing angles, radii in [rlo, rhi]. */
static void star_ring(shape *s, int p, double cx, double cy, int k, double rlo, double rhi,
                      double grid, int reverse)
{
    double *xy = add_ring(s, p), t = urand(0, 2 * RR_PI);
    for (int i = 0; i < k; i++) {
        double a = t + (reverse ? -1 : 1) * 2 * RR_PI * (i + urand(0, 0.9)) / k, r = urand(rlo, rhi);
        xy[2 * i] = cx + r * cos(a);
        xy[2 * i + 1] = cy + r * sin(a);
    }
    close_ring(s, p, (size_t)k, grid);
}

/* A regular k-gon of radius r, perturbed by up to jitter. */
static void regular_ring(shape *s, int p, double cx, double cy, int k, double r, double jitter,
                         double grid, int reverse)
{
    double *xy = add_ring(s, p), t = urand(0, 2 * RR_PI);
    for (int i = 0; i < k; i++) {
        double a = t + (reverse ? -1 : 1) * 2 * RR_PI * i / k;
        xy[2 * i] = cx + r * cos(a) + urand(-jitter, jitter);
        xy[2 * i + 1] = cy + r * sin(a) + urand(-jitter, jitter);
    }
    close_ring(s, p, (size_t)k, grid);
}

/* k random points in a box: mostly self-intersecting. */
static void random_ring(shape *s, int p, double x0, double y0, double w, int k, double grid)
{
    double *xy = add_ring(s, p);
    for (int i = 0; i < k; i++) {
        xy[2 * i] = x0 + urand(0, w);
        xy[2 * i + 1] = y0 + urand(0, w);
    }
    close_ring(s, p, (size_t)k, grid);
}

/* The shape as a GEOS geometry (MultiPolygon when multi or several polygons); NULL when GEOS
 * refuses a ring (too few points once snapped... it then also counts as "not built"). */
static GEOSGeometry *shape_geom(rr_ctx *ctx, const shape *s, int multi)
{
    GEOSGeometry *polys[MAXP];
    int np = 0, ok = 1;
    for (int p = 0; p < s->npolys; p++) {
        GEOSGeometry *rings[MAXR];
        int nr = 0;
        for (int r = 0; r < s->nrings[p]; r++) {
            GEOSGeometry *ring = ring_geom(ctx, s->xy[p][r], s->n[p][r]);
            if (ring)
                rings[nr++] = ring;
            else
                ok = 0;
        }
        if (nr && ok)
            polys[np++] = GEOSGeom_createPolygon_r(ctx->geos, rings[0], rings + 1, (unsigned)nr - 1);
        else
            for (int r = 0; r < nr; r++)
                GEOSGeom_destroy_r(ctx->geos, rings[r]);
    }
    if (!ok || np == 0) {
        for (int p = 0; p < np; p++)
            GEOSGeom_destroy_r(ctx->geos, polys[p]);
        return NULL;
    }
    if (np == 1 && !multi)
        return polys[0];
    return GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, polys, (unsigned)np);
}

/* The shape's own coordinates given directly (with scratch sc, or a fresh one when NULL): the
 * same answer as through GEOS. */
static int shape_raw_s(rr_valid_scratch *sc, const shape *s)
{
    rr_ringv rings[MAXP * MAXR];
    size_t first[MAXP + 1], nr = 0;
    for (int p = 0; p < s->npolys; p++) {
        first[p] = nr;
        for (int r = 0; r < s->nrings[p]; r++)
            rings[nr++] = (rr_ringv){s->xy[p][r], s->n[p][r]};
    }
    first[s->npolys] = nr;
    return sc ? rr_polygons_surely_valid_s(sc, rings, first, (size_t)s->npolys)
              : rr_polygons_surely_valid(rings, first, (size_t)s->npolys);
}

static int shape_raw(const shape *s)
{
    return shape_raw_s(NULL, s);
}

typedef struct tally {
    int built, geos_valid, ours_valid;
} tally;

static void judge_shape(rr_ctx *ctx, const shape *s, int multi, tally *t, const char *family)
{
    GEOSGeometry *g = shape_geom(ctx, s, multi);
    if (!g)
        return;
    int ours = judged(ctx, g, family);
    assert_int_equal(shape_raw(s), ours);
    t->built++;
    t->geos_valid += GEOSisValid_r(ctx->geos, g) == 1;
    t->ours_valid += ours == 1;
    GEOSGeom_destroy_r(ctx->geos, g);
}

static void report(const char *family, const tally *t)
{
    printf("    %-44s %5d shapes, GEOS valid %5d, fast path 1 %5d\n", family, t->built,
           t->geos_valid, t->ours_valid);
}

/* Convex shells (regular 6..40-gons) with up to five small convex holes well inside: all valid,
 * and the fast path must say so for every one, here and near SWEREF99 TM coordinates. */
static void test_valid_random_convex_with_holes(void **state)
{
    rr_ctx *ctx = *state;
    static shape s;
    tally t = {0};
    rnd_state = 0x9e3779b97f4a7c15ULL;
    for (int it = 0; it < 2000; it++) {
        memset(s.nrings, 0, sizeof s.nrings);
        s.npolys = 0;
        int far = it % 2;
        double cx = far ? urand(300000, 900000) : 0, cy = far ? urand(6200000, 7600000) : 0;
        double R = far ? urand(10, 5000) : urand(0.1, 100), grid = far ? 0.001 : 0;
        regular_ring(&s, 0, cx, cy, 6 + (int)(rnd() % 35), R, 0, grid, (int)(rnd() % 2));
        int k = (int)(rnd() % 6);
        double t0 = urand(0, 2 * RR_PI);
        for (int h = 0; h < k; h++)
            regular_ring(&s, 0, cx + 0.4 * R * cos(t0 + 2 * RR_PI * h / k),
                         cy + 0.4 * R * sin(t0 + 2 * RR_PI * h / k), 3 + (int)(rnd() % 20),
                         0.08 * R, 0, grid, (int)(rnd() % 2));
        judge_shape(ctx, &s, 0, &t, "convex with holes");
    }
    report("convex shells, convex holes well inside", &t);
    assert_int_equal(t.built, 2000);
    assert_int_equal(t.geos_valid, 2000);
    assert_int_equal(t.ours_valid, 2000);
}

/* Random rings of random points (mostly crossing themselves), random stars (simple), perturbed
 * regular polygons with random holes (some outside, crossing or nested), multipolygons of stars
 * (some overlapping, some islands in another's hole), and all of these tiny on the 0.001 grid
 * near 6,500,000 (collinear and repeated points, touching after snapping). */
static void test_valid_random_against_geos(void **state)
{
    rr_ctx *ctx = *state;
    static shape s;
    static const char *const names[] = {
        "random points", "stars", "regular with random holes", "multipolygons of stars",
        "tiny random points on a 0.001 grid", "tiny stars on a 0.001 grid",
        "tiny holes on a 0.001 grid", "tiny multipolygons on a 0.001 grid",
        "squares on an integer grid (touching)"};
    tally t[9] = {{0}};
    rnd_state = 0x2545f4914f6cdd1dULL;
    for (int it = 0; it < 9 * 1500; it++) {
        int family = it % 9, tiny = family >= 4 && family < 8;
        memset(s.nrings, 0, sizeof s.nrings);
        s.npolys = 0;
        /* tiny: a few mm to a few cm across at SWEREF99 TM magnitudes, on the 0.001 grid */
        double cx = tiny ? 500000 + urand(0, 1000) : urand(-100, 100);
        double cy = tiny ? 6500000 + urand(0, 1000) : urand(-100, 100);
        double R = tiny ? urand(0.003, 0.05) : urand(1, 50), grid = tiny ? 0.001 : 0;
        switch (family % 4 + 4 * (family == 8)) {
        case 0: /* random points */
            random_ring(&s, 0, cx, cy, 2 * R, 3 + (int)(rnd() % 8), grid);
            break;
        case 1: /* a star */
            star_ring(&s, 0, cx, cy, 3 + (int)(rnd() % 30), urand(0, 0.5) * R, R, grid,
                      (int)(rnd() % 2));
            break;
        case 2: { /* a perturbed regular polygon with holes anywhere near it */
            regular_ring(&s, 0, cx, cy, 3 + (int)(rnd() % 30), R, urand(0, 0.1) * R, grid,
                         (int)(rnd() % 2));
            for (int h = (int)(rnd() % 5); h > 0; h--) {
                double a = urand(0, 2 * RR_PI), d = urand(0, 1.2) * R;
                if (rnd() % 2)
                    regular_ring(&s, 0, cx + d * cos(a), cy + d * sin(a), 3 + (int)(rnd() % 8),
                                 urand(0.05, 0.4) * R, urand(0, 0.02) * R, grid, (int)(rnd() % 2));
                else
                    star_ring(&s, 0, cx + d * cos(a), cy + d * sin(a), 3 + (int)(rnd() % 8),
                              urand(0.02, 0.2) * R, urand(0.2, 0.4) * R, grid, (int)(rnd() % 2));
            }
            break;
        }
        case 3: /* stars, some with holes, some islands inside another's hole */
            for (int p = 0, np = 2 + (int)(rnd() % 5); p < np; p++) {
                double a = urand(0, 2 * RR_PI), d = urand(0, 3) * R, r = urand(0.1, 1) * R;
                double px = cx + d * cos(a), py = cy + d * sin(a);
                star_ring(&s, p, px, py, 3 + (int)(rnd() % 20), 0.7 * r, r, grid, (int)(rnd() % 2));
                if (rnd() % 3 == 0)
                    regular_ring(&s, p, px, py, 3 + (int)(rnd() % 10), 0.5 * r, 0, grid,
                                 (int)(rnd() % 2));
                if (rnd() % 4 == 0 && p + 1 < MAXP) /* an island in that hole, or near it */
                    regular_ring(&s, ++p, px + urand(-0.1, 0.1) * r, py + urand(-0.1, 0.1) * r,
                                 3 + (int)(rnd() % 10), urand(0.1, 0.6) * r, 0, grid,
                                 (int)(rnd() % 2));
            }
            break;
        case 4: /* unit squares on a 5 x 5 grid, some with square holes: shared edges, corners */
            for (int p = 0, np = 1 + (int)(rnd() % 6); p < np; p++) {
                double x = (double)(rnd() % 5), y = (double)(rnd() % 5), w = 1 + (double)(rnd() % 3);
                double *xy = add_ring(&s, p);
                double sq[] = {x, y, x + w, y, x + w, y + w, x, y + w};
                memcpy(xy, sq, sizeof sq);
                close_ring(&s, p, 4, 0);
                if (w > 1 && rnd() % 3 == 0) {
                    double hx = x + (double)(rnd() % 2) * 0.5, hy = y + (double)(rnd() % 2) * 0.5;
                    double hole[] = {hx, hy, hx, hy + 0.5 * (w - 1), hx + 0.5 * (w - 1),
                                     hy + 0.5 * (w - 1), hx + 0.5 * (w - 1), hy};
                    memcpy(add_ring(&s, p), hole, sizeof hole);
                    close_ring(&s, p, 4, 0);
                }
            }
            break;
        }
        judge_shape(ctx, &s, (int)(rnd() % 2), &t[family], names[family]);
    }
    for (int f = 0; f < 9; f++)
        report(names[f], &t[f]);
    /* stars are simple unless snapping folds them: nearly all 1 away from the grid */
    assert_true(t[1].ours_valid >= 0.95 * t[1].geos_valid);
    assert_true(t[1].geos_valid >= 0.95 * t[1].built);
    /* every family but the plain stars must reach both answers, or it tests little */
    for (int f = 0; f < 9; f++)
        if (f != 1)
            assert_true(t[f].geos_valid < t[f].built && t[f].geos_valid > 0);
}

/* Rings on a small integer grid made to stress the chains: random points, walks along the axes
 * (runs of horizontal and vertical segments, collinear and repeated points, spikes), stars
 * snapped to the grid, and zigzags that go right then left (long chains that touch near their
 * joints); one to four rings as holes or parts. Ours 1 means GEOS 1; one scratch for all gives
 * the same answers as a fresh one. */
static void test_valid_random_grid_walks(void **state)
{
    rr_ctx *ctx = *state;
    static shape s;
    rr_valid_scratch *sc = rr_valid_scratch_new();
    assert_non_null(sc);
    tally t = {0};
    rnd_state = 0xda3e39cb94b95bdbULL;
    for (int it = 0; it < 20000; it++) {
        memset(s.nrings, 0, sizeof s.nrings);
        s.npolys = 0;
        int nr = 1 + (int)(rnd() % 4), mode = (int)(rnd() % 4), grid = 3 + (int)(rnd() % 12);
        int p = 0;
        for (int r = 0; r < nr; r++) {
            if (r > 0 && rnd() % 2 && p + 1 < MAXP)
                p++; /* a new part, else a hole */
            int k = 3 + (int)(rnd() % (mode == 3 ? 60 : 12));
            double *xy = add_ring(&s, p);
            double ox = (double)(rnd() % (unsigned)grid), oy = (double)(rnd() % (unsigned)grid);
            for (int i = 0; i < k; i++) {
                double px = i ? xy[2 * i - 2] : ox, py = i ? xy[2 * i - 1] : oy;
                if (mode == 0) {
                    xy[2 * i] = (double)(rnd() % (unsigned)grid);
                    xy[2 * i + 1] = (double)(rnd() % (unsigned)grid);
                } else if (mode == 1) {
                    int d = (int)(rnd() % 4), len = 1 + (int)(rnd() % 3);
                    xy[2 * i] = px + (d == 0 ? len : d == 1 ? -len : 0);
                    xy[2 * i + 1] = py + (d == 2 ? len : d == 3 ? -len : 0);
                } else if (mode == 2) {
                    double a = 2 * RR_PI * (i + 0.3 * (rnd() % 3)) / k;
                    double rad = 1 + (double)(rnd() % (unsigned)grid);
                    xy[2 * i] = round(ox + rad * cos(a));
                    xy[2 * i + 1] = round(oy + rad * sin(a));
                } else {
                    double step = (double)(rnd() % 3), rise = (double)((int)(rnd() % 3) - 1);
                    xy[2 * i] = i < k / 2 ? px + step : px - step;
                    xy[2 * i + 1] = py + rise + (i == k / 2 ? 2 : 0);
                }
            }
            close_ring(&s, p, (size_t)k, 0);
        }
        GEOSGeometry *g = shape_geom(ctx, &s, (int)(rnd() % 2));
        if (!g)
            continue;
        int ours = judged(ctx, g, "grid walks");
        assert_int_equal(shape_raw_s(sc, &s), ours);
        t.built++;
        t.geos_valid += GEOSisValid_r(ctx->geos, g) == 1;
        t.ours_valid += ours == 1;
        GEOSGeom_destroy_r(ctx->geos, g);
    }
    report("rings on a small grid (walks, zigzags)", &t);
    assert_true(t.ours_valid > 0 && t.geos_valid < t.built);
    rr_valid_scratch_free(sc);
}

/* ---- one scratch for many calls ----------------------------------------------------------- */

/* One scratch through thousands of geometries of every size, large and small in turn (so that
 * what a large one left in the scratch is there for the next): the same answers as a fresh
 * scratch each time, from coordinates and from GEOS geometries. */
static void test_valid_scratch_reuse(void **state)
{
    rr_ctx *ctx = *state;
    static shape s;
    rr_valid_scratch *sc = rr_valid_scratch_new();
    assert_non_null(sc);
    int ones = 0, zeros = 0;
    rnd_state = 0x5851f42d4c957f2dULL;
    for (int it = 0; it < 3000; it++) {
        memset(s.nrings, 0, sizeof s.nrings);
        s.npolys = 0;
        double cx = urand(-100, 100), cy = urand(-100, 100), R = urand(1, 50);
        switch (it % 4) {
        case 0:
            random_ring(&s, 0, cx, cy, 2 * R, 3 + (int)(rnd() % 8), 0);
            break;
        case 1:
            star_ring(&s, 0, cx, cy, 3 + (int)(rnd() % 300), 0.3 * R, R, 0, (int)(rnd() % 2));
            break;
        case 2:
            regular_ring(&s, 0, cx, cy, 3 + (int)(rnd() % 200), R, urand(0, 0.05) * R, 0, 0);
            for (int h = (int)(rnd() % 8); h > 0; h--) {
                double a = urand(0, 2 * RR_PI), d = urand(0, 1.1) * R;
                regular_ring(&s, 0, cx + d * cos(a), cy + d * sin(a), 3 + (int)(rnd() % 30),
                             urand(0.05, 0.3) * R, 0, 0, (int)(rnd() % 2));
            }
            break;
        case 3:
            for (int p = 0, np = 2 + (int)(rnd() % 6); p < np; p++) {
                double a = urand(0, 2 * RR_PI), d = urand(0, 4) * R;
                star_ring(&s, p, cx + d * cos(a), cy + d * sin(a), 3 + (int)(rnd() % 100),
                          0.5 * R, R, 0, (int)(rnd() % 2));
            }
            break;
        }
        int shared = shape_raw_s(sc, &s), fresh = shape_raw(&s);
        assert_int_equal(shared, fresh);
        ones += shared == 1;
        zeros += shared == 0;
        if (it % 10 == 0) { /* through GEOS too */
            GEOSGeometry *g = shape_geom(ctx, &s, it % 20 == 0);
            if (g) {
                int shared_g = rr_geos_surely_valid_s(sc, ctx->geos, g);
                assert_int_equal(shared_g, rr_geos_surely_valid(ctx->geos, g));
                assert_int_equal(shared_g, shared);
                GEOSGeom_destroy_r(ctx->geos, g);
            }
        }
        if (it % 300 == 0) { /* now and then a long ring, of up to 60,000 vertices */
            size_t n = 1000 + (size_t)(rnd() % 60000);
            double *xy = wiggly_ring(n, 500000, 6500000, 5000, 0.05, 1 + (int)(rnd() % 200), 0);
            rr_ringv r = {xy, n + 1};
            size_t first[] = {0, 1};
            int big = rr_polygons_surely_valid_s(sc, &r, first, 1);
            assert_int_equal(big, rr_polygons_surely_valid(&r, first, 1));
            assert_int_equal(big, 1);
            free(xy);
        }
    }
    printf("    3000 geometries through one scratch: %d certainly valid, %d not known, the same "
           "as with a fresh scratch\n", ones, zeros);
    assert_true(ones > 500 && zeros > 500);
    rr_valid_scratch_free(sc);
    rr_valid_scratch_free(NULL);
}

/* Allocation k failing, for each k: -1 (never a wrong 0 or 1), nothing leaked (valgrind, ASan),
 * and a scratch whose growth failed still gives the full answer on the next call. A polygon
 * with holes beside another, each ring long enough to grow the scratch's arrays several times. */
static void test_valid_allocation_failures(void **state)
{
    rr_ctx *ctx = *state;
    static shape s;
    memset(s.nrings, 0, sizeof s.nrings);
    s.npolys = 0;
    rnd_state = 0x853c49e6748fea9bULL;
    regular_ring(&s, 0, 0, 0, 300, 100, 0, 0, 0);
    for (int h = 0; h < 6; h++)
        regular_ring(&s, 0, 50 * cos(h), 50 * sin(h), 40, 8, 0, 0, 1);
    star_ring(&s, 1, 300, 0, 350, 60, 90, 0, 0);
    GEOSGeometry *g = shape_geom(ctx, &s, 1);
    assert_non_null(g);
    assert_int_equal(judged(ctx, g, "allocation failures"), 1);
    int fired_runs = 0;
    for (unsigned long k = 1;; k++) {
        rr_alloc_fail_at(k);
        int fresh = rr_geos_surely_valid(ctx->geos, g);
        int fired = rr_alloc_fired();
        rr_alloc_fail_at(0);
        if (!fired) {
            assert_int_equal(fresh, 1);
            break;
        }
        assert_int_equal(fresh, -1);
        fired_runs++;
        /* the same with a scratch made beforehand; then again without failures */
        rr_valid_scratch *sc = rr_valid_scratch_new();
        assert_non_null(sc);
        rr_alloc_fail_at(k);
        int shared = rr_geos_surely_valid_s(sc, ctx->geos, g);
        fired = rr_alloc_fired();
        rr_alloc_fail_at(0);
        assert_int_equal(shared, fired ? -1 : 1);
        assert_int_equal(rr_geos_surely_valid_s(sc, ctx->geos, g), 1);
        assert_int_equal(shape_raw_s(sc, &s), 1);
        rr_valid_scratch_free(sc);
    }
    printf("    %d allocations made to fail, each -1\n", fired_runs);
    assert_true(fired_runs >= 5);
    GEOSGeom_destroy_r(ctx->geos, g);
}

/* ---- many small chains and one huge ring -------------------------------------------------- */

/* A comb of `teeth` teeth at (x0, y0), w wide and h high: a ring whose every top segment is a
 * chain of its own (it goes up, then down). 2 teeth + 4 points; xy has room for that. */
static size_t comb_ring(double *xy, double x0, double y0, double w, double h, int teeth)
{
    size_t k = 0;
    xy[k++] = x0, xy[k++] = y0;
    xy[k++] = x0 + w, xy[k++] = y0;
    for (int i = 0; i <= 2 * teeth; i++) {
        xy[k++] = x0 + w - w * i / (2 * teeth);
        xy[k++] = y0 + (i % 2 ? h : h / 2);
    }
    xy[k++] = x0, xy[k++] = y0;
    return k / 2;
}

/* A huge wiggly shell (100,000 vertices) with 400 comb holes; the same shell with 400 comb
 * polygons beside it (a multipolygon); one comb hole moved across the shell (invalid); a comb
 * of 50,000 teeth, every segment a chain. GEOS the judge; ours must say 1 for the valid ones. */
static void test_valid_small_chains_huge_ring(void **state)
{
    rr_ctx *ctx = *state;
    enum { NCOMB = 400, TEETH = 10, COMBN = 2 * TEETH + 4 };
    size_t n = 100000;
    double R = 1000;
    double *shell = wiggly_ring(n, 0, 0, R, 0.05, 300, 0);
    double *combs = malloc(NCOMB * 2 * COMBN * sizeof *combs);
    rr_ringv *rings = malloc((NCOMB + 1) * sizeof *rings);
    size_t *first = malloc((NCOMB + 2) * sizeof *first);
    assert_true(combs && rings && first);
    rr_valid_scratch *sc = rr_valid_scratch_new();
    assert_non_null(sc);
    for (int variant = 0; variant < 3; variant++) {
        /* 0: holes inside, 1: polygons beside, 2: holes inside but one across the shell */
        int k = 0;
        for (int i = 0; i < 30 && k < NCOMB; i++)
            for (int j = 0; j < 30 && k < NCOMB; j++) {
                double x = -800 + 60 * i, y = -800 + 60 * j;
                if (variant != 1 && x * x + y * y > 700 * 700)
                    continue;
                if (variant == 1)
                    x += 2000;
                if (variant == 2 && k == 0)
                    x = R * 0.95 - 20, y = 0; /* from inside the shell to out */
                rings[k + 1].xy = combs + 2 * COMBN * k;
                rings[k + 1].n = comb_ring(combs + 2 * COMBN * k, x, y, 40, 20, TEETH);
                k++;
            }
        assert_int_equal(k, NCOMB);
        rings[0] = (rr_ringv){shell, n + 1};
        size_t npolys = variant == 1 ? NCOMB + 1 : 1;
        for (size_t p = 0; p <= npolys; p++)
            first[p] = variant == 1 ? p : p * (NCOMB + 1);
        /* the GEOS geometry */
        GEOSGeometry *g;
        if (variant == 1) {
            GEOSGeometry *polys[NCOMB + 1];
            for (size_t p = 0; p <= NCOMB; p++)
                polys[p] = GEOSGeom_createPolygon_r(
                    ctx->geos, ring_geom(ctx, rings[p].xy, rings[p].n), NULL, 0);
            g = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, polys, NCOMB + 1);
        } else {
            GEOSGeometry *holes[NCOMB];
            for (size_t h = 0; h < NCOMB; h++)
                holes[h] = ring_geom(ctx, rings[h + 1].xy, rings[h + 1].n);
            g = GEOSGeom_createPolygon_r(ctx->geos, ring_geom(ctx, shell, n + 1), holes, NCOMB);
        }
        assert_non_null(g);
        double t0 = now();
        char geos = GEOSisValid_r(ctx->geos, g);
        double t1 = now();
        int ours = rr_polygons_surely_valid_s(sc, rings, first, npolys);
        double t2 = now();
        printf("    huge shell and %d combs (%s): GEOS %d in %.1f ms, fast path %d in %.1f ms\n",
               NCOMB, variant == 0 ? "holes" : variant == 1 ? "polygons" : "one across",
               geos, 1e3 * (t1 - t0), ours, 1e3 * (t2 - t1));
        assert_int_equal(judged(ctx, g, "huge shell with combs"), ours);
        assert_int_equal(rr_polygons_surely_valid(rings, first, npolys), ours);
        assert_int_equal(geos, variant != 2);
        assert_int_equal(ours, variant != 2);
        GEOSGeom_destroy_r(ctx->geos, g);
    }
    /* one comb of 50,000 teeth */
    int teeth = 50000;
    double *big = malloc((size_t)(2 * teeth + 4) * 2 * sizeof *big);
    assert_non_null(big);
    rr_ringv r = {big, comb_ring(big, 500000, 6500000, 100000, 1, teeth)};
    size_t one[] = {0, 1};
    GEOSGeometry *g = GEOSGeom_createPolygon_r(ctx->geos, ring_geom(ctx, big, r.n), NULL, 0);
    assert_non_null(g);
    double t0 = now();
    char geos = GEOSisValid_r(ctx->geos, g);
    double t1 = now();
    int ours = rr_polygons_surely_valid_s(sc, &r, one, 1);
    double t2 = now();
    printf("    comb of %d teeth: GEOS %d in %.1f ms, fast path %d in %.1f ms\n", teeth, geos,
           1e3 * (t1 - t0), ours, 1e3 * (t2 - t1));
    assert_int_equal(geos, 1);
    assert_int_equal(ours, 1);
    assert_int_equal(judged(ctx, g, "comb"), 1);
    GEOSGeom_destroy_r(ctx->geos, g);
    free(big);
    rr_valid_scratch_free(sc);
    free(first);
    free(rings);
    free(combs);
    free(shell);
}

/* ---- real data ---------------------------------------------------------------------------- */

static int snap_xy(double *x, double *y, void *user)
{
    (void)user;
    *x = round(*x / 1e-4) * 1e-4;
    *y = round(*y / 1e-4) * 1e-4;
    return 1;
}

/* Every feature of one layer, snapped as regrev snaps on reading. */
static void check_layer(rr_ctx *ctx, const char *path)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
                                 NULL, NULL, NULL);
    if (!ds)
        fail_msg("cannot open %s", path);
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    GEOSWKBReader *reader = GEOSWKBReader_create_r(ctx->geos);
    OGRFeatureH f;
    int features = 0, geos_valid = 0, ours_valid = 0, vertices = 0, holes = 0, multi = 0;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH og = OGR_F_GetGeometryRef(f);
        assert_non_null(og);
        size_t size = (size_t)OGR_G_WkbSize(og);
        unsigned char *wkb = malloc(size);
        assert_non_null(wkb);
        assert_int_equal(OGR_G_ExportToWkb(og, wkbNDR, wkb), OGRERR_NONE);
        GEOSGeometry *raw = GEOSWKBReader_read_r(ctx->geos, reader, wkb, size);
        assert_non_null(raw);
        GEOSGeometry *g = GEOSGeom_transformXY_r(ctx->geos, raw, snap_xy, NULL);
        assert_non_null(g);
        int ours = judged(ctx, g, path);
        features++;
        geos_valid += GEOSisValid_r(ctx->geos, g) == 1;
        ours_valid += ours == 1;
        vertices += GEOSGetNumCoordinates_r(ctx->geos, g);
        multi += GEOSGeomTypeId_r(ctx->geos, g) == GEOS_MULTIPOLYGON;
        for (int p = 0; p < GEOSGetNumGeometries_r(ctx->geos, g); p++)
            holes += GEOSGetNumInteriorRings_r(ctx->geos, GEOSGetGeometryN_r(ctx->geos, g, p));
        GEOSGeom_destroy_r(ctx->geos, g);
        GEOSGeom_destroy_r(ctx->geos, raw);
        free(wkb);
        OGR_F_Destroy(f);
    }
    printf("    %s: %d features (%d multipolygons, %d holes, %d vertices), GEOS valid %d, "
           "fast path 1 %d\n", strrchr(path, '/') + 1, features, multi, holes, vertices,
           geos_valid, ours_valid);
    GEOSWKBReader_destroy_r(ctx->geos, reader);
    GDALClose(ds);
    assert_true(features >= 100);
    assert_true(ours_valid >= 0.9 * geos_valid);
}

static void test_valid_dalarna(void **state)
{
    rr_ctx *ctx = *state;
    GDALAllRegister();
    check_layer(ctx, REGREV_SOURCE_DIR "/geodata/dalarna/deso2018_dalarna.gpkg");
    check_layer(ctx, REGREV_SOURCE_DIR "/geodata/dalarna/deso2025_dalarna.geojson");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_hand_cases),
        cmocka_unit_test(test_valid_raw_rings),
        cmocka_unit_test(test_valid_nan_coordinate),
        cmocka_unit_test(test_valid_other_types),
        cmocka_unit_test(test_valid_long_ring),
        cmocka_unit_test(test_valid_random_convex_with_holes),
        cmocka_unit_test(test_valid_random_against_geos),
        cmocka_unit_test(test_valid_random_grid_walks),
        cmocka_unit_test(test_valid_scratch_reuse),
        cmocka_unit_test(test_valid_small_chains_huge_ring),
        cmocka_unit_test(test_valid_allocation_failures),
        cmocka_unit_test(test_valid_dalarna),
    };
    int rc = RUN_TESTS(tests);
    GDALDestroyDriverManager();
    return rc;
}
