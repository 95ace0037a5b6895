/* areaset.c: one version of a partition in memory: sorting, gathering codes, accessors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

rr_areaset *rr_areaset_alloc(void)
{
    return calloc(1, sizeof(rr_areaset));
}

/* Geometry is destroyed with the context-free handle: GEOS geometries do not depend on the
 * handle that made them, and a set may outlive its context in user code. */
/* Free what an area holds (code, municipality, geometry; h: any GEOS handle) and zero it. */
static void area_clear(GEOSContextHandle_t h, rr_area *a)
{
    free(a->code);
    free(a->kommun);
    if (a->geom)
        GEOSGeom_destroy_r(h, a->geom);
    free(a->blob);
    memset(a, 0, sizeof *a);
}

void rr_areaset_free(rr_areaset *set)
{
    if (!set)
        return;
    GEOSContextHandle_t h = GEOS_init_r();
    for (size_t i = 0; i < set->n; i++)
        area_clear(h, &set->areas[i]);
    GEOS_finish_r(h);
    free(set->areas);
    free(set->path);
    free(set->layer);
    free(set->code_field);
    free(set->crs);
    free(set->crs_name);
    free(set);
}

size_t rr_areaset_count(const rr_areaset *set) { return set->n; }
const char *rr_areaset_code(const rr_areaset *set, size_t i) { return set->areas[i].code; }
double rr_areaset_area(const rr_areaset *set, size_t i) { return set->areas[i].area; }
const char *rr_areaset_code_field(const rr_areaset *set) { return set->code_field; }

static int cmp_area_code(const void *a, const void *b)
{
    const rr_area *x = a, *y = b;
    return strcmp(x->code, y->code);
}

size_t rr_areaset_find(const rr_areaset *set, const char *code)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(set->areas[mid].code, code);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return RR_NONE;
}

/* Union the geometries of areas[from..to) into areas[from]. */
static rr_status gather(rr_ctx *ctx, rr_areaset *set, size_t from, size_t to, const char *source)
{
    size_t n = to - from;
    GEOSGeometry **parts = malloc(n * sizeof *parts);
    if (!parts)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory gathering code %s (%s)",
                        set->areas[from].code, source);
    for (size_t i = 0; i < n; i++) {
        rr_area *a = &set->areas[from + i];
        GEOSGeometry *own = NULL;
        rr_status st = RR_OK;
        if (!a->geom && !rr_area_shape(ctx, a, &own, &st)) { /* packed as read */
            rr_geoms_destroy(parts, i);
            free(parts);
            return rr_error_prefix(ctx, st, "gathering code %s (%s)", a->code, source);
        }
        parts[i] = a->geom ? a->geom : own;
        a->geom = NULL;
        free(a->blob);
        a->blob = NULL;
        a->blob_size = 0;
    }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(ctx->geos, GEOS_GEOMETRYCOLLECTION, parts,
                                                     (unsigned)n);
    free(parts);
    GEOSGeometry *u = coll ? GEOSUnaryUnion_r(ctx->geos, coll) : NULL;
    if (coll)
        GEOSGeom_destroy_r(ctx->geos, coll);
    if (!u)
        return rr_error(ctx, RR_ERR_GEOMETRY, "cannot gather the %zu features of code %s: %s (%s)",
                        n, set->areas[from].code, rr_geos_msg(ctx), source);
    set->areas[from].geom = u;
    set->areas[from].features = n;
    for (size_t i = from + 1; i < to; i++) {
        free(set->areas[i].code);
        free(set->areas[i].kommun);
        memset(&set->areas[i], 0, sizeof set->areas[i]);
    }
    return RR_OK;
}

rr_status rr_areaset_finish(rr_ctx *ctx, rr_areaset *set, const char *source, int dissolving)
{
    qsort(set->areas, set->n, sizeof *set->areas, cmp_area_code);
    size_t w = 0;
    for (size_t i = 0; i < set->n;) {
        size_t j = i + 1;
        while (j < set->n && strcmp(set->areas[j].code, set->areas[i].code) == 0)
            j++;
        if (j - i > 1) {
            if (!dissolving)
                rr_warn(ctx, "%s: code %s appears in %zu features; gathered into one area", source,
                        set->areas[i].code, j - i);
            /* On failure the set stays freeable: moved and gathered slots are zeroed. */
            rr_status st = gather(ctx, set, i, j, source);
            if (st != RR_OK)
                return st;
        }
        if (w != i) {
            set->areas[w] = set->areas[i];
            memset(&set->areas[i], 0, sizeof set->areas[i]);
        }
        rr_area *a = &set->areas[w];
        /* the area of a single feature is known once snapped (snap_one) or packed as read */
        if ((j - i > 1 || !(a->area > 0)) && a->geom &&
            GEOSArea_r(ctx->geos, a->geom, &a->area) != 1)
            return rr_error(ctx, RR_ERR_GEOMETRY, "cannot compute the area of code %s (%s)",
                            a->code, source);
        w++;
        i = j;
    }
    set->n = w;
    return RR_OK;
}

rr_status rr_areaset_from_wkt(rr_ctx *ctx, size_t n, const char *const *codes,
                              const char *const *wkts, const char *crs, rr_areaset **out)
{
    rr_status st = RR_OK;
    rr_areaset *set = rr_areaset_alloc();
    GEOSWKTReader *rd = GEOSWKTReader_create_r(ctx->geos);
    if (!set || !rd || !(set->areas = calloc(n ? n : 1, sizeof *set->areas)) ||
        !(set->path = rr_strdup("(wkt)")) || !(set->layer = rr_strdup("wkt")) ||
        !(set->code_field = rr_strdup("code")) ||
        !(set->crs_name = rr_strdup(crs ? crs : "none"))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (crs && !(set->crs = rr_strdup(crs))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *g = GEOSWKTReader_read_r(ctx->geos, rd, wkts[i]);
        if (!g) {
            st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot read WKT of code %s: %s", codes[i],
                          rr_geos_msg(ctx));
            goto out;
        }
        rr_area *a = &set->areas[set->n++];
        a->geom = g;
        a->features = 1;
        a->code = rr_strdup(codes[i]);
        a->kommun = a->code ? rr_strndup(a->code, strlen(a->code) >= 4 ? 4 : strlen(a->code))
                            : NULL;
        if (!a->code || !a->kommun) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
            goto out;
        }
        rr_code_normalise(a->code);
    }
    set->feature_count = n;
    if ((st = rr_areaset_finish(ctx, set, "(wkt)", 0)) != RR_OK ||
        (st = rr_areaset_pack(ctx, set)) != RR_OK)
        goto out;
    *out = set;
    set = NULL;
out:
    if (rd)
        GEOSWKTReader_destroy_r(ctx->geos, rd);
    rr_areaset_free(set);
    return st;
}

/* Keep only the polygonal part of a geometry (make-valid may return a collection). */
static GEOSGeometry *polygonal_part(rr_ctx *ctx, GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(ctx->geos, g);
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON)
        return g;
    int n = GEOSGetNumGeometries_r(ctx->geos, g);
    GEOSGeometry **parts = calloc((size_t)(n > 0 ? n : 1), sizeof *parts);
    unsigned np = 0;
    for (int i = 0; parts && i < n; i++) {
        const GEOSGeometry *sub = GEOSGetGeometryN_r(ctx->geos, g, i);
        int st = GEOSGeomTypeId_r(ctx->geos, sub);
        if (st == GEOS_POLYGON || st == GEOS_MULTIPOLYGON)
            parts[np++] = GEOSGeom_clone_r(ctx->geos, sub);
    }
    GEOSGeometry *out = parts ? GEOSGeom_createCollection_r(ctx->geos, GEOS_GEOMETRYCOLLECTION,
                                                           parts, np) : NULL;
    free(parts);
    GEOSGeom_destroy_r(ctx->geos, g);
    if (!out)
        return NULL;
    GEOSGeometry *u = GEOSUnaryUnion_r(ctx->geos, out);
    GEOSGeom_destroy_r(ctx->geos, out);
    return u;
}

GEOSGeometry *rr_geometry_repair(rr_ctx *ctx, GEOSGeometry *g, const char *where)
{
    char valid = GEOSisValid_r(ctx->geos, g);
    if (valid == 1) {
        GEOSGeometry *poly = polygonal_part(ctx, g);
        if (!poly)
            rr_error(ctx, RR_ERR_GEOMETRY, "%s: cannot take the polygonal part: %s", where,
                     rr_geos_msg(ctx));
        return poly;
    }
    if (valid == 2) {
        rr_error(ctx, RR_ERR_GEOMETRY, "%s: validity check failed: %s", where, rr_geos_msg(ctx));
        GEOSGeom_destroy_r(ctx->geos, g);
        return NULL;
    }
    char *reason = GEOSisValidReason_r(ctx->geos, g);
    GEOSMakeValidParams *p = GEOSMakeValidParams_create_r(ctx->geos);
    GEOSMakeValidParams_setMethod_r(ctx->geos, p, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(ctx->geos, p, 0);
    GEOSGeometry *fixed = GEOSMakeValidWithParams_r(ctx->geos, g, p);
    GEOSMakeValidParams_destroy_r(ctx->geos, p);
    double before = 0, after = 0;
    GEOSArea_r(ctx->geos, g, &before);
    GEOSGeom_destroy_r(ctx->geos, g);
    if (fixed)
        fixed = polygonal_part(ctx, fixed);
    if (!fixed) {
        rr_error(ctx, RR_ERR_GEOMETRY, "%s: invalid polygon (%s) that cannot be repaired: %s",
                 where, reason ? reason : "?", rr_geos_msg(ctx));
        GEOSFree_r(ctx->geos, reason);
        return NULL;
    }
    GEOSArea_r(ctx->geos, fixed, &after);
    rr_warn(ctx, "%s: invalid polygon (%s), repaired (area %.1f m² as read, %.1f m² repaired)",
            where, reason ? reason : "?", before, after);
    GEOSFree_r(ctx->geos, reason);
    return fixed;
}

rr_status rr_feature_repair(rr_ctx *ctx, GEOSGeometry *g, const char *where, GEOSGeometry **out)
{
    GEOSGeometry *fixed = rr_geometry_repair(ctx, g, where);
    if (!fixed)
        return RR_ERR_GEOMETRY;
    if (GEOSisEmpty_r(ctx->geos, fixed) == 1) {
        rr_warn(ctx, "%s: geometry has no area after repair; feature skipped", where);
        GEOSGeom_destroy_r(ctx->geos, fixed);
        fixed = NULL;
    }
    *out = fixed;
    return RR_OK;
}


static int snap_xy(double *x, double *y, void *user)
{
    double p = *(const double *)user;
    *x = rr_snap(*x, p);
    *y = rr_snap(*y, p);
    return 1;
}

/* Snap one area and check it (see rr_areaset_snap); *skip when it had to be dropped (cleared).
 * On failure the area still owns what it holds. */
static rr_status snap_one(rr_ctx *ctx, const rr_areaset *set, rr_area *a, double precision,
                          int *skip)
{
    *skip = 0;
    if (a->check == RR_GEOM_SNAPPED) { /* snapped and checked as read */
        if (a->geom) /* else packed as read, with its area */
            GEOSArea_r(ctx->geos, a->geom, &a->area);
        return RR_OK;
    }
    char where[512]; /* as the reader names a feature */
    snprintf(where, sizeof where, "%s, layer %s, feature %lld, code %s", set->path,
             set->layer ? set->layer : "?", a->fid, a->code);
    GEOSGeometry *g = GEOSGeom_transformXY_r(ctx->geos, a->geom, snap_xy, &precision);
    if (!g)
        return rr_error(ctx, RR_ERR_GEOMETRY, "%s: cannot snap to a %g grid: %s", where,
                        precision, rr_geos_msg(ctx));
    char valid = GEOSisValid_r(ctx->geos, g);
    if (valid != 1 && a->check == RR_GEOM_UNCHECKED && GEOSisValid_r(ctx->geos, a->geom) != 1) {
        /* invalid as read, not only once snapped: repaired as the reader does, then snapped */
        GEOSGeom_destroy_r(ctx->geos, g);
        GEOSGeometry *as_read = a->geom;
        a->geom = NULL; /* taken by the repair */
        rr_status st = rr_feature_repair(ctx, as_read, where, &a->geom);
        if (st != RR_OK)
            return st;
        if (!a->geom) { /* nothing left: warned */
            area_clear(ctx->geos, a);
            *skip = 1;
            return RR_OK;
        }
        if (!(g = GEOSGeom_transformXY_r(ctx->geos, a->geom, snap_xy, &precision)))
            return rr_error(ctx, RR_ERR_GEOMETRY, "%s: cannot snap to a %g grid: %s", where,
                            precision, rr_geos_msg(ctx));
        valid = GEOSisValid_r(ctx->geos, g);
    }
    a->check = RR_GEOM_CHECKED;
    if (valid != 1) {
        GEOSGeometry *fixed = GEOSMakeValid_r(ctx->geos, g);
        GEOSGeom_destroy_r(ctx->geos, g);
        if (!fixed)
            return rr_error(ctx, RR_ERR_GEOMETRY, "%s: invalid on a %g grid and cannot be "
                            "repaired: %s", where, precision, rr_geos_msg(ctx));
        rr_warn(ctx, "%s: invalid once snapped to a %g grid (vertices closer than that); "
                "repaired", where, precision);
        g = rr_polygons_only(ctx, fixed); /* make-valid may add lines and points */
        if (!g)
            return rr_error(ctx, RR_ERR_GEOMETRY, "%s: no area left on a %g grid", where,
                            precision);
    }
    GEOSGeom_destroy_r(ctx->geos, a->geom);
    a->geom = g;
    GEOSArea_r(ctx->geos, g, &a->area);
    return RR_OK;
}

rr_status rr_areaset_snap(rr_ctx *ctx, rr_areaset *set, double precision)
{
    if (!(precision > 0))
        return RR_OK;
    size_t kept = 0;
    rr_status st = RR_OK;
    for (size_t i = 0; i < set->n; i++) {
        int skip = 0;
        if (st == RR_OK)
            st = snap_one(ctx, set, &set->areas[i], precision, &skip);
        if (!skip) /* after a failure the rest are kept as they are, for the caller to free */
            set->areas[kept++] = set->areas[i];
    }
    set->n = kept;
    if (st == RR_OK)
        set->precision = precision;
    return st;
}

/* ---- packed geometry ------------------------------------------------------------------------
 * Once a set is made, its areas' geometry is held as GeoPackage blobs (rr_gpkg_blob): 16 bytes
 * a vertex against GEOS 3.11's 24 and its objects, read in plain C by the overlay's comparison,
 * the display and the writers, and made in GEOS again only where an overlay needs the whole
 * area (6 x 6 bench pair: 8.4 million vertices, ~90 MB less for the rest of the run). */

rr_status rr_areaset_pack(rr_ctx *ctx, rr_areaset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        rr_area *a = &set->areas[i];
        if (!a->geom)
            continue;
        rr_status st = RR_OK;
        size_t size = 0;
        unsigned char *blob = rr_gpkg_blob(ctx, a->geom, 0, &size, &st);
        if (st != RR_OK)
            return rr_error_prefix(ctx, st, "packing the geometry of %s (%s)", a->code, set->path);
        a->single = GEOSGeomTypeId_r(ctx->geos, a->geom) == GEOS_POLYGON;
        GEOSGeom_destroy_r(ctx->geos, a->geom);
        a->geom = NULL;
        a->blob = blob; /* NULL: no polygon (an empty area) */
        a->blob_size = size;
    }
    return RR_OK;
}

rr_status rr_areaset_unpack(rr_ctx *ctx, rr_areaset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        rr_area *a = &set->areas[i];
        GEOSGeometry *own = NULL;
        if (a->geom)
            continue;
        rr_status st = RR_OK;
        if (!rr_area_shape(ctx, a, &own, &st)) /* the message names the area */
            return rr_error_prefix(ctx, st, "%s", set->path);
        a->geom = own;
        free(a->blob);
        a->blob = NULL;
        a->blob_size = 0;
    }
    return RR_OK;
}

const GEOSGeometry *rr_area_shape(rr_ctx *ctx, const rr_area *a, GEOSGeometry **own,
                                  rr_status *st)
{
    rr_status why = RR_OK;
    *own = NULL;
    if (a->geom)
        return a->geom;
    if (!a->blob) { /* no polygon */
        if (!(*own = GEOSGeom_createEmptyCollection_r(ctx->geos, GEOS_MULTIPOLYGON)))
            why = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
    } else if (!(*own = rr_gpkg_blob_geometry(ctx, a->blob, a->blob_size, a->single, &why))) {
        rr_error_prefix(ctx, why, "making the geometry of area %s again", a->code);
    }
    if (st)
        *st = why;
    return *own;
}

int rr_area_extent(rr_ctx *ctx, const rr_area *a, double ext[4])
{
    if (a->geom)
        return GEOSisEmpty_r(ctx->geos, a->geom) == 0 &&
               GEOSGeom_getExtent_r(ctx->geos, a->geom, &ext[0], &ext[1], &ext[2], &ext[3]);
    if (!a->blob)
        return 0;
    double e[4]; /* min x, max x, min y, max y */
    rr_gpkg_blob_envelope(a->blob, e);
    ext[0] = e[0], ext[1] = e[2], ext[2] = e[1], ext[3] = e[3];
    return 1;
}

int rr_area_rings(rr_ctx *ctx, const rr_area *a, rr_xy_ring_fn fn, void *user)
{
    if (!a->geom)
        return a->blob ? rr_gpkg_blob_rings_xy(a->blob, a->blob_size, fn, user) : 1;
    /* not packed (a set left unpacked by a failure): through a blob of its own */
    rr_status st = RR_OK;
    size_t size = 0;
    unsigned char *blob = rr_gpkg_blob(ctx, a->geom, 0, &size, &st);
    int done = st == RR_ERR_NOMEM ? -1
               : st != RR_OK     ? 0
               : blob            ? rr_gpkg_blob_rings_xy(blob, size, fn, user)
                                 : 1;
    free(blob);
    return done;
}
