/* internal.h: structures and helpers shared by the modules of regrev_core; never installed. */
#ifndef REGREV_INTERNAL_H
#define REGREV_INTERNAL_H

#include <geos_c.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regrev/regrev.h"

/* alloc.c: every allocation of regrev_core goes through these wrappers, so that tests can make
 * the k-th one fail (test-only; see alloc.c). Memory is released with plain free(). */
void *rr_malloc(size_t size);
void *rr_calloc(size_t n, size_t size);
void *rr_realloc(void *ptr, size_t size);
/* A growable array with room for at least `need` elements of `elem` bytes (first allocation:
 * `first`, then doubling): the array, perhaps moved, with *cap updated; NULL when out of memory
 * (the array is then unchanged and still owned by the caller). */
void *rr_grow_to(void *array, size_t *cap, size_t need, size_t elem, size_t first);
/* Inline when there is room already: the overlay pushes millions of elements one at a time. */
static inline void *rr_grow(void *array, size_t *cap, size_t need, size_t elem, size_t first)
{
    return array && need <= *cap ? array : rr_grow_to(array, cap, need, elem, first);
}
#define malloc(size) rr_malloc(size)
#define calloc(n, size) rr_calloc(n, size)
#define realloc(ptr, size) rr_realloc(ptr, size)
/* Test-only: count the calling thread's allocations from now and make its k-th fail (k = 0
 * disarms); how many allocations it made since; whether the failure happened. */
void rr_alloc_fail_at(unsigned long k);
unsigned long rr_alloc_count(void);
int rr_alloc_fired(void);

#define RR_NONE SIZE_MAX /* index meaning "no area" (a part only one version covers) */
#define RR_ERRMSG_MAX 2048

struct rr_ctx {
    GEOSContextHandle_t geos;
    char errmsg[RR_ERRMSG_MAX];
    char geos_msg[512]; /* last message of GEOS's error handler */
    rr_diag_fn diag;
    void *diag_user;
    rr_progress_fn progress;
    void *progress_user;
    volatile sig_atomic_t cancelled;
    size_t warnings;
    char **warning_texts;    /* the first RR_WARNINGS_KEPT warnings, for summary.json */
    size_t nwarning_texts;
    struct rr_crew *crew;    /* rr_parallel_for's threads, kept from one call to the next */
};
/* Stop and join the threads of a crew (overlay.c); NULL is fine. */
void rr_crew_free(struct rr_crew *crew);
#define RR_WARNINGS_KEPT 1000
/* Keep a warning text in the context (owned copy); dropped silently past RR_WARNINGS_KEPT. */
void rr_ctx_keep_warning(rr_ctx *ctx, const char *msg);
/* A context for a worker thread: parent's message callback, a GEOS handle of its own. NULL when
 * out of memory. */
rr_ctx *rr_ctx_worker(const rr_ctx *parent);
/* Add a worker's warnings (count and kept texts) to ctx, after those it has. */
void rr_ctx_take_warnings(rr_ctx *ctx, const rr_ctx *worker);

/* One area of one version: all features of one code gathered into one (multi)polygon. */
typedef struct rr_area {
    char *code;
    char *kommun;      /* municipality code ("" if unknown) */
    GEOSGeometry *geom; /* while an area set is made; NULL once packed (rr_areaset_pack) */
    unsigned char *blob; /* the geometry packed (rr_areaset_pack): a GeoPackage geometry blob, */
    size_t blob_size;    /* two thirds of GEOS's memory, read in plain C (rr_area_shape for GEOS) */
    unsigned char single; /* the geometry was a Polygon (else a MultiPolygon): rr_area_shape */
    double area;
    size_t features;   /* how many features were gathered */
    long long fid;     /* the feature it was read from (for messages) */
    unsigned char check; /* rr_geom_check: what rr_areaset_snap has left to do */
} rr_area;

/* How far an area's geometry is checked as read (rr_areaset_snap does the rest). */
typedef enum rr_geom_check {
    RR_GEOM_CHECKED = 0, /* valid (repaired if need be), not snapped */
    RR_GEOM_UNCHECKED,   /* as read: validity is checked once snapped */
    RR_GEOM_SNAPPED      /* snapped, as read, to the grid rr_areaset_snap is given, and valid */
} rr_geom_check;

struct rr_areaset {
    rr_area *areas;    /* sorted by code */
    size_t n;
    char *path, *layer, *code_field;
    char *crs;         /* WKT of the CRS, or NULL */
    char *crs_name;    /* short name for messages and summary.json */
    size_t feature_count;
    int geographic;    /* 1 if the CRS is geographic (degrees) */
    double precision;  /* coordinates snapped to this grid (0: not snapped) */
};
/* Snap every coordinate to `precision` (a grid in CRS units; 0 does nothing) and repair what
 * snapping made invalid. Two versions exported by different programs hold the same boundary as
 * slightly different doubles (524011.09049999993 and 524011.0905); on a common grid they are
 * identical again, which keeps the overlay exact and fast. */
rr_status rr_areaset_snap(rr_ctx *ctx, rr_areaset *set, double precision);
/* v snapped to the grid of step p: rr_round(v / p) * p, everywhere the same. rr_round is C's
 * round() (halves away from zero, -0 kept) without the call into libm, which was a tenth of
 * reading: below 2^52 the integer conversion truncates exactly, above it every double is whole.
 * The fraction adds its step without a branch: which way a coordinate rounds is a coin toss, and
 * a mispredicted branch on every other one made it five times slower (12 ns against 2.5 ns a
 * value; 16.8 million values read on the 6 x 6 bench pair). */
static inline double rr_round(double v)
{
    if (!(fabs(v) < 4503599627370496.0)) /* 2^52, NaN, infinity */
        return v;
    double t = (double)(long long)v, f = v - t;
    return copysign(t + (double)(f >= 0.5) - (double)(f <= -0.5), v);
}
static inline double rr_snap(double v, double p)
{
    return rr_round(v / p) * p;
}
/* Validate one feature's geometry (takes g): its polygonal part, repaired (make-valid) with a
 * warning naming `where` when invalid. NULL (message set) when it cannot be used. */
GEOSGeometry *rr_geometry_repair(rr_ctx *ctx, GEOSGeometry *g, const char *where);
/* rr_geometry_repair for a feature that is skipped when nothing is left: *out the geometry, or
 * NULL with a warning naming `where`; RR_ERR_GEOMETRY (message set) when it cannot be used. */
rr_status rr_feature_repair(rr_ctx *ctx, GEOSGeometry *g, const char *where, GEOSGeometry **out);

/* io_pop.c: rr_popsource_read in two steps, so that reading can run beside other work: the
 * cells and values as the source has them (*crs: its CRS as WKT, NULL when it has none; free
 * it), then placed in the CRS of the areas `like` (the CRS assumed or transformed, with a
 * notice). */
rr_status rr_popsource_read_raw(rr_ctx *ctx, const rr_pop_opts *opts, rr_popsource **out,
                                char **crs);
rr_status rr_popsource_place(rr_ctx *ctx, const rr_pop_opts *opts, const rr_areaset *like,
                             rr_popsource *pop, const char *crs);

struct rr_popsource {
    GEOSGeometry **cells;  /* polygons or points; NULL for rectangles (their box says it all) */
    double *box;           /* rectangles only: each cell's x0, y0, x1, y1 */
    double *value;
    double *cell_area;     /* area of each cell (0 for points) */
    size_t n;
    int points;            /* 1: containment; 0: area shares */
    int rectangles;        /* cells are axis-aligned rectangles (grids, rasters) held as boxes
                            * (no GEOS geometry: a national 1 km grid is 60 MB of it): clip by
                            * rect */
    double total;
    char *path, *field, *kind; /* kind: "grid cells", "polygons", "points", "raster" */
    double cell_size;
};

struct rr_areatotals {
    char **codes;          /* sorted */
    double *value;
    size_t n;
    char *path;
};
/* Index of a code in a totals table or RR_NONE. */
size_t rr_areatotals_find(const rr_areatotals *t, const char *code);

/* A link table code → group (io_totals.c). */
typedef struct rr_link {
    char **codes, **groups; /* sorted by code */
    size_t n;
    char *path, *from, *to;
} rr_link;
rr_status rr_link_read(rr_ctx *ctx, const char *path, const char *from, const char *to,
                       rr_link **out);
void rr_link_free(rr_link *link);
/* The group of a code, or NULL. */
const char *rr_link_group(const rr_link *link, const char *code);

typedef enum rr_change_type {
    RR_CH_CEASED_TO_NEW = 0,   /* Upphör; till nybildad */
    RR_CH_CEASED_TO_EXISTING,  /* Upphör; till befintlig */
    RR_CH_SHRINKS,             /* Minskas och ger del till befintlig eller nybildad */
    RR_CH_GIVES_TO_EXISTING,   /* Ger del/delar till befintlig */
    RR_CH_GIVES_TO_NEW,        /* Ger del till nybildad */
    RR_CH_GROWS,               /* Utvidgas */
    RR_CH_GROWS_SEA,           /* Utvidgas till territorialvattengräns */
    RR_CH_RECODED,             /* Kodändrad; annat än 20-22 */
    RR_CH_COUNT
} rr_change_type;

typedef enum rr_area_class {
    RR_CLASS_UNCHANGED = 0, RR_CLASS_RECODED, RR_CLASS_BOUNDARY, RR_CLASS_SPLIT, RR_CLASS_MERGED,
    RR_CLASS_COMPLEX, RR_CLASS_NEW, RR_CLASS_CEASED, RR_CLASS_COUNT
} rr_area_class;

/* One intersection of an old and a new area, or a part only one version covers. */
typedef struct rr_piece {
    size_t old_idx, new_idx; /* RR_NONE for an uncovered part */
    GEOSGeometry *geom;      /* owned geometry, or NULL when the piece is a whole area or packed */
    const GEOSGeometry *shape; /* geom, or the borrowed geometry of the whole area */
    unsigned char *blob;     /* or, instead of geom and shape (both NULL), the piece packed as a
                              * GeoPackage geometry blob (rr_piece_pack): two thirds of the
                              * memory of GEOS's form; read with rr_piece_shape */
    size_t blob_size;
    int blob_borrowed;       /* blob is a whole area's (rr_area.blob), not the piece's to free */
    double area;
    double pop;              /* NAN without population */
    double core_area;        /* area left after an inward buffer of min_width/2 (NAN: not computed) */
    double pop_partial;      /* population drawn from cells only partly inside the piece */
    int transfer;            /* a relation of the key (survives the sliver rule, or uncovered) */
    int moved;               /* passes the sliver rule by itself (for uncovered parts: sea) */
    int tiny;                /* at most the tolerance: kept while overlaying only (so that what
                              * a new area gained adds up), never in a revision's pieces */
} rr_piece;

/* A relation of the key: an (old, new) pair after the sliver rule. */
typedef struct rr_relation {
    size_t old_idx, new_idx;
    double area, pop;
    double w_area_old, w_area_new, w_pop_old, w_pop_new;
    double pop_partial;      /* population drawn from cells only partly inside its pieces */
} rr_relation;

typedef struct rr_change {
    size_t old_idx, new_idx; /* indices into old/new sets; new_idx for X→X rows is the new X */
    rr_change_type type;
    double area, pop;
} rr_change;

typedef enum rr_comparability {
    RR_CMP_IDENTICAL = 0, RR_CMP_RECODED, RR_CMP_AGGREGATE, RR_CMP_ESTIMATED
} rr_comparability;

typedef struct rr_area_info {
    rr_area_class cls;
    rr_comparability cmp;
    double apportioned;      /* share (pop, else area) from areas only partly inside it */
    char *related;           /* ;-joined codes of the other version */
    int pop_fallback;        /* zero population: weights fall back to area */
    double pop;              /* estimated population (sum over its pieces) */
} rr_area_info;

struct rr_revision {
    const rr_areaset *old_set, *new_set; /* borrowed: they outlive the revision */
    rr_params params;
    rr_piece *pieces;
    size_t npieces;
    int has_pop;
    double pop_total_source, pop_lost; /* population of the source; part outside all areas */
    /* calibration to per-area totals (rr_revision_calibrate) */
    int calibrated;            /* bit 1: old totals, bit 2: new totals */
    int calib_iterations;
    double calib_dev_old, calib_dev_new; /* largest relative deviation from each margin */
    double calib_scale_new;    /* factor applied to the new totals to match the old total */
    rr_relation *rel;
    size_t nrel;
    rr_change *changes;
    size_t nchanges;
    rr_area_info *old_info, *new_info;
    size_t transfers_total;  /* pieces X≠Y above tolerance */
    size_t *units_old, *units_new; /* comparable unit of each area */
    size_t nunits;
    /* relations with real codes on both sides, per area (see analysis.c index_relations) */
    size_t *rel_by_old, *rel_by_new, *rel_first_old, *rel_first_new;
    size_t nrel_real;
    double *folded_into;     /* per old area: area of its pieces folded by the sliver rule */
    struct rr_shape_memo *shape_memo; /* the changes' shapes, made once for the review writers */
    struct rr_display_memo *display_memo; /* review.html's simplified versions, made early */
};
/* The code of old (new) area i of rev, "" for RR_NONE (a part the other version does not cover). */
static inline const char *rr_old_code(const rr_revision *rev, size_t i)
{
    return i == RR_NONE ? "" : rev->old_set->areas[i].code;
}
static inline const char *rr_new_code(const rr_revision *rev, size_t i)
{
    return i == RR_NONE ? "" : rev->new_set->areas[i].code;
}
/* The memo of the changes' shapes (write_html.c): NULL when out of memory (the writers then make
 * their own); freed with the analysis. */
struct rr_shape_memo *rr_shape_memo_new(size_t nchanges);
void rr_shape_memo_free(struct rr_shape_memo *m);
/* review.html's display simplification of both versions, made early when params.review_early
 * (write_html.c): as the first two work items of the overlay's first pass, so the vertex tables
 * come and go while memory holds little more than the areas, instead of on top of the pieces at
 * the end. rr_review_display_begin sets up *out, where the writer takes them from (NULL when
 * out of memory: the writer then makes them itself; freed with the revision);
 * rr_review_display_make makes the display of one version (side 0 old, 1 new) into
 * rev->display_memo, on any worker. */
rr_status rr_review_display_begin(rr_ctx *ctx, const rr_revision *rev,
                                  struct rr_display_memo **out);
rr_status rr_review_display_make(rr_ctx *wctx, const rr_revision *rev, int side);
/* How many versions' displays are made early and not yet taken by a writer (0-2). */
int rr_review_display_ready(const rr_revision *rev);
void rr_display_memo_free(struct rr_display_memo *m, const rr_revision *rev);

/* ctx.c */
rr_status rr_error(rr_ctx *ctx, rr_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the current message with more context: "prefix: old message". Returns status. */
rr_status rr_error_prefix(rr_ctx *ctx, rr_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rr_warn(rr_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rr_notice(rr_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rr_progress(rr_ctx *ctx, const char *stage, size_t done, size_t total);
/* The last GEOS error text (or "unknown GEOS error"). */
const char *rr_geos_msg(rr_ctx *ctx);
int rr_cancelled(const rr_ctx *ctx);

/* strutil.c */
char *rr_strdup(const char *s);
char *rr_strndup(const char *s, size_t n);
char *rr_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Strip an SCB vintage suffix ("_DeSO2025", "_RegSO2020") and surrounding blanks, in place. */
void rr_code_normalise(char *code);
/* Format a number for CSV: shortest round-trip ("%.17g"-safe) in C locale. */
void rr_fmt_num(char *buf, size_t size, double v, int significant);
/* A growable string buffer. */
typedef struct rr_buf { char *s; size_t len, cap; int failed; } rr_buf;
void rr_buf_add(rr_buf *b, const char *s);
void rr_buf_addf(rr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rr_buf_free(rr_buf *b);
/* Write one CSV field: quoted (quotes doubled) when always_quote, or when it holds the
 * delimiter, a quote or a line break. */
void rr_csv_put_field(FILE *f, const char *s, char delim, int always_quote);

/* areaset.c */
rr_areaset *rr_areaset_alloc(void);
/* Sort by code and gather equal codes into one area (union). dissolving: gathering is the
 * purpose (a coarser level), so it is not warned about. */
rr_status rr_areaset_finish(rr_ctx *ctx, rr_areaset *set, const char *source_name, int dissolving);
size_t rr_areaset_find(const rr_areaset *set, const char *code);

/* Pack every area's geometry into a blob (rr_area.blob) and free it in GEOS: an area set is
 * packed once made (read, made from WKT, reprojected); every reader takes the blob. RR_OK, or
 * out of memory (the set unchanged where it failed). */
rr_status rr_areaset_pack(rr_ctx *ctx, rr_areaset *set);
/* Back into GEOS (rr_area.geom), blobs freed: to change the geometries (rr_areaset_match_crs). */
rr_status rr_areaset_unpack(rr_ctx *ctx, rr_areaset *set);
/* The area's geometry in GEOS: its geom, or a new one made from its blob (a Polygon or a
 * MultiPolygon as read) and left in *own for the caller to destroy; NULL with the message set
 * and *st (when not NULL) saying why when it cannot be made. */
const GEOSGeometry *rr_area_shape(rr_ctx *ctx, const rr_area *a, GEOSGeometry **own,
                                  rr_status *st);
/* A ring of a geometry blob, as rr_gpkg_blob_rings hands it over (write_gpkg.c). */
typedef int (*rr_blob_ring_fn)(void *user, const unsigned char *xy, uint32_t n, int hole);
/* A ring's n points as aligned doubles, x and y side by side (rr_gpkg_blob_rings_xy). */
typedef int (*rr_xy_ring_fn)(void *user, const double *xy, size_t n, int hole);
/* rr_gpkg_blob_rings_xy over the area's rings (none for an empty area): 1 done, 0 when fn
 * returns 0 or the rings cannot be read, -1 out of memory. */
int rr_area_rings(rr_ctx *ctx, const rr_area *a, rr_xy_ring_fn fn, void *user);
/* The area's envelope: min x, min y, max x, max y (GEOSGeom_getExtent_r's order); 0 when it has
 * none (empty). */
int rr_area_extent(rr_ctx *ctx, const rr_area *a, double ext[4]);

/* reproject.c */
/* 1 if the horizontal parts of two CRS definitions are the same, 0 if not, -1 on error. */
int rr_crs_same(rr_ctx *ctx, const char *a, const char *b);
/* Transform n geometries in place (all or none); labels name them in messages (may be NULL). */
rr_status rr_geoms_transform(rr_ctx *ctx, GEOSGeometry **geoms, size_t n, const char *from,
                             const char *to, const char *const *labels);

/* gpkg_blob.c */
/* The GeoPackage geometry blob (header with the envelope, then little-endian 2D WKB) of g's
 * polygons as one MultiPolygon, malloc'd, exactly *size bytes. NULL when g has no polygon (*st
 * RR_OK) or on failure (*st says, message set). */
unsigned char *rr_gpkg_blob(rr_ctx *ctx, const GEOSGeometry *g, int srs_id, size_t *size,
                            rr_status *st);
/* Reading a blob rr_gpkg_blob made (a packed piece): fn(user, xy, n, hole) for each ring in
 * order, each polygon's shell and then its holes; xy: n points as stored (little-endian doubles,
 * unaligned: copy them out with rr_gpkg_blob_xy). 1 when done, 0 when the blob is not one
 * rr_gpkg_blob makes or fn returns 0. */
int rr_gpkg_blob_rings(const unsigned char *blob, size_t size, rr_blob_ring_fn fn, void *user);
/* n points of a blob ring into dst (x and y side by side). */
void rr_gpkg_blob_xy(double *dst, const unsigned char *xy, size_t n);
/* The envelope in the blob's header: min x, max x, min y, max y. */
void rr_gpkg_blob_envelope(const unsigned char *blob, double env[4]);
/* The blob's geometry in GEOS, new: a MultiPolygon, or a Polygon when `single` and it holds one.
 * NULL when it cannot be made, *why saying so (RR_ERR_NOMEM, RR_ERR_INTERNAL: not a blob
 * rr_gpkg_blob makes, RR_ERR_GEOMETRY: GEOS refused it) and the message set, for the caller to
 * prefix with what the blob was. */
GEOSGeometry *rr_gpkg_blob_geometry(rr_ctx *ctx, const unsigned char *blob, size_t size,
                                    int single, rr_status *why);
/* rr_gpkg_blob_rings with each ring's points copied to aligned doubles (x and y side by side):
 * 1 done, 0 when fn returns 0 or the blob is not one rr_gpkg_blob makes, -1 out of memory. */
int rr_gpkg_blob_rings_xy(const unsigned char *blob, size_t size, rr_xy_ring_fn fn, void *user);

/* overlay.c */
/* The hits of a GEOS STRtree query whose items are index + 1: rr_hits_cb collects the indices;
 * `failed` is set when out of memory. The caller frees idx. */
typedef struct rr_hits {
    size_t *idx;
    size_t n, cap;
    int failed;
} rr_hits;
void rr_hits_cb(void *item, void *user);
/* qsort comparison of size_t values, ascending. */
int rr_cmp_size(const void *a, const void *b);
/* Run fn(ctx_of_worker, i, user) for i in [0, n) on `threads` workers (the calling thread one of
 * them), each with its own GEOS handle. Stops at the first failure; the failing worker's message
 * is copied into ctx. */
typedef rr_status (*rr_work_fn)(rr_ctx *wctx, size_t i, void *user);
typedef void (*rr_worker_done_fn)(rr_ctx *wctx); /* per worker, before its context goes */
rr_status rr_parallel_for(rr_ctx *ctx, size_t n, int threads, const char *stage, rr_work_fn fn,
                          rr_worker_done_fn finish, void *user);
void rr_piece_clear(rr_ctx *ctx, rr_piece *p);
/* Pack an owned geom into p->blob (srs_id 0) and destroy it: for a piece that the overlay does
 * not read again (an old area less what it lost: most of the area, kept to the end for the
 * population stage and the writers). RR_OK, also when there is nothing to pack; on failure p is
 * unchanged and the message set. */
rr_status rr_piece_pack(rr_ctx *ctx, rr_piece *p);
/* p's geometry: p->shape, or, for a packed piece, a new one made from its blob and left in *own
 * for the caller to destroy (NULL with the message set, and *st when not NULL saying why, when
 * it cannot be made); NULL when the piece has no geometry. */
const GEOSGeometry *rr_piece_shape(rr_ctx *ctx, const rr_piece *p, GEOSGeometry **own,
                                   rr_status *st);
/* The polygons of an overlay's result (edges and points dropped) as a Polygon or MultiPolygon;
 * takes g; NULL when no area is left or on failure. */
GEOSGeometry *rr_polygons_only(rr_ctx *ctx, GEOSGeometry *g);
/* Destroy the geometries g[0..n) (NULL entries skipped) with a GEOS handle of its own: for owners
 * that outlive any context (a population source, the review memo). */
void rr_geoms_destroy(GEOSGeometry **g, size_t n);
/* GEOS computes each envelope on first use and caches it in the object: the geometry's, each
 * part's and each ring's (GEOSGeom_getExtent_r makes only a polygon's and its shell's; the holes'
 * wait for the first overlay). Two threads making the same one race (a leak, or a free under the
 * other's feet): rr_geom_warm makes them all (g may be NULL) before threads share g. */
void rr_geom_warm(GEOSContextHandle_t h, const GEOSGeometry *g);
/* The polygon of shell and holes[0..nh), taking them all: when one is missing (NULL: a ring that
 * could not be made) the others are destroyed and NULL returned; otherwise GEOS owns them, also
 * when it fails (NULL, with GEOS's message). */
GEOSGeometry *rr_polygon_of_rings(rr_ctx *ctx, GEOSGeometry *shell, GEOSGeometry **holes,
                                  unsigned nh);

/* diff.c */
/* Two versions of one area compared: *a_only = a − b, *b_only = b − a and *both = a ∩ b; each a
 * MultiPolygon, or NULL when empty. Fast when they share most boundary segments exactly: only the
 * changed stretches are noded (exactly, on the `precision` grid the areas were snapped to; 0:
 * not snapped), each piece placed by a point on it and the parts traced; checked by area, with
 * GEOS noding and polygonizing, then the plain overlays, as fallbacks; *path (when not NULL)
 * says which gave the answer. area_a, area_b: GEOSArea_r of a and b when the caller knows them
 * (an rr_area's area), NAN to have them computed. */
typedef enum rr_compare_path {
    RR_COMPARE_SAME,        /* the same boundary */
    RR_COMPARE_TRACED,      /* noded and traced in plain C */
    RR_COMPARE_POLYGONIZED, /* noded and polygonized by GEOS */
    RR_COMPARE_OVERLAID     /* GEOS's plain overlays */
} rr_compare_path;
rr_status rr_area_compare(rr_ctx *ctx, const GEOSGeometry *a, const GEOSGeometry *b,
                          double area_a, double area_b, double precision, GEOSGeometry **a_only,
                          GEOSGeometry **b_only, GEOSGeometry **both, rr_compare_path *path);
/* The same for two areas as held in a set (packed: read from their blobs, in GEOS only for the
 * plain overlays), with their areas; the same boundary leaves *both NULL (it is area a). */
rr_status rr_area_compare_packed(rr_ctx *ctx, const rr_area *a, const rr_area *b,
                                 double precision, GEOSGeometry **a_only, GEOSGeometry **b_only,
                                 GEOSGeometry **both, rr_compare_path *path);

/* trace.c */
/* A hash of a point's coordinates (-0 and 0 alike), for tables of points. */
size_t rr_point_hash(double x, double y);
/* Polygons from n directed edges (x0, y0, x1, y1 each, 4n doubles) that meet
 * only at their ends and have the region on their left: *out a MultiPolygon, or NULL when they
 * bound no area. 1 done, 0 when the edges do not form closed rings (*out NULL), -1 out of
 * memory. */
int rr_trace_polygons(rr_ctx *ctx, const double *edges, size_t n, GEOSGeometry **out);
/* The same for edges that pass through points between their ends: edge i through
 * mid[2 * mid_start[i] .. 2 * mid_start[i + 1]) (x, y pairs), where no other edge starts or
 * ends (mid_start NULL: none has any). */
int rr_trace_polylines(rr_ctx *ctx, const double *edges, const size_t *mid_start,
                       const double *mid, size_t n, GEOSGeometry **out);

/* write_summary.c */
struct json_t;
/* Write a JSON document (json_dump flags) to path: RR_ERR_NOMEM when jansson runs out of memory,
 * RR_ERR_IO when the file cannot be written. */
rr_status rr_json_write(rr_ctx *ctx, const struct json_t *root, size_t flags, const char *path);

/* analysis.c */
const char *rr_change_type_name(rr_change_type t);
const char *rr_area_class_name(rr_area_class c);
const char *rr_comparability_name(rr_comparability c);

#endif
