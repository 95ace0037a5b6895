/* cmd_run.c: `regrev run`: the main job from two versions (and a population) to every output. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifndef REGREV_GEODATA_DIR
#define REGREV_GEODATA_DIR "geodata"
#endif

#define DEFAULT_OLD "dalarna/deso2018_dalarna.gpkg"
#define DEFAULT_NEW "dalarna/deso2025_dalarna.geojson"
#define DEFAULT_POP "dalarna/befolkning_1km_2025_dalarna.csv"

static void run_usage(FILE *f)
{
    rr_params d;
    rr_params_default(&d);
    fprintf(f,
"Usage: regrev run [--old SRC] [--new SRC] [--pop SRC] [--out DIR] [options]\n"
"\n"
"Overlay an old and a new version of a partition into statistical areas and write, into DIR:\n"
"  pieces.csv   every intersection of an old and a new area (and parts only one covers)\n"
"  key.csv      the correspondence key: relations with area and population weights\n"
"  changes.csv  the change list in SCB's vocabulary (Förändringstyp)\n"
"  areas.csv    one row per area and version with its class\n"
"  comparability.csv, units.csv  which series carry across exactly, in comparable units\n"
"  bestfit.csv  each area's one best match; key_uncertainty.csv  how much rests on the grid\n"
"  review.gpkg, review.html      review data for GIS and for the browser\n"
"  summary.json counts, totals, thresholds, inputs\n"
"Without --old/--new/--pop: the Dalarna DeSO 2018/2025 pair and 1 km grid in geodata/.\n"
"\n"
"Inputs (any GDAL vector source: GeoPackage, GeoJSON, Shapefile, /vsizip/…, FlatGeobuf, PG:…):\n"
"  --old SRC, --new SRC       the two versions\n"
"  --old-layer L, --new-layer L   layer to read (default: the only or first polygon layer)\n"
"  --old-code F, --new-code F     code field (default: detect desokod, deso, regsokod, regso,\n"
"                                 kod, code); integer fields work too\n"
"  --assume-crs CRS           CRS for layers that have none (e.g. EPSG:3006)\n"
"  --precision P              snap coordinates to a grid of P CRS units so that shared\n"
"                             boundaries written by different programs coincide (default\n"
"                             0.0001: 0.1 mm; 1e-9 for degrees); 0: no snapping\n"
"\n"
"Coarser levels (RegSO from DeSO): dissolve each version's areas into groups\n"
"  --old-group F, --new-group F   by a field of the layer (e.g. --new-group regsokod)\n"
"  --old-link T, --new-link T     by a link table (CSV), e.g. SCB's DeSO 2018 -> RegSO 2020 key\n"
"  --old-link-columns FROM,TO     its columns (default: a *deso* column and the last *kod* one)\n"
"  --pop SRC                  population: grid cells, cell centres (CSV with e/n), points,\n"
"                             polygons or a raster; --no-pop to run without\n"
"  --pop-field F              population field (default: detect befolkning*, pop*, value)\n"
"  --pop-cell M               cell size of a grid given by centres (default: detect; -1: points)\n"
"  --pop-old TABLE, --pop-new TABLE  official population per old / new area (CSV or an SCB\n"
"                             statistical-database CSV export): the estimate is calibrated to\n"
"                             them (both: iterative proportional fitting to both margins)\n"
"  --pop-old-field F, --pop-new-field F  value column of those tables (default: detect)\n"
"\n"
"Sliver rule: a piece between two different codes is a transfer only when it is the main part\n"
"of one of its areas, or when all of these hold (see README, \"What counts as a transfer\"):\n"
"  --min-area M2      area at least M2 square metres              (default %g)\n"
"  --min-share S      at least this share of the old or new area  (default %g)\n"
"  --min-width M      a core at least M metres wide ...           (default %g)\n"
"  --min-core M2      ... of at least M2 square metres              (default %g)\n"
"  --min-pop P        with population: at least P people, unless the share is ten times\n"
"                     --min-share                                 (default %g)\n"
"  --tolerance M2     pieces below this are numerical noise        (default %g)\n"
"\n"
"Other:\n"
"  --out DIR          output directory (default out); outputs replace files atomically\n"
"  --threads N        worker threads (default: the cores, at most 8); output is the same\n"
"                     for any N\n"
"  --progress         show progress even when stderr is not a terminal\n"
"  --quiet            no warnings or notices\n"
"  --help             this text\n"
"Exit codes: 0 ok, 1 bad or inconsistent data, 2 usage error, 3 input/output error.\n",
            d.min_area_m2, d.min_share, d.min_width_m, d.min_core_m2, d.min_pop, d.tolerance_m2);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Seconds since *since; resets it. */
static double lap(double *since)
{
    double t = now_s(), d = t - *since;
    *since = t;
    return d;
}

/* Default inputs: geodata/ under the working directory, else the source tree's geodata/. */
static char *default_path(const char *rel)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "geodata/%s", rel);
    if (access(buf, R_OK) != 0)
        snprintf(buf, sizeof buf, "%s/%s", REGREV_GEODATA_DIR, rel);
    return strdup(buf);
}

enum {
    OPT_OLD = 256, OPT_NEW, OPT_POP, OPT_OUT, OPT_OLD_LAYER, OPT_NEW_LAYER, OPT_OLD_CODE,
    OPT_NEW_CODE, OPT_ASSUME_CRS, OPT_POP_FIELD, OPT_POP_CELL, OPT_NO_POP, OPT_MIN_AREA,
    OPT_MIN_SHARE, OPT_MIN_WIDTH, OPT_MIN_CORE, OPT_MIN_POP, OPT_TOLERANCE, OPT_THREADS, OPT_PROGRESS,
    OPT_QUIET, OPT_HELP, OPT_PRECISION, OPT_OLD_GROUP, OPT_NEW_GROUP, OPT_OLD_LINK, OPT_NEW_LINK,
    OPT_OLD_LINK_COLUMNS, OPT_NEW_LINK_COLUMNS, OPT_POP_OLD, OPT_POP_NEW, OPT_POP_OLD_FIELD, OPT_POP_NEW_FIELD
};

static const struct option run_options[] = {
    {"old", required_argument, NULL, OPT_OLD},
    {"new", required_argument, NULL, OPT_NEW},
    {"pop", required_argument, NULL, OPT_POP},
    {"out", required_argument, NULL, OPT_OUT},
    {"old-layer", required_argument, NULL, OPT_OLD_LAYER},
    {"new-layer", required_argument, NULL, OPT_NEW_LAYER},
    {"old-code", required_argument, NULL, OPT_OLD_CODE},
    {"new-code", required_argument, NULL, OPT_NEW_CODE},
    {"assume-crs", required_argument, NULL, OPT_ASSUME_CRS},
    {"precision", required_argument, NULL, OPT_PRECISION},
    {"old-group", required_argument, NULL, OPT_OLD_GROUP},
    {"new-group", required_argument, NULL, OPT_NEW_GROUP},
    {"old-link", required_argument, NULL, OPT_OLD_LINK},
    {"new-link", required_argument, NULL, OPT_NEW_LINK},
    {"old-link-columns", required_argument, NULL, OPT_OLD_LINK_COLUMNS},
    {"new-link-columns", required_argument, NULL, OPT_NEW_LINK_COLUMNS},
    {"pop-field", required_argument, NULL, OPT_POP_FIELD},
    {"pop-cell", required_argument, NULL, OPT_POP_CELL},
    {"no-pop", no_argument, NULL, OPT_NO_POP},
    {"pop-old", required_argument, NULL, OPT_POP_OLD},
    {"pop-new", required_argument, NULL, OPT_POP_NEW},
    {"pop-old-field", required_argument, NULL, OPT_POP_OLD_FIELD},
    {"pop-new-field", required_argument, NULL, OPT_POP_NEW_FIELD},
    {"min-area", required_argument, NULL, OPT_MIN_AREA},
    {"min-share", required_argument, NULL, OPT_MIN_SHARE},
    {"min-width", required_argument, NULL, OPT_MIN_WIDTH},
    {"min-core", required_argument, NULL, OPT_MIN_CORE},
    {"min-pop", required_argument, NULL, OPT_MIN_POP},
    {"tolerance", required_argument, NULL, OPT_TOLERANCE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int cmd_run(int argc, char **argv, int parse_only)
{
    rr_read_opts old_opts = {.label = "old"}, new_opts = {.label = "new"};
    rr_pop_opts pop_opts = {0};
    rr_params params;
    rr_params_default(&params);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    params.threads = cores > 1 ? (int)(cores < 8 ? cores : 8) : 1;
    params.review_early = 1; /* review.html is always written */
    const char *out_dir = "out";
    int no_pop = 0;
    const char *pop_old_path = NULL, *pop_new_path = NULL, *pop_old_field = NULL,
               *pop_new_field = NULL;
    cli_state cs = {0};
    double num;
    char *owned[3] = {NULL, NULL, NULL};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", run_options, NULL)) != -1) {
        switch (c) {
        case OPT_OLD: old_opts.path = optarg; break;
        case OPT_NEW: new_opts.path = optarg; break;
        case OPT_POP: pop_opts.path = optarg; break;
        case OPT_OUT: out_dir = optarg; break;
        case OPT_OLD_LAYER: old_opts.layer = optarg; break;
        case OPT_NEW_LAYER: new_opts.layer = optarg; break;
        case OPT_OLD_CODE: old_opts.code_field = optarg; break;
        case OPT_NEW_CODE: new_opts.code_field = optarg; break;
        case OPT_ASSUME_CRS: old_opts.assume_crs = new_opts.assume_crs = optarg; break;
        case OPT_PRECISION:
            if (cli_parse_double("--precision", optarg, 0, &num))
                return EXIT_USAGE;
            old_opts.precision = new_opts.precision = num > 0 ? num : -1;
            break;
        case OPT_OLD_GROUP: old_opts.group_field = optarg; break;
        case OPT_NEW_GROUP: new_opts.group_field = optarg; break;
        case OPT_OLD_LINK: old_opts.link_path = optarg; break;
        case OPT_NEW_LINK: new_opts.link_path = optarg; break;
        case OPT_OLD_LINK_COLUMNS:
        case OPT_NEW_LINK_COLUMNS: {
            rr_read_opts *o = c == OPT_OLD_LINK_COLUMNS ? &old_opts : &new_opts;
            char *comma = strchr(optarg, ',');
            if (!comma || comma == optarg || !comma[1]) {
                cli_error("%s takes FROM,TO (two column names), not '%s'",
                          c == OPT_OLD_LINK_COLUMNS ? "--old-link-columns" : "--new-link-columns",
                          optarg);
                return EXIT_USAGE;
            }
            *comma = '\0';
            o->link_from = optarg;
            o->link_to = comma + 1;
            break;
        }
        case OPT_POP_FIELD: pop_opts.field = optarg; break;
        case OPT_POP_CELL:
            if (cli_parse_double("--pop-cell", optarg, -1, &num))
                return EXIT_USAGE;
            pop_opts.cell_size = num;
            break;
        case OPT_NO_POP: no_pop = 1; break;
        case OPT_POP_OLD: pop_old_path = optarg; break;
        case OPT_POP_NEW: pop_new_path = optarg; break;
        case OPT_POP_OLD_FIELD: pop_old_field = optarg; break;
        case OPT_POP_NEW_FIELD: pop_new_field = optarg; break;
        case OPT_MIN_AREA:
            if (cli_parse_double("--min-area", optarg, 0, &params.min_area_m2))
                return EXIT_USAGE;
            break;
        case OPT_MIN_SHARE:
            if (cli_parse_double("--min-share", optarg, 0, &params.min_share))
                return EXIT_USAGE;
            break;
        case OPT_MIN_WIDTH:
            if (cli_parse_double("--min-width", optarg, 0, &params.min_width_m))
                return EXIT_USAGE;
            break;
        case OPT_MIN_CORE:
            if (cli_parse_double("--min-core", optarg, 0, &params.min_core_m2))
                return EXIT_USAGE;
            break;
        case OPT_MIN_POP:
            if (cli_parse_double("--min-pop", optarg, 0, &params.min_pop))
                return EXIT_USAGE;
            break;
        case OPT_TOLERANCE:
            if (cli_parse_double("--tolerance", optarg, 0, &params.tolerance_m2))
                return EXIT_USAGE;
            break;
        case OPT_THREADS:
            if (cli_parse_double("--threads", optarg, 1, &num) || num > 256)
                return EXIT_USAGE;
            params.threads = (int)num;
            break;
        case OPT_PROGRESS: cs.progress = 1; break;
        case OPT_QUIET: cs.quiet = 1; break;
        case OPT_HELP: run_usage(stdout); return EXIT_OK;
        default:
            cli_error("unknown or incomplete option '%s' (see regrev run --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s' (see regrev run --help)", argv[optind]);
        return EXIT_USAGE;
    }
    if (!old_opts.path)
        old_opts.path = owned[0] = default_path(DEFAULT_OLD);
    if (!new_opts.path)
        new_opts.path = owned[1] = default_path(DEFAULT_NEW);
    if (!pop_opts.path && !no_pop && owned[0] && owned[1])
        pop_opts.path = owned[2] = default_path(DEFAULT_POP);
    if (no_pop)
        pop_opts.path = NULL;
    if (pop_opts.cell_size < 0)
        pop_opts.cell_size = -1;
    if (parse_only) {
        for (int i = 0; i < 3; i++)
            free(owned[i]);
        return EXIT_OK;
    }

    double t0 = now_s(), t_stage = t0;
    rr_run_info info = {.old_path = old_opts.path, .new_path = new_opts.path,
                        .pop_path = pop_opts.path, .pop_old_path = pop_old_path,
                        .pop_new_path = pop_new_path};
    rr_ctx *ctx = cli_ctx_start(&cs);
    if (!ctx)
        return EXIT_DATA;
    rr_status st;
    rr_areaset *old_set = NULL, *new_set = NULL;
    rr_popsource *pop = NULL;
    rr_areatotals *totals_old = NULL, *totals_new = NULL;
    rr_revision *rev = NULL;
    rr_outset *outs = NULL;
    int rc = EXIT_OK;

    if ((st = rr_inputs_read(ctx, &old_opts, &new_opts, &pop_opts, params.threads, &old_set,
                             &new_set, &pop)) != RR_OK)
        goto fail;
    info.read_s = lap(&t_stage);
    if ((st = rr_revision_overlay(ctx, old_set, new_set, &params, &rev)) != RR_OK)
        goto fail;
    info.overlay_s = lap(&t_stage);
    if (pop && (st = rr_revision_set_population(ctx, rev, pop)) != RR_OK)
        goto fail;
    if ((pop_old_path &&
         (st = rr_areatotals_read(ctx, pop_old_path, NULL, pop_old_field, &totals_old)) != RR_OK) ||
        (pop_new_path &&
         (st = rr_areatotals_read(ctx, pop_new_path, NULL, pop_new_field, &totals_new)) != RR_OK) ||
        (st = rr_revision_calibrate(ctx, rev, totals_old, totals_new)) != RR_OK)
        goto fail;
    info.population_s = lap(&t_stage);
    if ((st = rr_revision_analyse(ctx, rev)) != RR_OK)
        goto fail;
    info.analyse_s = lap(&t_stage);
    cli_progress_done(&cs);

    if ((st = rr_outset_begin(ctx, out_dir, &outs)) != RR_OK)
        goto fail;
    cli_signals_set_outset(outs);
    /* the longest first: they run side by side with --threads */
    rr_write_job jobs[] = {
        {rr_write_review_gpkg, "review.gpkg"},
        {rr_write_review_html, "review.html"},
        {rr_write_pieces_csv, "pieces.csv"},
        {rr_write_key_csv, "key.csv"},
        {rr_write_changes_csv, "changes.csv"},
        {rr_write_areas_csv, "areas.csv"},
        {rr_write_comparability_csv, "comparability.csv"},
        {rr_write_units_csv, "units.csv"},
        {rr_write_bestfit_csv, "bestfit.csv"},
        {rr_write_key_uncertainty_csv, "key_uncertainty.csv"},
    };
    const size_t njobs = sizeof jobs / sizeof *jobs;
    const char *p;
    for (size_t k = 0; k < njobs; k++)
        if (!(jobs[k].path = rr_outset_add(ctx, outs, jobs[k].path))) {
            st = RR_ERR_INTERNAL; /* the message is set */
            goto fail;
        }
    if ((st = rr_write_all(ctx, rev, jobs, njobs)) != RR_OK)
        goto fail;
    info.write_s = lap(&t_stage);
    info.elapsed_s = now_s() - t0;
    if (!(p = rr_outset_add(ctx, outs, "summary.json")) ||
        (st = rr_write_summary_json(ctx, rev, &info, p))) {
        if (st == RR_OK)
            st = RR_ERR_INTERNAL;
        goto fail;
    }
    st = cli_outset_commit(ctx, outs);
    outs = NULL;
    if (st != RR_OK)
        goto fail;
    if (!cs.quiet)
        fprintf(stderr, "regrev: wrote %s/ (key.csv: %zu relations, %zu pieces) in %.1f s\n",
                out_dir, rr_revision_relation_count(rev), rr_revision_piece_count(rev),
                info.elapsed_s);
    goto done;
fail:
    cli_progress_done(&cs);
    cli_signals_set_outset(NULL);
    rr_outset_abort(outs);
    rc = cli_fail(ctx, st);
done:
#ifdef REGREV_MIMALLOC
    /* After a run the process ends and the kernel takes its memory back at once; freeing the
     * millions of GEOS objects one by one took 0.04-0.07 s of a national run. Builds without
     * mimalloc (the one for valgrind) and the sanitizer build free everything: leaks show there. */
    if (rc == EXIT_OK)
        rev = NULL, pop = NULL, totals_old = totals_new = NULL, new_set = old_set = NULL;
#endif
    rr_revision_free(rev);
    rr_popsource_free(pop);
    rr_areatotals_free(totals_old);
    rr_areatotals_free(totals_new);
    rr_areaset_free(new_set);
    rr_areaset_free(old_set);
    rr_ctx_free(ctx);
    for (int i = 0; i < 3; i++)
        free(owned[i]);
    return rc;
}
