/* write_summary.c: summary.json: counts, totals, thresholds, inputs, warnings, time. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

static json_t *input_json(const rr_areaset *set, const char *path)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "path", path ? path : set->path, "layer",
                     set->layer ? set->layer : "", "code_field", set->code_field ? set->code_field : "",
                     "feature_count", (json_int_t)set->feature_count, "area_count",
                     (json_int_t)set->n, "crs", set->crs_name ? set->crs_name : "");
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* The JSON writers' common end: json_dump_callback into the file, so that a failed allocation
 * (RR_ERR_NOMEM) and a failed write (RR_ERR_IO) are told apart. */
typedef struct json_sink {
    FILE *f;
    int write_failed;
} json_sink;

static int sink_write(const char *buffer, size_t size, void *data)
{
    json_sink *sink = data;
    if (fwrite(buffer, 1, size, sink->f) != size) {
        sink->write_failed = 1;
        return -1;
    }
    return 0;
}

rr_status rr_json_write(rr_ctx *ctx, const struct json_t *root, size_t flags, const char *path)
{
    json_sink sink = {.f = fopen(path, "w")};
    if (!sink.f)
        return rr_error(ctx, RR_ERR_IO, "cannot write: %s (%s)", strerror(errno), path);
    int rc = json_dump_callback(root, sink_write, &sink, flags);
    int bad = ferror(sink.f);
    int closed = fclose(sink.f);
    if (rc != 0 && !sink.write_failed && !bad)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory writing JSON (%s)", path);
    if (rc != 0 || bad || closed != 0)
        return rr_error(ctx, RR_ERR_IO, "write failed: %s (%s)", strerror(errno ? errno : EIO),
                        path);
    return RR_OK;
}

/* Every json_t below is owned by its local until it is set into its parent (set_new steals the
 * reference, also when it fails); `bad` collects the failures of set and append, which fail only
 * for want of memory. */
rr_status rr_write_summary_json(rr_ctx *ctx, const rr_revision *rev, const rr_run_info *info,
                                const char *path)
{
    const rr_areaset *os = rev->old_set, *ns = rev->new_set;
    json_t *root = json_object();
    json_t *classes = json_object(), *classes_old = json_object(), *classes_new = json_object();
    json_t *changes = json_object(), *fallback = json_array();
    json_t *inputs = NULL, *thresholds = NULL, *totals = NULL, *counts = NULL, *sliver = NULL;
    json_t *warnings = NULL;
    int bad = 0;
    rr_status st = RR_OK;
    if (!root || !classes || !classes_old || !classes_new || !changes || !fallback)
        goto nomem;
    for (int c = 0; c < RR_CLASS_COUNT; c++) {
        size_t n_old = 0, n_new = 0;
        for (size_t i = 0; i < os->n; i++)
            n_old += rev->old_info[i].cls == (rr_area_class)c;
        for (size_t j = 0; j < ns->n; j++)
            n_new += rev->new_info[j].cls == (rr_area_class)c;
        bad |= json_object_set_new(classes_old, rr_area_class_name((rr_area_class)c),
                                   json_integer((json_int_t)n_old));
        bad |= json_object_set_new(classes_new, rr_area_class_name((rr_area_class)c),
                                   json_integer((json_int_t)n_new));
    }
    bad |= json_object_set_new(classes, "old", classes_old);
    classes_old = NULL;
    bad |= json_object_set_new(classes, "new", classes_new);
    classes_new = NULL;
    for (int t = 0; t < RR_CH_COUNT; t++) {
        size_t n = 0;
        for (size_t k = 0; k < rev->nchanges; k++)
            n += rev->changes[k].type == (rr_change_type)t;
        bad |= json_object_set_new(changes, rr_change_type_name((rr_change_type)t),
                                   json_integer((json_int_t)n));
    }
    double area_old = 0, area_new = 0, area_pieces = 0, area_key = 0, pop_pieces = 0, pop_key = 0;
    for (size_t i = 0; i < os->n; i++)
        area_old += os->areas[i].area;
    for (size_t j = 0; j < ns->n; j++)
        area_new += ns->areas[j].area;
    size_t kept = 0, between = 0;
    for (size_t k = 0; k < rev->npieces; k++) {
        area_pieces += rev->pieces[k].area;
        pop_pieces += rev->has_pop ? rev->pieces[k].pop : 0;
        const rr_piece *p = &rev->pieces[k];
        if (p->old_idx != RR_NONE && p->new_idx != RR_NONE &&
            strcmp(os->areas[p->old_idx].code, ns->areas[p->new_idx].code) != 0) {
            between++;
            kept += p->transfer != 0;
        }
    }
    for (size_t k = 0; k < rev->nrel; k++) {
        area_key += rev->rel[k].area;
        pop_key += rev->rel[k].pop;
    }
    for (int side = 0; side < 2; side++) {
        const rr_areaset *set = side ? ns : os;
        const rr_area_info *ai = side ? rev->new_info : rev->old_info;
        for (size_t i = 0; rev->has_pop && i < set->n; i++)
            if (ai[i].pop_fallback)
                bad |= json_array_append_new(fallback, json_pack("{s:s, s:s}", "version",
                                                                 side ? "new" : "old", "code",
                                                                 set->areas[i].code));
    }
    const rr_params *pr = &rev->params;
    inputs = json_pack("{s:o, s:o}", "old", input_json(os, info ? info->old_path : NULL),
                       "new", input_json(ns, info ? info->new_path : NULL));
    thresholds = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "tolerance_m2",
                           pr->tolerance_m2, "min_area_m2", pr->min_area_m2, "min_share",
                           pr->min_share, "min_width_m", pr->min_width_m, "min_core_m2",
                           pr->min_core_m2, "min_pop", pr->min_pop);
    totals = json_pack("{s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:o}", "area_old_m2", area_old,
                       "area_new_m2", area_new, "area_pieces_m2", area_pieces,
                       "area_key_m2", area_key, "pop_source",
                       num_or_null(rev->has_pop ? rev->pop_total_source : NAN),
                       "pop_pieces", num_or_null(rev->has_pop ? pop_pieces : NAN),
                       "pop_key", num_or_null(rev->has_pop ? pop_key : NAN),
                       "pop_outside_all_areas",
                       num_or_null(rev->has_pop ? rev->pop_lost : NAN));
    counts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "areas_old", (json_int_t)os->n,
                       "areas_new", (json_int_t)ns->n, "pieces", (json_int_t)rev->npieces,
                       "relations", (json_int_t)rev->nrel, "units", (json_int_t)rev->nunits,
                       "changes", (json_int_t)rev->nchanges);
    sliver = json_pack("{s:I, s:I, s:I}", "pieces_between_codes", (json_int_t)between,
                       "kept_as_transfers", (json_int_t)kept, "folded_away",
                       (json_int_t)(between - kept));
    warnings = json_array();
    if (bad || !inputs || !thresholds || !totals || !counts || !sliver || !warnings)
        goto nomem;
    if (info && info->pop_path)
        bad |= json_object_set_new(inputs, "pop", json_string(info->pop_path));
    if (info && info->pop_old_path)
        bad |= json_object_set_new(inputs, "pop_old_totals", json_string(info->pop_old_path));
    if (info && info->pop_new_path)
        bad |= json_object_set_new(inputs, "pop_new_totals", json_string(info->pop_new_path));
    if (rev->calibrated)
        bad |= json_object_set_new(root, "calibration",
                                   json_pack("{s:b, s:b, s:i, s:f, s:f, s:f}", "old_totals",
                                             (rev->calibrated & 1) != 0, "new_totals",
                                             (rev->calibrated & 2) != 0, "iterations",
                                             rev->calib_iterations, "max_deviation_old",
                                             rev->calib_dev_old, "max_deviation_new",
                                             rev->calib_dev_new, "new_totals_scale",
                                             rev->calib_scale_new));
    bad |= json_object_set_new(root, "regrev_version", json_string(RR_VERSION));
    bad |= json_object_set_new(root, "inputs", inputs);
    bad |= json_object_set_new(root, "thresholds", thresholds);
    bad |= json_object_set_new(root, "counts", counts);
    bad |= json_object_set_new(root, "sliver_rule", sliver);
    bad |= json_object_set_new(root, "classes", classes);
    bad |= json_object_set_new(root, "change_types", changes);
    bad |= json_object_set_new(root, "totals", totals);
    bad |= json_object_set_new(root, "population_weights_fall_back_to_area", fallback);
    inputs = thresholds = counts = sliver = classes = changes = totals = fallback = NULL;
    for (size_t i = 0; i < ctx->nwarning_texts; i++)
        bad |= json_array_append_new(warnings, json_string(ctx->warning_texts[i]));
    bad |= json_object_set_new(root, "warning_count", json_integer((json_int_t)ctx->warnings));
    bad |= json_object_set_new(root, "warnings", warnings);
    warnings = NULL;
    bad |= json_object_set_new(root, "elapsed_s", json_real(info ? info->elapsed_s : 0));
    if (info)
        bad |= json_object_set_new(root, "stage_s",
                                   json_pack("{s:f, s:f, s:f, s:f, s:f}", "read", info->read_s,
                                             "overlay", info->overlay_s, "population",
                                             info->population_s, "analyse", info->analyse_s,
                                             "write", info->write_s));
    if (bad)
        goto nomem;
    st = rr_json_write(ctx, root, JSON_INDENT(2) | JSON_REAL_PRECISION(12), path);
    goto out;
nomem:
    st = rr_error(ctx, RR_ERR_NOMEM, "out of memory writing summary (%s)", path);
out:
    json_decref(root);
    json_decref(classes);
    json_decref(classes_old);
    json_decref(classes_new);
    json_decref(changes);
    json_decref(fallback);
    json_decref(inputs);
    json_decref(thresholds);
    json_decref(totals);
    json_decref(counts);
    json_decref(sliver);
    json_decref(warnings);
    return st;
}
