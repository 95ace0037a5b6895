/* regrev.h: the public API of regrev, revisions of statistical areas.
 *
 * Programmer notes
 * - Every call takes an rr_ctx. A context holds one GEOS handle, the last error message and the
 *   diagnostics/progress callbacks. Use one context per thread; contexts are independent.
 * - With threads > 1 a context keeps threads - 1 worker threads, idle between calls, until it is
 *   freed (they hold SIGINT, SIGTERM and SIGHUP off, so those reach the application's threads).
 *   Free it before fork(): a child has no such threads.
 * - A function that can fail returns rr_status (RR_OK = 0) or a pointer (NULL on failure). On
 *   failure rr_ctx_errmsg() says what went wrong, naming file, layer, feature and code where known.
 *   Out-parameters are written only on success.
 * - Objects are opaque. `_new`/`_read` pair with `_free`; every `_free` accepts NULL.
 *   `const char *` returned by accessors are borrowed from the object and live as long as it.
 * - Nothing in the library prints, exits or aborts: warnings go to the diagnostics callback.
 */
#ifndef REGREV_H
#define REGREV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RR_API __attribute__((visibility("default")))
#else
#define RR_API
#endif

#define RR_VERSION "0.1.0"

/* Status codes. Values are never renumbered. */
typedef enum rr_status {
    RR_OK = 0,
    RR_ERR_NOMEM = 1,    /* out of memory */
    RR_ERR_ARG = 2,      /* bad argument or option (a usage error) */
    RR_ERR_IO = 3,       /* a file could not be opened, read or written */
    RR_ERR_FORMAT = 4,   /* a file was read but its content is not what was expected */
    RR_ERR_CRS = 5,      /* missing or incompatible coordinate reference system */
    RR_ERR_GEOMETRY = 6, /* geometry that cannot be used or repaired */
    RR_ERR_INTERNAL = 7, /* a dependency failed unexpectedly or an invariant broke */
    RR_ERR_DATA = 8,     /* data inconsistent with other data (unknown code, mismatch) */
    RR_ERR_CANCELLED = 9 /* rr_ctx_cancel() was called */
} rr_status;

typedef enum rr_diag_level { RR_NOTICE = 0, RR_WARNING = 1 } rr_diag_level;

typedef struct rr_ctx rr_ctx;
typedef struct rr_areaset rr_areaset;
typedef struct rr_popsource rr_popsource;
typedef struct rr_revision rr_revision;

/* Diagnostics callback: one message without trailing newline, borrowed for the call. */
typedef void (*rr_diag_fn)(rr_diag_level level, const char *message, void *user);
/* Progress callback: `done` of `total` steps of `stage` (a short English phrase). */
typedef void (*rr_progress_fn)(const char *stage, size_t done, size_t total, void *user);

/* ---- context ---------------------------------------------------------------------------- */

/* A new context, or NULL when out of memory. Free with rr_ctx_free. */
RR_API rr_ctx *rr_ctx_new(void);
RR_API void rr_ctx_free(rr_ctx *ctx);
/* The message of the last failure; "" if none. Borrowed, valid until the next call. */
RR_API const char *rr_ctx_errmsg(const rr_ctx *ctx);
/* Where messages and progress go. With threads > 1 (rr_params.threads, the readers' threads)
 * workers call fn from their own threads, possibly at the same time as each other and as the
 * calling thread: fn must be safe for that (the regrev CLI takes a lock). */
RR_API void rr_ctx_set_diag(rr_ctx *ctx, rr_diag_fn fn, void *user);
RR_API void rr_ctx_set_progress(rr_ctx *ctx, rr_progress_fn fn, void *user);
/* Ask long work to stop at the next check (async-signal-safe). It then fails with
 * RR_ERR_CANCELLED. */
RR_API void rr_ctx_cancel(rr_ctx *ctx);
/* Number of warnings emitted through this context so far. */
RR_API size_t rr_ctx_warning_count(const rr_ctx *ctx);
/* The texts of the first 1,000 warnings (borrowed from the context). */
RR_API size_t rr_ctx_warning_text_count(const rr_ctx *ctx);
RR_API const char *rr_ctx_warning_text(const rr_ctx *ctx, size_t i);
RR_API const char *rr_status_name(rr_status status);

/* ---- area sets (one version of a partition) --------------------------------------------- */

typedef struct rr_read_opts {
    const char *path;        /* any GDAL vector source, incl. /vsizip/ and PG: strings */
    const char *layer;       /* NULL: the only layer, or the first polygon layer */
    const char *code_field;  /* NULL: detect (desokod, deso, regsokod, regso, kod, code, id…) */
    const char *assume_crs;  /* NULL, or a CRS (EPSG:3006, WKT…) for a layer that has none */
    const char *label;       /* "old"/"new": used in messages; may be NULL */
    /* Coarser level (RegSO from DeSO): dissolve the areas into groups, either by a field of the
     * layer (group_field, e.g. regsokod) or by a link table (link_path, a CSV with the code in
     * column link_from and the group in link_to; NULL columns: detect a column named like the
     * code field or "deso", and the last column named like "*kod*" that is not it). */
    const char *group_field;
    const char *link_path, *link_from, *link_to;
    /* Coordinates are snapped to a grid of this size in CRS units, so that boundaries two
     * programs wrote as slightly different doubles coincide again. 0: the default, 0.0001
     * (0.1 mm in metres; 1e-9 degrees for a geographic CRS); < 0: no snapping. */
    double precision;
} rr_read_opts;

/* Read one version: features gathered per code into one (multi)polygon, vintage suffixes
 * (_DeSO2025, _RegSO2025) stripped, invalid geometry repaired and empty geometry skipped with a
 * warning. On success *out owns the set (free with rr_areaset_free). */
RR_API rr_status rr_areaset_read(rr_ctx *ctx, const rr_read_opts *opts, rr_areaset **out);
/* Two versions read side by side when threads > 1 (each in a context of its own; messages in
 * the order a, b). On failure *out_a and *out_b are left as they were and the message is a's
 * when a failed. */
RR_API rr_status rr_areaset_read_pair(rr_ctx *ctx, const rr_read_opts *a, const rr_read_opts *b,
                                      int threads, rr_areaset **out_a, rr_areaset **out_b);
RR_API void rr_areaset_free(rr_areaset *set);
RR_API size_t rr_areaset_count(const rr_areaset *set);
RR_API const char *rr_areaset_code(const rr_areaset *set, size_t i);
RR_API double rr_areaset_area(const rr_areaset *set, size_t i);
RR_API const char *rr_areaset_code_field(const rr_areaset *set);
/* Transform `set` in place into the CRS of `like` when the (horizontal) CRSs differ. */
RR_API rr_status rr_areaset_match_crs(rr_ctx *ctx, rr_areaset *set, const rr_areaset *like);
/* Build an area set from WKT polygons (tests, small programs). crs may be NULL (no CRS).
 * kommun may be NULL. */
RR_API rr_status rr_areaset_from_wkt(rr_ctx *ctx, size_t n, const char *const *codes,
                                     const char *const *wkts, const char *crs,
                                     rr_areaset **out);

/* ---- population sources ----------------------------------------------------------------- */

typedef struct rr_pop_opts {
    const char *path;       /* polygons (grid squares), points, CSV with e/n or x/y, or a raster */
    const char *layer;      /* NULL: first layer */
    const char *field;      /* NULL: detect (befolkning*, pop*, beftotalt, value) */
    double cell_size;       /* > 0: points are centres of square cells of this size; 0: detect */
    const char *assume_crs; /* for CSV or a layer without CRS; NULL: same as the areas */
} rr_pop_opts;

RR_API rr_status rr_popsource_read(rr_ctx *ctx, const rr_pop_opts *opts, const rr_areaset *like,
                                   rr_popsource **out);
/* Everything a run reads, side by side when threads > 1 (the old version, the new one and the
 * population source each in a context of its own; warnings in that order, as when read one after
 * the other): the new version brought into the old one's CRS (rr_areaset_match_crs), the
 * population source into the areas' (as rr_popsource_read). pop_opts NULL or without a path: no
 * population (*pop NULL). On failure nothing is returned and the message is that of the first
 * input, in that order, that failed. */
RR_API rr_status rr_inputs_read(rr_ctx *ctx, const rr_read_opts *old_opts,
                                const rr_read_opts *new_opts, const rr_pop_opts *pop_opts,
                                int threads, rr_areaset **old_set, rr_areaset **new_set,
                                rr_popsource **pop);
/* Build from WKT cells (polygons or points) and values, for tests. */
RR_API rr_status rr_popsource_from_wkt(rr_ctx *ctx, size_t n, const char *const *wkts,
                                       const double *values, rr_popsource **out);
RR_API void rr_popsource_free(rr_popsource *pop);
RR_API double rr_popsource_total(const rr_popsource *pop);

/* Per-area population totals (official figures) to calibrate the piece estimates. */
typedef struct rr_areatotals rr_areatotals;
/* Read a table of per-area totals: a CSV (or any GDAL table) with a code column (deso, desokod,
 * regsokod, region, kod, code, or `code_field`) and a value column (`value_field`, or detect
 * total/totalt/befolkning/folkmangd, else the last numeric column). SCB statistical-database
 * exports work as they come: suffixed codes are stripped and rows of other dimensions (age
 * bands, sex) are dropped by keeping the rows whose other columns say total ("totalt", "1+2").
 * Missing values ("..", "." or empty) are skipped with a warning. */
RR_API rr_status rr_areatotals_read(rr_ctx *ctx, const char *path, const char *code_field,
                                    const char *value_field, rr_areatotals **out);
RR_API void rr_areatotals_free(rr_areatotals *t);
RR_API size_t rr_areatotals_count(const rr_areatotals *t);

/* ---- the revision: overlay, sliver rule, key, changes, classes ---------------------------- */

typedef struct rr_params {
    double tolerance_m2; /* pieces smaller than this are numerical noise (default 1 m²) */
    double min_area_m2;  /* sliver rule: a piece below this area is never a transfer */
    double min_share;    /* sliver rule: share of the smaller of its two areas */
    double min_width_m;  /* sliver rule: a piece thinner than this (inner core) is a redrawn edge */
    double min_core_m2;  /* sliver rule: the part at least min_width wide must have this area */
    double min_pop;      /* sliver rule with population: fewer people than this and small */
    int threads;         /* worker threads for the overlay (>= 1) */
    int review_early;    /* 1: rr_revision_overlay simplifies both versions for
                          * rr_write_review_html first thing in its first pass, while memory
                          * holds little else (less peak memory when review.html is written;
                          * default 0) */
} rr_params;

/* The documented defaults. */
RR_API void rr_params_default(rr_params *params);

/* Overlay two versions (same CRS: call rr_areaset_match_crs first). The revision borrows both
 * sets: they must outlive it. Free with rr_revision_free. */
RR_API rr_status rr_revision_overlay(rr_ctx *ctx, const rr_areaset *old_set,
                                     const rr_areaset *new_set, const rr_params *params,
                                     rr_revision **out);
/* Estimate the population of every piece from a population source (borrowed for the call). */
RR_API rr_status rr_revision_set_population(rr_ctx *ctx, rr_revision *rev,
                                            const rr_popsource *pop);
/* Calibrate the piece populations to official per-area totals: with one table, scale the pieces
 * of each area to its total; with both, iterative proportional fitting to both margins starting
 * from the current estimate (the grid, or area shares without a population source). The new
 * totals are first scaled to the old grand total (the tables are usually of different years).
 * A notice reports the fit. Either table may be NULL. */
RR_API rr_status rr_revision_calibrate(rr_ctx *ctx, rr_revision *rev, const rr_areatotals *old_totals,
                                       const rr_areatotals *new_totals);

/* Apply the sliver rule and derive relations, change list and classes. Call after the overlay
 * (and the population, if any); calling it again recomputes. */
RR_API rr_status rr_revision_analyse(rr_ctx *ctx, rr_revision *rev);
RR_API void rr_revision_free(rr_revision *rev);

RR_API size_t rr_revision_piece_count(const rr_revision *rev);
RR_API size_t rr_revision_relation_count(const rr_revision *rev);
RR_API size_t rr_revision_change_count(const rr_revision *rev);

/* Read-only views of results; strings are borrowed from the revision and its area sets.
 * An empty code ("") stands for a part only one version covers. Missing numbers are NAN. */
typedef struct rr_piece_view {
    const char *old_code, *new_code;
    double area_m2, pop;
    int transfer;
} rr_piece_view;
typedef struct rr_relation_view {
    const char *old_code, *new_code;
    double area_m2, pop, w_area_old, w_area_new, w_pop_old, w_pop_new;
} rr_relation_view;
typedef struct rr_change_view {
    const char *old_code, *new_code, *change_type;
    double area_m2, pop;
} rr_change_view;
/* Pieces in overlay order; relations and changes in output order (sorted by codes). */
RR_API void rr_revision_piece(const rr_revision *rev, size_t k, rr_piece_view *out);
RR_API void rr_revision_relation(const rr_revision *rev, size_t k, rr_relation_view *out);
RR_API void rr_revision_change(const rr_revision *rev, size_t k, rr_change_view *out);
/* Class name of an area ("unchanged", "split", …) and its related codes (";"-joined) in the
 * other version, or NULL for an unknown code. new_version: 0 old, 1 new. */
RR_API const char *rr_revision_area_class(const rr_revision *rev, int new_version,
                                          const char *code, const char **related);
/* Comparability of an area ("identical", "recoded", "aggregate", "estimated"), its unit (1-based)
 * and apportioned share; NULL for an unknown code. unit and share may be NULL. */
RR_API const char *rr_revision_area_comparability(const rr_revision *rev, int new_version,
                                                  const char *code, size_t *unit,
                                                  double *apportioned_share);

/* ---- writers (each writes the file at `path` directly; use rr_outset for atomic runs) ------- */

RR_API rr_status rr_write_pieces_csv(rr_ctx *ctx, const rr_revision *rev, const char *path);
RR_API rr_status rr_write_key_csv(rr_ctx *ctx, const rr_revision *rev, const char *path);
RR_API rr_status rr_write_changes_csv(rr_ctx *ctx, const rr_revision *rev, const char *path);
RR_API rr_status rr_write_areas_csv(rr_ctx *ctx, const rr_revision *rev, const char *path);
/* bestfit.csv: each area → the one area of the other version holding most of its population
 * (area without population): version,code,best_code,share. */
RR_API rr_status rr_write_bestfit_csv(rr_ctx *ctx, const rr_revision *rev, const char *path);
/* key_uncertainty.csv: per key row, the share of its population drawn from population cells only
 * partly inside its pieces, and a flag when the relation rests on the grid's resolution. */
RR_API rr_status rr_write_key_uncertainty_csv(rr_ctx *ctx, const rr_revision *rev,
                                              const char *path);
/* comparability.csv: per area and version identical | recoded | aggregate | estimated, its
 * comparable unit and the share that must be apportioned. units.csv: one row per unit. */
RR_API rr_status rr_write_comparability_csv(rr_ctx *ctx, const rr_revision *rev, const char *path);
RR_API rr_status rr_write_units_csv(rr_ctx *ctx, const rr_revision *rev, const char *path);

/* review.gpkg: layers old, new (code, class, kommun), pieces (old_code, new_code, area_m2, pop),
 * changes (moved pieces with change_type and moved population), in the input CRS. */
RR_API rr_status rr_write_review_gpkg(rr_ctx *ctx, const rr_revision *rev, const char *path);
/* review.html: one self-contained offline page (map, search, relations, table of changes). */
RR_API rr_status rr_write_review_html(rr_ctx *ctx, const rr_revision *rev, const char *path);

/* Several writers side by side: each job runs in a worker with a context of its own (writers
 * only read the revision), on rev->params.threads workers, in the order given (put the longest
 * first). Returns the first failure; no job is started after one. */
typedef rr_status (*rr_writer_fn)(rr_ctx *ctx, const rr_revision *rev, const char *path);
typedef struct rr_write_job {
    rr_writer_fn write;
    const char *path;
} rr_write_job;
RR_API rr_status rr_write_all(rr_ctx *ctx, const rr_revision *rev, const rr_write_job *jobs,
                              size_t n);

typedef struct rr_run_info {
    const char *old_path, *old_layer, *new_path, *new_layer, *pop_path;
    const char *pop_old_path, *pop_new_path;
    double elapsed_s;
    /* seconds spent per stage (reading, overlay, population, analysis, writing); 0 if unknown */
    double read_s, overlay_s, population_s, analyse_s, write_s;
} rr_run_info;
RR_API rr_status rr_write_summary_json(rr_ctx *ctx, const rr_revision *rev,
                                       const rr_run_info *info, const char *path);

/* ---- atomic output sets ------------------------------------------------------------------ */

typedef struct rr_outset rr_outset;
/* Start a set of outputs in directory `dir` (created if missing). */
RR_API rr_status rr_outset_begin(rr_ctx *ctx, const char *dir, rr_outset **out);
/* A temporary path in the output directory for final name `name`; borrowed from the set. */
RR_API const char *rr_outset_add(rr_ctx *ctx, rr_outset *set, const char *name);
/* Rename every temporary file to its final name; frees the set. */
RR_API rr_status rr_outset_commit(rr_ctx *ctx, rr_outset *set);
/* Remove every temporary file; frees the set. Accepts NULL. Async-signal-unsafe. */
RR_API void rr_outset_abort(rr_outset *set);
/* Unlink the temporaries only (for a signal handler): async-signal-safe. */
RR_API void rr_outset_unlink_temps(const rr_outset *set);

/* ---- translation: keys and statistical tables ---------------------------------------------- */

/* A correspondence key (key.csv), oriented: rows carry data from one version (`from`) to the
 * other (`to`). Read from a file, reversed, or chained from two keys. */
typedef struct rr_key rr_key;

/* Read key.csv (header old_code,new_code,area_m2,pop,w_area_old,w_area_new,w_pop_old,w_pop_new;
 * columns are found by name, area_m2, pop and the w_pop_* columns may be absent). Codes lose
 * SCB's vintage suffix. An empty code is a part only one version covers; its weights may be
 * empty. Checks, each failing with RR_ERR_FORMAT or RR_ERR_DATA naming file, line and code: a
 * header with the columns, numbers where numbers belong, no pair twice, and for every code the
 * weights of its rows summing to 1 (±1e-6). On success *out owns the key: free with
 * rr_key_free. The key goes old -> new. */
RR_API rr_status rr_key_read_csv(rr_ctx *ctx, const char *path, rr_key **out);
RR_API void rr_key_free(rr_key *key);
/* A new key going the other way (w_*_new become the weights that carry data). *out is owned by
 * the caller. */
RR_API rr_status rr_key_reverse(rr_ctx *ctx, const rr_key *key, rr_key **out);
/* Compose two keys, first A (a -> b) then B (b -> c), into one (a -> c):
 * w(a->c) = sum over b of w_A(a->b) w_B(b->c) for each of the four weights; area and pop are
 * multiplied through by b's shares in B. Parts only one version covers stay parts on their own
 * (an empty code). A code b that A carries data to but B does not know fails with RR_ERR_DATA.
 * Neither input is changed; *out is owned by the caller. */
RR_API rr_status rr_key_chain(rr_ctx *ctx, const rr_key *first, const rr_key *second,
                              rr_key **out);
/* Write a key in key.csv's format (sorted, weights with 12 significant digits). */
RR_API rr_status rr_key_write_csv(rr_ctx *ctx, const rr_key *key, const char *path);
/* Take the quality of each target area from a comparability.csv of the same revision
 * (identical, recoded, aggregate -> exact; estimated -> estimated) instead of from the weights.
 * Not for chained keys (RR_ERR_ARG). */
RR_API rr_status rr_key_read_comparability(rr_ctx *ctx, rr_key *key, const char *path);
RR_API size_t rr_key_row_count(const rr_key *key);
/* Row k in output order: old_code is the code data is carried from, new_code the code it goes
 * to (so for a reversed key, old_code holds a new-version code). Strings borrowed. */
RR_API void rr_key_row(const rr_key *key, size_t k, rr_relation_view *out);
/* 1 if every relation between two codes has population weights. */
RR_API int rr_key_has_pop(const rr_key *key);
/* "exact" when the target area `to_code` is a union of whole source areas (every relation into
 * it carries a whole source area: w_area_from = 1), "estimated" otherwise; NULL for a code the
 * key does not carry data to. */
RR_API const char *rr_key_quality(const rr_key *key, const char *to_code);

/* A statistical table: values per area code and series (period, value column, dimension
 * values). */
typedef struct rr_table rr_table;
typedef enum rr_table_format {
    RR_TABLE_AUTO = 0,  /* detect */
    RR_TABLE_LONG,      /* code,period,value (+ other columns kept as dimensions) */
    RR_TABLE_WIDE,      /* code + one value column per period (+ dimension columns) */
    RR_TABLE_PXWEB_CSV, /* SCB statistical database CSV: quoted, Region + dimensions + values */
    RR_TABLE_JSONSTAT   /* JSON-stat 2.0 dataset */
} rr_table_format;

typedef struct rr_table_opts {
    const char *path;
    rr_table_format format;   /* RR_TABLE_AUTO: JSON-stat for JSON, else from the header */
    const char *code_column;  /* NULL: detect (code, region, deso, desokod, regso, regsokod, kod,
                                 area, id; else the first column); JSON-stat: the geographic
                                 dimension's id (NULL: role geo, else the dimension whose
                                 categories the key knows) */
    const char *value_column; /* long tables: NULL = `value`, else the last numeric column */
    const char *denominator;  /* NULL, or the column (CSV) or category (JSON-stat) holding the
                                 denominator of a mean or rate; it is translated as a count */
} rr_table_opts;

/* Read a table. `key` (may be NULL) helps find the geographic dimension of a JSON-stat dataset
 * and a missing header. Missing values ("..", "." or an empty cell; null in JSON-stat) stay
 * missing. Errors name file, line and column (RR_ERR_FORMAT): empty file, no header, ragged row,
 * text where a number belongs, a code twice for the same series. *out owned by the caller. */
RR_API rr_status rr_table_read(rr_ctx *ctx, const rr_table_opts *opts, const rr_key *key,
                               rr_table **out);
RR_API void rr_table_free(rr_table *table);
/* Write a table in the shape it was read in (a translated table: the shape of its source, with
 * a `quality` column, or for JSON-stat an extension of the geographic dimension). */
RR_API rr_status rr_table_write(rr_ctx *ctx, const rr_table *table, const char *path);
RR_API rr_table_format rr_table_format_of(const rr_table *table);
RR_API const char *rr_table_format_name(rr_table_format format);
RR_API size_t rr_table_code_count(const rr_table *table);
/* Codes in sorted order, without vintage suffix; borrowed. */
RR_API const char *rr_table_code(const rr_table *table, size_t i);
RR_API size_t rr_table_series_count(const rr_table *table);
/* A readable name of series j ("2024", "Alder=totalt, 000007Y7 2024"); borrowed. */
RR_API const char *rr_table_series_name(const rr_table *table, size_t j);
/* Value of `code` in series j: NAN when missing or absent. */
RR_API double rr_table_value(const rr_table *table, const char *code, size_t j);
/* Quality of a translated table's code ("exact"/"estimated"), NULL otherwise. */
RR_API const char *rr_table_quality(const rr_table *table, const char *code);

typedef enum rr_kind {
    RR_KIND_COUNT = 0, /* sum(w * value) */
    RR_KIND_MEAN,      /* weighted by the denominator, or by population */
    RR_KIND_MEDIAN     /* estimated as a weighted mean; exact only for a 1:1 area */
} rr_kind;
typedef enum rr_weights { RR_WEIGHTS_DEFAULT = 0, RR_WEIGHTS_POP, RR_WEIGHTS_AREA } rr_weights;

typedef struct rr_translate_opts {
    rr_kind kind;
    rr_weights weights;  /* DEFAULT: population when the key has it, else area */
    int allow_unknown;   /* pass rows with codes the key does not know through, with a warning */
} rr_translate_opts;

/* What a translation did (counts are sums over every count series without missing outputs). */
typedef struct rr_translate_report {
    rr_weights weights;      /* the weights used: RR_WEIGHTS_POP or RR_WEIGHTS_AREA */
    size_t codes_in, codes_out, codes_exact, codes_unknown;
    size_t cells_missing;    /* output cells that are missing */
    size_t series_checked;   /* count series whose totals were checked */
    double total_in, total_out;
    double dropped;          /* carried by the key's weights to a part with an empty code */
    double uncovered;        /* lies on parts the other version does not cover (weights empty:
                                already included in the neighbouring areas) */
    size_t kommun_checked, kommun_differ; /* municipalities checked, those not preserved */
} rr_translate_report;

/* Carry `in` across the key. An input code the key does not know fails with RR_ERR_DATA naming
 * the code and its line, unless opts->allow_unknown. Output cells fed by a missing or absent
 * input with nonzero weight are missing. Totals (overall and per municipality) of counts are
 * checked; amounts on empty codes and broken totals are reported as warnings. On success *out
 * is owned by the caller and borrows `in` (free it first); report may be NULL. */
RR_API rr_status rr_table_translate(rr_ctx *ctx, const rr_table *in, const rr_key *key,
                                    const rr_translate_opts *opts, rr_table **out,
                                    rr_translate_report *report);

#ifdef __cplusplus
}
#endif
#endif
