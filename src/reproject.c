/* reproject.c: CRS comparison and coordinate transformation with PROJ (the only file with proj.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <proj.h>

#include "internal.h"

/* The horizontal part of a CRS: a compound CRS (horizontal + height) is, for area
 * computations, the same as its horizontal component. */
static PJ *horizontal(PJ_CONTEXT *pc, const char *def)
{
    PJ *crs = proj_create(pc, def);
    if (!crs)
        return NULL;
    if (proj_get_type(crs) == PJ_TYPE_COMPOUND_CRS) {
        PJ *h = proj_crs_get_sub_crs(pc, crs, 0);
        proj_destroy(crs);
        return h;
    }
    return crs;
}

int rr_crs_same(rr_ctx *ctx, const char *a, const char *b)
{
    if (!a || !b)
        return -1;
    if (strcmp(a, b) == 0)
        return 1;
    PJ_CONTEXT *pc = proj_context_create();
    PJ *pa = horizontal(pc, a), *pb = horizontal(pc, b);
    int same = -1;
    if (pa && pb)
        same = proj_is_equivalent_to_with_ctx(pc, pa, pb,
                                              PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS) ? 1 : 0;
    else
        rr_error(ctx, RR_ERR_CRS, "PROJ cannot read a CRS: %s",
                 proj_context_errno_string(pc, proj_context_errno(pc)));
    proj_destroy(pa);
    proj_destroy(pb);
    proj_context_destroy(pc);
    return same;
}

typedef struct transform_state {
    PJ *op;
    int failed;
} transform_state;

static int transform_xy(double *x, double *y, void *user)
{
    transform_state *ts = user;
    PJ_COORD c = proj_coord(*x, *y, 0, 0);
    PJ_COORD r = proj_trans(ts->op, PJ_FWD, c);
    /* PROJ returns HUGE_VAL on failure, and finite nonsense for out-of-range input: the caller
     * checks extents too. */
    if (!isfinite(r.xy.x) || !isfinite(r.xy.y) || fabs(r.xy.x) > 1e8 || fabs(r.xy.y) > 1e8) {
        ts->failed = 1;
        return 0;
    }
    *x = r.xy.x;
    *y = r.xy.y;
    return 1;
}

/* Transform a set of geometries; on failure nothing is replaced. */
rr_status rr_geoms_transform(rr_ctx *ctx, GEOSGeometry **geoms, size_t n, const char *from,
                                const char *to, const char *const *labels)
{
    PJ_CONTEXT *pc = proj_context_create();
    PJ *raw = proj_create_crs_to_crs(pc, from, to, NULL);
    PJ *op = raw ? proj_normalize_for_visualization(pc, raw) : NULL;
    rr_status st = RR_OK;
    GEOSGeometry **out = calloc(n ? n : 1, sizeof *out);
    if (!op) {
        const char *why = proj_context_errno_string(pc, proj_context_errno(pc));
        st = rr_error(ctx, RR_ERR_CRS, "PROJ knows no transformation between the two CRSs%s%s",
                      why ? ": " : "", why ? why : "");
        goto done;
    }
    if (!out) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory transforming %zu geometries", n);
        goto done;
    }
    transform_state ts = {op, 0};
    for (size_t i = 0; i < n; i++) {
        out[i] = GEOSGeom_transformXY_r(ctx->geos, geoms[i], transform_xy, &ts);
        if (!out[i] || ts.failed) {
            st = rr_error(ctx, RR_ERR_CRS, "coordinates of %s cannot be transformed (outside the "
                          "area of use of the CRS?)", labels ? labels[i] : "a geometry");
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        GEOSGeom_destroy_r(ctx->geos, geoms[i]);
        geoms[i] = out[i];
        out[i] = NULL;
    }
done:
    for (size_t i = 0; out && i < n; i++)
        if (out[i])
            GEOSGeom_destroy_r(ctx->geos, out[i]);
    free(out);
    proj_destroy(op);
    proj_destroy(raw);
    proj_context_destroy(pc);
    return st;
}

rr_status rr_areaset_match_crs(rr_ctx *ctx, rr_areaset *set, const rr_areaset *like)
{
    if (!set->crs || !like->crs)
        return rr_error(ctx, RR_ERR_CRS, "a layer has no CRS (%s)", set->crs ? like->path : set->path);
    int same = rr_crs_same(ctx, set->crs, like->crs);
    if (same < 0)
        return rr_error_prefix(ctx, RR_ERR_CRS, "%s and %s", set->path, like->path);
    if (same)
        return RR_OK;
    rr_status st = rr_areaset_unpack(ctx, set); /* changed in GEOS, packed again below */
    if (st != RR_OK)
        return st;
    GEOSGeometry **geoms = malloc(set->n * sizeof *geoms);
    const char **labels = malloc(set->n * sizeof *labels);
    char *crs = rr_strdup(like->crs), *name = rr_strdup(like->crs_name);
    if (!geoms || !labels || !crs || !name) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory reprojecting %s", set->path);
        goto out;
    }
    for (size_t i = 0; i < set->n; i++) {
        geoms[i] = set->areas[i].geom;
        labels[i] = set->areas[i].code;
    }
    rr_notice(ctx, "%s: transforming from %s to %s", set->path, set->crs_name, like->crs_name);
    st = rr_geoms_transform(ctx, geoms, set->n, set->crs, like->crs, labels);
    if (st != RR_OK) {
        rr_error_prefix(ctx, st, "cannot transform %s from %s to %s, the CRS of %s", set->path,
                        set->crs_name, like->crs_name, like->path);
        goto out;
    }
    for (size_t i = 0; i < set->n; i++) {
        set->areas[i].geom = geoms[i];
        set->areas[i].check = RR_GEOM_CHECKED; /* off the grid it was snapped to: snapped again */
        GEOSArea_r(ctx->geos, geoms[i], &set->areas[i].area);
    }
    if ((st = rr_areaset_snap(ctx, set, like->precision)) != RR_OK ||
        (st = rr_areaset_pack(ctx, set)) != RR_OK)
        goto out;
    free(set->crs);
    free(set->crs_name);
    set->crs = crs;
    set->crs_name = name;
    crs = name = NULL;
    set->geographic = like->geographic;
out:
    free(crs);
    free(name);
    free(geoms);
    free(labels);
    return st;
}
