/* gpkg_blob.h: GeoPackage geometry blobs, built and read (gpkg_blob.c). The functions the rest
 * of the library calls are declared in internal.h (rr_gpkg_blob, rr_gpkg_blob_rings, ...) and
 * io_gdal.h (rr_gpkg_blob_of_rings); this header is for the GeoPackage writer, which builds one
 * feature's blob after another in one buffer. */
#ifndef REGREV_GPKG_BLOB_H
#define REGREV_GPKG_BLOB_H

#include "internal.h"

#define BLOB_HEADER 40 /* "GP", version, flags, srs_id, four doubles */

/* One blob being built: the buffer (reused from feature to feature) and the envelope. */
typedef struct rr_blob_builder {
    rr_ctx *ctx;
    const char *path; /* named in messages */
    int srs_id;
    unsigned char *b; /* the current geometry blob: GeoPackage header, then WKB */
    size_t n, cap;
    double *xy;       /* one ring's coordinates, aligned (WKB puts doubles at odd offsets) */
    size_t xycap;
    int nomem;
    double env[4];    /* the blob's envelope: minx, maxx, miny, maxy */
} rr_blob_builder;

/* g as a MultiPolygon blob in w->b[0 .. w->n), with its envelope in w->env: RR_OK; *empty when g
 * has no polygon (the feature gets a NULL geometry). */
rr_status rr_blob_of(rr_blob_builder *w, const GEOSGeometry *g, int *empty);
/* A blob rr_gpkg_blob made, copied into w with w->srs_id and its envelope: RR_OK or out of
 * memory; *empty when it holds no polygon. */
rr_status rr_blob_copy(rr_blob_builder *w, const unsigned char *packed, size_t size, int *empty);
void rr_blob_builder_free(rr_blob_builder *w);

#endif
