/* test_review.c: review.gpkg (layers, counts, fields, geometry of moved pieces, CRS, styles) and
 * review.html (every code, the data, no URL, the display simplification) on hand-made revisions
 * whose answers are squares. */
#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdal.h>
#include <jansson.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>

#include "gpkg_rtree.h"
#include "internal.h"

#include "test_support.h"

#define SQ(x0, y0, x1, y1) "POLYGON((" #x0 " " #y0 "," #x1 " " #y0 "," #x1 " " #y1 "," #x0 " " #y1 "," #x0 " " #y0 "))"

/* Old: A0010 and A0020 side by side, A0030 above A0010. New: the boundary between A0010 and
 * A0020 moves 200 m into A0020 (a 20 ha block changes hands), and A0030 is split in two halves
 * with new codes. Classes: A0010/A0020 complex (2 old ↔ 2 new), A0030 split. */
static const char *const old_codes[] = {"0001A0010", "0001A0020", "0001A0030"};
static const char *const old_wkt[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 1000),
                                      SQ(0, 1000, 1000, 2000)};
static const char *const new_codes[] = {"0001A0010", "0001A0020", "0001A0031", "0001A0032"};
static const char *const new_wkt[] = {SQ(0, 0, 1200, 1000), SQ(1200, 0, 2000, 1000),
                                      SQ(0, 1000, 500, 2000), SQ(500, 1000, 1000, 2000)};

typedef struct fixture {
    rr_ctx *ctx;
    rr_areaset *old_set, *new_set;
    rr_revision *rev;
    char dir[256];
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx || !(fx->ctx = rr_ctx_new()))
        return -1;
    rr_params p;
    rr_params_default(&p);
    if (rr_areaset_from_wkt(fx->ctx, 3, old_codes, old_wkt, "EPSG:3006", &fx->old_set) ||
        rr_areaset_from_wkt(fx->ctx, 4, new_codes, new_wkt, "EPSG:3006", &fx->new_set) ||
        rr_revision_overlay(fx->ctx, fx->old_set, fx->new_set, &p, &fx->rev) ||
        rr_revision_analyse(fx->ctx, fx->rev)) {
        fprintf(stderr, "setup: %s\n", rr_ctx_errmsg(fx->ctx));
        return -1;
    }
    snprintf(fx->dir, sizeof fx->dir, "%s/review-XXXXXX", REGREV_TEST_TMP);
    mkdir(REGREV_TEST_TMP, 0777);
    if (!mkdtemp(fx->dir))
        return -1;
    GDALAllRegister();
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    char path[512];
    static const char *const names[] = {"review.gpkg", "review.html", "again.gpkg"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", fx->dir, names[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    rr_revision_free(fx->rev);
    rr_areaset_free(fx->old_set);
    rr_areaset_free(fx->new_set);
    rr_ctx_free(fx->ctx);
    free(fx);
    return 0;
}

static GDALDatasetH open_gpkg(const char *path)
{
    const char *drivers[] = {"GPKG", NULL};
    return GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
}

/* The feature of `lyr` whose string fields f1 (and f2, if given) have these values. */
static OGRFeatureH find_feature(OGRLayerH lyr, const char *f1, const char *v1, const char *f2,
                                const char *v2, const char *f3, const char *v3)
{
    OGR_L_ResetReading(lyr);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(lyr))) {
        int ok = strcmp(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, f1)), v1) == 0;
        if (ok && f2)
            ok = strcmp(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, f2)), v2) == 0;
        if (ok && f3)
            ok = strcmp(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, f3)), v3) == 0;
        if (ok)
            return f;
        OGR_F_Destroy(f);
    }
    return NULL;
}

static double geom_area(OGRFeatureH f)
{
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    return g ? OGR_G_Area(g) : -1;
}

static void test_review_gpkg_layers(void **state)
{
    fixture *fx = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/review.gpkg", fx->dir);
    assert_ok(fx->ctx, rr_write_review_gpkg(fx->ctx, fx->rev, path));
    GDALDatasetH ds = open_gpkg(path);
    assert_non_null(ds);

    struct { const char *name; GIntBig count; const char *fields[6]; } layers[] = {
        {"old", 3, {"code", "class", "kommun", "area_m2", "pop", "related"}},
        {"new", 4, {"code", "class", "kommun", "area_m2", "pop", "related"}},
        {"pieces", 5, {"old_code", "new_code", "area_m2", "pop", "transfer", NULL}},
        {"changes", 5, {"old_code", "new_code", "change_type", "area_m2", "pop", NULL}},
    };
    for (size_t i = 0; i < 4; i++) {
        OGRLayerH lyr = GDALDatasetGetLayerByName(ds, layers[i].name);
        if (!lyr)
            fail_msg("no layer %s", layers[i].name);
        assert_int_equal(OGR_L_GetFeatureCount(lyr, 1), layers[i].count);
        assert_int_equal(wkbFlatten(OGR_L_GetGeomType(lyr)), wkbMultiPolygon);
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
        for (size_t k = 0; k < 6 && layers[i].fields[k]; k++)
            if (OGR_FD_GetFieldIndex(defn, layers[i].fields[k]) < 0)
                fail_msg("layer %s lacks field %s", layers[i].name, layers[i].fields[k]);
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(lyr);
        assert_non_null(srs);
        assert_string_equal(OSRGetAuthorityCode(srs, NULL), "3006");
    }

    OGRLayerH old_l = GDALDatasetGetLayerByName(ds, "old");
    OGRFeatureH f = find_feature(old_l, "code", "0001A0030", NULL, NULL, NULL, NULL);
    assert_non_null(f);
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "class")), "split");
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "kommun")), "0001");
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "related")),
                        "0001A0031;0001A0032");
    assert_near(OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "area_m2")), 1e6, 1e-6);
    assert_false(OGR_F_IsFieldSetAndNotNull(f, OGR_F_GetFieldIndex(f, "pop"))); /* no population */
    assert_near(geom_area(f), 1e6, 1e-6);
    OGR_F_Destroy(f);

    OGRLayerH new_l = GDALDatasetGetLayerByName(ds, "new");
    f = find_feature(new_l, "code", "0001A0010", NULL, NULL, NULL, NULL);
    assert_non_null(f);
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "class")), "complex");
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "related")),
                        "0001A0010;0001A0020");
    assert_near(geom_area(f), 1.2e6, 1e-6);
    OGR_F_Destroy(f);

    OGRLayerH pieces = GDALDatasetGetLayerByName(ds, "pieces");
    f = find_feature(pieces, "old_code", "0001A0020", "new_code", "0001A0010", NULL, NULL);
    assert_non_null(f);
    assert_near(OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "area_m2")), 2e5, 1e-6);
    assert_int_equal(OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "transfer")), 1);
    assert_near(geom_area(f), 2e5, 1e-6);
    OGR_F_Destroy(f);

    /* Each change row's geometry is what moved: the 20 ha block for the X → Y row and for the
     * Minskas / Utvidgas rows of its two areas; a half of A0030 for each split row. */
    OGRLayerH changes = GDALDatasetGetLayerByName(ds, "changes");
    struct { const char *o, *n, *type; double area; } want[] = {
        {"0001A0020", "0001A0010", "Ger del/delar till befintlig", 2e5},
        {"0001A0020", "0001A0020", "Minskas och ger del till befintlig eller nybildad", 2e5},
        {"0001A0010", "0001A0010", "Utvidgas", 2e5},
        {"0001A0030", "0001A0031", "Upphör; till nybildad", 5e5},
        {"0001A0030", "0001A0032", "Upphör; till nybildad", 5e5},
    };
    for (size_t i = 0; i < 5; i++) {
        f = find_feature(changes, "old_code", want[i].o, "new_code", want[i].n, "change_type",
                         want[i].type);
        if (!f)
            fail_msg("no change %s -> %s (%s)", want[i].o, want[i].n, want[i].type);
        assert_near(OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "area_m2")), want[i].area,
                    1e-6);
        assert_near(geom_area(f), want[i].area, 1e-6);
        OGR_F_Destroy(f);
    }

    /* Each layer's spatial index (written from the blobs' envelopes) and extent: GDAL's spatial
     * filter, which goes through the R-tree, finds what a test of every feature finds, and the
     * extent in gpkg_contents is the union of the features' envelopes. */
    static const char *const indexed[] = {"old", "new", "pieces", "changes"};
    for (size_t i = 0; i < 4; i++) {
        OGRLayerH lyr = GDALDatasetGetLayerByName(ds, indexed[i]);
        assert_true(OGR_L_TestCapability(lyr, OLCFastSpatialFilter));
        OGREnvelope all = {INFINITY, -INFINITY, INFINITY, -INFINITY}, stored;
        OGR_L_ResetReading(lyr);
        while ((f = OGR_L_GetNextFeature(lyr))) {
            OGREnvelope e;
            OGR_G_GetEnvelope(OGR_F_GetGeometryRef(f), &e);
            all.MinX = fmin(all.MinX, e.MinX);
            all.MaxX = fmax(all.MaxX, e.MaxX);
            all.MinY = fmin(all.MinY, e.MinY);
            all.MaxY = fmax(all.MaxY, e.MaxY);
            OGR_F_Destroy(f);
        }
        /* every feature's R-tree box holds its envelope, rounded outwards to floats at most */
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT id, minx, maxx, miny, maxy FROM rtree_%s_geom",
                 indexed[i]);
        OGRLayerH rt = GDALDatasetExecuteSQL(ds, sql, NULL, "SQLITE");
        assert_non_null(rt);
        GIntBig boxes = 0;
        while ((f = OGR_L_GetNextFeature(rt))) {
            OGRFeatureH g = OGR_L_GetFeature(lyr, OGR_F_GetFieldAsInteger64(f, 0));
            assert_non_null(g);
            OGREnvelope e;
            OGR_G_GetEnvelope(OGR_F_GetGeometryRef(g), &e);
            double box[4] = {OGR_F_GetFieldAsDouble(f, 1), OGR_F_GetFieldAsDouble(f, 2),
                             OGR_F_GetFieldAsDouble(f, 3), OGR_F_GetFieldAsDouble(f, 4)};
            double tol = 1e-6 * fmax(fabs(e.MaxX), fabs(e.MaxY)) + 1e-6;
            if (!(box[0] <= e.MinX && box[0] > e.MinX - tol && box[1] >= e.MaxX &&
                  box[1] < e.MaxX + tol && box[2] <= e.MinY && box[2] > e.MinY - tol &&
                  box[3] >= e.MaxY && box[3] < e.MaxY + tol))
                fail_msg("layer %s, feature %lld: R-tree box %.3f %.3f %.3f %.3f, envelope "
                         "%.3f %.3f %.3f %.3f", indexed[i], (long long)OGR_F_GetFID(g), box[0],
                         box[1], box[2], box[3], e.MinX, e.MaxX, e.MinY, e.MaxY);
            boxes++;
            OGR_F_Destroy(g);
            OGR_F_Destroy(f);
        }
        GDALDatasetReleaseResultSet(ds, rt);
        assert_int_equal(boxes, OGR_L_GetFeatureCount(lyr, 1));
        assert_int_equal(OGR_L_GetExtent(lyr, &stored, 0), OGRERR_NONE);
        assert_true(stored.MinX == all.MinX && stored.MaxX == all.MaxX &&
                    stored.MinY == all.MinY && stored.MaxY == all.MaxY);
        double w = all.MaxX - all.MinX, h = all.MaxY - all.MinY;
        double rects[][4] = {
            {all.MinX, all.MinY, all.MaxX, all.MaxY},
            {all.MinX, all.MinY, all.MinX + 0.4 * w, all.MaxY},
            {all.MinX + 0.45 * w, all.MinY + 0.45 * h, all.MinX + 0.55 * w, all.MinY + 0.55 * h},
            {all.MaxX - 0.1 * w, all.MaxY - 0.1 * h, all.MaxX, all.MaxY},
            {all.MaxX + w, all.MaxY + h, all.MaxX + 2 * w, all.MaxY + 2 * h},
        };
        for (size_t r = 0; r < sizeof rects / sizeof *rects; r++) {
            OGRGeometryH box = OGR_G_CreateGeometry(wkbPolygon);
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
            OGR_G_AddPoint_2D(ring, rects[r][0], rects[r][1]);
            OGR_G_AddPoint_2D(ring, rects[r][2], rects[r][1]);
            OGR_G_AddPoint_2D(ring, rects[r][2], rects[r][3]);
            OGR_G_AddPoint_2D(ring, rects[r][0], rects[r][3]);
            OGR_G_AddPoint_2D(ring, rects[r][0], rects[r][1]);
            OGR_G_AddGeometryDirectly(box, ring);
            GIntBig brute = 0;
            OGR_L_SetSpatialFilter(lyr, NULL);
            OGR_L_ResetReading(lyr);
            while ((f = OGR_L_GetNextFeature(lyr))) {
                brute += OGR_G_Intersects(OGR_F_GetGeometryRef(f), box) != 0;
                OGR_F_Destroy(f);
            }
            OGR_L_SetSpatialFilter(lyr, box);
            GIntBig filtered = 0;
            OGR_L_ResetReading(lyr);
            while ((f = OGR_L_GetNextFeature(lyr))) {
                filtered++;
                OGR_F_Destroy(f);
            }
            OGR_L_SetSpatialFilter(lyr, NULL);
            OGR_G_DestroyGeometry(box);
            if (filtered != brute)
                fail_msg("layer %s, rectangle %zu: the spatial filter finds %lld, every feature "
                         "tested %lld", indexed[i], r, (long long)filtered, (long long)brute);
            assert_true(r > 0 || brute == OGR_L_GetFeatureCount(lyr, 1));
        }
    }

    /* QGIS styles: one default style per layer. */
    OGRLayerH styles = GDALDatasetGetLayerByName(ds, "layer_styles");
    assert_non_null(styles);
    assert_int_equal(OGR_L_GetFeatureCount(styles, 1), 4);
    f = find_feature(styles, "f_table_name", "new", NULL, NULL, NULL, NULL);
    assert_non_null(f);
    assert_non_null(strstr(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "styleQML")),
                           "categorizedSymbol"));
    OGR_F_Destroy(f);
    GDALClose(ds);

    /* Writing again over an existing file replaces it. */
    assert_ok(fx->ctx, rr_write_review_gpkg(fx->ctx, fx->rev, path));
    ds = open_gpkg(path);
    assert_non_null(ds);
    assert_int_equal(OGR_L_GetFeatureCount(GDALDatasetGetLayerByName(ds, "old"), 1), 3);
    GDALClose(ds);
}

static void test_review_gpkg_unwritable(void **state)
{
    fixture *fx = *state;
    assert_fails_with(fx->ctx,
                      rr_write_review_gpkg(fx->ctx, fx->rev, "/nonexistent-dir/x/review.gpkg"),
                      RR_ERR_IO, "/nonexistent-dir/x/review.gpkg");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

static void test_review_html_content(void **state)
{
    fixture *fx = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/review.html", fx->dir);
    assert_ok(fx->ctx, rr_write_review_html(fx->ctx, fx->rev, path));
    char *html = slurp(path);
    assert_non_null(html);
    assert_non_null(strstr(html, "<!doctype html>"));
    assert_non_null(strstr(html, "id=\"regrev-data\""));
    assert_null(strstr(html, "@REGREV_DATA@")); /* the data replaced the marker */
    assert_null(strstr(html, "/*@REGREV_JS@*/"));
    for (size_t i = 0; i < 3; i++)
        if (!strstr(html, old_codes[i]))
            fail_msg("review.html lacks %s", old_codes[i]);
    for (size_t i = 0; i < 4; i++)
        if (!strstr(html, new_codes[i]))
            fail_msg("review.html lacks %s", new_codes[i]);
    assert_non_null(strstr(html, "Upphör; till nybildad"));
    assert_non_null(strstr(html, "\"coverage\":true"));
    /* Self-contained: no URL, hence no network request; the data cannot close its <script>. */
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    const char *data = strstr(html, "id=\"regrev-data\">");
    assert_non_null(data);
    const char *end = strstr(data, "</script>");
    assert_non_null(end);
    assert_null(memchr(data + 17, '<', (size_t)(end - data - 17)));
    free(html);
}

/* Two areas 1000 m wide whose shared boundary zigzags 0.15 m either side of x = 1000 every
 * 100 m: the display tolerance of a 2000 m extent is 0.1 m, so the zigzag is kept (at 0.2 m it
 * would go). right: 0 the left area, 1 the right one. */
static void zigzag_wkt(char *buf, size_t cap, int right)
{
    size_t k = (size_t)snprintf(buf, cap, "POLYGON((%s", right ? "2000 0,2000 1000," : "0 0,");
    for (int i = 0; i <= 10; i++) {
        int j = right ? 10 - i : i;
        k += (size_t)snprintf(buf + k, cap - k, "%s %d,", j % 2 ? "1000.15" : "1000", 100 * j);
    }
    snprintf(buf + k, cap - k, "%s))", right ? "2000 0" : "0 1000,0 0");
}

/* params.review_early: both versions are simplified during the overlay (the writer finds both
 * made, and takes them) and review.html is the same, byte for byte, as when the writer
 * simplifies them itself; written again, with the early shapes taken, it is still the same. */
static void test_review_html_early_same(void **state)
{
    fixture *fx = *state;
    char left[512], right[512], path[512], path2[512];
    zigzag_wkt(left, sizeof left, 0);
    zigzag_wkt(right, sizeof right, 1);
    const char *codes[] = {"0001A0010", "0001A0020"}, *wkt[] = {left, right};
    rr_areaset *a = NULL, *b = NULL;
    rr_revision *plain = NULL, *early = NULL;
    assert_ok(fx->ctx, rr_areaset_from_wkt(fx->ctx, 2, codes, wkt, "EPSG:3006", &a));
    assert_ok(fx->ctx, rr_areaset_from_wkt(fx->ctx, 2, codes, wkt, "EPSG:3006", &b));
    rr_params p;
    rr_params_default(&p);
    assert_ok(fx->ctx, rr_revision_overlay(fx->ctx, a, b, &p, &plain));
    assert_ok(fx->ctx, rr_revision_analyse(fx->ctx, plain));
    snprintf(path, sizeof path, "%s/review.html", fx->dir);
    snprintf(path2, sizeof path2, "%s/review-early.html", fx->dir);
    assert_ok(fx->ctx, rr_write_review_html(fx->ctx, plain, path));
    p.review_early = 1;
    p.threads = 2;
    assert_ok(fx->ctx, rr_revision_overlay(fx->ctx, a, b, &p, &early));
    assert_int_equal(rr_review_display_ready(plain), 0);
    assert_int_equal(rr_review_display_ready(early), 2);
    assert_ok(fx->ctx, rr_revision_analyse(fx->ctx, early));
    char *want = slurp(path);
    assert_non_null(want);
    for (int k = 0; k < 2; k++) {
        assert_ok(fx->ctx, rr_write_review_html(fx->ctx, early, path2));
        assert_int_equal(rr_review_display_ready(early), 0);
        char *got = slurp(path2);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(got);
    }
    free(want);
    rr_revision_free(early);
    rr_revision_free(plain);
    rr_areaset_free(a);
    rr_areaset_free(b);
}

/* A code with "</script>" in it must not end the data early. */
static void test_review_html_escapes(void **state)
{
    fixture *fx = *state;
    /* the second code is a path marker as the writer once made them (a number that is a path's
     * index in the page): it must stay a code, not become the path's SVG data */
    const char *codes[] = {"0001</script><b>", "\x01\x02P0"};
    const char *wkt[] = {SQ(0, 0, 10, 10), SQ(10, 0, 20, 10)};
    rr_areaset *a = NULL, *b = NULL;
    rr_revision *rev = NULL;
    rr_params p;
    rr_params_default(&p);
    assert_ok(fx->ctx, rr_areaset_from_wkt(fx->ctx, 2, codes, wkt, NULL, &a));
    assert_ok(fx->ctx, rr_areaset_from_wkt(fx->ctx, 2, codes, wkt, NULL, &b));
    assert_ok(fx->ctx, rr_revision_overlay(fx->ctx, a, b, &p, &rev));
    assert_ok(fx->ctx, rr_revision_analyse(fx->ctx, rev));
    char path[512];
    snprintf(path, sizeof path, "%s/review.html", fx->dir);
    assert_ok(fx->ctx, rr_write_review_html(fx->ctx, rev, path));
    char *html = slurp(path);
    assert_non_null(html);
    assert_null(strstr(html, "0001</script>"));
    assert_non_null(strstr(html, "0001\\u003c/script>"));
    assert_non_null(strstr(html, "\"\\u0001\\u0002P0\""));
    free(html);
    rr_revision_free(rev);
    rr_areaset_free(a);
    rr_areaset_free(b);
}

/* ---- display simplification: neighbours share one simplified boundary ----------------------
 * Each case's zig-zag points lie 0.02 m off the lines of the expected shape, under the display
 * tolerance (extent / 20000: 0.05 m or more here) but over the quantum (a quarter of it), so a
 * zig-zag point left behind would show. The expected vertices are the corners and bends. */

/* The page data of review.html for a revision where nothing changed: old = new = wkt. */
static json_t *review_data(fixture *fx, size_t n, const char *const *codes,
                           const char *const *wkt)
{
    rr_areaset *a = NULL, *b = NULL;
    rr_revision *rev = NULL;
    rr_params p;
    rr_params_default(&p);
    assert_ok(fx->ctx, rr_areaset_from_wkt(fx->ctx, n, codes, wkt, "EPSG:3006", &a));
    assert_ok(fx->ctx, rr_areaset_from_wkt(fx->ctx, n, codes, wkt, "EPSG:3006", &b));
    assert_ok(fx->ctx, rr_revision_overlay(fx->ctx, a, b, &p, &rev));
    assert_ok(fx->ctx, rr_revision_analyse(fx->ctx, rev));
    char path[512];
    snprintf(path, sizeof path, "%s/review.html", fx->dir);
    assert_ok(fx->ctx, rr_write_review_html(fx->ctx, rev, path));
    rr_revision_free(rev);
    rr_areaset_free(a);
    rr_areaset_free(b);
    char *html = slurp(path);
    assert_non_null(html);
    const char *start = strstr(html, "id=\"regrev-data\">");
    assert_non_null(start);
    start += strlen("id=\"regrev-data\">");
    const char *end = strstr(start, "</script>");
    assert_non_null(end);
    json_error_t err;
    json_t *data = json_loadb(start, (size_t)(end - start), 0, &err);
    free(html);
    if (!data)
        fail_msg("review.html data does not parse: %s", err.text);
    return data;
}

typedef struct map_pt {
    long x, y;
} map_pt;

/* The vertices of ring `ring` of an SVG path of the page ("M x y l dx dy … z" a ring), in
 * order; their number. */
static size_t path_ring(const char *d, size_t ring, map_pt *out, size_t max)
{
    size_t n = 0, at = 0;
    long x = 0, y = 0;
    char *e;
    for (const char *s = d; *s;) {
        if (*s == 'M') {
            x = strtol(s + 1, &e, 10);
            y = strtol(e, &e, 10);
            s = e;
            at++;
        } else if (*s == 'l') {
            s++;
            while (*s && !isalpha((unsigned char)*s)) {
                long dx = strtol(s, &e, 10), dy = strtol(e, &e, 10);
                x += dx;
                y += dy;
                s = e;
                if (at == ring + 1 && n < max)
                    out[n++] = (map_pt){x, y};
            }
            continue;
        } else {
            s++;
            continue;
        }
        if (at == ring + 1 && n < max)
            out[n++] = (map_pt){x, y};
    }
    return n;
}

/* a[0..n) and b[0..n) are the same ring: equal from some start, in one direction or the other. */
static int same_ring(const map_pt *a, const map_pt *b, size_t n)
{
    for (size_t s = 0; s < n; s++)
        for (int dir = 0; dir < 2; dir++) {
            size_t k = 0;
            while (k < n) {
                const map_pt *p = &b[dir ? (s + n - k) % n : (s + k) % n];
                if (a[k].x != p->x || a[k].y != p->y)
                    break;
                k++;
            }
            if (k == n)
                return 1;
        }
    return 0;
}

/* Ring `ring` of the displayed shape of area `code` is the ring want[0..n) (x, y in metres, in
 * order from any vertex in either direction), in map units of the page (origin at x = 0,
 * y = ymax). */
static void assert_display_ring(json_t *data, const char *code, size_t ring, double ymax,
                                const double *want, size_t n)
{
    double q = json_real_value(json_object_get(json_object_get(data, "meta"), "q"));
    json_t *side = json_object_get(data, "new"), *codes = json_object_get(side, "code");
    size_t i = 0;
    while (i < json_array_size(codes) && strcmp(json_string_value(json_array_get(codes, i)), code))
        i++;
    if (i == json_array_size(codes))
        fail_msg("no area %s on the page", code);
    const char *d = json_string_value(json_array_get(json_object_get(side, "d"), i));
    map_pt got[64], exp[16];
    size_t ngot = path_ring(d, ring, got, 64);
    for (size_t k = 0; k < n; k++)
        exp[k] = (map_pt){lround(want[2 * k] / q), lround((ymax - want[2 * k + 1]) / q)};
    if (ngot != n || !same_ring(exp, got, n))
        fail_msg("%s ring %zu drawn as %s: %zu vertices, expected %zu from M%ld %ld", code, ring,
                 d, ngot, n, exp[0].x, exp[0].y);
}

/* Two squares share a zig-zag edge with one bend (1050, 500): both draw the same three points of
 * it, and the boundary lines are the three chains between the two nodes. */
static void test_review_html_shared_edge(void **state)
{
    fixture *fx = *state;
    static const char *const codes[] = {"0001A0010", "0001A0020"};
    static const char *const wkt[] = {
        "POLYGON((0 0,1000 0,1010.02 100,1019.98 200,1030.02 300,1039.98 400,1050 500,"
        "1040.02 600,1029.98 700,1020.02 800,1009.98 900,1000 1000,0 1000,0 0))",
        "POLYGON((1000 0,2000 0,2000 1000,1000 1000,1009.98 900,1020.02 800,1029.98 700,"
        "1040.02 600,1050 500,1039.98 400,1030.02 300,1019.98 200,1010.02 100,1000 0))",
    };
    json_t *data = review_data(fx, 2, codes, wkt);
    assert_true(json_is_true(json_object_get(json_object_get(data, "meta"), "coverage")));
    static const double left[] = {0, 0, 1000, 0, 1050, 500, 1000, 1000, 0, 1000};
    static const double right[] = {1000, 0, 2000, 0, 2000, 1000, 1000, 1000, 1050, 500};
    assert_display_ring(data, "0001A0010", 0, 1000, left, 5);
    assert_display_ring(data, "0001A0020", 0, 1000, right, 5);
    const char *edges = json_string_value(json_object_get(json_object_get(data, "edges"), "new"));
    size_t lines = 0;
    for (const char *s = edges; *s; s++)
        lines += *s == 'M';
    assert_int_equal(lines, 3);
    json_decref(data);
}

/* An island with a zig-zag outline and its surrounding area's hole, listed from other vertices in
 * the other direction, draw the same five points. */
static void test_review_html_island(void **state)
{
    fixture *fx = *state;
    static const char *const codes[] = {"0001A0010", "0001A0020"};
    static const char *const wkt[] = {
        "POLYGON((0 0,1000 0,1000 1000,0 1000,0 0),(400 400,450 390.02,500 380,550 389.98,"
        "600 400,600.02 450,599.98 500,600.02 550,600 600,550 600.02,500 599.98,450 600.02,"
        "400 600,399.98 550,400.02 500,399.98 450,400 400))",
        "POLYGON((600 600,600.02 550,599.98 500,600.02 450,600 400,550 389.98,500 380,"
        "450 390.02,400 400,399.98 450,400.02 500,399.98 550,400 600,450 600.02,500 599.98,"
        "550 600.02,600 600))",
    };
    json_t *data = review_data(fx, 2, codes, wkt);
    static const double shell[] = {0, 0, 1000, 0, 1000, 1000, 0, 1000};
    static const double island[] = {400, 400, 500, 380, 600, 400, 600, 600, 400, 600};
    assert_display_ring(data, "0001A0010", 0, 1000, shell, 4);
    assert_display_ring(data, "0001A0010", 1, 1000, island, 5);
    assert_display_ring(data, "0001A0020", 0, 1000, island, 5);
    json_decref(data);
}

/* Neighbours that do not share their vertices (a T-junction at (1000, 500)): each ring is drawn
 * from chains of its own, all vertices kept. */
static void test_review_html_unshared_vertices(void **state)
{
    fixture *fx = *state;
    static const char *const codes[] = {"0001A0010", "0001A0020"};
    static const char *const wkt[] = {
        SQ(0, 0, 1000, 1000),
        "POLYGON((1000 0,2000 0,2000 1000,1000 1000,1000 500,1000 0))",
    };
    json_t *data = review_data(fx, 2, codes, wkt);
    static const double left[] = {0, 0, 1000, 0, 1000, 1000, 0, 1000};
    static const double right[] = {1000, 0, 2000, 0, 2000, 1000, 1000, 1000};
    assert_display_ring(data, "0001A0010", 0, 1000, left, 4);
    assert_display_ring(data, "0001A0020", 0, 1000, right, 4);
    json_decref(data);
}

/* ---- the packed R-tree (gpkg_rtree.c) ------------------------------------------------------ */

static sqlite3_int64 sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    sqlite3_int64 v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* SQLite's own check of the tree: boxes of children inside their parent's, every entry and node
 * in the rowid and parent tables, one depth for all leaves. */
static void assert_rtree_sound(sqlite3 *db)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT rtreecheck('t')", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
    sqlite3_finalize(q);
}

/* The ids whose boxes meet [x0, x1] x [y0, y1]: through the tree (the boxes of its inner nodes
 * prune the search) when `tree`, else by testing every leaf entry (expressions the module cannot
 * use: a scan of all leaves); a bitmap over ids 0 .. n. */
static void rtree_hits(sqlite3 *db, int tree, const double r[4], unsigned char *hit, size_t n)
{
    sqlite3_stmt *q = NULL;
    const char *sql = tree ? "SELECT id FROM t WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 "
                             "AND miny <= ?4"
                           : "SELECT id FROM t WHERE id > -1 AND maxx + 0 >= ?1 AND "
                             "minx + 0 <= ?2 AND maxy + 0 >= ?3 AND miny + 0 <= ?4";
    memset(hit, 0, n + 1);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    for (int k = 0; k < 4; k++)
        sqlite3_bind_double(q, k + 1, r[k]);
    while (sqlite3_step(q) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(q, 0);
        assert_true(id >= 0 && (size_t)id <= n);
        hit[id] = 1;
    }
    sqlite3_finalize(q);
}

/* Every geometry of review.gpkg names the layer's SRS in its blob header (bytes 4-7, little
 * endian), the packed pieces too: their blobs are made with srs_id 0 and the writer sets it. The
 * fixture has packed pieces (what an old area keeps of itself). */
static void test_review_gpkg_srs_ids(void **state)
{
    fixture *fx = *state;
    size_t packed = 0;
    for (size_t k = 0; k < fx->rev->npieces; k++)
        packed += fx->rev->pieces[k].blob != NULL;
    assert_true(packed > 0);
    char path[512];
    snprintf(path, sizeof path, "%s/review-srs.gpkg", fx->dir);
    assert_ok(fx->ctx, rr_write_review_gpkg(fx->ctx, fx->rev, path));
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    const char *layers[] = {"old", "new", "pieces", "changes"};
    for (size_t i = 0; i < 4; i++) {
        char sql[300];
        snprintf(sql, sizeof sql, "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = '%s'",
                 layers[i]);
        sqlite3_int64 srs = sql_int(db, sql);
        assert_true(srs > 0);
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM \"%s\" WHERE geom IS NOT NULL AND hex(substr(geom, 5, 4)) "
                 "<> '%02X%02X%02X%02X'",
                 layers[i], (unsigned)(srs & 0xff), (unsigned)(srs >> 8 & 0xff),
                 (unsigned)(srs >> 16 & 0xff), (unsigned)(srs >> 24 & 0xff));
        if (sql_int(db, sql) != 0)
            fail_msg("layer %s: geometries whose header does not name srs_id %lld", layers[i],
                     (long long)srs);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\" WHERE geom IS NOT NULL", layers[i]);
        assert_true(sql_int(db, sql) > 0);
    }
    sqlite3_close(db);
    unlink(path);
}

typedef struct ring_seen {
    int n;
    uint32_t points[8];
    int hole[8];
    double first_x[8];
} ring_seen;

static int see_ring(void *user, const unsigned char *xy, uint32_t n, int hole)
{
    ring_seen *r = user;
    if (r->n == 8)
        return 0;
    double p[2];
    rr_gpkg_blob_xy(p, xy, 1);
    r->points[r->n] = n;
    r->hole[r->n] = hole;
    r->first_x[r->n++] = p[0];
    return 1;
}

/* A piece packed as a blob (rr_piece_pack) reads back as the same geometry, vertex for vertex
 * (rr_piece_shape), and its rings in order with their holes (rr_gpkg_blob_rings); a blob cut
 * short or of another kind is refused. */
static void test_piece_packed(void **state)
{
    fixture *fx = *state;
    GEOSContextHandle_t h = fx->ctx->geos;
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    const char *wkt = "MULTIPOLYGON(((0 0,10 0,10 10,0 10,0 0),(2 2,2 4,4 4,4 2,2 2)),"
                      "((20 0,30 0,30 5,20 0)))";
    GEOSGeometry *want = GEOSWKTReader_read_r(h, r, wkt);
    rr_piece p = {.geom = GEOSWKTReader_read_r(h, r, wkt)};
    GEOSWKTReader_destroy_r(h, r);
    p.shape = p.geom;
    assert_ok(fx->ctx, rr_piece_pack(fx->ctx, &p));
    assert_null(p.geom);
    assert_null(p.shape);
    assert_non_null(p.blob);
    /* header 40, MultiPolygon 9, polygons 9 + 9, rings 4 + 5 * 16, 4 + 5 * 16, 4 + 4 * 16 */
    assert_int_equal(p.blob_size, 40 + 9 + 9 + 9 + 84 + 84 + 68);
    GEOSGeometry *own = NULL;
    const GEOSGeometry *back = rr_piece_shape(fx->ctx, &p, &own, NULL);
    assert_non_null(back);
    assert_ptr_equal(back, own);
    assert_int_equal(GEOSEqualsExact_r(h, back, want, 0), 1);
    GEOSGeom_destroy_r(h, own);
    double env[4];
    rr_gpkg_blob_envelope(p.blob, env);
    assert_true(env[0] == 0 && env[1] == 30 && env[2] == 0 && env[3] == 10);
    ring_seen seen = {0};
    assert_int_equal(rr_gpkg_blob_rings(p.blob, p.blob_size, see_ring, &seen), 1);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.points[0], 5);
    assert_int_equal(seen.points[1], 5);
    assert_int_equal(seen.points[2], 4);
    assert_int_equal(seen.hole[0], 0);
    assert_int_equal(seen.hole[1], 1);
    assert_int_equal(seen.hole[2], 0);
    assert_true(seen.first_x[0] == 0 && seen.first_x[1] == 2 && seen.first_x[2] == 20);
    for (size_t cut = 0; cut < p.blob_size; cut += 7) {
        ring_seen any = {0};
        assert_int_equal(rr_gpkg_blob_rings(p.blob, cut, see_ring, &any), 0);
    }
    p.blob[0] = 'X';
    ring_seen none = {0};
    assert_int_equal(rr_gpkg_blob_rings(p.blob, p.blob_size, see_ring, &none), 0);
    rr_piece_clear(fx->ctx, &p);
    assert_null(p.blob);
    GEOSGeom_destroy_r(h, want);
}

/* Packed trees of 0 to 6000 random boxes (1, one full node, one more, 51^2 and one more: one,
 * two and three levels): sound by rtreecheck, every box stored as the nearest floats outside it,
 * searches through the tree finding what a look at every box finds, and the module inserting and
 * deleting in the tree afterwards as in one it grew. */
static void test_rtree_pack(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 51, 52, 2601, 2602, 6000};
    unsigned long long seed = 0x9e3779b97f4a7c15ULL;
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        size_t n = sizes[z];
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING rtree(id, minx, maxx, "
                                          "miny, maxy)", NULL, NULL, NULL), SQLITE_OK);
        rr_rtree_entry *e = malloc((n ? n : 1) * sizeof *e);
        assert_non_null(e);
        for (size_t k = 0; k < n; k++) {
            /* Swedish-grid-sized coordinates with fractions no float holds; every 7th box a
             * point, every 11th the same as the one before */
            double x = 2e5 + (test_rnd(&seed) % 700000) + (test_rnd(&seed) % 1000) / 997.0;
            double y = 6.1e6 + (test_rnd(&seed) % 1500000) + (test_rnd(&seed) % 1000) / 991.0;
            double w = k % 7 == 0 ? 0 : (test_rnd(&seed) % 20000) / 3.0;
            double h = k % 7 == 0 ? 0 : (test_rnd(&seed) % 20000) / 3.0;
            e[k] = (rr_rtree_entry){.fid = (int64_t)k + 1, .box = {x, x + w, y, y + h}};
            if (k % 11 == 10)
                memcpy(e[k].box, e[k - 1].box, sizeof e[k].box);
        }
        assert_int_equal(rr_rtree_pack(db, "t", e, n), SQLITE_OK);
        assert_rtree_sound(db);
        assert_int_equal(sql_int(db, "SELECT count(*) FROM t_rowid"), (sqlite3_int64)n);
        /* each box: the largest float at most its minimum, the smallest at least its maximum */
        sqlite3_stmt *q = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT minx, maxx, miny, maxy FROM t WHERE id "
                                                "= ?", -1, &q, NULL), SQLITE_OK);
        for (size_t k = 0; k < n; k++) {
            sqlite3_bind_int64(q, 1, e[k].fid);
            assert_int_equal(sqlite3_step(q), SQLITE_ROW);
            for (int c = 0; c < 4; c++) {
                double v = sqlite3_column_double(q, c), d = e[k].box[c];
                float f = (float)v;
                assert_true((double)f == v); /* a float */
                if (c % 2 == 0)
                    assert_true(v <= d && (double)nextafterf(f, INFINITY) > d);
                else
                    assert_true(v >= d && (double)nextafterf(f, -INFINITY) < d);
            }
            sqlite3_reset(q);
        }
        sqlite3_finalize(q);
        /* searches: the same ids through the tree as from every entry */
        unsigned char *via = malloc(n + 1), *all = malloc(n + 1);
        assert_non_null(via);
        assert_non_null(all);
        for (int r = 0; r < 40; r++) {
            double x = 2e5 + test_rnd(&seed) % 700000, y = 6.1e6 + test_rnd(&seed) % 1500000;
            double s = 10.0 * (test_rnd(&seed) % 20000);
            double rect[4] = {x, x + s, y, y + s};
            rtree_hits(db, 1, rect, via, n);
            rtree_hits(db, 0, rect, all, n);
            assert_memory_equal(via, all, n + 1);
        }
        /* the module goes on in the packed tree: inserts (with node splits) and deletes */
        for (int k = 0; k < 300; k++) {
            char sql[160];
            double x = 2e5 + test_rnd(&seed) % 700000, y = 6.1e6 + test_rnd(&seed) % 1500000;
            snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, %.1f, %.1f, %.1f, %.1f)",
                     100000 + k, x, x + 50, y, y + 50);
            assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        }
        assert_int_equal(sqlite3_exec(db, "DELETE FROM t WHERE id % 3 = 0", NULL, NULL, NULL),
                         SQLITE_OK);
        assert_rtree_sound(db);
        assert_int_equal(sql_int(db, "SELECT count(*) FROM t"),
                         (sqlite3_int64)(n - n / 3 + 200));
        free(via);
        free(all);
        free(e);
        sqlite3_close(db);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_review_gpkg_layers),
        cmocka_unit_test(test_review_gpkg_unwritable),
        cmocka_unit_test(test_review_html_content),
        cmocka_unit_test(test_review_html_early_same),
        cmocka_unit_test(test_review_html_escapes),
        cmocka_unit_test(test_review_html_shared_edge),
        cmocka_unit_test(test_review_html_island),
        cmocka_unit_test(test_review_html_unshared_vertices),
        cmocka_unit_test(test_rtree_pack),
        cmocka_unit_test(test_piece_packed),
        cmocka_unit_test(test_review_gpkg_srs_ids),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("review", tests, setup, teardown);
}
