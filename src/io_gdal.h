/* io_gdal.h: GDAL helpers shared by the io_* and write_* modules (the only ones that see GDAL). */
#ifndef REGREV_IO_GDAL_H
#define REGREV_IO_GDAL_H

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "internal.h"
#include "valid.h"

/* Collects the last GDAL error while pushed (per thread, as CPLPushErrorHandlerEx is). */
typedef struct rr_gdal_err {
    char msg[1024];
    int count;
} rr_gdal_err;

void rr_gdal_init(void);
void rr_gdal_push(rr_gdal_err *err);
void rr_gdal_pop(void);
const char *rr_gdal_msg(const rr_gdal_err *err);

/* Open a vector dataset read-only into *out. On failure: RR_ERR_IO (missing, unreadable) or
 * RR_ERR_FORMAT (not geodata), with a message naming `path`. */
rr_status rr_gdal_open_vector(rr_ctx *ctx, const char *path, const char *const *open_options,
                              GDALDatasetH *out);
/* Pick a layer by name, or the first layer with polygon geometry when name is NULL.
 * want_points selects point layers instead. */
OGRLayerH rr_gdal_pick_layer(rr_ctx *ctx, GDALDatasetH ds, const char *path, const char *name,
                             int want_points);
/* OGR geometry → GEOS (polygons from their coordinate arrays, other types by ISO WKB), curves
 * linearised, Z/M dropped: *geom on success; RR_ERR_NOMEM or RR_ERR_GEOMETRY (message set) on
 * failure. */
rr_status rr_gdal_geometry(rr_ctx *ctx, OGRGeometryH g, GEOSGeometry **geom);
/* The quick way in for a Polygon or MultiPolygon: every coordinate snapped to a `precision` grid
 * (as rr_areaset_snap does) while copied to GEOS, and within ±limit, and the result valid
 * (rr_polygons_surely_valid_s with the caller's scratch vs, else GEOS's check; vs may be NULL):
 * *out is the GEOS geometry, snapped and valid (GEOS makes no second copy to snap it). *out NULL when
 * g is not such a geometry (another type, curves, empty parts, a coordinate beyond limit) or not
 * valid once snapped: the caller takes the general way (rr_gdal_geometry, then the checks and
 * repairs of rr_areaset_snap). RR_ERR_NOMEM (message set) when out of memory. */
/* With `packed` (not NULL), what is surely valid as read comes packed instead (rr_areaset_pack's
 * blob, its area as GEOS computes it, whether a Polygon) and *out stays NULL: no GEOS at all for
 * most areas. */
typedef struct rr_packed_geom {
    unsigned char *blob;
    size_t size;
    double area;
    int single;
} rr_packed_geom;
rr_status rr_gdal_polygons_snapped(rr_ctx *ctx, OGRGeometryH g, double precision, double limit,
                                   rr_valid_scratch *vs, GEOSGeometry **out,
                                   rr_packed_geom *packed);
/* The GEOS geometry of polygons of rings (polygon p: rings[first[p] .. first[p + 1]), its shell
 * first; none: an empty polygon): a MultiPolygon when `multi`, else a Polygon (npolys 1). NULL
 * when GEOS refuses a ring or polygon (its message is kept) or out of memory (*nomem 1). */
GEOSGeometry *rr_rings_geos(rr_ctx *ctx, const rr_ringv *rings, const size_t *first, size_t npolys,
                           int multi, int *nomem);
/* The GeoPackage blob of polygons of rings (polygon p: rings[first[p] .. first[p + 1]), its
 * shell first, each ring closed, none empty), byte for byte as rr_gpkg_blob writes them once in
 * GEOS (write_gpkg.c); NULL when out of memory. */
unsigned char *rr_gpkg_blob_of_rings(const rr_ringv *rings, const size_t *first, size_t npolys,
                                     size_t *size);
/* One feature's geometry as the area reader takes it (io_areas.c): polygonal, coordinates finite
 * and within a real extent, valid (repaired with a warning naming `where`). RR_OK with *out NULL:
 * nothing usable (empty, not a polygon, no area after repair; warned). *out is owned by the
 * caller (GEOSGeom_destroy_r). With a `precision` grid (> 0), a Polygon or MultiPolygon is
 * snapped to it here when it is valid so (*check RR_GEOM_SNAPPED), else left as read and not
 * checked for validity (RR_GEOM_UNCHECKED): rr_areaset_snap snaps, checks and repairs it. vs: the
 * reading thread's scratch for the validity check (NULL: GEOS checks). */
rr_status rr_area_geometry(rr_ctx *ctx, OGRGeometryH og, int geographic, double precision,
                           rr_valid_scratch *vs, const char *where, GEOSGeometry **out,
                           rr_geom_check *check, rr_packed_geom *packed);
/* The index of the first field named one of names (NULL-terminated, tried in order,
 * case-insensitive), or -1. */
int rr_gdal_field_named(OGRFeatureDefnH defn, const char *const *names);
/* An SRS from user text (EPSG:3006, WKT, PROJ string); NULL if it cannot be parsed. */
OGRSpatialReferenceH rr_gdal_srs_from_user(const char *text);
/* WKT2 of an SRS (caller frees with free()). */
char *rr_gdal_srs_wkt(OGRSpatialReferenceH srs);
char *rr_gdal_srs_name(OGRSpatialReferenceH srs);

#endif
