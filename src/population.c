/* population.c: population of each piece from a population source (dasymetric overlay). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One contribution of a cell to a piece: the covered area (1 for a point inside). */
typedef struct contrib {
    size_t cell;
    double amount;
    int whole; /* the whole cell lies in the piece */
} contrib;

typedef struct contrib_list {
    contrib *c;
    size_t n, cap;
} contrib_list;

/* ---- an index of rectangular cells --------------------------------------------------------
 * Buckets of a regular grid at least as large as any cell, each cell in the bucket of its lower
 * left corner: the cells that meet a box lie in the buckets from one to the left and below it to
 * the ones it reaches. Built once and shared by the workers (a GEOS STRtree per worker took
 * 144,000 GEOS rectangles and their copies in every tree on the national grid). */
typedef struct cell_grid {
    double x0, y0, step;
    size_t nx, ny;
    size_t *start; /* nx * ny + 1: bucket b holds idx[start[b] .. start[b + 1]) */
    size_t *idx;   /* cell indices, ascending within a bucket */
} cell_grid;

static void cell_grid_free(cell_grid *g)
{
    free(g->start);
    free(g->idx);
}

static size_t bucket_of(double v, double origin, double step, size_t n)
{
    double b = floor((v - origin) / step);
    return !(b > 0) ? 0 : b >= (double)(n - 1) ? n - 1 : (size_t)b; /* NaN: 0 */
}

/* 0 when out of memory. box: n cells of x0, y0, x1, y1 (n >= 1). */
static int cell_grid_build(cell_grid *g, const double *box, size_t n)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY, step = 0;
    for (size_t c = 0; c < n; c++) {
        const double *b = &box[4 * c];
        x0 = fmin(x0, b[0]);
        y0 = fmin(y0, b[1]);
        x1 = fmax(x1, b[0]);
        y1 = fmax(y1, b[1]);
        step = fmax(step, fmax(b[2] - b[0], b[3] - b[1]));
    }
    /* at most about four buckets a cell: coarser where the cells are sparse, along each axis
     * first (one cell far out along a line), then over both */
    double limit = 4.0 * (double)n + 1024, wx = x1 - x0, wy = y1 - y0, cols = 1, rows = 1;
    if (step > 0 && isfinite(step) && isfinite(wx) && isfinite(wy)) {
        step = fmax(step, fmax(wx, wy) / limit);
        cols = floor(wx / step) + 1;
        rows = floor(wy / step) + 1;
        if (cols * rows > limit) {
            step *= sqrt(cols * rows / limit);
            cols = floor(wx / step) + 1;
            rows = floor(wy / step) + 1;
        }
    }
    if (!(cols * rows <= 4 * limit)) /* no extent or cell size to go by: one bucket */
        cols = rows = 1;
    *g = (cell_grid){.x0 = x0, .y0 = y0, .step = step, .nx = (size_t)cols, .ny = (size_t)rows};
    size_t nb = g->nx * g->ny;
    g->start = calloc(nb + 1, sizeof *g->start);
    g->idx = malloc(n * sizeof *g->idx);
    if (!g->start || !g->idx) {
        cell_grid_free(g);
        return 0;
    }
    for (size_t c = 0; c < n; c++)
        g->start[bucket_of(box[4 * c + 1], y0, step, g->ny) * g->nx +
                 bucket_of(box[4 * c], x0, step, g->nx) + 1]++;
    for (size_t b = 0; b < nb; b++)
        g->start[b + 1] += g->start[b];
    for (size_t c = 0; c < n; c++) { /* start[b] runs ahead while filling, then is restored */
        size_t b = bucket_of(box[4 * c + 1], y0, step, g->ny) * g->nx +
                   bucket_of(box[4 * c], x0, step, g->nx);
        g->idx[g->start[b]++] = c;
    }
    for (size_t b = nb; b > 0; b--)
        g->start[b] = g->start[b - 1];
    g->start[0] = 0;
    return 1;
}

/* The cells whose box meets q (x0, y0, x1, y1; touching counts, as in an STRtree). A cell that
 * reaches q's left side starts at most one step left of it; one bucket more on the left and below
 * is slack for rounding (bucket_of is monotone, so the right and top need none). */
static void cell_grid_query(const cell_grid *g, const double *box, const double *q, rr_hits *hits)
{
    size_t i0 = bucket_of(q[0] - g->step, g->x0, g->step, g->nx);
    size_t i1 = bucket_of(q[2], g->x0, g->step, g->nx);
    size_t j0 = bucket_of(q[1] - g->step, g->y0, g->step, g->ny);
    size_t j1 = bucket_of(q[3], g->y0, g->step, g->ny);
    i0 -= i0 > 0;
    j0 -= j0 > 0;
    for (size_t j = j0; j <= j1; j++)
        for (size_t i = i0; i <= i1; i++) {
            size_t b = j * g->nx + i;
            for (size_t k = g->start[b]; k < g->start[b + 1]; k++) {
                size_t c = g->idx[k];
                const double *cb = &box[4 * c];
                if (cb[0] <= q[2] && cb[2] >= q[0] && cb[1] <= q[3] && cb[3] >= q[1])
                    rr_hits_cb((void *)(uintptr_t)(c + 1), hits);
            }
        }
}

typedef struct pop_job {
    rr_revision *rev;
    const rr_popsource *pop;
    const cell_grid *grid; /* rectangles: their index (else an STRtree per worker) */
    contrib_list *lists;   /* one per piece */
} pop_job;

/* Cells are clipped in plain C, without GEOS: rectangles (a grid) and not points. A packed
 * piece is then read straight from its blob. */
static int clips_boxes(const pop_job *job)
{
    return job->grid && job->pop->rectangles && !job->pop->points;
}

static _Thread_local GEOSSTRtree *tls_cells;
static _Thread_local GEOSContextHandle_t tls_cells_owner;

static void cells_release(rr_ctx *ctx)
{
    if (tls_cells && tls_cells_owner == ctx->geos)
        GEOSSTRtree_destroy_r(ctx->geos, tls_cells);
    tls_cells = NULL;
    tls_cells_owner = NULL;
}

static rr_status contrib_push(rr_ctx *ctx, contrib_list *l, contrib c)
{
    contrib *room = rr_grow(l->c, &l->cap, l->n + 1, sizeof *room, 8);
    if (!room)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory estimating population");
    l->c = room;
    l->c[l->n++] = c;
    return RR_OK;
}

/* ---- area of a polygon inside an axis-aligned rectangle -------------------------------------
 * Sutherland–Hodgman clipping of each ring against the rectangle, then the shoelace formula.
 * For the area this is exact for any valid polygon: where clipping leaves degenerate edges along
 * the rectangle's sides they enclose nothing, and holes subtract. Linear in the ring's vertices,
 * against an overlay per cell (national runs: hundreds of thousands of boundary cells).
 *
 * Most of a long ring is far from any one cell: each run of RUN vertices keeps its extent, and a
 * run that lies wholly beyond one side of the cell is clipped as its first and last vertex only,
 * runs beyond the same side one after another as the first vertex of the first and the last of
 * the last. That changes the polygon only beyond that side (the stretch, the segments between
 * its runs and its chord all lie in that half-plane, and so does what they enclose), so the
 * clipped area is the same. */

#define RUN 32

typedef struct ring_set {
    double **xy;   /* per ring: x0,y0,x1,y1,… closed */
    double **ext;  /* per ring: the extent of each run of RUN vertices (x0, y0, x1, y1) */
    double *box;   /* per ring: its extent (x0, y0, x1, y1) */
    unsigned *n;   /* points per ring */
    int *hole;
    size_t nrings, cap;
    double *buf_a, *buf_b; /* clip buffers */
    size_t buf_cap;        /* points */
    int failed;
} ring_set;

/* Add a ring of n points (at least 4), copied from GEOS's cs or else from a packed piece's
 * blob (rr_gpkg_blob_rings' xy). */
static void rings_add_from(rr_ctx *ctx, ring_set *rs, unsigned n, int hole,
                           const GEOSCoordSequence *cs, const unsigned char *packed)
{
    if (rs->nrings == rs->cap) {
        size_t cap = rs->cap ? 2 * rs->cap : 8;
        double **xy = realloc(rs->xy, cap * sizeof *xy);
        double **ext = xy ? realloc(rs->ext, cap * sizeof *ext) : NULL;
        unsigned *nn = ext ? realloc(rs->n, cap * sizeof *nn) : NULL;
        int *hh = nn ? realloc(rs->hole, cap * sizeof *hh) : NULL;
        double *box = hh ? realloc(rs->box, 4 * cap * sizeof *box) : NULL;
        if (box)
            rs->box = box;
        if (xy)
            rs->xy = xy;
        if (ext)
            rs->ext = ext;
        if (nn)
            rs->n = nn;
        if (hh)
            rs->hole = hh;
        if (!xy || !ext || !nn || !hh || !box) {
            rs->failed = 1;
            return;
        }
        rs->cap = cap;
    }
    double *xy = malloc(2 * (size_t)n * sizeof *xy);
    size_t nruns = ((size_t)n - 1 + RUN - 1) / RUN;
    double *ext = malloc(4 * nruns * sizeof *ext);
    if (xy && ext && !cs)
        rr_gpkg_blob_xy(xy, packed, n);
    if (!xy || !ext || (cs && !GEOSCoordSeq_copyToBuffer_r(ctx->geos, cs, xy, 0, 0))) {
        free(xy);
        free(ext);
        rs->failed = 1;
        return;
    }
    for (size_t r = 0; r < nruns; r++) { /* runs of the n - 1 points (the last closes) */
        double *e = &ext[4 * r];
        e[0] = e[1] = INFINITY;
        e[2] = e[3] = -INFINITY;
        for (size_t i = r * RUN; i < (r + 1) * RUN && i < (size_t)n - 1; i++) {
            e[0] = fmin(e[0], xy[2 * i]);
            e[1] = fmin(e[1], xy[2 * i + 1]);
            e[2] = fmax(e[2], xy[2 * i]);
            e[3] = fmax(e[3], xy[2 * i + 1]);
        }
    }
    double *box = &rs->box[4 * rs->nrings];
    box[0] = box[1] = INFINITY;
    box[2] = box[3] = -INFINITY;
    for (size_t r = 0; r < nruns; r++) {
        box[0] = fmin(box[0], ext[4 * r]);
        box[1] = fmin(box[1], ext[4 * r + 1]);
        box[2] = fmax(box[2], ext[4 * r + 2]);
        box[3] = fmax(box[3], ext[4 * r + 3]);
    }
    rs->xy[rs->nrings] = xy;
    rs->ext[rs->nrings] = ext;
    rs->n[rs->nrings] = n;
    rs->hole[rs->nrings++] = hole;
    if (2 * (size_t)n + 16 > rs->buf_cap) {
        size_t cap = 2 * (size_t)n + 16;
        double *a = realloc(rs->buf_a, 2 * cap * sizeof *a);
        double *b = a ? realloc(rs->buf_b, 2 * cap * sizeof *b) : NULL;
        if (a)
            rs->buf_a = a;
        if (b)
            rs->buf_b = b;
        if (!a || !b)
            rs->failed = 1;
        else
            rs->buf_cap = cap;
    }
}

static void rings_add(rr_ctx *ctx, ring_set *rs, const GEOSGeometry *ring, int hole)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(ctx->geos, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(ctx->geos, cs, &n) || n < 4)
        return;
    rings_add_from(ctx, rs, n, hole, cs, NULL);
}

typedef struct blob_rings {
    rr_ctx *ctx;
    ring_set *rs;
} blob_rings;

static int blob_ring(void *user, const unsigned char *xy, uint32_t n, int hole)
{
    blob_rings *b = user;
    if (n >= 4)
        rings_add_from(b->ctx, b->rs, n, hole, NULL, xy);
    return !b->rs->failed;
}

static void rings_collect(rr_ctx *ctx, ring_set *rs, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(ctx->geos, g);
    if (t == GEOS_POLYGON) {
        rings_add(ctx, rs, GEOSGetExteriorRing_r(ctx->geos, g), 0);
        int nh = GEOSGetNumInteriorRings_r(ctx->geos, g);
        for (int i = 0; i < nh; i++)
            rings_add(ctx, rs, GEOSGetInteriorRingN_r(ctx->geos, g, i), 1);
    } else if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(ctx->geos, g);
        for (int i = 0; i < n; i++)
            rings_collect(ctx, rs, GEOSGetGeometryN_r(ctx->geos, g, i));
    }
}

static void rings_free(ring_set *rs)
{
    for (size_t i = 0; i < rs->nrings; i++) {
        free(rs->xy[i]);
        free(rs->ext[i]);
    }
    free(rs->xy);
    free(rs->ext);
    free(rs->box);
    free(rs->n);
    free(rs->hole);
    free(rs->buf_a);
    free(rs->buf_b);
}

/* One clipping stage: keep the side of the line where `inside` holds. edge: 0 x>=v, 1 x<=v,
 * 2 y>=v, 3 y<=v. in/out hold m points (open polygon, no repeat of the first). */
static size_t clip_stage(const double *in, size_t m, double *out, int edge, double v)
{
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        const double *p = &in[2 * i], *q = i + 1 < m ? p + 2 : in;
        double pv = edge < 2 ? p[0] : p[1], qv = edge < 2 ? q[0] : q[1];
        int pin = (edge % 2 == 0) ? pv >= v : pv <= v;
        int qin = (edge % 2 == 0) ? qv >= v : qv <= v;
        if (pin) {
            out[2 * k] = p[0];
            out[2 * k + 1] = p[1];
            k++;
        }
        if (pin != qin) {
            double t = (v - pv) / (qv - pv);
            out[2 * k] = edge < 2 ? v : p[0] + t * (q[0] - p[0]);
            out[2 * k + 1] = edge < 2 ? p[1] + t * (q[1] - p[1]) : v;
            k++;
        }
    }
    return k;
}

static double rect_area(ring_set *rs, double x0, double y0, double x1, double y1)
{
    double total = 0;
    for (size_t r = 0; r < rs->nrings; r++) {
        size_t n = rs->n[r] - 1, m = 0; /* drop the closing point */
        const double *xy = rs->xy[r], *ext = rs->ext[r];
        if (rs->box[4 * r + 2] <= x0 || rs->box[4 * r] >= x1 || rs->box[4 * r + 3] <= y0 ||
            rs->box[4 * r + 1] >= y1)
            continue; /* the ring and the rectangle share no area */
        /* runs wholly beyond one side in a row, and the segments between them: they clip as
         * their first and last vertex (far: how many of the two are in buf_a so far) */
        int far_side = -1;
        size_t far = 0;
        for (size_t k = 0; k * RUN < n; k++) {
            const double *e = &ext[4 * k];
            size_t first = k * RUN, last = first + RUN < n ? first + RUN - 1 : n - 1;
            int side = e[2] < x0 ? 0 : e[0] > x1 ? 1 : e[3] < y0 ? 2 : e[1] > y1 ? 3 : -1;
            if (side < 0) {
                memcpy(&rs->buf_a[2 * m], &xy[2 * first], 2 * (last - first + 1) * sizeof(double));
                m += last - first + 1;
                far = 0;
            } else if (side != far_side) { /* a new stretch beyond a side */
                memcpy(&rs->buf_a[2 * m], &xy[2 * first], 2 * sizeof(double));
                m++;
                far = 1;
                if (last > first) {
                    memcpy(&rs->buf_a[2 * m], &xy[2 * last], 2 * sizeof(double));
                    m++;
                    far = 2;
                }
            } else { /* the stretch goes on: its end moves to this run's last vertex */
                if (far == 2)
                    m--;
                memcpy(&rs->buf_a[2 * m], &xy[2 * last], 2 * sizeof(double));
                m++;
                far = 2;
            }
            far_side = side;
        }
        m = clip_stage(rs->buf_a, m, rs->buf_b, 0, x0);
        m = m ? clip_stage(rs->buf_b, m, rs->buf_a, 1, x1) : 0;
        m = m ? clip_stage(rs->buf_a, m, rs->buf_b, 2, y0) : 0;
        m = m ? clip_stage(rs->buf_b, m, rs->buf_a, 3, y1) : 0;
        double a2 = 0;
        for (size_t i = 0; i < m; i++) {
            const double *p = &rs->buf_a[2 * i], *q = &rs->buf_a[2 * ((i + 1) % m)];
            /* relative to the rectangle's corner: fewer digits lost on large coordinates */
            a2 += (p[0] - x0) * (q[1] - y0) - (q[0] - x0) * (p[1] - y0);
        }
        total += (rs->hole[r] ? -1 : 1) * fabs(a2) / 2;
    }
    return total;
}

/* The contributions of the cells under the piece's geometry geom; with a grid of rectangles,
 * geom may be NULL for a packed piece, whose blob is read instead. */
static rr_status collect(rr_ctx *ctx, const pop_job *job, const GEOSGeometry *geom,
                         const rr_piece *piece, contrib_list *list)
{
    const rr_popsource *pop = job->pop;
    const double *box = pop->box; /* rectangles only */
    rr_hits hits = {0};
    if (job->grid) {
        double q[4], e[4];
        int known = 1;
        if (!geom) { /* the blob's envelope: the same extremes as GEOS's */
            rr_gpkg_blob_envelope(piece->blob, e);
            q[0] = e[0], q[1] = e[2], q[2] = e[1], q[3] = e[3];
        } else {
            known = GEOSGeom_getExtent_r(ctx->geos, geom, &q[0], &q[1], &q[2], &q[3]);
        }
        if (known)
            cell_grid_query(job->grid, box, q, &hits);
    } else {
        GEOSSTRtree_query_r(ctx->geos, tls_cells, geom, rr_hits_cb, &hits);
    }
    if (hits.failed) {
        free(hits.idx);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory querying population cells");
    }
    /* in cell order, whichever index found them: the sums do not depend on the index */
    if (hits.n > 1)
        qsort(hits.idx, hits.n, sizeof *hits.idx, rr_cmp_size);
    rr_status st = RR_OK;
    ring_set rings = {0};
    /* rectangular cells are clipped directly (a cell the piece misses clips to nothing, one
     * inside it to the whole cell); other cells and points are tested against the prepared
     * piece first */
    int clip_only = pop->rectangles && !pop->points; /* with a grid: clips_boxes(job) */
    const GEOSPreparedGeometry *prep = hits.n && !clip_only ? GEOSPrepare_r(ctx->geos, geom) : NULL;
    if (hits.n && !clip_only && !prep) {
        free(hits.idx);
        return rr_error(ctx, RR_ERR_GEOMETRY, "cannot prepare a piece: %s", rr_geos_msg(ctx));
    }
    for (size_t h = 0; h < hits.n && st == RR_OK; h++) {
        size_t c = hits.idx[h];
        const GEOSGeometry *cell = pop->cells[c];
        contrib k = {.cell = c};
        if (pop->points) {
            char in = GEOSPreparedIntersects_r(ctx->geos, prep, cell);
            if (in == 2)
                st = rr_error(ctx, RR_ERR_GEOMETRY, "point test failed: %s", rr_geos_msg(ctx));
            else if (in == 1) {
                k.amount = 1;
                k.whole = 1;
                st = contrib_push(ctx, list, k);
            }
            continue;
        }
        if (!clip_only && GEOSPreparedContainsProperly_r(ctx->geos, prep, cell) == 1) {
            k.amount = pop->cell_area[c];
            k.whole = 1;
        } else {
            if (!clip_only && GEOSPreparedIntersects_r(ctx->geos, prep, cell) != 1)
                continue;
            if (pop->rectangles) {
                /* Not GEOSClipByRect: in GEOS 3.11 it returned the whole cell for an area that
                 * only grazes it (Dalarna 2080A0020: 1 km² instead of 0.3 m²). */
                if (!rings.nrings && !rings.failed && geom) {
                    rings_collect(ctx, &rings, geom);
                } else if (!rings.nrings && !rings.failed) {
                    blob_rings b = {ctx, &rings};
                    if (!rr_gpkg_blob_rings(piece->blob, piece->blob_size, blob_ring, &b) &&
                        !rings.failed) {
                        st = rr_error(ctx, RR_ERR_INTERNAL,
                                      "a packed piece cannot be read back (blob of %zu bytes)",
                                      piece->blob_size);
                        break;
                    }
                }
                if (rings.failed) {
                    st = rr_error(ctx, RR_ERR_NOMEM, "out of memory estimating population");
                    break;
                }
                const double *b = &box[4 * c];
                k.amount = rect_area(&rings, b[0], b[1], b[2], b[3]);
            } else {
                GEOSGeometry *g = GEOSIntersection_r(ctx->geos, geom, cell);
                if (!g) {
                    st = rr_error(ctx, RR_ERR_GEOMETRY,
                                  "cannot intersect a piece with a population cell: %s",
                                  rr_geos_msg(ctx));
                    break;
                }
                GEOSArea_r(ctx->geos, g, &k.amount);
                GEOSGeom_destroy_r(ctx->geos, g);
            }
            if (k.amount <= 0)
                continue;
            k.whole = k.amount >= pop->cell_area[c] * (1 - 1e-9);
        }
        st = contrib_push(ctx, list, k);
    }
    rings_free(&rings);
    if (prep)
        GEOSPreparedGeom_destroy_r(ctx->geos, prep);
    free(hits.idx);
    return st;
}

static rr_status pop_one(rr_ctx *ctx, size_t i, void *user)
{
    pop_job *job = user;
    const rr_popsource *pop = job->pop;
    const rr_piece *piece = &job->rev->pieces[i];
    if (!job->grid && (!tls_cells || tls_cells_owner != ctx->geos)) {
        tls_cells = GEOSSTRtree_create_r(ctx->geos, 10);
        tls_cells_owner = ctx->geos;
        if (!tls_cells)
            return rr_error(ctx, RR_ERR_NOMEM, "out of memory indexing population cells");
        for (size_t c = 0; c < pop->n; c++)
            GEOSSTRtree_insert_r(ctx->geos, tls_cells, pop->cells[c], (void *)(uintptr_t)(c + 1));
    }
    if (!piece->shape && !piece->blob)
        return RR_OK;
    /* a packed piece is read from its blob where the cells are a grid of rectangles (clipped in
     * plain C), else made in GEOS again for the while */
    GEOSGeometry *own = NULL;
    const GEOSGeometry *shape = piece->shape;
    rr_status st = RR_OK;
    if (!shape && !clips_boxes(job))
        shape = rr_piece_shape(ctx, piece, &own, &st); /* NULL: st and the message set */
    if (st == RR_OK)
        st = collect(ctx, job, shape, piece, &job->lists[i]);
    if (own)
        GEOSGeom_destroy_r(ctx->geos, own);
    if (st != RR_OK) { /* which piece */
        st = rr_error_prefix(ctx, st, "piece %zu (old %s, new %s)", i + 1,
                             rr_old_code(job->rev, piece->old_idx),
                             rr_new_code(job->rev, piece->new_idx));
    }
    return st;
}

rr_status rr_revision_set_population(rr_ctx *ctx, rr_revision *rev, const rr_popsource *pop)
{
    rr_status st = RR_OK;
    contrib_list *lists = calloc(rev->npieces ? rev->npieces : 1, sizeof *lists);
    double *covered = calloc(pop->n ? pop->n : 1, sizeof *covered);
    cell_grid grid = {0};
    if (!lists || !covered || (pop->rectangles && !cell_grid_build(&grid, pop->box, pop->n))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory estimating population");
        goto out;
    }
    /* GEOS caches an envelope on first use: compute those of other cells now, before workers
     * share them (two workers inserting the same cell into their indexes raced); the pieces'
     * were made with each piece (rr_geom_warm in overlay.c's list_push) */
    for (size_t c = 0; !pop->rectangles && c < pop->n; c++)
        rr_geom_warm(ctx->geos, pop->cells[c]);
    pop_job job = {rev, pop, pop->rectangles ? &grid : NULL, lists};
    st = rr_parallel_for(ctx, rev->npieces, rev->params.threads, "estimating population", pop_one,
                         cells_release, &job);
    if (st != RR_OK)
        goto out;
    /* A cell only partly inside all areas (at the edge of the region) gives all its people to the
     * covered part: totals are kept. Cells wholly outside every area are reported as lost. */
    for (size_t i = 0; i < rev->npieces; i++)
        for (size_t k = 0; k < lists[i].n; k++)
            covered[lists[i].c[k].cell] += lists[i].c[k].amount;
    rev->pop_lost = 0;
    size_t lost_cells = 0;
    for (size_t c = 0; c < pop->n; c++)
        if (covered[c] <= 0) {
            rev->pop_lost += pop->value[c];
            lost_cells++;
        }
    for (size_t i = 0; i < rev->npieces; i++) {
        double sum = 0, partial = 0;
        for (size_t k = 0; k < lists[i].n; k++) {
            const contrib *cb = &lists[i].c[k];
            double share = pop->value[cb->cell] * cb->amount / covered[cb->cell];
            sum += share;
            if (!cb->whole)
                partial += share;
        }
        rev->pieces[i].pop = sum;
        rev->pieces[i].pop_partial = partial;
    }
    rev->has_pop = 1;
    rev->pop_total_source = pop->total;
    if (lost_cells)
        rr_warn(ctx, "%s: %zu population %s (%.0f people) lie outside every area and are not "
                "counted", pop->path, lost_cells, pop->points ? "points" : "cells", rev->pop_lost);
out:
    for (size_t i = 0; lists && i < rev->npieces; i++)
        free(lists[i].c);
    free(lists);
    free(covered);
    cell_grid_free(&grid);
    return st;
}

rr_status rr_popsource_from_wkt(rr_ctx *ctx, size_t n, const char *const *wkts,
                                const double *values, rr_popsource **out)
{
    rr_popsource *pop = calloc(1, sizeof *pop);
    GEOSWKTReader *rd = GEOSWKTReader_create_r(ctx->geos);
    rr_status st = RR_OK;
    if (!pop || !rd || !(pop->cells = calloc(n ? n : 1, sizeof *pop->cells)) ||
        !(pop->value = calloc(n ? n : 1, sizeof *pop->value)) ||
        !(pop->cell_area = calloc(n ? n : 1, sizeof *pop->cell_area)) ||
        !(pop->path = rr_strdup("(wkt)")) || !(pop->kind = rr_strdup("wkt"))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *g = GEOSWKTReader_read_r(ctx->geos, rd, wkts[i]);
        if (!g) {
            st = rr_error(ctx, RR_ERR_GEOMETRY, "cannot read population WKT %zu: %s", i,
                          rr_geos_msg(ctx));
            goto out;
        }
        pop->cells[pop->n] = g;
        pop->value[pop->n] = values[i];
        pop->points = GEOSGeomTypeId_r(ctx->geos, g) == GEOS_POINT;
        GEOSArea_r(ctx->geos, g, &pop->cell_area[pop->n]);
        pop->total += values[i];
        pop->n++;
    }
    *out = pop;
    pop = NULL;
out:
    if (rd)
        GEOSWKTReader_destroy_r(ctx->geos, rd);
    rr_popsource_free(pop);
    return st;
}

/* The population of every area of one side (sum over its pieces) into sum. */
static void area_sums(const rr_revision *rev, int side, double *sum)
{
    const rr_areaset *set = side ? rev->new_set : rev->old_set;
    memset(sum, 0, set->n * sizeof *sum);
    for (size_t k = 0; k < rev->npieces; k++) {
        size_t i = side ? rev->pieces[k].new_idx : rev->pieces[k].old_idx;
        if (i != RR_NONE)
            sum[i] += rev->pieces[k].pop;
    }
}

/* The largest relative deviation of one side's areas from their targets (sum: scratch). */
static double margin_deviation(const rr_revision *rev, int side, const double *target,
                               double *sum)
{
    const rr_areaset *set = side ? rev->new_set : rev->old_set;
    area_sums(rev, side, sum);
    double worst = 0;
    for (size_t i = 0; i < set->n; i++)
        if (!isnan(target[i]) && target[i] > 0)
            worst = fmax(worst, fabs(sum[i] - target[i]) / target[i]);
    return worst;
}

/* Scale the pieces of each area of one side to its target; returns the largest relative
 * deviation before scaling (how far this margin was from fitting). */
static double fit_margin(rr_revision *rev, int side, const double *target, double *sum)
{
    double worst = margin_deviation(rev, side, target, sum);
    for (size_t k = 0; k < rev->npieces; k++) {
        rr_piece *p = &rev->pieces[k];
        size_t i = side ? p->new_idx : p->old_idx;
        if (i == RR_NONE || isnan(target[i]))
            continue;
        double f = sum[i] > 0 ? target[i] / sum[i] : 0;
        p->pop *= f;
        p->pop_partial *= f;
    }
    return worst;
}

/* Targets per area from a totals table (NAN where the table has no value). */
static double *targets(rr_ctx *ctx, const rr_areaset *set, const rr_areatotals *t, double *total,
                       size_t *matched)
{
    double *target = malloc((set->n + 1) * sizeof *target);
    if (!target)
        return NULL;
    *total = 0;
    *matched = 0;
    for (size_t i = 0; i < set->n; i++) {
        size_t r = rr_areatotals_find(t, set->areas[i].code);
        target[i] = r == RR_NONE ? NAN : t->value[r];
        if (r != RR_NONE) {
            *total += t->value[r];
            (*matched)++;
        }
    }
    if (*matched < set->n)
        rr_warn(ctx, "%s: %zu of %zu areas have no total; their pieces keep their estimate",
                t->path, set->n - *matched, set->n);
    if (*matched < t->n)
        rr_notice(ctx, "%s: %zu codes of the table are not among the areas (other regions?)",
                  t->path, t->n - *matched);
    return target;
}

rr_status rr_revision_calibrate(rr_ctx *ctx, rr_revision *rev, const rr_areatotals *old_totals,
                                const rr_areatotals *new_totals)
{
    if (!old_totals && !new_totals)
        return RR_OK;
    double *t_old = NULL, *t_new = NULL, *sum = NULL;
    double total_old = 0, total_new = 0;
    size_t m_old = 0, m_new = 0;
    rr_status st = RR_OK;
    size_t nmax = rev->old_set->n > rev->new_set->n ? rev->old_set->n : rev->new_set->n;
    if (!(sum = malloc((nmax + 1) * sizeof *sum)) ||
        (old_totals && !(t_old = targets(ctx, rev->old_set, old_totals, &total_old, &m_old))) ||
        (new_totals && !(t_new = targets(ctx, rev->new_set, new_totals, &total_new, &m_new)))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory calibrating population");
        goto out;
    }
    if (!rev->has_pop) {
        /* no population source: start from area shares */
        for (size_t k = 0; k < rev->npieces; k++) {
            rev->pieces[k].pop = rev->pieces[k].area;
            rev->pieces[k].pop_partial = 0;
        }
        rev->has_pop = 1;
    }
    /* An area whose estimate is zero but whose total is not: spread by area inside it. */
    for (int side = 0; side < 2; side++) {
        const double *t = side ? t_new : t_old;
        if (!t)
            continue;
        area_sums(rev, side, sum);
        for (size_t k = 0; k < rev->npieces; k++) {
            size_t i = side ? rev->pieces[k].new_idx : rev->pieces[k].old_idx;
            if (i != RR_NONE && !(sum[i] > 0) && t[i] > 0)
                rev->pieces[k].pop = rev->pieces[k].area * 1e-6;
        }
    }
    rev->calib_scale_new = 1;
    if (t_old && t_new && total_new > 0) {
        rev->calib_scale_new = total_old / total_new;
        for (size_t j = 0; j < rev->new_set->n; j++)
            t_new[j] *= rev->calib_scale_new;
    }
    rev->calib_iterations = 0;
    for (int it = 0; it < 200; it++) {
        rev->calib_iterations = it + 1;
        if (t_old)
            fit_margin(rev, 0, t_old, sum);
        if (t_new)
            fit_margin(rev, 1, t_new, sum);
        if (!t_old || !t_new)
            break;
        /* converged when the old margin still fits after fitting the new one */
        if (margin_deviation(rev, 0, t_old, sum) < 1e-9)
            break;
    }
    /* report how well both margins fit now */
    rev->calib_dev_old = t_old ? margin_deviation(rev, 0, t_old, sum) : 0;
    rev->calib_dev_new = t_new ? margin_deviation(rev, 1, t_new, sum) : 0;
    rev->calibrated = (t_old ? 1 : 0) | (t_new ? 2 : 0);
    if (t_old && t_new && rev->calib_dev_old > 1e-6)
        rr_warn(ctx, "the old and new totals cannot both be met (are they of different years?): "
                "after %d iterations the fit is off by up to %.3g %% on the old totals",
                rev->calib_iterations, 100 * rev->calib_dev_old);
    rr_notice(ctx, "population calibrated to %s%s%s totals (%zu + %zu areas)%s: %d iteration%s, "
              "largest deviation %.3g %% from old totals, %.3g %% from new totals%s",
              t_old ? "old" : "", t_old && t_new ? " and " : "", t_new ? "new" : "", m_old, m_new,
              t_old && t_new ? " by iterative proportional fitting" : "", rev->calib_iterations,
              rev->calib_iterations == 1 ? "" : "s", 100 * rev->calib_dev_old,
              100 * rev->calib_dev_new,
              t_old && t_new ? " (new totals scaled to the old grand total)" : "");
out:
    free(t_old);
    free(t_new);
    free(sum);
    return st;
}
