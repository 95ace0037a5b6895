/* test_diff.c: two versions of one area compared (diff.c) and polygons traced from directed
 * edges (trace.c), on shapes whose areas follow from hand arithmetic. Each comparison runs on the
 * grid (exact noding and tracing in plain C) and off it (GEOS noding and polygonizing): both must
 * give the same answer. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

static GEOSGeometry *from_wkt(rr_ctx *ctx, const char *wkt)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(ctx->geos);
    GEOSGeometry *g = GEOSWKTReader_read_r(ctx->geos, r, wkt);
    GEOSWKTReader_destroy_r(ctx->geos, r);
    assert_non_null(g);
    return g;
}

static double area_of(rr_ctx *ctx, const GEOSGeometry *g)
{
    double a = 0;
    if (g)
        assert_int_equal(GEOSArea_r(ctx->geos, g, &a), 1);
    return a;
}

static int parts_of(rr_ctx *ctx, const GEOSGeometry *g)
{
    return g ? GEOSGetNumGeometries_r(ctx->geos, g) : 0;
}

/* Compare a with b on a grid of `precision` and check each result: its area, its number of
 * parts and that it is valid. Three times: in GEOS; as areas of a set hold them (packed:
 * rr_area_compare_packed reads the blobs, and makes GEOS only for the plain overlays); and with
 * a in GEOS (its set unpacked) against b packed. */
static void check_compare(rr_ctx *ctx, const char *a_wkt, const char *b_wkt, double precision,
                          const double want_area[3], const int want_parts[3])
{
    for (int packed = 0; packed < 3; packed++) {
        GEOSGeometry *a = from_wkt(ctx, a_wkt), *b = from_wkt(ctx, b_wkt);
        GEOSGeometry *out[3] = {NULL, NULL, NULL};
        rr_compare_path path = RR_COMPARE_SAME;
        rr_areaset *sa = NULL, *sb = NULL;
        if (packed) {
            const char *codes[1] = {"X"};
            assert_ok(ctx, rr_areaset_from_wkt(ctx, 1, codes, &a_wkt, NULL, &sa));
            assert_ok(ctx, rr_areaset_from_wkt(ctx, 1, codes, &b_wkt, NULL, &sb));
            assert_null(sa->areas[0].geom);
            assert_non_null(sa->areas[0].blob);
            if (packed == 2) {
                assert_ok(ctx, rr_areaset_unpack(ctx, sa));
                assert_non_null(sa->areas[0].geom);
                assert_null(sa->areas[0].blob);
            }
            assert_ok(ctx, rr_area_compare_packed(ctx, &sa->areas[0], &sb->areas[0], precision,
                                                  &out[0], &out[1], &out[2], &path));
        } else {
            assert_ok(ctx, rr_area_compare(ctx, a, b, NAN, NAN, precision, &out[0], &out[1],
                                           &out[2], &path));
        }
        /* on the grid, the plain C path answers; off it, GEOS (noding and polygonizing, or the
         * plain overlays when most of the boundary changed, as in these small shapes) */
        if (precision > 0)
            assert_int_equal(path, RR_COMPARE_TRACED);
        else
            assert_int_not_equal(path, RR_COMPARE_TRACED);
        for (int k = 0; k < 3; k++) {
            if (fabs(area_of(ctx, out[k]) - want_area[k]) > 1e-9 ||
                parts_of(ctx, out[k]) != want_parts[k])
                fail_msg("%s, precision %g, result %d (0: a - b, 1: b - a, 2: both): area %.12g in "
                         "%d parts, expected %.12g in %d",
                         packed == 2 ? "GEOS against packed" : packed ? "packed" : "GEOS",
                         precision, k, area_of(ctx, out[k]), parts_of(ctx, out[k]), want_area[k], want_parts[k]);
            if (out[k]) {
                assert_int_equal(GEOSisValid_r(ctx->geos, out[k]), 1);
                GEOSGeom_destroy_r(ctx->geos, out[k]);
            }
        }
        GEOSGeom_destroy_r(ctx->geos, a);
        GEOSGeom_destroy_r(ctx->geos, b);
        rr_areaset_free(sa);
        rr_areaset_free(sb);
    }
}

/* The new version reaches 2 m further east: b − a is 2 × 10 = 20 m², a loses nothing. The
 * shared south and north edges run on: they overlap a's edges and must be cut where a's end. */
static void test_diff_extended(void **state)
{
    const char *a = "POLYGON((0 0,10 0,10 10,0 10,0 0))";
    const char *b = "POLYGON((0 0,12 0,12 10,0 10,0 0))";
    const double area[3] = {0, 20, 100};
    const int parts[3] = {0, 1, 1};
    check_compare(*state, a, b, 1e-4, area, parts);
    check_compare(*state, a, b, 0, area, parts);
}

/* The east edge redrawn from (12,0) to (8,10): it crosses x = 10 at y = 5. a − b is the
 * triangle (10,5) (10,10) (8,10): ½ × 2 × 5 = 5 m²; b − a the triangle (10,0) (12,0) (10,5):
 * 5 m²; both 100 − 5 = 95 m². */
static void test_diff_crossing(void **state)
{
    const char *a = "POLYGON((0 0,10 0,10 10,0 10,0 0))";
    const char *b = "POLYGON((0 0,12 0,8 10,0 10,0 0))";
    const double area[3] = {5, 5, 95};
    const int parts[3] = {1, 1, 1};
    check_compare(*state, a, b, 1e-4, area, parts);
    check_compare(*state, a, b, 0, area, parts);
}

/* The east edge redrawn as a zig-zag, (10,0) (11,2) (9,4) (11,6) (9,8) (10,10), crossing x = 10
 * at y = 3, 5 and 7; all offset by (500000, 6700000), SWEREF 99 TM's range, where a sliver's
 * area drowns in rounding unless the sums are taken about a nearby point. East of x = 10
 * (b − a): (10,0) (11,2) (10,3): ½ |10·(2−3) + 11·(3−0) + 10·(0−2)| = 1.5 m², and (10,5) (11,6)
 * (10,7): ½ × 2 × 1 = 1 m². West (a − b): (10,3) (9,4) (10,5): 1 m², and (10,7) (9,8) (10,10):
 * ½ × 3 × 1 = 1.5 m². Both: 100 − 2.5 = 97.5 m². */
static void test_diff_zigzag_far_from_origin(void **state)
{
    const char *a = "POLYGON((500000 6700000,500010 6700000,500010 6700010,500000 6700010,"
                    "500000 6700000))";
    const char *b = "POLYGON((500000 6700000,500010 6700000,500011 6700002,500009 6700004,"
                    "500011 6700006,500009 6700008,500010 6700010,500000 6700010,500000 6700000))";
    const double area[3] = {2.5, 2.5, 97.5};
    const int parts[3] = {2, 2, 1};
    check_compare(*state, a, b, 1e-4, area, parts);
    check_compare(*state, a, b, 0, area, parts);
}

/* A sliver far from the origin: a's east edge bulges out by one grid step e = 2⁻¹⁴ m at mid
 * height, 6.7 million m north. a − b is the triangle (10,0) (10 + e,1) (10,2): ½ × 2 × e = e =
 * 6.103515625e-5 m², both 20 m². Summed from absolute coordinates (products near 3·10¹² whose
 * rounding is 5·10⁻⁴) its sign and size would be noise. A power-of-two grid keeps every
 * coordinate exact. */
static void test_diff_sliver_far_from_origin(void **state)
{
    const char *a = "POLYGON((500000 6700000,500010 6700000,500010.00006103515625 6700001,"
                    "500010 6700002,500000 6700002,500000 6700000))";
    const char *b = "POLYGON((500000 6700000,500010 6700000,500010 6700002,500000 6700002,"
                    "500000 6700000))";
    const double area[3] = {6.103515625e-5, 0, 20};
    const int parts[3] = {1, 0, 1};
    check_compare(*state, a, b, 0x1p-14, area, parts);
    check_compare(*state, a, b, 0, area, parts);
}

/* A diamond whose side tips touch the square's sides splits the square in two: a − b is two
 * parts of (16 − 4) / 2 = 6 m² each (the diamond is ½ × 4 × 2 = 4 m²), not one part with a
 * hole touching it twice (invalid: its interior would be disconnected). */
static void test_diff_touching_twice_splits(void **state)
{
    const char *a = "POLYGON((0 0,4 0,4 4,0 4,0 0))";
    const char *b = "POLYGON((0 2,2 1,4 2,2 3,0 2))";
    const double area[3] = {12, 0, 4};
    const int parts[3] = {2, 0, 1};
    check_compare(*state, a, b, 1e-4, area, parts);
    check_compare(*state, a, b, 0, area, parts);
}

/* A hole appears (a lake taken out): a − b is the hole's 2 × 2 = 4 m², b gains nothing, and
 * what both have keeps the hole. */
static void test_diff_new_hole(void **state)
{
    const char *a = "POLYGON((0 0,10 0,10 10,0 10,0 0))";
    const char *b = "POLYGON((0 0,10 0,10 10,0 10,0 0),(4 4,4 6,6 6,6 4,4 4))";
    const double area[3] = {4, 0, 96};
    const int parts[3] = {1, 0, 1};
    check_compare(*state, a, b, 1e-4, area, parts);
    check_compare(*state, a, b, 0, area, parts);
}

/* Traced from edges: two triangles meeting at one point are two parts (not one ring touching
 * itself), each ½ × 2 × 1 = 1 m². */
/* a: a 10 x 10 square with a hole whose tip touches the south edge at (5,0), in the middle of a
 * stretch both versions share; b: the same less a channel (x 4..6, y 4..10) from the north edge
 * into the hole, which leaves two parts touching at (5,0). a − b is the channel, 2 x 6 = 12 m²;
 * both is b, 100 - 6 (hole: 2 x 2 + ½ x 2 x 2) - 12 = 82 m² in two parts. Traced with the shared
 * stretches as runs, the south run must be cut at (5,0), where the hole touches it, or the walk
 * goes through it and joins the two parts into one ring that touches itself (invalid). */
static void test_diff_run_through_touching_point(void **state)
{
    const char *a = "POLYGON((0 0,2 0,5 0,8 0,10 0,10 10,6 10,4 10,0 10,0 0),"
                    "(5 0,4 2,4 4,6 4,6 2,5 0))";
    const char *b = "MULTIPOLYGON(((0 0,2 0,5 0,4 2,4 4,4 10,0 10,0 0)),"
                    "((5 0,8 0,10 0,10 10,6 10,6 4,6 2,5 0)))";
    const double area[3] = {12, 0, 82};
    const int parts[3] = {1, 0, 2};
    check_compare(*state, a, b, 1e-4, area, parts);
    check_compare(*state, a, b, 0, area, parts);
    /* the same with the hole starting elsewhere: its run passes (5,0) and must be cut there
     * too (a review found this case) */
    const char *a2 = "POLYGON((0 0,2 0,5 0,8 0,10 0,10 10,6 10,4 10,0 10,0 0),"
                     "(4 2,4 4,6 4,6 2,5 0,4 2))";
    check_compare(*state, a2, b, 1e-4, area, parts);
    /* and with a hole of more segments than the shell (the largest ring is the hole): 100 - 6
     * - 12 = 82 again */
    const char *a3 = "POLYGON((0 0,5 0,10 0,10 10,0 10,0 0),(5 0,4 2,4 3,4 4,5 4,6 4,6 3,6 2,5 0))";
    const char *b3 = "MULTIPOLYGON(((0 0,5 0,4 2,4 3,4 4,4 10,0 10,0 0)),"
                     "((5 0,10 0,10 10,6 10,6 4,6 3,6 2,5 0)))";
    check_compare(*state, a3, b3, 1e-4, area, parts);
    check_compare(*state, a3, b3, 0, area, parts);
}

/* The same boundary, vertex for vertex or starting at another vertex: nothing lost or gained,
 * both is the area (100 m² less a 4 m² hole). */
static void test_diff_same_boundary(void **state)
{
    rr_ctx *ctx = *state;
    const char *wkts[2] = {"POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,2 4,4 4,4 2,2 2))",
                           "POLYGON((10 10,0 10,0 0,10 0,10 10),(2 2,2 4,4 4,4 2,2 2))"};
    GEOSGeometry *a = from_wkt(ctx, wkts[0]);
    for (int k = 0; k < 2; k++) {
        GEOSGeometry *b = from_wkt(ctx, wkts[k]), *out[3] = {NULL, NULL, NULL};
        rr_compare_path path = RR_COMPARE_TRACED;
        assert_ok(ctx, rr_area_compare(ctx, a, b, NAN, NAN, 1e-4, &out[0], &out[1], &out[2], &path));
        assert_int_equal(path, RR_COMPARE_SAME);
        assert_null(out[0]);
        assert_null(out[1]);
        assert_near(area_of(ctx, out[2]), 96, 1e-12);
        GEOSGeom_destroy_r(ctx->geos, out[2]);
        GEOSGeom_destroy_r(ctx->geos, b);
        /* packed, the same boundary is the area itself: nothing is made */
        const char *codes[1] = {"X"};
        rr_areaset *sa = NULL, *sb = NULL;
        assert_ok(ctx, rr_areaset_from_wkt(ctx, 1, codes, &wkts[0], NULL, &sa));
        assert_ok(ctx, rr_areaset_from_wkt(ctx, 1, codes, &wkts[k], NULL, &sb));
        path = RR_COMPARE_TRACED;
        assert_ok(ctx, rr_area_compare_packed(ctx, &sa->areas[0], &sb->areas[0], 1e-4, &out[0],
                                              &out[1], &out[2], &path));
        assert_int_equal(path, RR_COMPARE_SAME);
        assert_null(out[0]);
        assert_null(out[1]);
        assert_null(out[2]);
        rr_areaset_free(sa);
        rr_areaset_free(sb);
    }
    GEOSGeom_destroy_r(ctx->geos, a);
}

/* ---- random shapes: every result valid and the same region as GEOS's overlays ----------- */

static unsigned long long rnd_state = 88172645463325252ULL;
static unsigned rnd(void)
{
    return test_rnd(&rnd_state);
}

enum { MAXW = 8, MAXCELLS = MAXW * MAXW };

/* The union of unit cells of a w x h grid: kind 1 a square, 2..5 one of its four half
 * triangles, 0 none. NULL when empty. */
static GEOSGeometry *cells_union(rr_ctx *ctx, const int *kind, int w, int h)
{
    GEOSGeometry *parts[MAXCELLS];
    unsigned n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int k = kind[y * w + x];
            if (!k)
                continue;
            double X = x, Y = y, sq[] = {X, Y, X + 1, Y, X + 1, Y + 1, X, Y + 1, X, Y};
            double tri[4][8] = {{X, Y, X + 1, Y, X, Y + 1, X, Y},
                                {X + 1, Y, X + 1, Y + 1, X, Y + 1, X + 1, Y},
                                {X, Y, X + 1, Y, X + 1, Y + 1, X, Y},
                                {X, Y, X + 1, Y + 1, X, Y + 1, X, Y}};
            GEOSCoordSequence *cs = k == 1 ? GEOSCoordSeq_copyFromBuffer_r(ctx->geos, sq, 5, 0, 0)
                                           : GEOSCoordSeq_copyFromBuffer_r(ctx->geos, tri[k - 2], 4, 0, 0);
            parts[n++] = GEOSGeom_createPolygon_r(ctx->geos, GEOSGeom_createLinearRing_r(ctx->geos, cs),
                                                  NULL, 0);
        }
    if (n == 0)
        return NULL;
    GEOSGeometry *all = GEOSGeom_createCollection_r(ctx->geos, GEOS_GEOMETRYCOLLECTION, parts, n);
    GEOSGeometry *u = GEOSUnaryUnion_r(ctx->geos, all);
    GEOSGeom_destroy_r(ctx->geos, all);
    return u;
}

/* Ring r again from another start vertex, maybe reversed, maybe with repeated points and with
 * its straight edges cut at whole coordinates: the same region, written otherwise. */
static GEOSGeometry *ring_rewritten(rr_ctx *ctx, const GEOSGeometry *r, unsigned rot, int rev,
                                    int repeat, int densify)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(ctx->geos, r);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(ctx->geos, cs, &n);
    double *xy = malloc(2 * n * sizeof *xy), *out = malloc(2 * (20 * (size_t)n + 2) * sizeof *out);
    assert_non_null(xy);
    assert_non_null(out);
    GEOSCoordSeq_copyToBuffer_r(ctx->geos, cs, xy, 0, 0);
    unsigned m = n - 1, k = 0;
    rot %= m;
    for (unsigned i = 0; i < m; i++) {
        unsigned j = rev ? (rot + m - i) % m : (rot + i) % m, j2 = rev ? (j + m - 1) % m : (j + 1) % m;
        out[2 * k] = xy[2 * j], out[2 * k + 1] = xy[2 * j + 1], k++;
        if (repeat && rnd() % 8 == 0)
            out[2 * k] = xy[2 * j], out[2 * k + 1] = xy[2 * j + 1], k++;
        double dx = xy[2 * j2] - xy[2 * j], dy = xy[2 * j2 + 1] - xy[2 * j + 1];
        int len = (int)fmax(fabs(dx), fabs(dy));
        if (densify && (dx == 0 || dy == 0 || fabs(dx) == fabs(dy)) && len > 1)
            for (int t = 1; t < len; t++)
                out[2 * k] = xy[2 * j] + dx * t / len, out[2 * k + 1] = xy[2 * j + 1] + dy * t / len, k++;
    }
    out[2 * k] = out[0], out[2 * k + 1] = out[1], k++;
    GEOSGeometry *g = GEOSGeom_createLinearRing_r(ctx->geos,
                                                  GEOSCoordSeq_copyFromBuffer_r(ctx->geos, out, k, 0, 0));
    free(xy);
    free(out);
    return g;
}

static GEOSGeometry *rewritten(rr_ctx *ctx, const GEOSGeometry *g, unsigned mode)
{
    int single = GEOSGeomTypeId_r(ctx->geos, g) == GEOS_POLYGON;
    unsigned np = single ? 1 : (unsigned)GEOSGetNumGeometries_r(ctx->geos, g);
    GEOSGeometry *polys[MAXCELLS], *holes[MAXCELLS];
    for (unsigned i = 0; i < np; i++) {
        const GEOSGeometry *p = single ? g : GEOSGetGeometryN_r(ctx->geos, g, (int)i);
        unsigned nh = (unsigned)GEOSGetNumInteriorRings_r(ctx->geos, p);
        for (unsigned r = 0; r <= nh; r++) {
            GEOSGeometry *ring = ring_rewritten(
                ctx, r == 0 ? GEOSGetExteriorRing_r(ctx->geos, p) : GEOSGetInteriorRingN_r(ctx->geos, p, (int)r - 1),
                mode & 1 ? rnd() : 0, mode & 2 ? (int)(rnd() % 2) : 0, (mode & 4) != 0, (mode & 8) != 0);
            if (r == 0)
                polys[i] = ring;
            else
                holes[r - 1] = ring;
        }
        polys[i] = GEOSGeom_createPolygon_r(ctx->geos, polys[i], holes, nh);
    }
    return GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, polys, np);
}

/* Random pairs of shapes that share most of their boundary (a few cells added or removed, holes,
 * parts touching at a corner, triangles), each version written with its own ring starts,
 * directions, repeated points and extra vertices: a − b, b − a and a ∩ b must be valid and cover
 * what GEOS's difference and intersection cover (symmetric difference under 1e-9). Found the
 * runs through touching points that were not cut (a review's random test: 5 % of cases). */
static void test_diff_random_shapes_against_geos(void **state)
{
    rr_ctx *ctx = *state;
    int tried = 0;
    rnd_state = 88172645463325252ULL;
    for (int it = 0; it < 400; it++) {
        int w = 3 + (int)(rnd() % 6), h = 3 + (int)(rnd() % 6), ka[MAXCELLS], kb[MAXCELLS];
        int diag = (int)(rnd() % 2), fill = 55 + 10 * (int)(rnd() % 3);
        for (int i = 0; i < w * h; i++)
            ka[i] = (int)(rnd() % 100) < fill ? (diag && rnd() % 3 == 0 ? 2 + (int)(rnd() % 4) : 1) : 0;
        memcpy(kb, ka, sizeof ka);
        for (int c = 1 + (int)(rnd() % 3); c > 0; c--) {
            int i = (int)(rnd() % (unsigned)(w * h));
            kb[i] = kb[i] ? 0 : (diag && rnd() % 2 ? 2 + (int)(rnd() % 4) : 1);
        }
        GEOSGeometry *a0 = cells_union(ctx, ka, w, h), *b0 = cells_union(ctx, kb, w, h);
        unsigned mode = rnd() % 16;
        GEOSGeometry *a = a0 ? rewritten(ctx, a0, mode) : NULL, *b = b0 ? rewritten(ctx, b0, mode) : NULL;
        if (a && b && GEOSisValid_r(ctx->geos, a) == 1 && GEOSisValid_r(ctx->geos, b) == 1) {
            GEOSGeometry *out[3] = {NULL, NULL, NULL};
            GEOSGeometry *want[3] = {GEOSDifference_r(ctx->geos, a, b), GEOSDifference_r(ctx->geos, b, a),
                                     GEOSIntersection_r(ctx->geos, a, b)};
            assert_ok(ctx, rr_area_compare(ctx, a, b, NAN, NAN, 1, &out[0], &out[1], &out[2], NULL));
            for (int k = 0; k < 3; k++) {
                double off = area_of(ctx, want[k]);
                if (out[k]) {
                    GEOSGeometry *sd = GEOSSymDifference_r(ctx->geos, out[k], want[k]);
                    off = area_of(ctx, sd);
                    GEOSGeom_destroy_r(ctx->geos, sd);
                }
                if ((out[k] && GEOSisValid_r(ctx->geos, out[k]) != 1) || off > 1e-9) {
                    char *reason = out[k] ? GEOSisValidReason_r(ctx->geos, out[k]) : NULL;
                    fail_msg("case %d, result %d (0: a - b, 1: b - a, 2: both): %s, %g m² off GEOS",
                             it, k, reason ? reason : "none", off);
                }
                if (out[k])
                    GEOSGeom_destroy_r(ctx->geos, out[k]);
                GEOSGeom_destroy_r(ctx->geos, want[k]);
            }
            tried++;
        }
        GEOSGeometry *all[4] = {a0, b0, a, b};
        for (int k = 0; k < 4; k++)
            if (all[k])
                GEOSGeom_destroy_r(ctx->geos, all[k]);
    }
    assert_true(tried > 300); /* most pairs are valid polygons */
}

static void test_trace_bowtie(void **state)
{
    rr_ctx *ctx = *state;
    double e[] = {0, 0, -1, 1, -1, 1, -1, -1, -1, -1, 0, 0, /* west, counter-clockwise */
                  0, 0, 1, -1, 1, -1, 1, 1, 1, 1, 0, 0};    /* east */
    GEOSGeometry *g = NULL;
    assert_int_equal(rr_trace_polygons(ctx, e, 6, &g), 1);
    assert_non_null(g);
    assert_int_equal(parts_of(ctx, g), 2);
    assert_near(area_of(ctx, g), 2, 1e-12);
    assert_int_equal(GEOSisValid_r(ctx->geos, g), 1);
    GEOSGeom_destroy_r(ctx->geos, g);
}

/* A 4 × 4 square with a triangular hole touching its south edge at (2,0): one part with one
 * hole, 16 − ½ × 2 × 2 = 14 m². */
static void test_trace_hole_touching_shell(void **state)
{
    rr_ctx *ctx = *state;
    double e[] = {0, 0, 2, 0, 2, 0, 4, 0, 4, 0, 4, 4, 4, 4, 0, 4, 0, 4, 0, 0, /* shell */
                  2, 0, 1, 2, 1, 2, 3, 2, 3, 2, 2, 0};                        /* hole, clockwise */
    GEOSGeometry *g = NULL;
    assert_int_equal(rr_trace_polygons(ctx, e, 8, &g), 1);
    assert_int_equal(parts_of(ctx, g), 1);
    assert_int_equal(GEOSGetNumInteriorRings_r(ctx->geos, GEOSGetGeometryN_r(ctx->geos, g, 0)), 1);
    assert_near(area_of(ctx, g), 14, 1e-12);
    assert_int_equal(GEOSisValid_r(ctx->geos, g), 1);
    GEOSGeom_destroy_r(ctx->geos, g);
}

/* The same shell and hole as polylines: the shell one edge from (2,0) round to (2,0) through its
 * corners, the hole one edge through (1,2) and (3,2). 16 - ½ x 2 x 2 = 14 m², one part with one
 * hole; the hole's polyline is walked in one step, its middle points kept in order. */
static void test_trace_polylines(void **state)
{
    rr_ctx *ctx = *state;
    double e[] = {2, 0, 2, 0, 2, 0, 2, 0};
    double mid[] = {4, 0, 4, 4, 0, 4, 0, 0, /* shell */ 1, 2, 3, 2 /* hole */};
    size_t mid_start[] = {0, 4, 6};
    GEOSGeometry *g = NULL;
    assert_int_equal(rr_trace_polylines(ctx, e, mid_start, mid, 2, &g), 1);
    assert_int_equal(parts_of(ctx, g), 1);
    const GEOSGeometry *poly = GEOSGetGeometryN_r(ctx->geos, g, 0);
    assert_int_equal(GEOSGetNumInteriorRings_r(ctx->geos, poly), 1);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(ctx->geos, GEOSGeom_getCoordSeq_r(ctx->geos, GEOSGetExteriorRing_r(ctx->geos, poly)), &n);
    assert_int_equal(n, 6); /* (2,0) four corners (2,0) */
    assert_near(area_of(ctx, g), 14, 1e-12);
    assert_int_equal(GEOSisValid_r(ctx->geos, g), 1);
    GEOSGeom_destroy_r(ctx->geos, g);
}

/* An island in a lake in a square: the lake belongs to the square (the smallest part around
 * it), the island is a part of its own: 100 − 36 + 4 = 68 m² in two parts. */
static void test_trace_island_in_lake(void **state)
{
    rr_ctx *ctx = *state;
    double e[] = {0, 0, 10, 0, 10, 0, 10, 10, 10, 10, 0, 10, 0, 10, 0, 0, /* square */
                  2, 2, 2, 8, 2, 8, 8, 8, 8, 8, 8, 2, 8, 2, 2, 2,         /* lake, clockwise */
                  4, 4, 6, 4, 6, 4, 6, 6, 6, 6, 4, 6, 4, 6, 4, 4};        /* island */
    GEOSGeometry *g = NULL;
    assert_int_equal(rr_trace_polygons(ctx, e, 12, &g), 1);
    assert_int_equal(parts_of(ctx, g), 2);
    assert_near(area_of(ctx, g), 68, 1e-12);
    assert_int_equal(GEOSisValid_r(ctx->geos, g), 1);
    GEOSGeom_destroy_r(ctx->geos, g);
}

/* Edges that do not close (a triangle missing a side) are refused, not patched. */
static void test_trace_open_edges_refused(void **state)
{
    rr_ctx *ctx = *state;
    double e[] = {0, 0, 1, 0, 1, 0, 0, 1};
    GEOSGeometry *g = NULL;
    assert_int_equal(rr_trace_polygons(ctx, e, 2, &g), 0);
    assert_null(g);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_extended),
        cmocka_unit_test(test_diff_crossing),
        cmocka_unit_test(test_diff_zigzag_far_from_origin),
        cmocka_unit_test(test_diff_sliver_far_from_origin),
        cmocka_unit_test(test_diff_touching_twice_splits),
        cmocka_unit_test(test_diff_new_hole),
        cmocka_unit_test(test_diff_run_through_touching_point),
        cmocka_unit_test(test_diff_same_boundary),
        cmocka_unit_test(test_diff_random_shapes_against_geos),
        cmocka_unit_test(test_trace_bowtie),
        cmocka_unit_test(test_trace_hole_touching_shell),
        cmocka_unit_test(test_trace_polylines),
        cmocka_unit_test(test_trace_island_in_lake),
        cmocka_unit_test(test_trace_open_edges_refused),
    };
    return RUN_TESTS(tests);
}
