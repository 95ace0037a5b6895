/* write_gpkg.c: review.gpkg for GIS users: layers old, new, pieces, changes and QGIS styles. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_string.h>

#include "io_gdal.h"
#include "review/review.h"

/* One writer run: the dataset, its CRS and where GDAL's messages go. */
typedef struct gpkg_writer {
    rr_ctx *ctx;
    const rr_revision *rev;
    const char *path;
    GDALDatasetH ds;
    OGRSpatialReferenceH srs;
    rr_gdal_err err;
} gpkg_writer;

static const char *old_code(const rr_revision *rev, size_t i)
{
    return i == RR_NONE ? "" : rev->old_set->areas[i].code;
}

static const char *new_code(const rr_revision *rev, size_t i)
{
    return i == RR_NONE ? "" : rev->new_set->areas[i].code;
}

static rr_status gdal_fail(gpkg_writer *w, rr_status st, const char *what, const char *layer)
{
    if (layer)
        return rr_error(w->ctx, st, "%s: %s (%s, layer %s)", what, rr_gdal_msg(&w->err), w->path,
                        layer);
    return rr_error(w->ctx, st, "%s: %s (%s)", what, rr_gdal_msg(&w->err), w->path);
}

typedef struct field_spec {
    const char *name;
    OGRFieldType type;
    OGRFieldSubType subtype;
} field_spec;

static rr_status create_layer(gpkg_writer *w, const char *name, OGRwkbGeometryType gtype,
                              const char *description, const field_spec *fields, size_t nfields,
                              OGRLayerH *out)
{
    char *desc = rr_sprintf("DESCRIPTION=%s", description);
    const char *opts[] = {"GEOMETRY_NAME=geom", "FID=fid", desc, NULL};
    OGRLayerH lyr = desc ? GDALDatasetCreateLayer(w->ds, name, gtype == wkbNone ? NULL : w->srs,
                                                  gtype, (char **)opts)
                         : NULL;
    free(desc);
    if (!lyr)
        return gdal_fail(w, RR_ERR_IO, "cannot create layer", name);
    for (size_t i = 0; i < nfields; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i].name, fields[i].type);
        OGR_Fld_SetSubType(fd, fields[i].subtype);
        OGRErr e = OGR_L_CreateField(lyr, fd, 1);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return gdal_fail(w, RR_ERR_IO, "cannot create field", name);
    }
    *out = lyr;
    return RR_OK;
}

/* GEOS polygons → an OGR MultiPolygon (layers are typed MultiPolygon so QGIS sees one type). */
static OGRGeometryH to_multipolygon(gpkg_writer *w, const GEOSGeometry *g)
{
    OGRGeometryH og = rr_geos_to_gdal(w->ctx, g);
    return og ? OGR_G_ForceToMultiPolygon(og) : NULL;
}

static void set_real_or_null(OGRFeatureH f, int i, double v)
{
    if (isnan(v))
        OGR_F_SetFieldNull(f, i);
    else
        OGR_F_SetFieldDouble(f, i, v);
}

/* Write and free feature f; `what` names it in a message ("feature 3 (code 2080C1010)"). */
static rr_status put_feature(gpkg_writer *w, OGRLayerH lyr, OGRFeatureH f, OGRGeometryH geom,
                             const char *what)
{
    if (geom)
        OGR_F_SetGeometryDirectly(f, geom);
    OGRErr e = OGR_L_CreateFeature(lyr, f);
    OGR_F_Destroy(f);
    if (e == OGRERR_NONE)
        return RR_OK;
    return rr_error(w->ctx, RR_ERR_IO, "cannot write %s: %s (%s, layer %s)", what,
                    rr_gdal_msg(&w->err), w->path, OGR_L_GetName(lyr));
}

static rr_status begin(gpkg_writer *w, const char *layer)
{
    if (GDALDatasetStartTransaction(w->ds, FALSE) != OGRERR_NONE)
        return gdal_fail(w, RR_ERR_IO, "cannot start a transaction", layer);
    return RR_OK;
}

static rr_status end(gpkg_writer *w, const char *layer, rr_status st)
{
    if (st != RR_OK) {
        GDALDatasetRollbackTransaction(w->ds);
        return st;
    }
    if (GDALDatasetCommitTransaction(w->ds) != OGRERR_NONE)
        return gdal_fail(w, RR_ERR_IO, "cannot commit", layer);
    return RR_OK;
}

static rr_status write_areas(gpkg_writer *w, int side)
{
    static const field_spec fields[] = {
        {"code", OFTString, OFSTNone},  {"class", OFTString, OFSTNone},
        {"kommun", OFTString, OFSTNone}, {"area_m2", OFTReal, OFSTNone},
        {"pop", OFTReal, OFSTNone},     {"related", OFTString, OFSTNone},
    };
    const rr_revision *rev = w->rev;
    const rr_areaset *set = side ? rev->new_set : rev->old_set;
    const rr_area_info *info = side ? rev->new_info : rev->old_info;
    const char *name = side ? "new" : "old";
    OGRLayerH lyr;
    rr_status st = create_layer(w, name, wkbMultiPolygon,
                                side ? "Areas of the new version, classified by their change"
                                     : "Areas of the old version, classified by their change",
                                fields, sizeof fields / sizeof *fields, &lyr);
    if (st != RR_OK || (st = begin(w, name)) != RR_OK)
        return st;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    for (size_t i = 0; i < set->n && st == RR_OK; i++) {
        const rr_area *a = &set->areas[i];
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, 0, a->code);
        OGR_F_SetFieldString(f, 1, info ? rr_area_class_name(info[i].cls) : "");
        OGR_F_SetFieldString(f, 2, a->kommun ? a->kommun : "");
        OGR_F_SetFieldDouble(f, 3, a->area);
        set_real_or_null(f, 4, rev->has_pop && info ? info[i].pop : NAN);
        OGR_F_SetFieldString(f, 5, info && info[i].related ? info[i].related : "");
        OGRGeometryH g = to_multipolygon(w, a->geom);
        if (!g) {
            OGR_F_Destroy(f);
            st = rr_error_prefix(w->ctx, RR_ERR_GEOMETRY, "%s, layer %s, feature %zu (code %s)",
                                 w->path, name, i + 1, a->code);
            break;
        }
        char what[160];
        snprintf(what, sizeof what, "feature %zu (code %s)", i + 1, a->code);
        st = put_feature(w, lyr, f, g, what);
    }
    return end(w, name, st);
}

static _Thread_local const rr_revision *sort_rev;
static int cmp_piece_q(const void *a, const void *b)
{
    const rr_piece *x = *(const rr_piece *const *)a, *y = *(const rr_piece *const *)b;
    int c = strcmp(old_code(sort_rev, x->old_idx), old_code(sort_rev, y->old_idx));
    if (c)
        return c;
    if ((c = strcmp(new_code(sort_rev, x->new_idx), new_code(sort_rev, y->new_idx))))
        return c;
    return x->area < y->area ? 1 : x->area > y->area ? -1 : 0;
}

/* Pieces in the order of pieces.csv (old code, new code, larger first). */
static rr_status write_pieces(gpkg_writer *w)
{
    static const field_spec fields[] = {
        {"old_code", OFTString, OFSTNone}, {"new_code", OFTString, OFSTNone},
        {"area_m2", OFTReal, OFSTNone},    {"pop", OFTReal, OFSTNone},
        {"transfer", OFTInteger, OFSTBoolean},
    };
    const rr_revision *rev = w->rev;
    const rr_piece **order = malloc((rev->npieces ? rev->npieces : 1) * sizeof *order);
    if (!order)
        return rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    for (size_t k = 0; k < rev->npieces; k++)
        order[k] = &rev->pieces[k];
    sort_rev = rev;
    qsort(order, rev->npieces, sizeof *order, cmp_piece_q);
    OGRLayerH lyr;
    rr_status st = create_layer(w, "pieces", wkbMultiPolygon,
                                "Intersections of old and new areas (pieces.csv), exact geometry",
                                fields, sizeof fields / sizeof *fields, &lyr);
    if (st == RR_OK && (st = begin(w, "pieces")) == RR_OK) {
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
        for (size_t k = 0; k < rev->npieces && st == RR_OK; k++) {
            const rr_piece *p = order[k];
            const char *oc = old_code(rev, p->old_idx), *nc = new_code(rev, p->new_idx);
            OGRFeatureH f = OGR_F_Create(defn);
            OGR_F_SetFieldString(f, 0, oc);
            OGR_F_SetFieldString(f, 1, nc);
            OGR_F_SetFieldDouble(f, 2, p->area);
            set_real_or_null(f, 3, rev->has_pop ? p->pop : NAN);
            OGR_F_SetFieldInteger(f, 4, p->transfer ? 1 : 0);
            OGRGeometryH g = p->shape ? to_multipolygon(w, p->shape) : NULL;
            if (!g) {
                OGR_F_Destroy(f);
                st = rr_error_prefix(w->ctx, RR_ERR_GEOMETRY,
                                     "%s, layer pieces, feature %zu (old %s, new %s)", w->path,
                                     k + 1, oc, nc);
                break;
            }
            char what[200];
            snprintf(what, sizeof what, "feature %zu (old %s, new %s)", k + 1, oc, nc);
            st = put_feature(w, lyr, f, g, what);
        }
        st = end(w, "pieces", st);
    }
    free(order);
    return st;
}

static rr_status write_changes(gpkg_writer *w)
{
    static const field_spec fields[] = {
        {"old_code", OFTString, OFSTNone},    {"new_code", OFTString, OFSTNone},
        {"change_type", OFTString, OFSTNone}, {"area_m2", OFTReal, OFSTNone},
        {"pop", OFTReal, OFSTNone},
    };
    const rr_revision *rev = w->rev;
    OGRLayerH lyr;
    rr_status st = create_layer(w, "changes", wkbMultiPolygon,
                                "SCB's change list regenerated from the geometry (changes.csv); "
                                "geometry: the pieces that moved",
                                fields, sizeof fields / sizeof *fields, &lyr);
    if (st != RR_OK || (st = begin(w, "changes")) != RR_OK)
        return st;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    rr_piece_index ix;
    if (!rr_piece_index_build(rev, &ix))
        return end(w, "changes", rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path));
    for (size_t k = 0; k < rev->nchanges && st == RR_OK; k++) {
        const rr_change *c = &rev->changes[k];
        const char *oc = old_code(rev, c->old_idx), *nc = new_code(rev, c->new_idx);
        GEOSGeometry *shape = rr_review_change_shape(w->ctx, rev, c, &ix, &st);
        if (st != RR_OK) {
            st = rr_error_prefix(w->ctx, st, "%s, layer changes, feature %zu (old %s, new %s)",
                                 w->path, k + 1, oc, nc);
            break;
        }
        OGRGeometryH g = NULL;
        if (shape) {
            g = GEOSisEmpty_r(w->ctx->geos, shape) == 1 ? NULL : to_multipolygon(w, shape);
            int failed = !g && GEOSisEmpty_r(w->ctx->geos, shape) != 1;
            GEOSGeom_destroy_r(w->ctx->geos, shape);
            if (failed) {
                st = rr_error_prefix(w->ctx, RR_ERR_GEOMETRY,
                                     "%s, layer changes, feature %zu (old %s, new %s)", w->path,
                                     k + 1, oc, nc);
                break;
            }
        }
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, 0, oc);
        OGR_F_SetFieldString(f, 1, nc);
        OGR_F_SetFieldString(f, 2, rr_change_type_name(c->type));
        OGR_F_SetFieldDouble(f, 3, c->area);
        set_real_or_null(f, 4, rev->has_pop ? c->pop : NAN);
        char what[200];
        snprintf(what, sizeof what, "feature %zu (old %s, new %s)", k + 1, oc, nc);
        st = put_feature(w, lyr, f, g, what);
    }
    rr_piece_index_free(&ix);
    return end(w, "changes", st);
}

/* ---- QGIS styles: QGIS loads the row of layer_styles marked useAsDefault with the layer ---- */

static void qml_fill_symbol(rr_buf *b, int name, const char *rgba, const char *outline_rgba,
                            const char *outline_width, const char *outline_style,
                            const char *fill_style)
{
    rr_buf_addf(b,
                "<symbol type=\"fill\" name=\"%d\" alpha=\"1\" clip_to_extent=\"1\" "
                "force_rhr=\"0\"><layer class=\"SimpleFill\" enabled=\"1\" pass=\"0\" "
                "locked=\"0\"><Option type=\"Map\">"
                "<Option name=\"color\" type=\"QString\" value=\"%s\"/>"
                "<Option name=\"outline_color\" type=\"QString\" value=\"%s\"/>"
                "<Option name=\"outline_style\" type=\"QString\" value=\"%s\"/>"
                "<Option name=\"outline_width\" type=\"QString\" value=\"%s\"/>"
                "<Option name=\"outline_width_unit\" type=\"QString\" value=\"MM\"/>"
                "<Option name=\"style\" type=\"QString\" value=\"%s\"/>"
                "</Option></layer></symbol>",
                name, rgba, outline_rgba, outline_style, outline_width, fill_style);
}

/* Old and new areas: categories by class, old with dashed outlines (drawn below new). */
static char *qml_classes(int side)
{
    rr_buf b = {0};
    rr_buf_add(&b, "<qgis version=\"3.28.0\" styleCategories=\"Symbology\">"
                   "<renderer-v2 type=\"categorizedSymbol\" attr=\"class\" symbollevels=\"0\" "
                   "enableorderby=\"0\" forceraster=\"0\"><categories>");
    for (int c = 0; c < RR_CLASS_COUNT; c++)
        rr_buf_addf(&b, "<category value=\"%s\" symbol=\"%d\" label=\"%s\" render=\"true\"/>",
                    rr_area_class_name((rr_area_class)c), c, rr_area_class_name((rr_area_class)c));
    rr_buf_add(&b, "</categories><symbols>");
    for (int c = 0; c < RR_CLASS_COUNT; c++) {
        char rgba[32];
        unsigned r = 0, g = 0, bl = 0;
        sscanf(rr_review_class_colour[c], "#%2x%2x%2x", &r, &g, &bl);
        snprintf(rgba, sizeof rgba, "%u,%u,%u,%s", r, g, bl, side ? "255" : "160");
        qml_fill_symbol(&b, c, rgba, side ? "60,60,60,255" : "200,40,40,255",
                        side ? "0.26" : "0.4", side ? "solid" : "dash", "solid");
    }
    rr_buf_add(&b, "</symbols></renderer-v2></qgis>");
    if (b.failed) {
        rr_buf_free(&b);
        return NULL;
    }
    return b.s;
}

static char *qml_single(const char *rgba, const char *outline, const char *width,
                        const char *fill_style)
{
    rr_buf b = {0};
    rr_buf_add(&b, "<qgis version=\"3.28.0\" styleCategories=\"Symbology\">"
                   "<renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" "
                   "forceraster=\"0\"><symbols>");
    qml_fill_symbol(&b, 0, rgba, outline, width, "solid", fill_style);
    rr_buf_add(&b, "</symbols></renderer-v2></qgis>");
    if (b.failed) {
        rr_buf_free(&b);
        return NULL;
    }
    return b.s;
}

static rr_status write_styles(gpkg_writer *w)
{
    static const field_spec fields[] = {
        {"f_table_catalog", OFTString, OFSTNone}, {"f_table_schema", OFTString, OFSTNone},
        {"f_table_name", OFTString, OFSTNone},    {"f_geometry_column", OFTString, OFSTNone},
        {"styleName", OFTString, OFSTNone},       {"styleQML", OFTString, OFSTNone},
        {"styleSLD", OFTString, OFSTNone},        {"useAsDefault", OFTInteger, OFSTBoolean},
        {"description", OFTString, OFSTNone},     {"owner", OFTString, OFSTNone},
        {"ui", OFTString, OFSTNone},              {"update_time", OFTDateTime, OFSTNone},
    };
    OGRLayerH lyr;
    rr_status st = create_layer(w, "layer_styles", wkbNone, "QGIS layer styles", fields,
                                sizeof fields / sizeof *fields, &lyr);
    if (st != RR_OK || (st = begin(w, "layer_styles")) != RR_OK)
        return st;
    static const char *const tables[] = {"old", "new", "pieces", "changes"};
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    for (int t = 0; t < 4 && st == RR_OK; t++) {
        char *qml = t < 2 ? qml_classes(t)
                  : t == 2 ? qml_single("0,0,0,0", "90,90,90,255", "0.2", "no")
                           : qml_single("230,85,13,110", "166,54,3,255", "0.5", "solid");
        if (!qml) {
            st = rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
            break;
        }
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, 0, "");
        OGR_F_SetFieldString(f, 1, "");
        OGR_F_SetFieldString(f, 2, tables[t]);
        OGR_F_SetFieldString(f, 3, "geom");
        OGR_F_SetFieldString(f, 4, "regrev");
        OGR_F_SetFieldString(f, 5, qml);
        OGR_F_SetFieldString(f, 6, "");
        OGR_F_SetFieldInteger(f, 7, 1);
        OGR_F_SetFieldString(f, 8, "regrev review style");
        free(qml);
        st = put_feature(w, lyr, f, NULL, tables[t]);
    }
    return end(w, "layer_styles", st);
}

rr_status rr_write_review_gpkg(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    if (!rev || !path || !rev->old_info || !rev->new_info)
        return rr_error(ctx, RR_ERR_ARG, "review.gpkg needs an analysed revision (%s)",
                        path ? path : "no path");
    rr_gdal_init();
    gpkg_writer w = {.ctx = ctx, .rev = rev, .path = path};
    rr_status st = RR_OK;
    rr_gdal_push(&w.err);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) {
        st = rr_error(ctx, RR_ERR_INTERNAL, "GDAL has no GPKG driver (%s)", path);
        goto out;
    }
    /* The GPKG driver refuses to create over an existing file; the other writers overwrite. */
    if (unlink(path) != 0 && errno != ENOENT) {
        st = rr_error(ctx, RR_ERR_IO, "cannot replace: %s (%s)", strerror(errno), path);
        goto out;
    }
    if (rev->old_set->crs) {
        w.srs = rr_gdal_srs_from_user(rev->old_set->crs);
        if (!w.srs) {
            st = rr_error(ctx, RR_ERR_CRS, "cannot use the input CRS %s for review.gpkg (%s)",
                          rev->old_set->crs_name ? rev->old_set->crs_name : "", path);
            goto out;
        }
        /* Our coordinates are x = east (STYLE.md): keep them so for geographic CRSs too. */
        OSRSetAxisMappingStrategy(w.srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    /* 64 KiB SQLite pages (default 4 KiB): an area's geometry is a blob of up to a few MB, which
     * SQLite keeps in chains of overflow pages; larger pages write it 15-25 % faster on the 6 x 6
     * pair (file 10 % larger). Set for this thread only, unless the user set pragmas. */
    int own_pragma = CPLGetConfigOption("OGR_SQLITE_PRAGMA", NULL) == NULL;
    if (own_pragma)
        CPLSetThreadLocalConfigOption("OGR_SQLITE_PRAGMA", "page_size=65536");
    w.ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (own_pragma)
        CPLSetThreadLocalConfigOption("OGR_SQLITE_PRAGMA", NULL);
    if (!w.ds) {
        st = gdal_fail(&w, RR_ERR_IO, "cannot create", NULL);
        goto out;
    }
    if ((st = write_areas(&w, 0)) != RR_OK || (st = write_areas(&w, 1)) != RR_OK ||
        (st = write_pieces(&w)) != RR_OK || (st = write_changes(&w)) != RR_OK ||
        (st = write_styles(&w)) != RR_OK)
        goto out;
    /* GDAL 3.6's GDALClose returns nothing: a failed final flush shows as a captured error. */
    w.err.count = 0;
    GDALClose(w.ds);
    w.ds = NULL;
    if (w.err.count) {
        st = gdal_fail(&w, RR_ERR_IO, "cannot finish writing", NULL);
        goto out;
    }
out:
    if (w.ds)
        GDALClose(w.ds);
    if (w.srs)
        OSRDestroySpatialReference(w.srs);
    rr_gdal_pop();
    if (st != RR_OK)
        unlink(path);
    return st;
}
