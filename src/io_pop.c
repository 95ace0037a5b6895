/* io_pop.c: read a population source (grid cells, cell centres, points, polygons or a raster). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io_gdal.h"
#include "table.h"

static const char *const pop_candidates[] = {
    "befolkning_2025", "befolkning", "beftotalt", "bef_totalt", "pop", "population", "totalt",
    "total", "value", "antal", NULL};

/* Coordinate columns of points in a table: SCB's grid has e and n; the usual x/y names work too
 * (GDAL's CSV driver is given the same lists). */
#define X_NAMES "e,x,easting,x_coord,lon,longitude"
#define Y_NAMES "n,y,northing,y_coord,lat,latitude"

/* The population field among n names (name(src, i) is the i-th): a usual name first
 * (pop_candidates, in that order), else the first that starts with befolkning, bef or pop; -1 if
 * none. */
static int pop_field_of(const char *(*name)(const void *, size_t), const void *src, size_t n)
{
    for (const char *const *c = pop_candidates; *c; c++)
        for (size_t i = 0; i < n; i++)
            if (strcasecmp(name(src, i), *c) == 0)
                return (int)i;
    for (size_t i = 0; i < n; i++) {
        const char *f = name(src, i);
        if (strncasecmp(f, "befolkning", 10) == 0 || strncasecmp(f, "bef", 3) == 0 ||
            strncasecmp(f, "pop", 3) == 0)
            return (int)i;
    }
    return -1;
}

static const char *ogr_field_name(const void *defn, size_t i)
{
    return OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn((OGRFeatureDefnH)defn, (int)i));
}

static const char *csv_header_name(const void *csv, size_t i)
{
    return ((const rr_csv *)csv)->rec[0].field[i];
}

static int detect_pop_field(OGRFeatureDefnH defn)
{
    int n = OGR_FD_GetFieldCount(defn);
    return pop_field_of(ogr_field_name, defn, (size_t)(n > 0 ? n : 0));
}

void rr_popsource_free(rr_popsource *pop)
{
    if (!pop)
        return;
    rr_geoms_destroy(pop->cells, pop->n);
    free(pop->cells);
    free(pop->box);
    free(pop->value);
    free(pop->cell_area);
    free(pop->path);
    free(pop->field);
    free(pop->kind);
    free(pop);
}

double rr_popsource_total(const rr_popsource *pop) { return pop->total; }

/* Room for one more cell (with its box when `boxes`: raster cells are rectangles). */
static rr_status pop_reserve(rr_ctx *ctx, rr_popsource *pop, size_t *cap, int boxes)
{
    if (pop->n < *cap)
        return RR_OK;
    size_t c = *cap ? 2 * *cap : 1024;
    GEOSGeometry **cells = realloc(pop->cells, c * sizeof *cells);
    if (cells)
        pop->cells = cells;
    double *v = realloc(pop->value, c * sizeof *v);
    if (v)
        pop->value = v;
    double *a = realloc(pop->cell_area, c * sizeof *a);
    if (a)
        pop->cell_area = a;
    double *b = boxes ? realloc(pop->box, 4 * c * sizeof *b) : NULL;
    if (b)
        pop->box = b;
    if (!cells || !v || !a || (boxes && !b))
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory reading population (%s)", pop->path);
    *cap = c;
    return RR_OK;
}

/* Cell i is the rectangle x0..x1 × y0..y1 (x0 < x1, y0 < y1), held as its box only. */
static void set_box(rr_popsource *pop, size_t i, double x0, double y0, double x1, double y1)
{
    double *b = &pop->box[4 * i];
    b[0] = x0;
    b[1] = y0;
    b[2] = x1;
    b[3] = y1;
    pop->cells[i] = NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The spacing of points that lie on a regular grid, or 0. SCB's cell centres carry 1 mm noise
 * (352499.999), so coordinates are compared to within a metre. */
static double grid_spacing(const double *x, size_t n)
{
    if (n < 4)
        return 0;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return 0;
    memcpy(s, x, n * sizeof *s);
    double best = 0;
    qsort(s, n, sizeof *s, cmp_double);
    for (size_t i = 1; i < n; i++) {
        double d = s[i] - s[i - 1];
        if (d > 1.0 && (best == 0 || d < best))
            best = d;
    }
    if (best > 0) {
        best = round(best);
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
            double r = fmod(fabs(s[i] - s[0]), best);
            if (r > 1.0 && best - r > 1.0)
                off++;
        }
        if (off > n / 100)
            best = 0;
    }
    free(s);
    return best;
}

static rr_status read_raster(rr_ctx *ctx, GDALDatasetH ds, const rr_pop_opts *opts,
                             rr_popsource *pop, char **crs)
{
    double gt[6];
    if (GDALGetGeoTransform(ds, gt) != CE_None || gt[2] != 0 || gt[4] != 0)
        return rr_error(ctx, RR_ERR_FORMAT,
                        "raster has no north-up geotransform (rotated rasters are not supported) (%s)",
                        opts->path);
    const char *wkt = GDALGetProjectionRef(ds);
    if (wkt && wkt[0])
        *crs = rr_strdup(wkt);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    int has_nodata = 0;
    double nodata = GDALGetRasterNoDataValue(band, &has_nodata);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    if ((double)w * h > 4e8)
        return rr_error(ctx, RR_ERR_FORMAT, "raster of %d × %d cells is too large (%s)", w, h,
                        opts->path);
    double *row = malloc((size_t)w * sizeof *row);
    if (!row)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory reading the raster (%s)", opts->path);
    size_t cap = 0;
    rr_status st = RR_OK;
    for (int y = 0; y < h && st == RR_OK; y++) {
        if (GDALRasterIO(band, GF_Read, 0, y, w, 1, row, w, 1, GDT_Float64, 0, 0) != CE_None) {
            st = rr_error(ctx, RR_ERR_IO, "cannot read raster row %d (%s)", y, opts->path);
            break;
        }
        for (int x = 0; x < w; x++) {
            double v = row[x];
            if ((has_nodata && (v == nodata || (isnan(nodata) && isnan(v)))) || isnan(v) || v == 0)
                continue;
            if (v < 0) {
                st = rr_error(ctx, RR_ERR_FORMAT, "negative population %g in raster cell (%d, %d) (%s)",
                              v, x, y, opts->path);
                break;
            }
            if ((st = pop_reserve(ctx, pop, &cap, 1)) != RR_OK)
                break;
            double x0 = gt[0] + x * gt[1], x1 = x0 + gt[1];
            double y0 = gt[3] + y * gt[5], y1 = y0 + gt[5];
            set_box(pop, pop->n, fmin(x0, x1), fmin(y0, y1), fmax(x0, x1), fmax(y0, y1));
            pop->value[pop->n] = v;
            pop->cell_area[pop->n] = fabs(gt[1] * gt[5]);
            pop->total += v;
            pop->n++;
        }
    }
    free(row);
    pop->cell_size = fabs(gt[1]);
    pop->rectangles = 1;
    return st;
}

/* Points on a regular grid (or --pop-cell) are cell centres (SCB's grid as CSV): make them the
 * cells (xs, ys: the points' coordinates). */
static rr_status centres_to_cells(rr_ctx *ctx, const rr_pop_opts *opts, rr_popsource *pop,
                                  const double *xs, const double *ys)
{
    double size = opts->cell_size;
    if (pop->points && size == 0) {
        double sx = grid_spacing(xs, pop->n), sy = grid_spacing(ys, pop->n);
        if (sx > 0 && fabs(sx - sy) < 1e-9)
            size = sx;
    }
    free(pop->kind);
    if (!pop->points || !(size > 0)) {
        pop->kind = rr_strdup(pop->points ? "points" : "polygons");
        return RR_OK;
    }
    double *box = malloc(4 * (pop->n ? pop->n : 1) * sizeof *box);
    if (!box) {
        pop->kind = NULL;
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", opts->path);
    }
    free(pop->box);
    pop->box = box;
    for (size_t i = 0; i < pop->n; i++) {
        double cx = floor(xs[i] / size) * size + size / 2, cy = floor(ys[i] / size) * size + size / 2;
        if (pop->cells[i])
            GEOSGeom_destroy_r(ctx->geos, pop->cells[i]);
        set_box(pop, i, cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2);
        pop->cell_area[i] = size * size;
    }
    pop->points = 0;
    pop->rectangles = 1;
    pop->cell_size = size;
    pop->kind = rr_sprintf("grid cells of %g m given by their centres", size);
    return RR_OK;
}

/* The first header field named one of the comma-separated `names` (case-insensitive, in the
 * list's order), or RR_NONE. */
static size_t csv_pick(const rr_csv *csv, const char *names)
{
    char name[32];
    for (const char *p = names; *p;) {
        size_t len = strcspn(p, ",");
        if (len < sizeof name) {
            memcpy(name, p, len);
            name[len] = 0;
            size_t c = rr_csv_column(csv, name);
            if (c != RR_NONE)
                return c;
        }
        p += len + (p[len] == ',');
    }
    return RR_NONE;
}

/* A CSV of points (SCB's grid: e, n and a population column) read with libcsv rather than GDAL's
 * CSV driver, which spends some 12,000 instructions a row (0.9 s for the 144,144 cells of the
 * 6 × 6 pair). Only the plain case is taken: coordinates and values all numbers (a value may be
 * empty); anything else returns 0 and GDAL reads the file, with its messages. 1: read (*st says
 * how it went). */
static int read_csv_points(rr_ctx *ctx, const rr_pop_opts *opts, rr_popsource *pop,
                           rr_status *st)
{
    size_t len = strlen(opts->path);
    if (opts->layer || len < 4 || strcasecmp(opts->path + len - 4, ".csv") != 0)
        return 0;
    rr_csv csv = {0};
    double *xs = NULL, *ys = NULL, *vs = NULL;
    size_t m = 0;
    int taken = 0;
    if (rr_csv_read(ctx, opts->path, &csv) != RR_OK)
        return 0; /* GDAL reads it and says what is wrong */
    size_t xi = csv_pick(&csv, X_NAMES), yi = csv_pick(&csv, Y_NAMES), vi = RR_NONE;
    if (opts->field) {
        vi = rr_csv_column(&csv, opts->field);
    } else {
        int fi = pop_field_of(csv_header_name, &csv, csv.rec[0].nfields);
        vi = fi < 0 ? RR_NONE : (size_t)fi;
    }
    size_t rows = csv.nrec > 1 ? csv.nrec - 1 : 1;
    if (xi == RR_NONE || yi == RR_NONE || vi == RR_NONE || xi == vi || yi == vi ||
        !(xs = malloc(rows * sizeof *xs)) || !(ys = malloc(rows * sizeof *ys)) ||
        !(vs = malloc(rows * sizeof *vs)))
        goto out;
    for (size_t r = 1; r < csv.nrec; r++) {
        const rr_csv_record *rec = &csv.rec[r];
        const char *vt = rec->field[vi];
        while (*vt == ' ')
            vt++;
        if (!*vt)
            continue; /* no value: as GDAL's null field */
        if (rr_parse_number(rec->field[xi], 0, &xs[m]) != 1 ||
            rr_parse_number(rec->field[yi], 0, &ys[m]) != 1 ||
            rr_parse_number(vt, 0, &vs[m]) != 1 || !isfinite(xs[m]) || !isfinite(ys[m]) ||
            !isfinite(vs[m]) || vs[m] < 0)
            goto out; /* not the plain case: GDAL's reader and messages */
        m += vs[m] > 0;
    }
    taken = 1;
    *st = RR_OK;
    size_t room = m ? m : 1;
    if (!(pop->cells = calloc(room, sizeof *pop->cells)) ||
        !(pop->value = malloc(room * sizeof *pop->value)) ||
        !(pop->cell_area = malloc(room * sizeof *pop->cell_area)) ||
        !(pop->field = rr_strdup(csv.rec[0].field[vi])))
        *st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", opts->path);
    pop->points = 1;
    for (size_t i = 0; i < m && *st == RR_OK; i++) {
        pop->value[i] = vs[i];
        pop->cell_area[i] = 0;
        pop->total += vs[i];
        pop->n = i + 1;
    }
    /* cells when the centres lie on a grid; points (made only then) when they do not */
    if (*st == RR_OK)
        *st = centres_to_cells(ctx, opts, pop, xs, ys);
    for (size_t i = 0; *st == RR_OK && pop->points && i < m; i++)
        if (!(pop->cells[i] = GEOSGeom_createPointFromXY_r(ctx->geos, xs[i], ys[i])))
            *st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", opts->path);
out:
    free(xs);
    free(ys);
    free(vs);
    rr_csv_free(&csv);
    return taken;
}

static rr_status read_vector(rr_ctx *ctx, GDALDatasetH ds, const rr_pop_opts *opts,
                             rr_popsource *pop, char **crs)
{
    OGRLayerH lyr = opts->layer ? GDALDatasetGetLayerByName(ds, opts->layer)
                                : GDALDatasetGetLayer(ds, 0);
    if (!lyr)
        return rr_error(ctx, RR_ERR_FORMAT, "no layer %s (%s)", opts->layer ? opts->layer : "",
                        opts->path);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int fi = opts->field ? OGR_FD_GetFieldIndex(defn, opts->field) : detect_pop_field(defn);
    if (fi < 0)
        return rr_error(ctx, RR_ERR_FORMAT,
                        "no population field %s%s; name it with --pop-field (%s, layer %s)",
                        opts->field ? "named " : "(looked for befolkning*, pop*, value)",
                        opts->field ? opts->field : "", opts->path, OGR_L_GetName(lyr));
    pop->field = rr_strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, fi)));
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(lyr);
    if (srs)
        *crs = rr_gdal_srs_wkt(srs);
    size_t cap = 0, index = 0;
    rr_status st = RR_OK;
    OGRFeatureH f;
    double *xs = NULL, *ys = NULL;
    size_t xcap = 0;
    while ((f = OGR_L_GetNextFeature(lyr)) != NULL) {
        index++;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (!OGR_F_IsFieldSetAndNotNull(f, fi) || !g || OGR_G_IsEmpty(g)) {
            OGR_F_Destroy(f);
            continue;
        }
        const char *txt = OGR_F_GetFieldAsString(f, fi);
        char *end = NULL;
        double v = strtod(txt, &end);
        if (end == txt || *end || !isfinite(v) || v < 0) {
            st = rr_error(ctx, RR_ERR_FORMAT, "population '%s' is not a number >= 0 (%s, layer %s, "
                          "feature %zu, field %s)", txt, opts->path, OGR_L_GetName(lyr), index,
                          pop->field);
            OGR_F_Destroy(f);
            break;
        }
        if (v == 0) {
            OGR_F_Destroy(f);
            continue;
        }
        if ((st = pop_reserve(ctx, pop, &cap, 0)) != RR_OK) {
            OGR_F_Destroy(f);
            break;
        }
        GEOSGeometry *gg = NULL;
        st = rr_gdal_geometry(ctx, g, &gg);
        OGR_F_Destroy(f);
        if (st != RR_OK) {
            st = rr_error_prefix(ctx, st, "%s, feature %zu", opts->path, index);
            break;
        }
        int t = GEOSGeomTypeId_r(ctx->geos, gg);
        int is_point = t == GEOS_POINT;
        if (pop->n == 0)
            pop->points = is_point;
        else if (pop->points != is_point) {
            GEOSGeom_destroy_r(ctx->geos, gg);
            st = rr_error(ctx, RR_ERR_FORMAT, "population mixes points and polygons (%s, feature %zu)",
                          opts->path, index);
            break;
        }
        if (!is_point && t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON) {
            GEOSGeom_destroy_r(ctx->geos, gg);
            st = rr_error(ctx, RR_ERR_FORMAT, "population geometry is neither point nor polygon "
                          "(%s, feature %zu)", opts->path, index);
            break;
        }
        if (is_point) {
            if (pop->n >= xcap) {
                xcap = xcap ? 2 * xcap : 1024;
                double *nx = realloc(xs, xcap * sizeof *nx), *ny = nx ? realloc(ys, xcap * sizeof *ny) : NULL;
                if (nx)
                    xs = nx;
                if (ny)
                    ys = ny;
                if (!nx || !ny) {
                    GEOSGeom_destroy_r(ctx->geos, gg);
                    st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", opts->path);
                    break;
                }
            }
            GEOSGeomGetX_r(ctx->geos, gg, &xs[pop->n]);
            GEOSGeomGetY_r(ctx->geos, gg, &ys[pop->n]);
            pop->cell_area[pop->n] = 0;
        } else {
            GEOSArea_r(ctx->geos, gg, &pop->cell_area[pop->n]);
        }
        pop->cells[pop->n] = gg;
        pop->value[pop->n] = v;
        pop->total += v;
        pop->n++;
    }
    if (st == RR_OK)
        st = centres_to_cells(ctx, opts, pop, xs, ys);
    free(xs);
    free(ys);
    return st;
}

rr_status rr_popsource_read_raw(rr_ctx *ctx, const rr_pop_opts *opts, rr_popsource **out,
                                char **crs)
{
    rr_gdal_init();
    rr_status st = RR_OK;
    GDALDatasetH ds = NULL;
    *out = NULL;
    *crs = NULL;
    rr_popsource *pop = calloc(1, sizeof *pop);
    if (!pop || !(pop->path = rr_strdup(opts->path)))
        goto nomem;
    if (read_csv_points(ctx, opts, pop, &st)) {
        if (st != RR_OK)
            goto out;
        if (pop->n == 0) {
            st = rr_error(ctx, RR_ERR_FORMAT, "population source has no populated cells or "
                          "points (%s)", opts->path);
            goto out;
        }
        pop->kind = pop->kind ? pop->kind : rr_strdup("points");
        *out = pop;
        pop = NULL;
        goto out;
    }
    const char *csv_opts[] = {"X_POSSIBLE_NAMES=" X_NAMES, "Y_POSSIBLE_NAMES=" Y_NAMES,
                              "KEEP_GEOM_COLUMNS=YES", "AUTODETECT_TYPE=YES", NULL};
    rr_gdal_err err;
    rr_gdal_push(&err);
    ds = GDALOpenEx(opts->path, GDAL_OF_VECTOR | GDAL_OF_RASTER | GDAL_OF_READONLY |
                    GDAL_OF_VERBOSE_ERROR, NULL, csv_opts, NULL);
    rr_gdal_pop();
    if (!ds) {
        GDALDatasetH probe = NULL;
        st = rr_gdal_open_vector(ctx, opts->path, NULL, &probe);
        if (probe)
            GDALClose(probe);
        if (st == RR_OK)
            st = rr_error(ctx, RR_ERR_FORMAT, "cannot read population source (%s)", opts->path);
        goto out;
    }
    if (GDALDatasetGetLayerCount(ds) == 0 && GDALGetRasterCount(ds) > 0) {
        pop->kind = rr_strdup("raster cells");
        st = read_raster(ctx, ds, opts, pop, crs);
    } else {
        st = read_vector(ctx, ds, opts, pop, crs);
    }
    if (st != RR_OK)
        goto out;
    if (pop->n == 0) {
        st = rr_error(ctx, RR_ERR_FORMAT, "population source has no populated cells or points (%s)",
                      opts->path);
        goto out;
    }
    *out = pop;
    pop = NULL;
    goto out;
nomem:
    st = rr_error(ctx, RR_ERR_NOMEM, "out of memory reading population (%s)", opts->path);
out:
    if (ds)
        GDALClose(ds);
    if (st != RR_OK) {
        free(*crs);
        *crs = NULL;
    }
    rr_popsource_free(pop);
    return st;
}

/* Rectangles (held as boxes) made GEOS polygons, to be transformed: no longer rectangles. */
static rr_status cells_of_boxes(rr_ctx *ctx, rr_popsource *pop)
{
    for (size_t i = 0; i < pop->n; i++) {
        const double *b = &pop->box[4 * i];
        if (!(pop->cells[i] = GEOSGeom_createRectangle_r(ctx->geos, b[0], b[1], b[2], b[3])))
            return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", pop->path);
    }
    free(pop->box);
    pop->box = NULL;
    pop->rectangles = 0;
    return RR_OK;
}

rr_status rr_popsource_place(rr_ctx *ctx, const rr_pop_opts *opts, const rr_areaset *like,
                             rr_popsource *pop, const char *crs)
{
    rr_status st = RR_OK;
    const char *target = like ? like->crs : NULL;
    const char *source = crs;
    char *assumed = NULL;
    if (opts->assume_crs) {
        OGRSpatialReferenceH srs = rr_gdal_srs_from_user(opts->assume_crs);
        if (!srs)
            return rr_error(ctx, RR_ERR_ARG, "cannot understand the CRS '%s'", opts->assume_crs);
        assumed = rr_gdal_srs_wkt(srs);
        OSRDestroySpatialReference(srs);
        source = assumed;
    }
    if (!source && target) {
        rr_notice(ctx, "%s: population source has no CRS; assuming the areas' CRS (%s)",
                  opts->path, like->crs_name);
    } else if (source && target && rr_crs_same(ctx, source, target) == 0) {
        st = pop->rectangles ? cells_of_boxes(ctx, pop) : RR_OK;
        if (st == RR_OK)
            st = rr_geoms_transform(ctx, pop->cells, pop->n, source, target, NULL);
        if (st == RR_OK) { /* cell areas change with the projection, and cells' shapes */
            for (size_t i = 0; i < pop->n; i++)
                if (!pop->points)
                    GEOSArea_r(ctx->geos, pop->cells[i], &pop->cell_area[i]);
            pop->rectangles = 0; /* no longer axis-aligned: intersected, not clipped */
        }
    }
    free(assumed);
    if (st != RR_OK)
        rr_error_prefix(ctx, st, "%s", opts->path);
    return st;
}

rr_status rr_popsource_read(rr_ctx *ctx, const rr_pop_opts *opts, const rr_areaset *like,
                            rr_popsource **out)
{
    char *crs = NULL;
    rr_popsource *pop = NULL;
    rr_status st = rr_popsource_read_raw(ctx, opts, &pop, &crs);
    if (st == RR_OK && (st = rr_popsource_place(ctx, opts, like, pop, crs)) != RR_OK) {
        rr_popsource_free(pop);
        pop = NULL;
    }
    free(crs);
    if (st == RR_OK)
        *out = pop;
    return st;
}
