/* io_gdal.c: GDAL plumbing shared by the readers and writers: init, error capture, layers, WKB. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>

#include "io_gdal.h"
#include "valid.h"

static pthread_once_t gdal_once = PTHREAD_ONCE_INIT;

static void gdal_register(void)
{
    GDALAllRegister();
}

void rr_gdal_init(void)
{
    pthread_once(&gdal_once, gdal_register);
}

static void CPL_STDCALL gdal_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    rr_gdal_err *err = CPLGetErrorHandlerUserData();
    if (!err || cls < CE_Failure)
        return;
    snprintf(err->msg, sizeof err->msg, "%s", msg ? msg : "");
    err->count++;
}

void rr_gdal_push(rr_gdal_err *err)
{
    err->msg[0] = '\0';
    err->count = 0;
    CPLPushErrorHandlerEx(gdal_handler, err);
}

void rr_gdal_pop(void)
{
    CPLPopErrorHandler();
}

const char *rr_gdal_msg(const rr_gdal_err *err)
{
    return err->msg[0] ? err->msg : "GDAL gave no reason";
}

rr_status rr_gdal_open_vector(rr_ctx *ctx, const char *path, const char *const *open_options,
                              GDALDatasetH *out)
{
    rr_gdal_init();
    rr_gdal_err err;
    rr_gdal_push(&err);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
                                 NULL, open_options, NULL);
    rr_gdal_pop();
    if (ds) {
        *out = ds;
        return RR_OK;
    }
    struct stat st;
    int is_special = strncmp(path, "/vsi", 4) == 0 || strncmp(path, "PG:", 3) == 0;
    if (!is_special && stat(path, &st) != 0)
        return rr_error(ctx, RR_ERR_IO, "cannot open: no such file (%s)", path);
    if (!is_special && access(path, R_OK) != 0)
        return rr_error(ctx, RR_ERR_IO, "cannot open: permission denied (%s)", path);
    return rr_error(ctx, RR_ERR_FORMAT, "not a vector dataset GDAL can read: %s (%s)",
                    rr_gdal_msg(&err), path);
}

static int is_polygonal(OGRwkbGeometryType t)
{
    t = wkbFlatten(t);
    return t == wkbPolygon || t == wkbMultiPolygon || t == wkbCurvePolygon ||
           t == wkbMultiSurface || t == wkbUnknown || t == wkbGeometryCollection;
}

static int is_point(OGRwkbGeometryType t)
{
    t = wkbFlatten(t);
    return t == wkbPoint || t == wkbMultiPoint || t == wkbUnknown;
}

OGRLayerH rr_gdal_pick_layer(rr_ctx *ctx, GDALDatasetH ds, const char *path, const char *name,
                             int want_points)
{
    int n = GDALDatasetGetLayerCount(ds);
    if (name) {
        OGRLayerH lyr = GDALDatasetGetLayerByName(ds, name);
        if (lyr)
            return lyr;
        rr_buf names = {0};
        for (int i = 0; i < n; i++)
            rr_buf_addf(&names, "%s%s", i ? ", " : "", OGR_L_GetName(GDALDatasetGetLayer(ds, i)));
        rr_error(ctx, RR_ERR_FORMAT, "no layer named '%s'; the layers are: %s (%s)", name,
                 names.s ? names.s : "(none)", path);
        rr_buf_free(&names);
        return NULL;
    }
    if (n == 1)
        return GDALDatasetGetLayer(ds, 0);
    for (int i = 0; i < n; i++) {
        OGRLayerH lyr = GDALDatasetGetLayer(ds, i);
        OGRwkbGeometryType t = OGR_L_GetGeomType(lyr);
        if (t != wkbNone && (want_points ? is_point(t) : is_polygonal(t)))
            return lyr;
    }
    if (n == 0)
        rr_error(ctx, RR_ERR_FORMAT, "the dataset has no layers (%s)", path);
    else
        rr_error(ctx, RR_ERR_FORMAT, "no %s layer among %d layers; name one with --*-layer (%s)",
                 want_points ? "point" : "polygon", n, path);
    return NULL;
}

/* The rings of a polygonal OGR geometry in one array (x and y only; z and m are left out). */
typedef struct ring_arrays {
    double *xy;    /* x and y side by side */
    rr_ringv *ring;
    size_t *first; /* polygon p: rings first[p] .. first[p + 1] - 1, its shell first (none: an
                    * empty polygon) */
    size_t npolys;
} ring_arrays;

static void ring_arrays_free(ring_arrays *r)
{
    free(r->xy);
    free(r->ring);
    free(r->first);
}

/* 1 when the rings of g, a Polygon or MultiPolygon, are in r, every coordinate snapped to the
 * grid p when p > 0; 0 when g is another type; -1 out of memory. With `quick` (the quick way in,
 * rr_gdal_polygons_snapped) also 0 for what it leaves to the general way, which says what is
 * wrong: curves, an empty polygon, a ring not closed or of fewer than 4 points, a coordinate as
 * read not finite or beyond ±limit. Without it the rings are taken as they are, for GEOS to
 * judge. */
static int rings_read(OGRGeometryH g, double p, double limit, int quick, ring_arrays *r)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if ((t != wkbPolygon && t != wkbMultiPolygon) || OGR_G_HasCurveGeometry(g, 1))
        return 0;
    int multi = t == wkbMultiPolygon, np = multi ? OGR_G_GetGeometryCount(g) : 1;
    size_t nrings = 0, npoints = 0;
    for (int i = 0; i < np; i++) {
        OGRGeometryH poly = multi ? OGR_G_GetGeometryRef(g, i) : g;
        if (!poly || wkbFlatten(OGR_G_GetGeometryType(poly)) != wkbPolygon)
            return 0;
        int nr = OGR_G_GetGeometryCount(poly);
        if (nr <= 0 && quick)
            return 0;
        for (int k = 0; k < nr; k++) {
            int n = OGR_G_GetPointCount(OGR_G_GetGeometryRef(poly, k));
            npoints += n > 0 ? (size_t)n : 0;
        }
        nrings += nr > 0 ? (size_t)nr : 0;
    }
    if (np < 0 || (np == 0 && quick))
        return 0;
    r->npolys = (size_t)np;
    r->xy = malloc(2 * (npoints ? npoints : 1) * sizeof *r->xy);
    r->ring = malloc((nrings ? nrings : 1) * sizeof *r->ring);
    r->first = malloc(((size_t)np + 1) * sizeof *r->first);
    if (!r->xy || !r->ring || !r->first)
        return -1;
    size_t at = 0, ri = 0;
    for (int i = 0; i < np; i++) {
        OGRGeometryH poly = multi ? OGR_G_GetGeometryRef(g, i) : g;
        int nr = OGR_G_GetGeometryCount(poly);
        r->first[i] = ri;
        for (int k = 0; k < nr; k++) {
            OGRGeometryH ring = OGR_G_GetGeometryRef(poly, k);
            int n = OGR_G_GetPointCount(ring);
            double *xy = r->xy + 2 * at;
            if (n > 0)
                OGR_G_GetPoints(ring, xy, 2 * sizeof *xy, xy + 1, 2 * sizeof *xy, NULL, 0);
            size_t m = n > 0 ? (size_t)n : 0;
            if (quick && (m < 4 || xy[0] != xy[2 * m - 2] || xy[1] != xy[2 * m - 1]))
                return 0;
            for (size_t j = 0; p > 0 && j < 2 * m; j++) {
                /* beyond the extent as read (snapping could bring it back) */
                if (quick && !(fabs(xy[j]) <= limit))
                    return 0;
                xy[j] = rr_snap(xy[j], p); /* as rr_areaset_snap rounds */
            }
            r->ring[ri++] = (rr_ringv){xy, m};
            at += m;
        }
    }
    r->first[np] = ri;
    return 1;
}

GEOSGeometry *rr_rings_geos(rr_ctx *ctx, const rr_ringv *rings, const size_t *first, size_t npolys,
                           int multi, int *nomem)
{
    GEOSContextHandle_t h = ctx->geos;
    GEOSGeometry **polys = malloc((npolys ? npolys : 1) * sizeof *polys);
    size_t done = 0;
    *nomem = !polys;
    for (; polys && done < npolys; done++) {
        size_t a = first[done], b = first[done + 1];
        if (a == b) { /* an empty polygon */
            if (!(polys[done] = GEOSGeom_createEmptyPolygon_r(h)))
                break;
            continue;
        }
        GEOSGeometry *two[2] = {NULL, NULL}, **holes = b - a > 2 ? malloc((b - a - 1) *
                                                                      sizeof *holes) : two;
        unsigned nh = 0;
        GEOSGeometry *shell = NULL;
        int ok = holes != NULL;
        *nomem = !holes;
        for (size_t k = a; ok && k < b; k++) {
            GEOSCoordSequence *cs =
                GEOSCoordSeq_copyFromBuffer_r(h, rings[k].xy, (unsigned)rings[k].n, 0, 0);
            GEOSGeometry *ring = cs ? GEOSGeom_createLinearRing_r(h, cs) : NULL;
            *nomem = !cs;
            ok = ring != NULL;
            if (ring && k == a)
                shell = ring;
            else if (ring)
                holes[nh++] = ring;
        }
        if (ok) {
            /* an empty shell with holes: GEOS refuses it, a geometry error with its message */
            polys[done] = rr_polygon_of_rings(ctx, shell, holes, nh);
        } else { /* what was made */
            if (shell)
                GEOSGeom_destroy_r(h, shell);
            for (unsigned k = 0; k < nh; k++)
                GEOSGeom_destroy_r(h, holes[k]);
        }
        if (holes != two)
            free(holes);
        if (!ok || !polys[done])
            break;
    }
    GEOSGeometry *out = NULL;
    if (polys && done == npolys) {
        out = multi ? GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys,
                                                  (unsigned)npolys)
                    : polys[0];
        *nomem = !out;
    } else if (polys) {
        rr_geoms_destroy(polys, done);
    }
    free(polys);
    return out;
}

/* Polygons and multipolygons go to GEOS through their coordinate arrays, without WKB (writing
 * and reading WKB was a tenth of a national run): 1 done (*out set, or an error reported), 0
 * another type, for the WKB path. */
static int polygons_direct(rr_ctx *ctx, OGRGeometryH g, GEOSGeometry **out, rr_status *st)
{
    ring_arrays r = {0};
    int got = rings_read(g, 0, 0, 0, &r), nomem = got < 0;
    GEOSGeometry *res = NULL;
    if (got > 0)
        res = rr_rings_geos(ctx, r.ring, r.first, r.npolys,
                            wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPolygon, &nomem);
    ring_arrays_free(&r);
    if (got == 0)
        return 0;
    *out = res;
    *st = res         ? RR_OK
          : nomem     ? rr_error(ctx, RR_ERR_NOMEM, "out of memory converting a geometry")
                      : rr_error(ctx, RR_ERR_GEOMETRY, "GEOS cannot read the geometry: %s",
                                 rr_geos_msg(ctx));
    return 1;
}

/* A ring's signed area, as GEOS 3.11's Area::ofRingSigned computes it (the shoelace sum about
 * the first point's x, in the same order of operations): so that an area packed as read has, to
 * the last bit, the area GEOS gives the same polygon. */
static double ring_area_signed(const rr_ringv *ring)
{
    size_t n = ring->n;
    const double *xy = ring->xy;
    if (n < 3)
        return 0.0;
    double x0 = xy[0], p1x, p1y = xy[1], p2x = xy[2] - x0, p2y = xy[3], sum = 0.0;
    for (size_t i = 1; i < n - 1; i++) {
        double p0y = p1y;
        p1x = p2x;
        p1y = p2y;
        p2x = xy[2 * (i + 1)] - x0;
        p2y = xy[2 * (i + 1) + 1];
        sum += p1x * (p0y - p2y);
    }
    return sum / 2.0;
}

/* The area of polygons of rings, as GEOSArea_r of the same (Multi)Polygon: each polygon its
 * shell less its holes, the polygons added in order. */
static double rings_area(const ring_arrays *r)
{
    double area = 0.0;
    for (size_t p = 0; p < r->npolys; p++) {
        double a = 0.0;
        for (size_t k = r->first[p]; k < r->first[p + 1]; k++)
            a = k == r->first[p] ? a + fabs(ring_area_signed(&r->ring[k]))
                                 : a - fabs(ring_area_signed(&r->ring[k]));
        area += a;
    }
    return area;
}

rr_status rr_gdal_polygons_snapped(rr_ctx *ctx, OGRGeometryH g, double precision, double limit,
                                   rr_valid_scratch *vs, GEOSGeometry **out,
                                   rr_packed_geom *packed)
{
    *out = NULL;
    ring_arrays r = {0};
    int got = precision > 0 ? rings_read(g, precision, limit, 1, &r) : 0, nomem = 0;
    /* certainly valid in plain C, most often (several times faster than GEOS's check) */
    int sure = got > 0 && vs ? rr_polygons_surely_valid_s(vs, r.ring, r.first, r.npolys) : 0;
    if (sure < 0)
        got = -1;
    if (got > 0 && sure && packed) { /* packed as it is, without GEOS */
        *packed = (rr_packed_geom){NULL, 0, rings_area(&r),
                                   wkbFlatten(OGR_G_GetGeometryType(g)) != wkbMultiPolygon};
        if (!(packed->blob = rr_gpkg_blob_of_rings(r.ring, r.first, r.npolys, &packed->size)))
            got = -1;
        ring_arrays_free(&r);
        return got < 0 ? rr_error(ctx, RR_ERR_NOMEM, "out of memory converting a geometry")
                       : RR_OK;
    }
    if (got > 0 && !(*out = rr_rings_geos(ctx, r.ring, r.first, r.npolys,
                                       wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPolygon,
                                       &nomem)))
        got = nomem ? -1 : 0; /* refused by GEOS: the general way says why */
    if (got > 0 && !sure && GEOSisValid_r(ctx->geos, *out) != 1) {
        GEOSGeom_destroy_r(ctx->geos, *out); /* the general way repairs it, and says so */
        *out = NULL;
    }
    ring_arrays_free(&r);
    return got < 0 ? rr_error(ctx, RR_ERR_NOMEM, "out of memory converting a geometry") : RR_OK;
}

rr_status rr_gdal_geometry(rr_ctx *ctx, OGRGeometryH g, GEOSGeometry **geom)
{
    OGRGeometryH lin = NULL;
    rr_status st = RR_OK;
    GEOSGeometry *out = NULL;
    unsigned char *wkb = NULL;
    if (OGR_G_HasCurveGeometry(g, 1)) {
        lin = OGR_G_GetLinearGeometry(g, 0, NULL);
        if (!lin)
            return rr_error(ctx, RR_ERR_GEOMETRY, "cannot linearise curve geometry");
        g = lin;
    }
    if (polygons_direct(ctx, g, &out, &st))
        goto out;
    if (OGR_G_Is3D(g) || OGR_G_IsMeasured(g)) {
        if (!lin) {
            lin = OGR_G_Clone(g);
            g = lin;
        }
        OGR_G_Set3D(g, 0);
        OGR_G_SetMeasured(g, 0);
    }
    size_t size = (size_t)OGR_G_WkbSizeEx(g);
    if (!(wkb = malloc(size ? size : 1))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory converting a geometry of %zu bytes",
                      size);
        goto out;
    }
    if (OGR_G_ExportToIsoWkb(g, wkbNDR, wkb) != OGRERR_NONE) {
        st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot export geometry to WKB");
        goto out;
    }
    GEOSWKBReader *rd = GEOSWKBReader_create_r(ctx->geos);
    if (rd) {
        out = GEOSWKBReader_read_r(ctx->geos, rd, wkb, size);
        GEOSWKBReader_destroy_r(ctx->geos, rd);
    }
    if (!out)
        st = rr_error(ctx, RR_ERR_GEOMETRY, "GEOS cannot read the geometry: %s",
                      rr_geos_msg(ctx));
out:
    free(wkb);
    if (lin)
        OGR_G_DestroyGeometry(lin);
    if (st == RR_OK)
        *geom = out;
    return st;
}


int rr_gdal_field_named(OGRFeatureDefnH defn, const char *const *names)
{
    int n = OGR_FD_GetFieldCount(defn);
    for (const char *const *c = names; *c; c++)
        for (int i = 0; i < n; i++)
            if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), *c) == 0)
                return i;
    return -1;
}

OGRSpatialReferenceH rr_gdal_srs_from_user(const char *text)
{
    rr_gdal_init();
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    rr_gdal_err err;
    rr_gdal_push(&err);
    OGRErr e = OSRSetFromUserInput(srs, text);
    rr_gdal_pop();
    if (e != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        return NULL;
    }
    return srs;
}

char *rr_gdal_srs_wkt(OGRSpatialReferenceH srs)
{
    char *wkt = NULL;
    const char *opts[] = {"FORMAT=WKT2_2018", NULL};
    if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE) {
        CPLFree(wkt);
        return NULL;
    }
    char *out = rr_strdup(wkt);
    CPLFree(wkt);
    return out;
}

char *rr_gdal_srs_name(OGRSpatialReferenceH srs)
{
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    if (auth && code)
        return rr_sprintf("%s:%s", auth, code);
    const char *name = OSRGetName(srs);
    return rr_strdup(name ? name : "unnamed CRS");
}
