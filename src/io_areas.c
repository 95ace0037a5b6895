/* io_areas.c: read one version of a partition from any GDAL vector source into an rr_areaset. */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io_gdal.h"

/* Code fields tried in order (case-insensitive), then any field starting with deso/regso. */
static const char *const code_candidates[] = {
    "desokod", "deso", "deso_kod", "desokod_2025", "deso_2025", "deso_2018", "regsokod",
    "regso", "regso_kod", "regsokod_2025", "regsokod_2020", "kod", "code", NULL};
static const char *const kommun_candidates[] = {"kommunkod", "kommun", "kn_kod", "knkod", NULL};

static int detect_code_field(OGRFeatureDefnH defn)
{
    int i = rr_gdal_field_named(defn, code_candidates);
    if (i >= 0)
        return i;
    int n = OGR_FD_GetFieldCount(defn);
    for (i = 0; i < n; i++) {
        const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
        if (strncasecmp(name, "deso", 4) == 0 || strncasecmp(name, "regso", 5) == 0)
            return i;
    }
    return -1;
}

static char *field_list(OGRFeatureDefnH defn)
{
    rr_buf b = {0};
    int n = OGR_FD_GetFieldCount(defn);
    for (int i = 0; i < n; i++)
        rr_buf_addf(&b, "%s%s", i ? ", " : "", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    if (!b.s)
        return rr_strdup("(none)");
    return b.s;
}

/* DeSO (2081C1100) and RegSO (2081R001) codes start with the municipality code. */
static char *kommun_from_code(const char *code)
{
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)code[i]))
            return rr_strdup("");
    if (!isalpha((unsigned char)code[4]))
        return rr_strdup("");
    return rr_strndup(code, 4);
}

/* Beyond any real extent, in degrees or projected units. */
static double extent_limit(int geographic)
{
    return geographic ? 400.0 : 1e8;
}

static int coords_ok(rr_ctx *ctx, const GEOSGeometry *g, int geographic)
{
    double xmin, ymin, xmax, ymax;
    if (!GEOSGeom_getXMin_r(ctx->geos, g, &xmin) || !GEOSGeom_getYMin_r(ctx->geos, g, &ymin) ||
        !GEOSGeom_getXMax_r(ctx->geos, g, &xmax) || !GEOSGeom_getYMax_r(ctx->geos, g, &ymax))
        return 0;
    if (!isfinite(xmin) || !isfinite(ymin) || !isfinite(xmax) || !isfinite(ymax))
        return 0;
    double limit = extent_limit(geographic);
    return fabs(xmin) <= limit && fabs(xmax) <= limit && fabs(ymin) <= limit && fabs(ymax) <= limit;
}

rr_status rr_area_geometry(rr_ctx *ctx, OGRGeometryH og, int geographic, double precision,
                           rr_valid_scratch *vs, const char *where, GEOSGeometry **out,
                           rr_geom_check *check, rr_packed_geom *packed)
{
    if (packed)
        packed->blob = NULL;
    *check = RR_GEOM_CHECKED;
    if (!og || OGR_G_IsEmpty(og)) {
        rr_warn(ctx, "%s: %s geometry; feature skipped", where, og ? "empty" : "no (NULL)");
        *out = NULL;
        return RR_OK;
    }
    OGRwkbGeometryType gt = wkbFlatten(OGR_G_GetGeometryType(og));
    if (gt != wkbPolygon && gt != wkbMultiPolygon && gt != wkbCurvePolygon &&
        gt != wkbMultiSurface && gt != wkbGeometryCollection) {
        rr_warn(ctx, "%s: %s is not a polygon; feature skipped", where,
                OGRGeometryTypeToName(gt));
        *out = NULL;
        return RR_OK;
    }
    GEOSGeometry *g = NULL;
    rr_status st =
        rr_gdal_polygons_snapped(ctx, og, precision, extent_limit(geographic), vs, &g, packed);
    if (st != RR_OK)
        return rr_error_prefix(ctx, st, "%s", where);
    if (packed && packed->blob) { /* most areas: snapped, valid and packed as read */
        *check = RR_GEOM_SNAPPED;
        *out = NULL;
        return RR_OK;
    }
    if (g) { /* snapped as copied to GEOS, and valid by GEOS's check (packed once the set is made) */
        *check = RR_GEOM_SNAPPED;
        *out = g;
        return RR_OK;
    }
    st = rr_gdal_geometry(ctx, og, &g);
    if (st != RR_OK)
        return rr_error_prefix(ctx, st, "%s", where);
    if (!coords_ok(ctx, g, geographic)) {
        GEOSGeom_destroy_r(ctx->geos, g);
        return rr_error(ctx, RR_ERR_GEOMETRY,
                        "%s: coordinates are not finite or far outside any real extent "
                        "(NaN, infinity or beyond %s)", where,
                        geographic ? "±400 degrees" : "±100,000 km");
    }
    int t = GEOSGeomTypeId_r(ctx->geos, g);
    if (precision > 0 && (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON)) {
        *check = RR_GEOM_UNCHECKED; /* checked once snapped (rr_areaset_snap) */
        *out = g;
        return RR_OK;
    }
    return rr_feature_repair(ctx, g, where, out);
}

/* A feature read but not kept (a failure after its geometry was made): what it holds. */
static void feature_drop(rr_ctx *ctx, GEOSGeometry *g, rr_packed_geom *packed, char *code)
{
    if (g)
        GEOSGeom_destroy_r(ctx->geos, g);
    free(packed->blob);
    free(code);
}

rr_status rr_areaset_read(rr_ctx *ctx, const rr_read_opts *opts, rr_areaset **out)
{
    rr_status st = RR_OK;
    rr_areaset *set = NULL;
    GDALDatasetH ds = NULL;
    OGRSpatialReferenceH assumed = NULL;
    OGRFeatureH feat = NULL;
    rr_link *link = NULL;
    rr_valid_scratch *vs = NULL;
    const char *path = opts->path;
    const char *label = opts->label ? opts->label : "areas";

    if (!path)
        return rr_error(ctx, RR_ERR_ARG, "no input given for the %s areas", label);
    if ((st = rr_gdal_open_vector(ctx, path, NULL, &ds)) != RR_OK)
        return st;
    OGRLayerH lyr = rr_gdal_pick_layer(ctx, ds, path, opts->layer, 0);
    if (!lyr) {
        st = RR_ERR_FORMAT;
        goto out;
    }
    const char *lname = OGR_L_GetName(lyr);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    int code_i;
    if (opts->code_field) {
        code_i = OGR_FD_GetFieldIndex(defn, opts->code_field);
        if (code_i < 0) {
            char *fields = field_list(defn);
            st = rr_error(ctx, RR_ERR_FORMAT, "no field '%s'; the fields are: %s (%s, layer %s)",
                          opts->code_field, fields ? fields : "?", path, lname);
            free(fields);
            goto out;
        }
    } else if ((code_i = detect_code_field(defn)) < 0) {
        char *fields = field_list(defn);
        st = rr_error(ctx, RR_ERR_FORMAT,
                      "no code field found (looked for desokod, deso, regsokod, regso, kod, code); "
                      "name it with --%s-code; the fields are: %s (%s, layer %s)",
                      label, fields ? fields : "?", path, lname);
        free(fields);
        goto out;
    }
    int kommun_i = rr_gdal_field_named(defn, kommun_candidates);
    int group_i = -1;
    if (opts->group_field && (group_i = OGR_FD_GetFieldIndex(defn, opts->group_field)) < 0) {
        char *fields = field_list(defn);
        st = rr_error(ctx, RR_ERR_FORMAT, "no field '%s' to dissolve by; the fields are: %s (%s, "
                      "layer %s)", opts->group_field, fields ? fields : "?", path, lname);
        free(fields);
        goto out;
    }
    if (opts->link_path && (st = rr_link_read(ctx, opts->link_path, opts->link_from,
                                              opts->link_to, &link)) != RR_OK)
        goto out;

    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(lyr);
    if (opts->assume_crs) {
        assumed = rr_gdal_srs_from_user(opts->assume_crs);
        if (!assumed) {
            st = rr_error(ctx, RR_ERR_ARG, "cannot understand the CRS '%s' given with --assume-crs",
                          opts->assume_crs);
            goto out;
        }
        if (!srs)
            srs = assumed;
    }
    if (!srs) {
        st = rr_error(ctx, RR_ERR_CRS,
                      "the layer has no coordinate reference system; give one with --assume-crs "
                      "(e.g. EPSG:3006) (%s, layer %s)", path, lname);
        goto out;
    }

    set = rr_areaset_alloc();
    if (!set || !(set->path = rr_strdup(path)) || !(set->layer = rr_strdup(lname)) ||
        !(set->code_field = rr_strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, code_i)))) ||
        !(set->crs = rr_gdal_srs_wkt(srs)) || !(set->crs_name = rr_gdal_srs_name(srs))) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory reading %s", path);
        goto out;
    }
    set->geographic = OSRIsGeographic(srs);
    /* Snapped after reading (rr_areaset_snap), when validity is checked once, on the snapped
     * geometry: polygons are not checked as read. */
    double precision = opts->precision > 0 ? opts->precision
                       : opts->precision < 0  ? 0
                       : set->geographic      ? 1e-9
                                              : 1e-4;

    GIntBig nfeat = OGR_L_GetFeatureCount(lyr, 0);
    size_t cap = nfeat > 0 ? (size_t)nfeat : 64, index = 0;
    set->areas = calloc(cap, sizeof *set->areas);
    if (!set->areas) {
        st = rr_error(ctx, RR_ERR_NOMEM, "out of memory for %zu areas (%s)", cap, path);
        goto out;
    }
    /* the validity check's working memory, kept for every feature of this file (NULL when out
     * of memory: GEOS checks them all) */
    vs = rr_valid_scratch_new();
    OGR_L_ResetReading(lyr);
    rr_gdal_err gerr;
    rr_gdal_push(&gerr);
    while ((feat = OGR_L_GetNextFeature(lyr)) != NULL) {
        index++;
        if ((index & 63) == 0) {
            rr_progress(ctx, "reading", index, nfeat > 0 ? (size_t)nfeat : 0);
            if (rr_cancelled(ctx)) {
                st = rr_error(ctx, RR_ERR_CANCELLED, "cancelled while reading %s", path);
                break;
            }
        }
        GIntBig fid = OGR_F_GetFID(feat);
        long long fidn = fid == OGRNullFID ? (long long)index : (long long)fid;
        char where[512];
        if (!OGR_F_IsFieldSetAndNotNull(feat, code_i)) {
            rr_warn(ctx, "%s, layer %s, feature %lld: no code in field %s; feature skipped", path,
                    lname, fidn, set->code_field);
            OGR_F_Destroy(feat);
            feat = NULL;
            continue;
        }
        char *code = rr_strdup(OGR_F_GetFieldAsString(feat, code_i));
        if (!code) {
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            break;
        }
        rr_code_normalise(code);
        if (strlen(code) > 256) {
            st = rr_error(ctx, RR_ERR_FORMAT,
                          "code of %zu characters in field %s: not a code (%s, layer %s, feature %lld)",
                          strlen(code), set->code_field, path, lname, fidn);
            free(code);
            break;
        }
        snprintf(where, sizeof where, "%s, layer %s, feature %lld, code %s", path, lname, fidn,
                 code);
        if (!code[0]) {
            rr_warn(ctx, "%s: empty code; feature skipped", where);
            free(code);
            OGR_F_Destroy(feat);
            feat = NULL;
            continue;
        }
        GEOSGeometry *g = NULL;
        rr_geom_check check = RR_GEOM_CHECKED;
        rr_packed_geom packed = {NULL, 0, 0, 0};
        st = rr_area_geometry(ctx, OGR_F_GetGeometryRef(feat), set->geographic, precision, vs,
                              where, &g, &check, &packed);
        if (st != RR_OK) {
            free(code);
            break;
        }
        if (!g && !packed.blob) { /* nothing usable: warned */
            free(code);
            OGR_F_Destroy(feat);
            feat = NULL;
            continue;
        }
        if (set->n == cap) {
            rr_area *bigger = realloc(set->areas, 2 * cap * sizeof *bigger);
            if (!bigger) {
                feature_drop(ctx, g, &packed, code);
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
                break;
            }
            memset(bigger + cap, 0, cap * sizeof *bigger);
            set->areas = bigger;
            cap *= 2;
        }
        /* A coarser level: the area takes its group's code (and is dissolved with its group). */
        char *group = NULL;
        if (group_i >= 0 || link) {
            const char *gc = group_i >= 0 ? (OGR_F_IsFieldSetAndNotNull(feat, group_i)
                                                 ? OGR_F_GetFieldAsString(feat, group_i) : NULL)
                                          : rr_link_group(link, code);
            if (!gc || !gc[0]) {
                st = rr_error(ctx, RR_ERR_DATA, "%s: no group in %s to dissolve by", where,
                              group_i >= 0 ? opts->group_field : opts->link_path);
                feature_drop(ctx, g, &packed, code);
                break;
            }
            group = rr_strdup(gc);
            if (!group) {
                st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
                feature_drop(ctx, g, &packed, code);
                break;
            }
            rr_code_normalise(group);
            free(code);
            code = group;
        }
        rr_area *a = &set->areas[set->n++];
        a->code = code;
        a->geom = g;
        a->blob = packed.blob; /* or packed already (then its area is known) */
        a->blob_size = packed.size;
        a->single = (unsigned char)packed.single;
        a->area = packed.blob ? packed.area : 0;
        a->features = 1;
        a->fid = fidn;
        a->check = (unsigned char)check;
        if (kommun_i >= 0 && OGR_F_IsFieldSetAndNotNull(feat, kommun_i))
            a->kommun = rr_strdup(OGR_F_GetFieldAsString(feat, kommun_i));
        else
            a->kommun = kommun_from_code(code);
        if (!a->kommun) { /* the area is in the set: freed with it */
            st = rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", path);
            break;
        }
        OGR_F_Destroy(feat);
        feat = NULL;
    }
    rr_gdal_pop();
    set->feature_count = index;
    if (st != RR_OK)
        goto out;
    if (set->n == 0) {
        st = rr_error(ctx, RR_ERR_FORMAT, "no usable polygon features (%s, layer %s)", path, lname);
        goto out;
    }
    rr_notice(ctx, "%s: layer %s, code field %s, %zu features, CRS %s", path, lname,
              set->code_field, set->feature_count, set->crs_name);
    if (group_i >= 0 || link) {
        /* the codes are now the groups' */
        char *level = rr_sprintf("%s (dissolved by %s)", set->code_field,
                                 group_i >= 0 ? opts->group_field : opts->link_path);
        if (level) {
            free(set->code_field);
            set->code_field = level;
        }
    }
    if ((st = rr_areaset_snap(ctx, set, precision)) != RR_OK)
        goto out;
    if (set->n == 0) { /* every feature repaired to nothing */
        st = rr_error(ctx, RR_ERR_FORMAT, "no usable polygon features (%s, layer %s)", path, lname);
        goto out;
    }
    if ((st = rr_areaset_finish(ctx, set, path, opts->group_field || opts->link_path)) != RR_OK ||
        (st = rr_areaset_pack(ctx, set)) != RR_OK)
        goto out;
    *out = set;
    set = NULL;
out:
    if (feat)
        OGR_F_Destroy(feat);
    rr_areaset_free(set);
    rr_link_free(link);
    rr_valid_scratch_free(vs);
    if (assumed)
        OSRDestroySpatialReference(assumed);
    if (ds)
        GDALClose(ds);
    return st;
}

/* One input to read: an area set (area_opts) or a population source (pop_opts). */
/* Messages of an input read beside others, held back until its turn (read_all). */
typedef struct held_msg {
    rr_diag_level level;
    char *text;
} held_msg;

typedef struct read_job {
    rr_ctx *ctx;
    const rr_read_opts *area_opts;
    const rr_pop_opts *pop_opts;
    rr_areaset *set;
    rr_popsource *pop;
    char *pop_crs;
    rr_status st;
    pthread_t tid;
    int started;
    held_msg *held;
    size_t nheld, capheld;
} read_job;

static void hold_msg(rr_diag_level level, const char *message, void *user)
{
    read_job *r = user;
    held_msg *room = rr_grow(r->held, &r->capheld, r->nheld + 1, sizeof *room, 16);
    char *text = room ? rr_strdup(message) : NULL;
    if (room)
        r->held = room;
    if (text) /* out of memory: the message is lost, the warning still counted */
        r->held[r->nheld++] = (held_msg){level, text};
}

/* Pass the held messages on to ctx's callback, in the order they came, and drop them. */
static void release_msgs(rr_ctx *ctx, read_job *r)
{
    for (size_t i = 0; i < r->nheld; i++) {
        if (ctx->diag)
            ctx->diag(r->held[i].level, r->held[i].text, ctx->diag_user);
        free(r->held[i].text);
    }
    free(r->held);
    r->held = NULL;
    r->nheld = r->capheld = 0;
}

static void *read_main(void *arg)
{
    read_job *r = arg;
    r->st = r->area_opts ? rr_areaset_read(r->ctx, r->area_opts, &r->set)
                         : rr_popsource_read_raw(r->ctx, r->pop_opts, &r->pop, &r->pop_crs);
    return NULL;
}

static void read_job_clear(read_job *r)
{
    rr_areaset_free(r->set);
    rr_popsource_free(r->pop);
    free(r->pop_crs);
    r->set = NULL;
    r->pop = NULL;
    r->pop_crs = NULL;
}

/* Read the n inputs, the first in the calling thread, the others beside it when threads > 1
 * (each in a worker context whose messages are held and passed on after those of the inputs
 * before it, as when read one after the other). On failure every job is cleared and ctx holds
 * the first failing input's message. */
static rr_status read_all(rr_ctx *ctx, read_job *jobs, int n, int threads)
{
    jobs[0].ctx = ctx;
    for (int k = 1; k < n; k++) {
        jobs[k].ctx = threads > 1 ? rr_ctx_worker(ctx) : NULL;
        if (jobs[k].ctx)
            rr_ctx_set_diag(jobs[k].ctx, hold_msg, &jobs[k]);
        if (jobs[k].ctx && pthread_create(&jobs[k].tid, NULL, read_main, &jobs[k]) == 0)
            jobs[k].started = 1;
    }
    read_main(&jobs[0]);
    rr_status st = jobs[0].st;
    for (int k = 1; k < n; k++) {
        if (jobs[k].started) {
            pthread_join(jobs[k].tid, NULL);
            release_msgs(ctx, &jobs[k]);
            rr_ctx_take_warnings(ctx, jobs[k].ctx);
        } else if (st == RR_OK) { /* one after the other */
            rr_ctx *own = jobs[k].ctx;
            jobs[k].ctx = ctx;
            read_main(&jobs[k]);
            jobs[k].ctx = own;
        }
        if (st == RR_OK && (st = jobs[k].st) != RR_OK && jobs[k].started)
            memcpy(ctx->errmsg, jobs[k].ctx->errmsg, sizeof ctx->errmsg);
        release_msgs(ctx, &jobs[k]); /* none left unless a thread could not start */
        rr_ctx_free(jobs[k].ctx);
        jobs[k].ctx = NULL;
    }
    if (st != RR_OK)
        for (int k = 0; k < n; k++)
            read_job_clear(&jobs[k]);
    return st;
}

rr_status rr_areaset_read_pair(rr_ctx *ctx, const rr_read_opts *a, const rr_read_opts *b,
                               int threads, rr_areaset **out_a, rr_areaset **out_b)
{
    read_job jobs[2] = {{.area_opts = a}, {.area_opts = b}};
    rr_status st = read_all(ctx, jobs, 2, threads);
    if (st == RR_OK) {
        *out_a = jobs[0].set;
        *out_b = jobs[1].set;
    }
    return st;
}

rr_status rr_inputs_read(rr_ctx *ctx, const rr_read_opts *old_opts, const rr_read_opts *new_opts,
                         const rr_pop_opts *pop_opts, int threads, rr_areaset **old_set,
                         rr_areaset **new_set, rr_popsource **pop)
{
    read_job jobs[3] = {{.area_opts = old_opts}, {.area_opts = new_opts}, {.pop_opts = pop_opts}};
    int n = pop_opts && pop_opts->path ? 3 : 2;
    rr_status st = read_all(ctx, jobs, n, threads);
    if (st == RR_OK && (st = rr_areaset_match_crs(ctx, jobs[1].set, jobs[0].set)) == RR_OK &&
        n == 3)
        st = rr_popsource_place(ctx, pop_opts, jobs[0].set, jobs[2].pop, jobs[2].pop_crs);
    if (st != RR_OK) {
        for (int k = 0; k < n; k++)
            read_job_clear(&jobs[k]);
        return st;
    }
    free(jobs[2].pop_crs);
    *old_set = jobs[0].set;
    *new_set = jobs[1].set;
    *pop = jobs[2].pop;
    return RR_OK;
}
