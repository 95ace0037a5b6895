/* io_gdal.c: GDAL plumbing shared by the readers and writers: init, error capture, layers, WKB. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>

#include "io_gdal.h"

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

/* One OGR ring as a GEOS LinearRing, its x and y copied side by side through *buf (z and m are
 * left out). NULL when GEOS refuses it (*nomem 0: fewer than 4 points, not closed) or out of
 * memory (*nomem 1). */
static GEOSGeometry *ring_direct(rr_ctx *ctx, OGRGeometryH ring, double **buf, size_t *cap,
                                 int *nomem)
{
    int n = ring ? OGR_G_GetPointCount(ring) : 0;
    double *xy = rr_grow(*buf, cap, n > 0 ? (size_t)n : 1, 2 * sizeof *xy, 256);
    if (!xy) {
        *nomem = 1;
        return NULL;
    }
    *buf = xy;
    if (n > 0)
        OGR_G_GetPoints(ring, xy, 2 * sizeof *xy, xy + 1, 2 * sizeof *xy, NULL, 0);
    GEOSCoordSequence *cs =
        GEOSCoordSeq_copyFromBuffer_r(ctx->geos, xy, n > 0 ? (unsigned)n : 0, 0, 0);
    if (!cs) {
        *nomem = 1;
        return NULL;
    }
    return GEOSGeom_createLinearRing_r(ctx->geos, cs);
}

/* One OGR polygon as a GEOS polygon (see ring_direct). */
static GEOSGeometry *polygon_direct(rr_ctx *ctx, OGRGeometryH poly, double **buf, size_t *cap,
                                    int *nomem)
{
    int nrings = OGR_G_GetGeometryCount(poly);
    if (nrings <= 0)
        return GEOSGeom_createEmptyPolygon_r(ctx->geos);
    GEOSGeometry *shell = ring_direct(ctx, OGR_G_GetGeometryRef(poly, 0), buf, cap, nomem);
    GEOSGeometry **holes = nrings > 1 ? malloc((size_t)(nrings - 1) * sizeof *holes) : NULL;
    if (nrings > 1 && !holes) {
        *nomem = 1;
        if (shell)
            GEOSGeom_destroy_r(ctx->geos, shell);
        return NULL;
    }
    unsigned nh = 0;
    for (int ok = shell != NULL; ok && nh < (unsigned)nrings - 1; nh++)
        ok = (holes[nh] = ring_direct(ctx, OGR_G_GetGeometryRef(poly, (int)nh + 1), buf, cap,
                                      nomem)) != NULL;
    /* an empty shell with holes: GEOS refuses it, a geometry error with GEOS's message */
    GEOSGeometry *out = rr_polygon_of_rings(ctx, shell, holes, nh);
    free(holes);
    return out;
}

/* Polygons and multipolygons go to GEOS through their coordinate arrays, without WKB (writing
 * and reading WKB was a tenth of a national run): 1 done (*out set, or an error reported), 0
 * another type, for the WKB path. */
static int polygons_direct(rr_ctx *ctx, OGRGeometryH g, GEOSGeometry **out, rr_status *st)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t != wkbPolygon && t != wkbMultiPolygon)
        return 0;
    double *buf = NULL;
    size_t cap = 0;
    int nomem = 0;
    GEOSGeometry *res = NULL;
    if (t == wkbPolygon) {
        res = polygon_direct(ctx, g, &buf, &cap, &nomem);
    } else {
        int n = OGR_G_GetGeometryCount(g), k = 0;
        GEOSGeometry **parts = malloc((n > 0 ? (size_t)n : 1) * sizeof *parts);
        if (!parts)
            nomem = 1;
        for (; parts && k < n; k++) {
            OGRGeometryH part = OGR_G_GetGeometryRef(g, k);
            if (!part || wkbFlatten(OGR_G_GetGeometryType(part)) != wkbPolygon ||
                !(parts[k] = polygon_direct(ctx, part, &buf, &cap, &nomem)))
                break;
        }
        if (parts && k == n)
            res = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, parts,
                                              (unsigned)n);
        else if (parts)
            for (int i = 0; i < k; i++)
                GEOSGeom_destroy_r(ctx->geos, parts[i]);
        if (parts && k == n && !res)
            nomem = 1;
        free(parts);
    }
    free(buf);
    *out = res;
    *st = res         ? RR_OK
          : nomem     ? rr_error(ctx, RR_ERR_NOMEM, "out of memory converting a geometry")
                      : rr_error(ctx, RR_ERR_GEOMETRY, "GEOS cannot read the geometry: %s",
                                 rr_geos_msg(ctx));
    return 1;
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


/* Little-endian 2D WKB of polygons, written straight from the coordinate arrays (GEOS's WKB
 * writer streams every number on its own: 5 % of a national run went there). */
typedef struct wkb_buf {
    unsigned char *b;
    size_t n, cap;
    double *xy; /* one ring's coordinates, aligned (WKB puts doubles at odd offsets) */
    size_t xycap;
    int failed;
} wkb_buf;

static unsigned char *wkb_room(wkb_buf *w, size_t more)
{
    if (w->failed)
        return NULL;
    if (w->n + more > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + more)
            cap *= 2;
        unsigned char *bigger = realloc(w->b, cap);
        if (!bigger) {
            w->failed = 1;
            return NULL;
        }
        w->b = bigger;
        w->cap = cap;
    }
    unsigned char *at = w->b + w->n;
    w->n += more;
    return at;
}

static void wkb_u32(wkb_buf *w, uint32_t v)
{
    unsigned char *at = wkb_room(w, 4);
    for (int i = 0; at && i < 4; i++)
        at[i] = (unsigned char)(v >> (8 * i));
}

static void wkb_header(wkb_buf *w, uint32_t type)
{
    unsigned char *at = wkb_room(w, 1);
    if (at)
        *at = 1; /* little-endian (NDR) */
    wkb_u32(w, type);
}

/* 1 when written, 0 when g is not a plain polygon (the caller then asks GEOS). */
static int wkb_polygon(GEOSContextHandle_t h, const GEOSGeometry *g, wkb_buf *w)
{
    if (GEOSGeomTypeId_r(h, g) != GEOS_POLYGON || GEOSisEmpty_r(h, g) != 0 ||
        GEOSHasZ_r(h, g) != 0)
        return 0;
    int holes = GEOSGetNumInteriorRings_r(h, g);
    if (holes < 0)
        return 0;
    wkb_header(w, 3);
    wkb_u32(w, (uint32_t)holes + 1);
    for (int r = -1; r < holes && !w->failed; r++) {
        const GEOSGeometry *ring =
            r < 0 ? GEOSGetExteriorRing_r(h, g) : GEOSGetInteriorRingN_r(h, g, r);
        const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
        unsigned n = 0;
        if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
            return 0;
        if (2 * (size_t)n > w->xycap) {
            double *bigger = realloc(w->xy, 2 * (size_t)n * sizeof *bigger);
            if (!bigger) {
                w->failed = 1;
                break;
            }
            w->xy = bigger;
            w->xycap = 2 * (size_t)n;
        }
        if (n && !GEOSCoordSeq_copyToBuffer_r(h, cs, w->xy, 0, 0))
            return 0;
        wkb_u32(w, n);
        unsigned char *at = wkb_room(w, 16 * (size_t)n);
        if (at && n) /* the machine's doubles: little-endian, checked by the caller */
            memcpy(at, w->xy, 16 * (size_t)n);
    }
    return 1;
}

OGRGeometryH rr_geos_to_gdal(rr_ctx *ctx, const GEOSGeometry *g)
{
    GEOSContextHandle_t h = ctx->geos;
    int type = GEOSGeomTypeId_r(h, g);
    int ok = 0;
    wkb_buf w = {0};
    static const uint16_t probe = 1;
    if (*(const unsigned char *)&probe == 1) { /* little-endian machine */
        if (type == GEOS_POLYGON) {
            ok = wkb_polygon(h, g, &w);
        } else if (type == GEOS_MULTIPOLYGON && GEOSisEmpty_r(h, g) == 0) {
            int n = GEOSGetNumGeometries_r(h, g);
            wkb_header(&w, 6);
            wkb_u32(&w, (uint32_t)n);
            ok = n > 0;
            for (int i = 0; ok && i < n; i++)
                ok = wkb_polygon(h, GEOSGetGeometryN_r(h, g, i), &w);
        }
    }
    OGRGeometryH out = NULL;
    free(w.xy);
    if (ok && !w.failed) {
        if (OGR_G_CreateFromWkbEx(w.b, NULL, &out, w.n) != OGRERR_NONE)
            rr_error(ctx, RR_ERR_GEOMETRY, "GDAL cannot read WKB from GEOS");
        free(w.b);
        return out;
    }
    free(w.b);
    if (w.failed) {
        rr_error(ctx, RR_ERR_NOMEM, "out of memory writing WKB");
        return NULL;
    }
    GEOSWKBWriter *wr = GEOSWKBWriter_create_r(h);
    if (!wr) {
        rr_error(ctx, RR_ERR_NOMEM, "out of memory creating a WKB writer");
        return NULL;
    }
    size_t size = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(h, wr, g, &size);
    GEOSWKBWriter_destroy_r(h, wr);
    if (!wkb) {
        rr_error(ctx, RR_ERR_GEOMETRY, "GEOS cannot write WKB: %s", rr_geos_msg(ctx));
        return NULL;
    }
    if (OGR_G_CreateFromWkbEx(wkb, NULL, &out, size) != OGRERR_NONE)
        rr_error(ctx, RR_ERR_GEOMETRY, "GDAL cannot read WKB from GEOS");
    GEOSFree_r(h, wkb);
    return out;
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
