/* write_gpkg.c: review.gpkg for GIS users: layers old, new, pieces, changes and QGIS styles.
 *
 * Written with SQLite directly, as the GeoPackage 1.2 standard lays the file out (the tables
 * gpkg_spatial_ref_sys, gpkg_contents, gpkg_geometry_columns and gpkg_extensions, one table per
 * layer with GeoPackage geometry blobs, an R-tree per layer with the standard's triggers) and as
 * GDAL writes it (gpkg_ogr_contents with its feature counts, 64 KiB pages). Through GDAL every
 * geometry was converted twice (GEOS → OGR, OGR → WKB) and GDAL built the R-tree of every layer
 * but the first by reading each blob back: on the 6 × 6 bench pair this writer takes 0.47-0.53 s
 * where GDAL's took 0.67-0.72 s (2 × 2 pair: 474 against 805 million instructions). The blob is
 * written from the coordinate arrays and its envelope, kept for the R-tree, comes from the same
 * pass. The tests read the file back with GDAL (layers, fields, geometry, CRS, styles, R-tree
 * boxes against the features' envelopes, spatial filters); GDAL's validate_gpkg.py finds
 * nothing to report on the Dalarna and bench outputs. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <sqlite3.h>

#include "gpkg_blob.h"
#include "gpkg_rtree.h"
#include "io_gdal.h"
#include "review/review.h"

/* One writer run: the database, the CRS's srs_id, the blob being built and the layer's R-tree. */
typedef struct gpkg_writer {
    rr_ctx *ctx;
    const rr_revision *rev;
    const char *path;
    sqlite3 *db;
    int srs_id;
    rr_blob_builder blob; /* the current feature's geometry blob and its envelope */
    rr_rtree_entry *rt; /* the layer's features with geometry, by fid */
    size_t nrt, caprt;
} gpkg_writer;


static rr_status db_fail(gpkg_writer *w, const char *what, const char *layer)
{
    if (!w->db || sqlite3_errcode(w->db) == SQLITE_NOMEM)
        return rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    const char *msg = sqlite3_errmsg(w->db);
    if (layer)
        return rr_error(w->ctx, RR_ERR_IO, "%s: %s (%s, layer %s)", what, msg, w->path, layer);
    return rr_error(w->ctx, RR_ERR_IO, "%s: %s (%s)", what, msg, w->path);
}

/* Run sql, a statement made by sqlite3_mprintf (freed here; NULL: out of memory). */
static rr_status exec_own(gpkg_writer *w, char *sql, const char *layer)
{
    if (!sql)
        return rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    int rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    return rc == SQLITE_OK ? RR_OK : db_fail(w, "cannot write", layer);
}

/* ---- layers --------------------------------------------------------------------------------- */

typedef struct field_spec {
    const char *name;
    const char *type; /* TEXT, REAL, INTEGER, BOOLEAN, DATETIME */
} field_spec;

/* One layer being written: its insert statement and extent. */
typedef struct layer {
    const char *name;
    int geometric;
    sqlite3_stmt *insert; /* fid, [geom,] fields in order */
    double ext[4];        /* minx, maxx, miny, maxy of the features */
    int64_t count;
} layer;

static rr_status layer_begin(gpkg_writer *w, layer *l, const char *name, int geometric,
                             const char *description, const field_spec *fields, size_t nfields)
{
    *l = (layer){
        .name = name, .geometric = geometric, .ext = {INFINITY, -INFINITY, INFINITY, -INFINITY}};
    w->nrt = 0;
    rr_buf cols = {0}, marks = {0};
    rr_buf_addf(&cols, "\"fid\"%s", geometric ? ", \"geom\"" : "");
    rr_buf_add(&marks, geometric ? "?, ?" : "?");
    char *create = sqlite3_mprintf("CREATE TABLE \"%w\" (\"fid\" INTEGER PRIMARY KEY AUTOINCREMENT "
                                   "NOT NULL%s",
                                   name, geometric ? ", \"geom\" MULTIPOLYGON" : "");
    for (size_t i = 0; i < nfields && create; i++) {
        char *more = sqlite3_mprintf("%s, \"%w\" %s", create, fields[i].name, fields[i].type);
        sqlite3_free(create);
        create = more;
        rr_buf_addf(&cols, ", \"%s\"", fields[i].name);
        rr_buf_add(&marks, ", ?");
    }
    char *closed = create ? sqlite3_mprintf("%s)", create) : NULL;
    sqlite3_free(create);
    rr_status st = RR_OK;
    if (cols.failed || marks.failed) {
        sqlite3_free(closed);
        st = rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    } else {
        st = exec_own(w, closed, name);
    }
    if (st == RR_OK)
        st = exec_own(w,
                      sqlite3_mprintf("INSERT INTO gpkg_contents (table_name, data_type, "
                                      "identifier, description, srs_id) VALUES ('%q', '%s', '%q', "
                                      "'%q', %d)",
                                      name, geometric ? "features" : "attributes", name,
                                      description, geometric ? w->srs_id : 0),
                      name);
    if (st == RR_OK && geometric)
        st = exec_own(w,
                      sqlite3_mprintf("INSERT INTO gpkg_geometry_columns VALUES ('%q', 'geom', "
                                      "'MULTIPOLYGON', %d, 0, 0)",
                                      name, w->srs_id),
                      name);
    if (st == RR_OK) {
        char *ins = sqlite3_mprintf("INSERT INTO \"%w\" (%s) VALUES (%s)", name, cols.s, marks.s);
        if (!ins)
            st = rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
        else if (sqlite3_prepare_v2(w->db, ins, -1, &l->insert, NULL) != SQLITE_OK)
            st = db_fail(w, "cannot write", name);
        sqlite3_free(ins);
    }
    rr_buf_free(&cols);
    rr_buf_free(&marks);
    return st;
}

/* Insert the feature bound to l->insert (fields from column 3 on, or 2 without geometry) with
 * geometry g, or a blob rr_gpkg_blob made (packed, packed_size: a packed piece; its srs_id is set
 * here), or none (both NULL); `what` names it in a message ("feature 3 (code 2080C1010)"). */
static rr_status layer_put(gpkg_writer *w, layer *l, const GEOSGeometry *g,
                           const unsigned char *packed, size_t packed_size, const char *what)
{
    int64_t fid = l->count + 1;
    sqlite3_bind_int64(l->insert, 1, fid);
    int empty = 1;
    rr_blob_builder *b = &w->blob;
    b->srs_id = w->srs_id;
    if (l->geometric && packed) {
        rr_status st = rr_blob_copy(b, packed, packed_size, &empty);
        if (st != RR_OK)
            return st;
    } else if (l->geometric && g) {
        rr_status st = rr_blob_of(b, g, &empty);
        if (st != RR_OK)
            return rr_error_prefix(w->ctx, st, "%s, layer %s, %s", w->path, l->name, what);
    }
    if (l->geometric && !empty)
        sqlite3_bind_blob64(l->insert, 2, b->b, (sqlite3_uint64)b->n, SQLITE_STATIC);
    else if (l->geometric)
        sqlite3_bind_null(l->insert, 2);
    int rc = sqlite3_step(l->insert);
    sqlite3_reset(l->insert);
    sqlite3_clear_bindings(l->insert);
    if (rc != SQLITE_DONE)
        return rr_error(w->ctx, RR_ERR_IO, "cannot write %s: %s (%s, layer %s)", what,
                        sqlite3_errmsg(w->db), w->path, l->name);
    l->count++;
    if (l->geometric && !empty) {
        rr_rtree_entry *room = rr_grow(w->rt, &w->caprt, w->nrt + 1, sizeof *room, 1024);
        if (!room)
            return rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
        w->rt = room;
        rr_rtree_entry *e = &w->rt[w->nrt++];
        e->fid = fid;
        memcpy(e->box, b->env, sizeof e->box);
        l->ext[0] = fmin(l->ext[0], b->env[0]);
        l->ext[1] = fmax(l->ext[1], b->env[1]);
        l->ext[2] = fmin(l->ext[2], b->env[2]);
        l->ext[3] = fmax(l->ext[3], b->env[3]);
    }
    return RR_OK;
}

static void bind_text(layer *l, int col, const char *s)
{
    sqlite3_bind_text(l->insert, col, s ? s : "", -1, SQLITE_STATIC);
}

static void bind_real_or_null(layer *l, int col, double v)
{
    if (isnan(v))
        sqlite3_bind_null(l->insert, col);
    else
        sqlite3_bind_double(l->insert, col, v);
}

/* Run the statement sql (made by sqlite3_mprintf, freed here) with doubles v[0 .. n) bound. */
static rr_status exec_doubles(gpkg_writer *w, char *sql, const double *v, int n, const char *name)
{
    sqlite3_stmt *stmt = NULL;
    rr_status st = RR_OK;
    if (!sql)
        st = rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    else if (sqlite3_prepare_v2(w->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        st = db_fail(w, "cannot write", name);
    for (int i = 0; st == RR_OK && i < n; i++)
        sqlite3_bind_double(stmt, i + 1, v[i]);
    if (st == RR_OK && sqlite3_step(stmt) != SQLITE_DONE)
        st = db_fail(w, "cannot write", name);
    sqlite3_finalize(stmt);
    sqlite3_free(sql);
    return st;
}

/* The layer's extent, feature count and (with geometry) R-tree with the triggers of the
 * GeoPackage R-tree extension, which keep it up to date when another program edits the layer. st:
 * how writing the features went; when it failed, only the statement is let go. */
static rr_status layer_end(gpkg_writer *w, layer *l, rr_status st)
{
    sqlite3_finalize(l->insert);
    l->insert = NULL;
    if (st != RR_OK)
        return st;
    const char *t = l->name;
    if (l->geometric && l->ext[0] <= l->ext[1]) {
        double ext[4] = {l->ext[0], l->ext[2], l->ext[1], l->ext[3]};
        st = exec_doubles(w,
                          sqlite3_mprintf("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = "
                                          "?, max_y = ? WHERE table_name = '%q'",
                                          t),
                          ext, 4, t);
    }
    if (st == RR_OK)
        st = exec_own(
            w,
            sqlite3_mprintf("INSERT INTO gpkg_ogr_contents VALUES ('%q', %lld);CREATE TRIGGER "
                            "\"trigger_insert_feature_count_%w\" AFTER INSERT ON \"%w\" BEGIN "
                            "UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE "
                            "lower(table_name) = lower('%q'); END;CREATE TRIGGER "
                            "\"trigger_delete_feature_count_%w\" AFTER DELETE ON \"%w\" BEGIN "
                            "UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE "
                            "lower(table_name) = lower('%q'); END;",
                            t, (long long)l->count, t, t, t, t, t, t),
            t);
    if (st != RR_OK || !l->geometric)
        return st;
    /* the R-tree from the envelopes of the blobs, packed (gpkg_rtree.c) */
    st = exec_own(w,
                  sqlite3_mprintf("CREATE VIRTUAL TABLE \"rtree_%w_geom\" USING rtree(id, minx, "
                                  "maxx, miny, maxy)",
                                  t),
                  t);
    if (st == RR_OK) {
        char *rtree = sqlite3_mprintf("rtree_%s_geom", t);
        int rc = rtree ? rr_rtree_pack(w->db, rtree, w->rt, w->nrt) : SQLITE_NOMEM;
        sqlite3_free(rtree);
        if (rc == SQLITE_NOMEM)
            st = rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
        else if (rc != SQLITE_OK) /* errstr: the packer may fail before SQLite says anything */
            st = rr_error(w->ctx, RR_ERR_IO, "cannot write the spatial index: %s (%s, layer %s)",
                          sqlite3_errstr(rc), w->path, t);
    }
    if (st != RR_OK)
        return st;
    /* the extension's triggers (GeoPackage 1.2, F.3), then its registration */
    static const char *const triggers =
        "CREATE TRIGGER \"rtree_%w_geom_insert\" AFTER INSERT ON \"%w\" "
        "WHEN (new.\"geom\" NOT NULL AND NOT ST_IsEmpty(NEW.\"geom\")) "
        "BEGIN INSERT OR REPLACE INTO \"rtree_%w_geom\" VALUES (NEW.\"fid\", "
        "ST_MinX(NEW.\"geom\"), ST_MaxX(NEW.\"geom\"), "
        "ST_MinY(NEW.\"geom\"), ST_MaxY(NEW.\"geom\")); "
        "END;"
        "CREATE TRIGGER \"rtree_%w_geom_update1\" AFTER UPDATE OF \"geom\" ON \"%w\" "
        "WHEN OLD.\"fid\" = NEW.\"fid\" "
        "AND (NEW.\"geom\" NOTNULL AND NOT ST_IsEmpty(NEW.\"geom\")) "
        "BEGIN INSERT OR REPLACE INTO \"rtree_%w_geom\" VALUES (NEW.\"fid\", "
        "ST_MinX(NEW.\"geom\"), ST_MaxX(NEW.\"geom\"), "
        "ST_MinY(NEW.\"geom\"), ST_MaxY(NEW.\"geom\")); "
        "END;"
        "CREATE TRIGGER \"rtree_%w_geom_update2\" AFTER UPDATE OF \"geom\" ON \"%w\" "
        "WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.\"geom\" ISNULL OR ST_IsEmpty(NEW.\"geom\")) "
        "BEGIN DELETE FROM \"rtree_%w_geom\" WHERE id = OLD.\"fid\"; END;"
        "CREATE TRIGGER \"rtree_%w_geom_update3\" AFTER UPDATE ON \"%w\" "
        "WHEN OLD.\"fid\" != NEW.\"fid\" "
        "AND (NEW.\"geom\" NOTNULL AND NOT ST_IsEmpty(NEW.\"geom\")) "
        "BEGIN DELETE FROM \"rtree_%w_geom\" WHERE id = OLD.\"fid\"; "
        "INSERT OR REPLACE INTO \"rtree_%w_geom\" VALUES (NEW.\"fid\", "
        "ST_MinX(NEW.\"geom\"), ST_MaxX(NEW.\"geom\"), "
        "ST_MinY(NEW.\"geom\"), ST_MaxY(NEW.\"geom\")); "
        "END;"
        "CREATE TRIGGER \"rtree_%w_geom_update4\" AFTER UPDATE ON \"%w\" "
        "WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.\"geom\" ISNULL OR ST_IsEmpty(NEW.\"geom\")) "
        "BEGIN DELETE FROM \"rtree_%w_geom\" WHERE id IN (OLD.\"fid\", NEW.\"fid\"); END;"
        "CREATE TRIGGER \"rtree_%w_geom_delete\" AFTER DELETE ON \"%w\" "
        "WHEN old.\"geom\" NOT NULL "
        "BEGIN DELETE FROM \"rtree_%w_geom\" WHERE id = OLD.\"fid\"; END;"
        "INSERT INTO gpkg_extensions VALUES ('%q', 'geom', 'gpkg_rtree_index', "
        "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');";
    /* every %w and %q above is the table's name */
    return exec_own(w, sqlite3_mprintf(triggers, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t, t,
                                       t, t, t), t);
}

/* ---- the review layers ---------------------------------------------------------------------- */

static rr_status write_areas(gpkg_writer *w, int side)
{
    static const field_spec fields[] = {
        {"code", "TEXT"},    {"class", "TEXT"}, {"kommun", "TEXT"},
        {"area_m2", "REAL"}, {"pop", "REAL"},   {"related", "TEXT"},
    };
    const rr_revision *rev = w->rev;
    const rr_areaset *set = side ? rev->new_set : rev->old_set;
    const rr_area_info *info = side ? rev->new_info : rev->old_info;
    layer l;
    rr_status st = layer_begin(w, &l, side ? "new" : "old", 1,
                               side ? "Areas of the new version, classified by their change"
                                    : "Areas of the old version, classified by their change",
                               fields, sizeof fields / sizeof *fields);
    for (size_t i = 0; i < set->n && st == RR_OK; i++) {
        const rr_area *a = &set->areas[i];
        bind_text(&l, 3, a->code);
        bind_text(&l, 4, info ? rr_area_class_name(info[i].cls) : "");
        bind_text(&l, 5, a->kommun);
        sqlite3_bind_double(l.insert, 6, a->area);
        bind_real_or_null(&l, 7, rev->has_pop && info ? info[i].pop : NAN);
        bind_text(&l, 8, info ? info[i].related : "");
        char what[160];
        snprintf(what, sizeof what, "feature %zu (code %s)", i + 1, a->code);
        st = layer_put(w, &l, a->geom, a->blob, a->blob_size, what); /* packed: copied */
    }
    return layer_end(w, &l, st);
}

static _Thread_local const rr_revision *sort_rev;
static int cmp_piece_q(const void *a, const void *b)
{
    const rr_piece *x = *(const rr_piece *const *)a, *y = *(const rr_piece *const *)b;
    int c = strcmp(rr_old_code(sort_rev, x->old_idx), rr_old_code(sort_rev, y->old_idx));
    if (c)
        return c;
    if ((c = strcmp(rr_new_code(sort_rev, x->new_idx), rr_new_code(sort_rev, y->new_idx))))
        return c;
    return x->area < y->area ? 1 : x->area > y->area ? -1 : 0;
}

/* Pieces in the order of pieces.csv (old code, new code, larger first). */
static rr_status write_pieces(gpkg_writer *w)
{
    static const field_spec fields[] = {
        {"old_code", "TEXT"}, {"new_code", "TEXT"},    {"area_m2", "REAL"},
        {"pop", "REAL"},      {"transfer", "BOOLEAN"},
    };
    const rr_revision *rev = w->rev;
    const rr_piece **order = malloc((rev->npieces ? rev->npieces : 1) * sizeof *order);
    if (!order)
        return rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    for (size_t k = 0; k < rev->npieces; k++)
        order[k] = &rev->pieces[k];
    sort_rev = rev;
    qsort(order, rev->npieces, sizeof *order, cmp_piece_q);
    layer l;
    rr_status st = layer_begin(w, &l, "pieces", 1,
                               "Intersections of old and new areas (pieces.csv), exact geometry",
                               fields, sizeof fields / sizeof *fields);
    for (size_t k = 0; k < rev->npieces && st == RR_OK; k++) {
        const rr_piece *p = order[k];
        const char *oc = rr_old_code(rev, p->old_idx), *nc = rr_new_code(rev, p->new_idx);
        bind_text(&l, 3, oc);
        bind_text(&l, 4, nc);
        sqlite3_bind_double(l.insert, 5, p->area);
        bind_real_or_null(&l, 6, rev->has_pop ? p->pop : NAN);
        sqlite3_bind_int(l.insert, 7, p->transfer ? 1 : 0);
        char what[200];
        snprintf(what, sizeof what, "feature %zu (old %s, new %s)", k + 1, oc, nc);
        if (!p->shape && !p->blob)
            st = rr_error(w->ctx, RR_ERR_GEOMETRY, "piece without geometry (%s, layer pieces, %s)",
                          w->path, what);
        else
            st = layer_put(w, &l, p->shape, p->blob, p->blob_size, what);
    }
    free(order);
    return layer_end(w, &l, st);
}

static rr_status write_changes(gpkg_writer *w)
{
    static const field_spec fields[] = {
        {"old_code", "TEXT"}, {"new_code", "TEXT"}, {"change_type", "TEXT"},
        {"area_m2", "REAL"},  {"pop", "REAL"},
    };
    const rr_revision *rev = w->rev;
    layer l;
    rr_status st = layer_begin(w, &l, "changes", 1,
                               "SCB's change list regenerated from the geometry (changes.csv); "
                               "geometry: the pieces that moved",
                               fields, sizeof fields / sizeof *fields);
    rr_piece_index ix;
    int have_ix = st == RR_OK && rr_piece_index_build(rev, &ix);
    if (st == RR_OK && !have_ix)
        st = rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
    for (size_t k = 0; k < rev->nchanges && st == RR_OK; k++) {
        const rr_change *c = &rev->changes[k];
        const char *oc = rr_old_code(rev, c->old_idx), *nc = rr_new_code(rev, c->new_idx);
        char what[200];
        snprintf(what, sizeof what, "feature %zu (old %s, new %s)", k + 1, oc, nc);
        GEOSGeometry *own = NULL;
        const GEOSGeometry *shape = rr_review_change_shape_shared(w->ctx, rev, k, &ix, &own, &st);
        if (st != RR_OK) {
            st = rr_error_prefix(w->ctx, st, "%s, layer changes, %s", w->path, what);
            break;
        }
        bind_text(&l, 3, oc);
        bind_text(&l, 4, nc);
        bind_text(&l, 5, rr_change_type_name(c->type));
        sqlite3_bind_double(l.insert, 6, c->area);
        bind_real_or_null(&l, 7, rev->has_pop ? c->pop : NAN);
        st = layer_put(w, &l, shape, NULL, 0, what);
        if (own)
            GEOSGeom_destroy_r(w->ctx->geos, own);
    }
    if (have_ix)
        rr_piece_index_free(&ix);
    return layer_end(w, &l, st);
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
        {"f_table_catalog", "TEXT"},
        {"f_table_schema", "TEXT"},
        {"f_table_name", "TEXT"},
        {"f_geometry_column", "TEXT"},
        {"styleName", "TEXT"},
        {"styleQML", "TEXT"},
        {"styleSLD", "TEXT"},
        {"useAsDefault", "BOOLEAN"},
        {"description", "TEXT"},
        {"owner", "TEXT"},
        {"ui", "TEXT"},
        {"update_time", "DATETIME"},
    };
    static const char *const tables[] = {"old", "new", "pieces", "changes"};
    layer l;
    rr_status st = layer_begin(w, &l, "layer_styles", 0, "QGIS layer styles", fields,
                               sizeof fields / sizeof *fields);
    for (int t = 0; t < 4 && st == RR_OK; t++) {
        char *qml = t < 2 ? qml_classes(t)
                  : t == 2 ? qml_single("0,0,0,0", "90,90,90,255", "0.2", "no")
                           : qml_single("230,85,13,110", "166,54,3,255", "0.5", "solid");
        if (!qml) {
            st = rr_error(w->ctx, RR_ERR_NOMEM, "out of memory (%s)", w->path);
            break;
        }
        bind_text(&l, 2, "");
        bind_text(&l, 3, "");
        bind_text(&l, 4, tables[t]);
        bind_text(&l, 5, "geom");
        bind_text(&l, 6, "regrev");
        bind_text(&l, 7, qml);
        bind_text(&l, 8, "");
        sqlite3_bind_int(l.insert, 9, 1);
        bind_text(&l, 10, "regrev review style");
        st = layer_put(w, &l, NULL, NULL, 0, tables[t]);
        free(qml);
    }
    return layer_end(w, &l, st);
}

/* The CRS's row of gpkg_spatial_ref_sys (srs_id: its EPSG code, or 100000 when
 * it has none; definition: WKT 1 as the standard asks, WKT 2 for a CRS that WKT
 * 1 cannot express) and the rows the standard requires. */
static rr_status write_srs(gpkg_writer *w)
{
    rr_status st = exec_own(
        w,
        sqlite3_mprintf("CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER "
                        "NOT NULL PRIMARY KEY, organization TEXT NOT NULL, "
                        "organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, "
                        "description TEXT);INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined "
                        "Cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined Cartesian "
                        "coordinate reference system');INSERT INTO gpkg_spatial_ref_sys VALUES "
                        "('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined "
                        "geographic coordinate reference system')"),
        NULL);
    /* EPSG's WKT 1 of WGS 84 (asking PROJ for it took as long as writing a small layer) */
    static const char wgs84[] =
        "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,"
        "AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,"
        "AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,"
        "AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],"
        "AUTHORITY[\"EPSG\",\"4326\"]]";
    if (st == RR_OK)
        st = exec_own(w,
                      sqlite3_mprintf("INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', "
                                      "4326, 'EPSG', 4326, '%q', 'longitude/latitude coordinates in "
                                      "decimal degrees on the WGS 84 spheroid')",
                                      wgs84),
                      NULL);
    OGRSpatialReferenceH srs = NULL;
    char *wkt = NULL;
    w->srs_id = -1;
    const char *crs = w->rev->old_set->crs;
    if (st == RR_OK && crs) {
        srs = rr_gdal_srs_from_user(crs);
        if (!srs)
            st = rr_error(w->ctx, RR_ERR_CRS, "cannot use the input CRS %s for review.gpkg (%s)",
                          w->rev->old_set->crs_name ? w->rev->old_set->crs_name : "", w->path);
    }
    if (st == RR_OK && srs) {
        /* srs_id: the EPSG code, or another authority's (ESRI:54009) as GDAL writes it unless
         * it is WGS 84's, or 100000 for a CRS without one */
        const char *auth = OSRGetAuthorityName(srs, NULL), *code = OSRGetAuthorityCode(srs, NULL);
        int num = code ? atoi(code) : 0;
        int epsg = auth && strcmp(auth, "EPSG") == 0 && num > 0 ? num : 0;
        char org[64] = "NONE";
        w->srs_id = 100000;
        if (epsg || (auth && num > 0 && num != 4326)) {
            w->srs_id = num;
            snprintf(org, sizeof org, "%s", auth);
        }
        /* EPSG's own definition for an EPSG code (from the WKT 2 of the input, PROJ looks names
         * up in its database first: 15 ms) */
        OGRSpatialReferenceH own = epsg > 0 ? OSRNewSpatialReference(NULL) : NULL;
        if (own && OSRImportFromEPSG(own, epsg) == OGRERR_NONE) {
            OSRDestroySpatialReference(srs);
            srs = own;
        } else if (own) {
            OSRDestroySpatialReference(own);
        }
        if (OSRExportToWkt(srs, &wkt) != OGRERR_NONE) {
            CPLFree(wkt);
            wkt = NULL;
            const char *opts[] = {"FORMAT=WKT2_2018", NULL};
            if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE)
                st = rr_error(w->ctx, RR_ERR_CRS, "cannot write the input CRS %s (%s)",
                              w->rev->old_set->crs_name ? w->rev->old_set->crs_name : "", w->path);
        }
        const char *name = OSRGetName(srs);
        if (st == RR_OK && w->srs_id != 4326)
            st = exec_own(w,
                          sqlite3_mprintf("INSERT INTO gpkg_spatial_ref_sys VALUES ('%q', %d, "
                                          "'%q', %d, '%q', NULL)",
                                          name ? name : "unnamed", w->srs_id, org, w->srs_id, wkt),
                          NULL);
    }
    CPLFree(wkt);
    if (srs)
        OSRDestroySpatialReference(srs);
    return st;
}

static rr_status write_all(gpkg_writer *w)
{
    /* 64 KiB pages (SQLite's default is 4 KiB): an area's geometry is a blob of
     * up to a few MB, kept in chains of overflow pages. No journal: the file is a
     * temporary one until the whole run has succeeded (outfile.c), and is removed
     * when anything fails. */
    rr_status st = exec_own(w,
                            sqlite3_mprintf("PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; "
                                            "PRAGMA synchronous = OFF;PRAGMA application_id = "
                                            "1196444487; PRAGMA user_version = 10200; BEGIN"),
                            NULL);
    if (st == RR_OK)
        st = write_srs(w);
    if (st == RR_OK)
        st = exec_own(
            w,
            sqlite3_mprintf("CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, "
                            "data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT "
                            "DEFAULT '', last_change DATETIME NOT NULL DEFAULT "
                            "(strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ','now')), min_x DOUBLE, min_y "
                            "DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT "
                            "fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES "
                            "gpkg_spatial_ref_sys(srs_id));CREATE TABLE gpkg_geometry_columns "
                            "(table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
                            "geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT "
                            "NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY "
                            "(table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE "
                            "(table_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES "
                            "gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) "
                            "REFERENCES gpkg_spatial_ref_sys (srs_id));CREATE TABLE "
                            "gpkg_extensions (table_name TEXT, column_name TEXT, extension_name "
                            "TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                            "CONSTRAINT ge_tce UNIQUE (table_name, column_name, "
                            "extension_name));CREATE TABLE gpkg_ogr_contents (table_name TEXT NOT "
                            "NULL PRIMARY KEY, feature_count INTEGER DEFAULT NULL)"),
            NULL);
    if (st == RR_OK)
        st = write_areas(w, 0);
    if (st == RR_OK)
        st = write_areas(w, 1);
    if (st == RR_OK)
        st = write_pieces(w);
    if (st == RR_OK)
        st = write_changes(w);
    if (st == RR_OK)
        st = write_styles(w);
    if (st == RR_OK)
        st = exec_own(w, sqlite3_mprintf("COMMIT"), NULL);
    return st;
}

rr_status rr_write_review_gpkg(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    if (!rev || !path || !rev->old_info || !rev->new_info)
        return rr_error(ctx, RR_ERR_ARG, "review.gpkg needs an analysed revision (%s)",
                        path ? path : "no path");
    rr_gdal_init();
    gpkg_writer w = {.ctx = ctx, .rev = rev, .path = path};
    w.blob.ctx = ctx;
    w.blob.path = path;
    rr_status st = RR_OK;
    if (unlink(path) != 0 && errno != ENOENT)
        return rr_error(ctx, RR_ERR_IO, "cannot replace: %s (%s)", strerror(errno), path);
    if (sqlite3_open_v2(path, &w.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        st = db_fail(&w, "cannot create", NULL);
    } else {
        st = write_all(&w);
    }
    if (w.db && sqlite3_close(w.db) != SQLITE_OK && st == RR_OK)
        st = db_fail(&w, "cannot finish writing", NULL);
    rr_blob_builder_free(&w.blob);
    free(w.rt);
    if (st != RR_OK)
        unlink(path);
    return st;
}
