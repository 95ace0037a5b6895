/* fuzz_wkb.c: a feature's geometry as the area reader takes it: WKB bytes -> OGR geometry ->
 * rr_area_geometry (WKB to GEOS, coordinate check, validity, make-valid, polygonal part) -> back
 * to OGR as the GeoPackage writer does. */
#include <cpl_error.h>

#include "fuzz.h"
#include "io_gdal.h"

int rr_fuzz_wkb(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
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
    for (int geographic = 0; geographic < 2; geographic++) {
        GEOSGeometry *g = NULL;
        int deferred = 0;
        if (rr_area_geometry(ctx, og, geographic, "fuzz", 0, &g, &deferred) != RR_OK || !g)
            continue;
        double area = 0;
        GEOSArea_r(ctx->geos, g, &area);
        OGRGeometryH back = rr_geos_to_gdal(ctx, g);
        if (back)
            OGR_G_DestroyGeometry(back);
        GEOSGeom_destroy_r(ctx->geos, g);
    }
    OGR_G_DestroyGeometry(og);
    return 0;
}
