/* gpkg_blob.c: GeoPackage geometry blobs (the header with its envelope, then little-endian 2D
 * ISO WKB of a MultiPolygon): written from GEOS or from rings, read back ring by ring or into
 * GEOS. The one form of a polygon that is kept for long: areas as read (areaset.c), what an old
 * area keeps of itself (overlay.c), and every feature of review.gpkg (write_gpkg.c). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpkg_blob.h"
#include "io_gdal.h"

/* ---- geometry blobs: GeoPackage header (little-endian, xy envelope), then 2D ISO WKB ------- */


static unsigned char *blob_room(rr_blob_builder *w, size_t more)
{
    if (w->nomem)
        return NULL;
    if (w->n + more > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + more)
            cap *= 2;
        unsigned char *bigger = realloc(w->b, cap);
        if (!bigger) {
            w->nomem = 1;
            return NULL;
        }
        w->b = bigger;
        w->cap = cap;
    }
    unsigned char *at = w->b + w->n;
    w->n += more;
    return at;
}

static void put_u32(unsigned char *at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        at[i] = (unsigned char)(v >> (8 * i));
}

static void put_f64(unsigned char *at, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    for (int i = 0; i < 8; i++)
        at[i] = (unsigned char)(u >> (8 * i));
}

static void blob_u32(rr_blob_builder *w, uint32_t v)
{
    unsigned char *at = blob_room(w, 4);
    if (at)
        put_u32(at, v);
}

/* One polygon's WKB; 0 when GEOS fails. */
static int blob_polygon(rr_blob_builder *w, GEOSContextHandle_t h, const GEOSGeometry *g)
{
    int holes = GEOSGetNumInteriorRings_r(h, g);
    if (holes < 0)
        return 0;
    unsigned char *at = blob_room(w, 1);
    if (at)
        *at = 1; /* little-endian (NDR) */
    blob_u32(w, 3);
    blob_u32(w, (uint32_t)holes + 1);
    for (int r = -1; r < holes && !w->nomem; r++) {
        const GEOSGeometry *ring =
            r < 0 ? GEOSGetExteriorRing_r(h, g) : GEOSGetInteriorRingN_r(h, g, r);
        const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
        unsigned n = 0;
        if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
            return 0;
        double *xy = rr_grow(w->xy, &w->xycap, 2 * (size_t)n, sizeof *xy, 1024);
        if (!xy) {
            w->nomem = 1;
            break;
        }
        w->xy = xy;
        if (n && !GEOSCoordSeq_copyToBuffer_r(h, cs, xy, 0, 0))
            return 0;
        blob_u32(w, n);
        unsigned char *dst = blob_room(w, 16 * (size_t)n);
        if (!dst)
            break;
        static const uint16_t probe = 1;
        if (*(const unsigned char *)&probe == 1) {
            memcpy(dst, xy, 16 * (size_t)n);
        } else {
            for (size_t k = 0; k < 2 * (size_t)n; k++)
                put_f64(dst + 8 * k, xy[k]);
        }
        for (size_t k = 0; r < 0 && k < n; k++) { /* holes lie inside the shell */
            double x = xy[2 * k], y = xy[2 * k + 1];
            w->env[0] = x < w->env[0] ? x : w->env[0];
            w->env[1] = x > w->env[1] ? x : w->env[1];
            w->env[2] = y < w->env[2] ? y : w->env[2];
            w->env[3] = y > w->env[3] ? y : w->env[3];
        }
    }
    return 1;
}

/* The non-empty polygons of g (a Polygon, MultiPolygon or collection; other parts are left out,
 * as OGR's ForceToMultiPolygon did), counted into *count; 0 when GEOS fails. */
static int blob_polygons(rr_blob_builder *w, GEOSContextHandle_t h, const GEOSGeometry *g,
                         uint32_t *count)
{
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(h, g) != 0)
            return 1;
        ++*count;
        return blob_polygon(w, h, g);
    }
    if (type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION)
        return type >= 0;
    int n = GEOSGetNumGeometries_r(h, g);
    for (int i = 0; i < n && !w->nomem; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(h, g, i);
        if (!part || !blob_polygons(w, h, part, count))
            return 0;
    }
    return n >= 0;
}

/* g as a MultiPolygon blob in w->b[0 .. w->n), with its envelope in w->env: RR_OK; *empty when g
 * has no polygon (the feature gets a NULL geometry). */
rr_status rr_blob_of(rr_blob_builder *w, const GEOSGeometry *g, int *empty)
{
    GEOSContextHandle_t h = w->ctx->geos;
    w->n = 0;
    w->env[0] = w->env[2] = INFINITY;
    w->env[1] = w->env[3] = -INFINITY;
    unsigned char *at = blob_room(w, BLOB_HEADER + 9);
    if (at) {
        at[BLOB_HEADER] = 1;
        put_u32(at + BLOB_HEADER + 1, 6); /* MultiPolygon */
    }
    uint32_t count = 0;
    int ok = blob_polygons(w, h, g, &count);
    if (w->nomem)
        return rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    if (!ok)
        return rr_error(w->ctx, RR_ERR_GEOMETRY, "cannot read the geometry: %s",
                        rr_geos_msg(w->ctx));
    *empty = count == 0;
    at = w->b;
    at[0] = 'G';
    at[1] = 'P';
    at[2] = 0;    /* version 1 */
    at[3] = 0x03; /* little-endian, envelope [minx, maxx, miny, maxy] */
    put_u32(at + 4, (uint32_t)w->srs_id);
    for (int k = 0; k < 4; k++)
        put_f64(at + 8 + 8 * k, w->env[k]);
    put_u32(at + BLOB_HEADER + 5, count);
    return RR_OK;
}

unsigned char *rr_gpkg_blob(rr_ctx *ctx, const GEOSGeometry *g, int srs_id, size_t *size,
                            rr_status *st)
{
    rr_blob_builder w = {.ctx = ctx, .path = "geometry blob", .srs_id = srs_id};
    int empty = 1;
    *size = 0;
    /* room for the coordinates and a few hundred rings at once, instead of doubling up to it */
    int ncoords = GEOSGetNumCoordinates_r(ctx->geos, g);
    if (ncoords > 0 && !blob_room(&w, BLOB_HEADER + 4096 + 16 * (size_t)ncoords)) {
        *st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (geometry blob)");
        return NULL;
    }
    w.n = 0;
    *st = rr_blob_of(&w, g, &empty);
    free(w.xy);
    if (*st != RR_OK || empty) {
        free(w.b);
        return NULL;
    }
    /* exactly its size: the buffer had room to spare, and a packed piece keeps its blob to the
     * end of the run */
    unsigned char *exact = malloc(w.n);
    if (!exact) {
        free(w.b);
        *st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (geometry blob)");
        return NULL;
    }
    memcpy(exact, w.b, w.n);
    free(w.b);
    *size = w.n;
    return exact;
}

unsigned char *rr_gpkg_blob_of_rings(const rr_ringv *rings, const size_t *first, size_t npolys,
                                     size_t *size)
{
    /* as blob_of writes GEOS's polygons: shells' envelope, every ring as it is */
    size_t n = BLOB_HEADER + 9;
    for (size_t p = 0; p < npolys; p++) {
        n += 9;
        for (size_t r = first[p]; r < first[p + 1]; r++)
            n += 4 + 16 * rings[r].n;
    }
    unsigned char *b = malloc(n), *at = b;
    if (!b)
        return NULL;
    double env[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    at[0] = 'G';
    at[1] = 'P';
    at[2] = 0;
    at[3] = 0x03;
    put_u32(at + 4, 0);
    at += BLOB_HEADER;
    *at++ = 1;
    put_u32(at, 6);
    put_u32(at + 4, (uint32_t)npolys);
    at += 8;
    for (size_t p = 0; p < npolys; p++) {
        *at++ = 1;
        put_u32(at, 3);
        put_u32(at + 4, (uint32_t)(first[p + 1] - first[p]));
        at += 8;
        for (size_t r = first[p]; r < first[p + 1]; r++) {
            const double *xy = rings[r].xy;
            put_u32(at, (uint32_t)rings[r].n);
            at += 4;
            static const uint16_t probe = 1;
            if (*(const unsigned char *)&probe == 1) { /* little-endian, as the blob */
                memcpy(at, xy, 16 * rings[r].n);
            } else {
                for (size_t k = 0; k < 2 * rings[r].n; k++)
                    put_f64(at + 8 * k, xy[k]);
            }
            at += 16 * rings[r].n;
            for (size_t k = 0; r == first[p] && k < rings[r].n; k++) {
                double x = xy[2 * k], y = xy[2 * k + 1];
                env[0] = x < env[0] ? x : env[0];
                env[1] = x > env[1] ? x : env[1];
                env[2] = y < env[2] ? y : env[2];
                env[3] = y > env[3] ? y : env[3];
            }
        }
    }
    for (int k = 0; k < 4; k++)
        put_f64(b + 8 + 8 * k, env[k]);
    *size = n;
    return b;
}

static uint32_t get_u32(const unsigned char *at)
{
    return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
}

static double get_f64(const unsigned char *at)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | at[i];
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

void rr_gpkg_blob_xy(double *dst, const unsigned char *xy, size_t n)
{
    static const uint16_t probe = 1;
    if (*(const unsigned char *)&probe == 1) {
        memcpy(dst, xy, 16 * n);
        return;
    }
    for (size_t k = 0; k < 2 * n; k++)
        dst[k] = get_f64(xy + 8 * k);
}

void rr_gpkg_blob_envelope(const unsigned char *blob, double env[4])
{
    for (int k = 0; k < 4; k++)
        env[k] = get_f64(blob + 8 + 8 * k);
}

int rr_gpkg_blob_rings(const unsigned char *blob, size_t size, rr_blob_ring_fn fn, void *user)
{
    /* the header and a little-endian MultiPolygon, as blob_of writes them */
    if (size < BLOB_HEADER + 9 || blob[0] != 'G' || blob[1] != 'P' || blob[3] != 0x03 ||
        blob[BLOB_HEADER] != 1 || get_u32(blob + BLOB_HEADER + 1) != 6)
        return 0;
    size_t at = BLOB_HEADER + 9;
    for (uint32_t p = 0, np = get_u32(blob + BLOB_HEADER + 5); p < np; p++) {
        if (size - at < 9 || blob[at] != 1 || get_u32(blob + at + 1) != 3)
            return 0;
        uint32_t nr = get_u32(blob + at + 5);
        at += 9;
        for (uint32_t r = 0; r < nr; r++) {
            if (size - at < 4)
                return 0;
            uint32_t n = get_u32(blob + at);
            at += 4;
            if ((size - at) / 16 < n || !fn(user, blob + at, n, r > 0))
                return 0;
            at += 16 * (size_t)n;
        }
    }
    return at == size;
}

/* A blob's rings through one aligned buffer (rr_gpkg_blob_rings_xy). */
typedef struct xy_walk {
    rr_xy_ring_fn fn;
    void *user;
    double *xy;
    size_t cap;
    int nomem, stopped;
} xy_walk;

static int xy_ring(void *user, const unsigned char *xy, uint32_t n, int hole)
{
    xy_walk *w = user;
    double *buf = rr_grow(w->xy, &w->cap, 2 * (size_t)n, sizeof *buf, 1024);
    if (!buf)
        return !(w->nomem = 1);
    w->xy = buf;
    rr_gpkg_blob_xy(buf, xy, n);
    return w->fn(w->user, buf, n, hole) || !(w->stopped = 1);
}

int rr_gpkg_blob_rings_xy(const unsigned char *blob, size_t size, rr_xy_ring_fn fn, void *user)
{
    xy_walk w = {fn, user, NULL, 0, 0, 0};
    int done = rr_gpkg_blob_rings(blob, size, xy_ring, &w);
    free(w.xy);
    return done ? 1 : w.nomem ? -1 : 0;
}

/* The rings of a blob gathered as polygons of rings (rr_rings_geos's arguments): one pass to
 * count, one to copy. */
typedef struct ring_gather {
    double *xy;
    rr_ringv *ring;
    size_t *first;
    size_t npoints, nrings, npolys;
} ring_gather;

static int count_ring(void *user, const unsigned char *xy, uint32_t n, int hole)
{
    ring_gather *g = user;
    (void)xy;
    g->npoints += n;
    g->nrings++;
    g->npolys += !hole;
    return 1;
}

static int copy_ring(void *user, const unsigned char *xy, uint32_t n, int hole)
{
    ring_gather *g = user;
    if (hole && g->npolys == 0)
        return 0; /* a hole before any shell */
    if (!hole)
        g->first[g->npolys++] = g->nrings;
    double *dst = g->xy + 2 * g->npoints;
    rr_gpkg_blob_xy(dst, xy, n);
    g->ring[g->nrings++] = (rr_ringv){dst, n};
    g->npoints += n;
    return 1;
}

GEOSGeometry *rr_gpkg_blob_geometry(rr_ctx *ctx, const unsigned char *blob, size_t size,
                                    int single, rr_status *why)
{
    ring_gather g = {0};
    GEOSGeometry *out = NULL;
    *why = RR_ERR_INTERNAL;
    if (!rr_gpkg_blob_rings(blob, size, count_ring, &g))
        return NULL;
    size_t npoints = g.npoints, nrings = g.nrings, npolys = g.npolys;
    g.xy = malloc(2 * (npoints ? npoints : 1) * sizeof *g.xy);
    g.ring = malloc((nrings ? nrings : 1) * sizeof *g.ring);
    g.first = malloc((npolys + 1) * sizeof *g.first);
    g.npoints = g.nrings = g.npolys = 0;
    if (!g.xy || !g.ring || !g.first) {
        *why = RR_ERR_NOMEM;
    } else if (rr_gpkg_blob_rings(blob, size, copy_ring, &g)) {
        g.first[npolys] = nrings;
        int nomem = 0;
        out = rr_rings_geos(ctx, g.ring, g.first, npolys, !(single && npolys == 1), &nomem);
        *why = out ? RR_OK : nomem ? RR_ERR_NOMEM : RR_ERR_GEOMETRY;
    }
    free(g.xy);
    free(g.ring);
    free(g.first);
    if (*why == RR_ERR_NOMEM)
        rr_error(ctx, *why, "out of memory");
    else if (*why == RR_ERR_INTERNAL)
        rr_error(ctx, *why, "not a geometry blob regrev writes");
    else if (*why != RR_OK)
        rr_error(ctx, *why, "GEOS refused it: %s", rr_geos_msg(ctx));
    return out;
}

rr_status rr_blob_copy(rr_blob_builder *w, const unsigned char *packed, size_t size, int *empty)
{
    w->n = 0;
    unsigned char *at = blob_room(w, size);
    if (!at)
        return rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    memcpy(at, packed, size);
    put_u32(at + 4, (uint32_t)w->srs_id);
    rr_gpkg_blob_envelope(at, w->env);
    *empty = size < BLOB_HEADER + 9 || get_u32(at + BLOB_HEADER + 5) == 0;
    return RR_OK;
}

void rr_blob_builder_free(rr_blob_builder *w)
{
    free(w->b);
    free(w->xy);
    w->b = NULL;
    w->xy = NULL;
    w->n = w->cap = w->xycap = 0;
}
