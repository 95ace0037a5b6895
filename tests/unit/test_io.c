/* test_io.c: loaders: code field detection, suffixes, repairs, skips and clear errors. */
#include "test_support.h"

#include "internal.h"
#include "io_gdal.h"

#include <stdlib.h>
#include <unistd.h>

#ifndef REGREV_TEST_TMP
#define REGREV_TEST_TMP "/tmp"
#endif

static char *write_file(const char *name, const char *content)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%ld-%s", REGREV_TEST_TMP, (long)getpid(), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

#define FEATURE(props, coords) \
    "{\"type\":\"Feature\",\"properties\":" props ",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[" coords "]}}"
#define COLL(...) "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":[" __VA_ARGS__ "]}"
#define SQUARE "[[0,0],[1000,0],[1000,1000],[0,1000],[0,0]]"
#define SQUARE2 "[[1000,0],[2000,0],[2000,1000],[1000,1000],[1000,0]]"
#define BOWTIE "[[0,0],[1000,1000],[1000,0],[0,1000],[0,0]]"

/* 1 when every coordinate of g's rings lies on the grid of step p, to a thousandth of a step
 * (x / p near 7e10 is itself only good to 1e-5; a coordinate off the grid is a random fraction
 * of a step away). */
static int on_grid(GEOSContextHandle_t h, const GEOSGeometry *g, double p)
{
    int np = GEOSGetNumGeometries_r(h, g);
    for (int i = 0; i < np; i++) {
        const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, i);
        for (int r = -1; r < GEOSGetNumInteriorRings_r(h, poly); r++) {
            const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(
                h, r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r));
            unsigned n = 0;
            GEOSCoordSeq_getSize_r(h, cs, &n);
            for (unsigned k = 0; k < n; k++) {
                double x, y;
                GEOSCoordSeq_getXY_r(h, cs, k, &x, &y);
                if (fabs(x / p - round(x / p)) > 1e-3 || fabs(y / p - round(y / p)) > 1e-3)
                    return 0;
            }
        }
    }
    return 1;
}

static void test_io_detects_code_field_and_strips_suffix(void **state)
{
    rr_ctx *ctx = *state;
    const char *path = write_file("a.geojson", COLL(FEATURE("{\"name\":\"x\",\"desokod\":\"0114A0010_DeSO2025\"}", SQUARE)));
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    assert_string_equal(rr_areaset_code_field(set), "desokod");
    assert_int_equal(rr_areaset_count(set), 1);
    assert_string_equal(rr_areaset_code(set, 0), "0114A0010");
    assert_near(rr_areaset_area(set, 0), 1e6, 1e-6);
    rr_areaset_free(set);
    unlink(path);
}

static void test_io_integer_code_field(void **state)
{
    rr_ctx *ctx = *state;
    const char *path = write_file("b.geojson", COLL(FEATURE("{\"bfs_nr\":261}", SQUARE) "," FEATURE("{\"bfs_nr\":4021}", SQUARE2)));
    rr_read_opts o = {.path = path, .code_field = "bfs_nr"};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    assert_int_equal(rr_areaset_count(set), 2);
    assert_string_equal(rr_areaset_code(set, 0), "261");
    assert_string_equal(rr_areaset_code(set, 1), "4021");
    rr_areaset_free(set);
    unlink(path);
}

static void test_io_unknown_code_field_names_fields(void **state)
{
    rr_ctx *ctx = *state;
    const char *path = write_file("c.geojson", COLL(FEATURE("{\"name\":\"x\"}", SQUARE)));
    rr_read_opts o = {.path = path, .label = "old"};
    rr_areaset *set = NULL;
    assert_fails_with(ctx, rr_areaset_read(ctx, &o, &set), RR_ERR_FORMAT, "--old-code");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "name"));
    assert_non_null(strstr(rr_ctx_errmsg(ctx), path));
    assert_null(set);
    o.code_field = "kod2";
    assert_fails_with(ctx, rr_areaset_read(ctx, &o, &set), RR_ERR_FORMAT, "no field 'kod2'");
    unlink(path);
}

static void test_io_missing_file(void **state)
{
    rr_ctx *ctx = *state;
    rr_read_opts o = {.path = "/nonexistent/deso.gpkg"};
    rr_areaset *set = NULL;
    assert_fails_with(ctx, rr_areaset_read(ctx, &o, &set), RR_ERR_IO, "no such file");
}

static void test_io_not_geodata(void **state)
{
    rr_ctx *ctx = *state;
    const char *path = write_file("d.gpkg", "this is not a geopackage\n");
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_fails_with(ctx, rr_areaset_read(ctx, &o, &set), RR_ERR_FORMAT, "not a vector dataset");
    unlink(path);
}

static void test_io_no_crs(void **state)
{
    rr_ctx *ctx = *state;
    const char *path = write_file("e.csv", "code,WKT\nA,\"POLYGON((0 0,1 0,1 1,0 1,0 0))\"\n");
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_fails_with(ctx, rr_areaset_read(ctx, &o, &set), RR_ERR_CRS, "--assume-crs");
    o.assume_crs = "EPSG:3006";
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    rr_areaset_free(set);
    unlink(path);
}

static void test_io_repairs_bowtie_with_warning(void **state)
{
    rr_ctx *ctx = *state;
    diag_log log = {0};
    rr_ctx_set_diag(ctx, diag_collect, &log);
    const char *path = write_file("f.geojson", COLL(FEATURE("{\"deso\":\"2081C1100\"}", BOWTIE)));
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    assert_int_equal(log.warnings, 1);
    assert_non_null(strstr(log.text, "code 2081C1100"));
    assert_non_null(strstr(log.text, "Self-intersection"));
    assert_non_null(strstr(log.text, "repaired"));
    /* a bow-tie of two triangles of 250,000 m² each */
    assert_near(rr_areaset_area(set, 0), 500000, 1e-3);
    rr_areaset_free(set);
    rr_ctx_set_diag(ctx, NULL, NULL);
    unlink(path);
}

/* A polygon collapsed onto a line (its three corners on y = 0) has no area: the repair leaves
 * nothing, the feature is skipped with a warning that names it, and the square beside it is
 * read as it is (checked for validity once, after snapping). */
static void test_io_skips_collapsed_polygon(void **state)
{
    rr_ctx *ctx = *state;
    diag_log log = {0};
    rr_ctx_set_diag(ctx, diag_collect, &log);
    const char *path = write_file("collapsed.geojson",
                                  COLL(FEATURE("{\"deso\":\"2081C1100\"}",
                                               "[[0,0],[500,0],[1000,0],[0,0]]") ","
                                       FEATURE("{\"deso\":\"2081C1200\"}", SQUARE2)));
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    assert_int_equal(rr_areaset_count(set), 1);
    assert_string_equal(rr_areaset_code(set, 0), "2081C1200");
    assert_near(rr_areaset_area(set, 0), 1000000, 1e-6);
    assert_non_null(strstr(log.text, "feature 0, code 2081C1100"));
    assert_non_null(strstr(log.text, "feature skipped"));
    rr_areaset_free(set);
    rr_ctx_set_diag(ctx, NULL, NULL);
    unlink(path);
}

/* Polygons and multipolygons go to GEOS from their coordinate arrays (no WKB): holes, parts and
 * z values (dropped) must come through. Areas by hand: 1000 x 1000 less a 200 x 200 hole; a
 * 1000 x 1000 part less a 100 x 100 hole plus a triangle of base 1000 and height 500. */
/* Every area of a set packed as read, checked against GEOS made from it: the blob is the one the
 * GeoPackage writer makes of that geometry, byte for byte, and the area is GEOS's to the bit
 * (the packed area is computed in plain C, as GEOS orders the arithmetic). Returns how many. */
static size_t check_packed(rr_ctx *ctx, const rr_areaset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const rr_area *a = &set->areas[i];
        assert_null(a->geom);
        assert_non_null(a->blob);
        GEOSGeometry *own = NULL;
        rr_status st = RR_ERR_INTERNAL;
        const GEOSGeometry *g = rr_area_shape(ctx, a, &own, &st);
        assert_int_equal(st, RR_OK);
        assert_non_null(own);
        assert_ptr_equal(g, own);
        assert_int_equal(GEOSGeomTypeId_r(ctx->geos, g),
                         a->single ? GEOS_POLYGON : GEOS_MULTIPOLYGON);
        double area = 0;
        assert_int_equal(GEOSArea_r(ctx->geos, g, &area), 1);
        if (memcmp(&area, &a->area, sizeof area) != 0)
            fail_msg("%s: packed area %.17g, GEOS %.17g", a->code, a->area, area);
        size_t size = 0;
        unsigned char *blob = rr_gpkg_blob(ctx, g, 0, &size, &st);
        assert_non_null(blob);
        assert_int_equal(size, a->blob_size);
        assert_memory_equal(blob, a->blob, size);
        free(blob);
        GEOSGeom_destroy_r(ctx->geos, own);
    }
    return set->n;
}

static void test_io_polygon_kinds(void **state)
{
    rr_ctx *ctx = *state;
    const char *path = write_file("kinds.geojson", COLL(
        FEATURE("{\"deso\":\"A\"}", "[[0,0,5],[1000,0,5],[1000,1000,7],[0,1000,5],[0,0,5]],"
                                       "[[100,100,1],[100,300,1],[300,300,1],[300,100,1],[100,100,1]]") ","
        "{\"type\":\"Feature\",\"properties\":{\"deso\":\"B\"},\"geometry\":{\"type\":"
        "\"MultiPolygon\",\"coordinates\":[[[[2000,0],[3000,0],[3000,1000],[2000,1000],[2000,0]],"
        "[[2100,100],[2100,200],[2200,200],[2200,100],[2100,100]]],"
        "[[[4000,0],[5000,0],[4000,500],[4000,0]]]]}}"));
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    assert_int_equal(rr_areaset_count(set), 2);
    assert_string_equal(rr_areaset_code(set, 0), "A");
    assert_near(rr_areaset_area(set, 0), 960000, 1e-6);
    assert_string_equal(rr_areaset_code(set, 1), "B");
    assert_near(rr_areaset_area(set, 1), 990000 + 250000, 1e-6);
    /* packed as read: A stays a Polygon, B a MultiPolygon of two, the first with its hole */
    assert_int_equal(check_packed(ctx, set), 2);
    assert_int_equal(set->areas[0].single, 1);
    assert_int_equal(set->areas[1].single, 0);
    GEOSGeometry *own = NULL;
    const GEOSGeometry *b = rr_area_shape(ctx, &set->areas[1], &own, NULL);
    assert_int_equal(GEOSGetNumGeometries_r(ctx->geos, b), 2);
    assert_int_equal(GEOSGetNumInteriorRings_r(ctx->geos, GEOSGetGeometryN_r(ctx->geos, b, 0)), 1);
    assert_int_equal(GEOSGetNumInteriorRings_r(ctx->geos, GEOSGetGeometryN_r(ctx->geos, b, 1)), 0);
    GEOSGeom_destroy_r(ctx->geos, own);
    double ext[4];
    assert_true(rr_area_extent(ctx, &set->areas[1], ext));
    assert_true(ext[0] == 2000 && ext[1] == 0 && ext[2] == 5000 && ext[3] == 1000);
    rr_areaset_free(set);
    unlink(path);
}

/* Each feature of a layer read again the way that makes GEOS (rr_area_geometry without
 * `packed`) and the way that packs (with it): where it is packed as read, its blob is the one
 * GEOS's geometry makes, byte for byte, its area GEOS's to the bit, and the set holds that blob
 * and area for its code. Returns how many features were packed as read. */
static size_t check_packed_as_read(rr_ctx *ctx, const char *path, const rr_areaset *set)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    int code_i = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), set->code_field);
    assert_true(code_i >= 0);
    rr_valid_scratch *vs = rr_valid_scratch_new();
    size_t packed_n = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(layer);
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH og = OGR_F_GetGeometryRef(f);
        GEOSGeometry *g = NULL, *none = NULL;
        rr_geom_check check = RR_GEOM_CHECKED, again = RR_GEOM_CHECKED;
        rr_packed_geom packed = {NULL, 0, 0, 0};
        assert_ok(ctx, rr_area_geometry(ctx, og, set->geographic, set->precision, vs, "test", &g,
                                        &check, NULL));
        assert_ok(ctx, rr_area_geometry(ctx, og, set->geographic, set->precision, vs, "test",
                                        &none, &again, &packed));
        assert_int_equal(check, again);
        if (packed.blob) {
            packed_n++;
            assert_null(none);
            size_t size = 0;
            rr_status st = RR_OK;
            unsigned char *want = rr_gpkg_blob(ctx, g, 0, &size, &st);
            assert_non_null(want);
            assert_int_equal(size, packed.size);
            assert_memory_equal(want, packed.blob, size);
            double area = 0;
            assert_int_equal(GEOSArea_r(ctx->geos, g, &area), 1);
            if (memcmp(&area, &packed.area, sizeof area) != 0)
                fail_msg("%s: packed area %.17g, GEOS %.17g", path, packed.area, area);
            assert_int_equal(packed.single, GEOSGeomTypeId_r(ctx->geos, g) == GEOS_POLYGON);
            /* and the set holds it (each code here is one feature) */
            char *code = rr_strdup(OGR_F_GetFieldAsString(f, code_i));
            rr_code_normalise(code);
            size_t i = rr_areaset_find(set, code);
            assert_true(i != RR_NONE);
            assert_int_equal(set->areas[i].blob_size, size);
            assert_memory_equal(set->areas[i].blob, want, size);
            assert_true(memcmp(&set->areas[i].area, &area, sizeof area) == 0);
            free(code);
            free(want);
            free(packed.blob);
        } else if (none) {
            GEOSGeom_destroy_r(ctx->geos, none);
        }
        if (g)
            GEOSGeom_destroy_r(ctx->geos, g);
        OGR_F_Destroy(f);
    }
    rr_valid_scratch_free(vs);
    GDALClose(ds);
    return packed_n;
}

/* The Dalarna DeSO 2018 layer (GeoPackage, 175 areas at full resolution) and the 2025 one
 * (GeoJSON): every area packed (check_packed), nearly all of them straight from the rings as
 * read, those checked against GEOS's geometry of the same feature (check_packed_as_read). */
static void test_io_packs_dalarna(void **state)
{
    rr_ctx *ctx = *state;
    const char *paths[2] = {REGREV_SOURCE_DIR "/geodata/dalarna/deso2018_dalarna.gpkg",
                            REGREV_SOURCE_DIR "/geodata/dalarna/deso2025_dalarna.geojson"};
    for (int k = 0; k < 2; k++) {
        rr_read_opts o = {.path = paths[k]};
        rr_areaset *set = NULL;
        assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
        assert_int_equal(check_packed(ctx, set), 175);
        size_t as_read = check_packed_as_read(ctx, paths[k], set);
        if (as_read < 150)
            fail_msg("%s: %zu of 175 areas packed as read", paths[k], as_read);
        rr_areaset_free(set);
    }
}

static void test_io_skips_empty_and_gathers_duplicates(void **state)
{
    rr_ctx *ctx = *state;
    diag_log log = {0};
    rr_ctx_set_diag(ctx, diag_collect, &log);
    const char *path = write_file("g.geojson", COLL(
        FEATURE("{\"deso\":\"A\"}", SQUARE) "," FEATURE("{\"deso\":\"A\"}", SQUARE2) ","
        "{\"type\":\"Feature\",\"properties\":{\"deso\":\"B\"},\"geometry\":null}"));
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    assert_int_equal(rr_areaset_count(set), 1);
    assert_near(rr_areaset_area(set, 0), 2e6, 1e-6);
    assert_int_equal(log.warnings, 2);
    assert_non_null(strstr(log.text, "code B: no (NULL) geometry; feature skipped"));
    assert_non_null(strstr(log.text, "code A appears in 2 features"));
    rr_areaset_free(set);
    rr_ctx_set_diag(ctx, NULL, NULL);
    unlink(path);
}

/* rr_round is C's round(), bit for bit: halves away from zero, -0 kept, the edges of the
 * integer conversion, and values of every magnitude from random bits (NaN and infinity too). */
static void test_io_round_is_c_round(void **state)
{
    (void)state;
    const double edge[] = {0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994,
                           -0.49999999999999994, 4503599627370495.5, -4503599627370495.5,
                           4503599627370496.0, 4503599627370497.0, 9007199254740993.0,
                           1e300, -1e300, 5e-324, -5e-324, 65240000.00005, -6524000.5,
                           INFINITY, -INFINITY, NAN};
    unsigned long long s = 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < 2000000 + sizeof edge / sizeof *edge; k++) {
        double v;
        if (k < sizeof edge / sizeof *edge) {
            v = edge[k];
        } else { /* random bits, and random numbers around the grid steps of real data */
            unsigned long long b = (unsigned long long)test_rnd(&s) << 32 | test_rnd(&s);
            memcpy(&v, &b, sizeof v);
            if (k & 1)
                v = ((double)(b >> 11) / 9007199254740992.0 - 0.5) * pow(10, (double)(k % 17));
        }
        double want = round(v), got = rr_round(v);
        if (isnan(want)) {
            assert_true(isnan(got));
            continue;
        }
        if (memcmp(&want, &got, sizeof want) != 0)
            fail_msg("rr_round(%a) = %a, round gives %a", v, got, want);
    }
}

/* Coordinates are snapped to the 0.1 mm grid as they are read: by hand, 0.00004 -> 0,
 * 0.00006 -> 0.0001, 1000.00004 -> 1000, 1000.00006 -> 1000.0001. */
static void test_io_snaps_as_read(void **state)
{
    rr_ctx *ctx = *state;
    const char *path = write_file("snap.geojson", COLL(FEATURE("{\"deso\":\"A\"}",
        "[[0.00004,0.00006],[1000.00004,0],[1000,1000.00006],[0,1000],[0.00004,0.00006]]")));
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    /* packed once read: its blob holds the snapped coordinates */
    assert_null(set->areas[0].geom);
    assert_non_null(set->areas[0].blob);
    GEOSGeometry *own = NULL;
    const GEOSGeometry *g = rr_area_shape(ctx, &set->areas[0], &own, NULL);
    assert_non_null(own);
    assert_int_equal(GEOSGeomTypeId_r(ctx->geos, g), GEOS_POLYGON); /* as read */
    const GEOSGeometry *ring = GEOSGetExteriorRing_r(ctx->geos, g);
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(ctx->geos, ring);
    const double want[5][2] = {{0, 0.0001}, {1000, 0}, {1000, 1000.0001}, {0, 1000}, {0, 0.0001}};
    for (unsigned k = 0; k < 5; k++) {
        double x, y;
        assert_true(GEOSCoordSeq_getXY_r(ctx->geos, cs, k, &x, &y));
        assert_near(x, want[k][0], 1e-9);
        assert_near(y, want[k][1], 1e-9);
    }
    GEOSGeom_destroy_r(ctx->geos, own);
    rr_areaset_free(set);
    unlink(path);
}

/* A notch 0.04 mm wide is valid as read and a spike once snapped to the 0.1 mm grid (both its
 * sides on x = 500): repaired with a warning that names the feature, leaving the square. */
static void test_io_repairs_what_snapping_breaks(void **state)
{
    rr_ctx *ctx = *state;
    diag_log log = {0};
    rr_ctx_set_diag(ctx, diag_collect, &log);
    const char *path = write_file("notch.geojson", COLL(FEATURE("{\"deso\":\"2081C1100\"}",
        "[[0,0],[1000,0],[1000,1000],[500.00004,1000],[500.00002,500],[500,1000],[0,1000],"
        "[0,0]]")));
    rr_read_opts o = {.path = path};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    assert_int_equal(log.warnings, 1);
    assert_non_null(strstr(log.text, "feature 0, code 2081C1100: invalid once snapped"));
    /* as read: 1e6 less the notch's 0.5 * 0.00004 * 500 = 0.01 m² */
    assert_near(rr_areaset_area(set, 0), 1e6, 1e-6);
    GEOSGeometry *own = NULL;
    assert_true(on_grid(ctx->geos, rr_area_shape(ctx, &set->areas[0], &own, NULL), 1e-4));
    GEOSGeom_destroy_r(ctx->geos, own);
    rr_areaset_free(set);
    rr_ctx_set_diag(ctx, NULL, NULL);
    unlink(path);
}

static void test_io_reprojects_to_old_crs(void **state)
{
    rr_ctx *ctx = *state;
    /* The same square near Falun in SWEREF 99 TM and in WGS 84 (lon/lat). */
    const char *a = write_file("h1.geojson", COLL(FEATURE("{\"deso\":\"A\"}",
        "[[530000,6720000],[531000,6720000],[531000,6721000],[530000,6721000],[530000,6720000]]")));
    rr_read_opts oa = {.path = a};
    rr_areaset *old_set = NULL, *new_set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &oa, &old_set));
    const char *b = write_file("h2.geojson",
        "{\"type\":\"FeatureCollection\",\"features\":[" FEATURE("{\"deso\":\"A\"}",
        "[[15.55,60.6],[15.57,60.6],[15.57,60.61],[15.55,60.61],[15.55,60.6]]") "]}");
    rr_read_opts ob = {.path = b};
    assert_ok(ctx, rr_areaset_read(ctx, &ob, &new_set));
    assert_ok(ctx, rr_areaset_match_crs(ctx, new_set, old_set));
    /* 0.02° × 0.01° at 60.6°N: about 1,094 m × 1,113 m (spherical estimate ≈ 1.217 km²) */
    double area = rr_areaset_area(new_set, 0);
    assert_true(area > 1.19e6 && area < 1.24e6);
    /* snapped as read in degrees, then again on the old set's grid once transformed */
    GEOSGeometry *own = NULL;
    assert_true(on_grid(ctx->geos, rr_area_shape(ctx, &new_set->areas[0], &own, NULL), 1e-4));
    assert_null(new_set->areas[0].geom); /* packed again once transformed */
    GEOSGeom_destroy_r(ctx->geos, own);
    rr_areaset_free(old_set);
    rr_areaset_free(new_set);
    unlink(a);
    unlink(b);
}

/* One feature of a CSV with WKT in EPSG:3006 (name: the file) fails to read as a geometry error
 * whose message holds `says`. */
static void assert_wkt_refused(rr_ctx *ctx, const char *name, const char *code, const char *wkt,
                               const char *says)
{
    char csv[1024];
    snprintf(csv, sizeof csv, "deso,WKT\n%s,\"%s\"\n", code, wkt);
    const char *path = write_file(name, csv);
    rr_read_opts o = {.path = path, .assume_crs = "EPSG:3006"};
    rr_areaset *set = NULL;
    assert_fails_with(ctx, rr_areaset_read(ctx, &o, &set), RR_ERR_GEOMETRY, says);
    unlink(path);
}

static void test_io_nan_coordinates_refused(void **state)
{
    assert_wkt_refused(*state, "i.csv", "A", "POLYGON((0 0,1e300 0,1e300 1e300,0 1e300,0 0))",
                       "code A");
}

/* The extent limit (±100,000 km) holds for coordinates as read: 100000000.00004 m is beyond it
 * although the 0.1 mm grid would round it to exactly 1e8. */
static void test_io_limit_before_snapping(void **state)
{
    assert_wkt_refused(*state, "lim.csv", "A", "POLYGON((500000 6700000,100000000.00004 6700000,"
                       "100000000.00004 6701000,500000 6701000,500000 6700000))", "far outside");
}

/* A hole that is not closed: the same geometry error as without snapping (GEOS's), not an out of
 * memory, and nothing made for it leaks (valgrind). */
static void test_io_unclosed_ring_refused(void **state)
{
    rr_ctx *ctx = *state;
    assert_wkt_refused(ctx, "unclosed.csv", "2081C1100", "POLYGON((0 0,1000 0,1000 1000,0 1000,"
                       "0 0),(500 500,600 500,600 600))", "closed linestring");
    assert_non_null(strstr(rr_ctx_errmsg(ctx), "code 2081C1100"));
}

/* A coarser level: dissolve by a field, or by a link table, without duplicate-code warnings. */
static void test_io_dissolve_by_field_and_link(void **state)
{
    rr_ctx *ctx = *state;
    diag_log log = {0};
    rr_ctx_set_diag(ctx, diag_collect, &log);
    static char path[600]; /* write_file's buffer is reused below */
    snprintf(path, sizeof path, "%s", write_file("j.geojson", COLL(
        FEATURE("{\"deso\":\"0001A0010\",\"regso\":\"0001R001\"}", SQUARE) ","
        FEATURE("{\"deso\":\"0001A0020\",\"regso\":\"0001R001_RegSO2025\"}", SQUARE2))));
    rr_read_opts o = {.path = path, .code_field = "deso", .group_field = "regso"};
    rr_areaset *set = NULL;
    assert_ok(ctx, rr_areaset_read(ctx, &o, &set));
    assert_int_equal(rr_areaset_count(set), 1);
    assert_string_equal(rr_areaset_code(set, 0), "0001R001");
    assert_near(rr_areaset_area(set, 0), 2e6, 1e-6);
    assert_int_equal(log.warnings, 0);
    rr_areaset_free(set);
    static char link_path[600];
    snprintf(link_path, sizeof link_path, "%s", write_file("link.csv",
             "Kommun,DeSO_2018,RegSOkod_2020\n0001,0001A0010,0001R009\n0001,0001A0020,0001R009\n"));
    rr_read_opts l = {.path = path, .code_field = "deso", .link_path = link_path};
    assert_ok(ctx, rr_areaset_read(ctx, &l, &set));
    assert_int_equal(rr_areaset_count(set), 1);
    assert_string_equal(rr_areaset_code(set, 0), "0001R009");
    rr_areaset_free(set);
    /* a code the link table does not know is an error naming it */
    write_file("link.csv", "DeSO_2018,RegSOkod_2020\n0001A0010,0001R009\n");
    assert_fails_with(ctx, rr_areaset_read(ctx, &l, &set), RR_ERR_DATA, "code 0001A0020: no group");
    rr_ctx_set_diag(ctx, NULL, NULL);
    unlink(link_path);
    unlink(path);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_detects_code_field_and_strips_suffix),
        cmocka_unit_test(test_io_integer_code_field),
        cmocka_unit_test(test_io_unknown_code_field_names_fields),
        cmocka_unit_test(test_io_missing_file),
        cmocka_unit_test(test_io_not_geodata),
        cmocka_unit_test(test_io_no_crs),
        cmocka_unit_test(test_io_repairs_bowtie_with_warning),
        cmocka_unit_test(test_io_skips_collapsed_polygon),
        cmocka_unit_test(test_io_polygon_kinds),
        cmocka_unit_test(test_io_packs_dalarna),
        cmocka_unit_test(test_io_skips_empty_and_gathers_duplicates),
        cmocka_unit_test(test_io_round_is_c_round),
        cmocka_unit_test(test_io_snaps_as_read),
        cmocka_unit_test(test_io_repairs_what_snapping_breaks),
        cmocka_unit_test(test_io_reprojects_to_old_crs),
        cmocka_unit_test(test_io_nan_coordinates_refused),
        cmocka_unit_test(test_io_limit_before_snapping),
        cmocka_unit_test(test_io_unclosed_ring_refused),
        cmocka_unit_test(test_io_dissolve_by_field_and_link),
    };
    return RUN_TESTS(tests);
}
