/* fuzz_wkb.c: a feature's geometry as the area reader takes it: WKB bytes -> OGR geometry ->
 * rr_area_geometry (WKB to GEOS, coordinate check, validity, make-valid, polygonal part; or,
 * with a snapping grid, the fast way in, whose "certainly valid" GEOS must confirm) -> the
 * GeoPackage writer's blob -> its WKB read back by OGR. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_error.h>

#include "fuzz.h"
#include "io_gdal.h"

int rr_fuzz_wkb(const uint8_t *data, size_t size)
{
    static int ready;
    static rr_valid_scratch *vs; /* one for the whole run, as a reader keeps one per file */
    if (!ready) {
        vs = rr_valid_scratch_new();
        rr_gdal_init();
        CPLSetErrorHandler(CPLQuietErrorHandler);
        ready = 1;
    }
    rr_ctx *ctx = rr_fuzz_ctx();
    OGRGeometryH og = NULL;
    if (OGR_G_CreateFromWkbEx(data, NULL, &og, size) != OGRERR_NONE) {
        if (og)
            OGR_G_DestroyGeometry(og);
        return 0;
    }
    for (int run = 0; run < 4; run++) {
        int geographic = run & 1;
        double precision = run < 2 ? 0 : geographic ? 1e-9 : 1e-4;
        GEOSGeometry *g = NULL;
        rr_geom_check check = RR_GEOM_CHECKED;
        if (rr_area_geometry(ctx, og, geographic, precision, vs, "fuzz", &g, &check, NULL) !=
                RR_OK ||
            !g)
            continue;
        if (check == RR_GEOM_SNAPPED && GEOSisValid_r(ctx->geos, g) != 1)
            abort(); /* the fast way in called it valid */
        if (check == RR_GEOM_SNAPPED) {
            /* packed as read instead: the blob GEOS's geometry makes, its area to the bit */
            GEOSGeometry *none = NULL;
            rr_geom_check again = RR_GEOM_CHECKED;
            rr_packed_geom packed = {NULL, 0, 0, 0};
            size_t want_size = 0;
            rr_status wst = RR_OK;
            unsigned char *want = rr_gpkg_blob(ctx, g, 0, &want_size, &wst);
            double want_area = 0;
            GEOSArea_r(ctx->geos, g, &want_area);
            if (rr_area_geometry(ctx, og, geographic, precision, vs, "fuzz", &none, &again,
                                 &packed) != RR_OK)
                abort();
            if (none) { /* valid by GEOS's check, not the plain C one: not packed as read */
                GEOSGeom_destroy_r(ctx->geos, none);
                free(want);
                goto packed_done;
            }
            if (!packed.blob || again != RR_GEOM_SNAPPED || !want ||
                packed.size != want_size || memcmp(packed.blob, want, want_size) != 0 ||
                memcmp(&packed.area, &want_area, sizeof want_area) != 0 ||
                packed.single != (GEOSGeomTypeId_r(ctx->geos, g) == GEOS_POLYGON))
                abort();
            free(want);
            free(packed.blob);
        }
    packed_done:
        if (check == RR_GEOM_UNCHECKED) { /* the reader snaps and checks it later */
            GEOSGeom_destroy_r(ctx->geos, g);
            continue;
        }
        double area = 0;
        GEOSArea_r(ctx->geos, g, &area);
        size_t n = 0;
        rr_status st;
        unsigned char *blob = rr_gpkg_blob(ctx, g, 3006, &n, &st);
        OGRGeometryH back = NULL;
        if (blob && n > 40 && OGR_G_CreateFromWkbEx(blob + 40, NULL, &back, n - 40) == OGRERR_NONE) {
            /* the blob holds the same polygons: the same area */
            double again = OGR_G_Area(back);
            if (fabs(again - area) > 1e-9 * fabs(area) + 1e-9)
                abort();
            OGR_G_DestroyGeometry(back);
        }
        free(blob);
        GEOSGeom_destroy_r(ctx->geos, g);
    }
    OGR_G_DestroyGeometry(og);
    return 0;
}
