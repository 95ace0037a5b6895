/* cmd_translate.c: `regrev translate` (carry a statistical table across a revision with a key)
 * and `regrev key-chain` (compose keys across several revisions). */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define MAX_KEYS 16

static void translate_usage(FILE *f)
{
    fputs(
"Usage: regrev translate --key KEY.csv [--key KEY2.csv ...] --in TABLE --out OUT [options]\n"
"\n"
"Carry a statistical table from one version of the areas to the other with a key (the key.csv\n"
"of `regrev run`). OUT keeps the shape of TABLE, with codes of the other version and a column\n"
"`quality`: exact (the area is a union of whole areas of the input's version, so the value is\n"
"carried exactly) or estimated (apportioned by the key's weights).\n"
"\n"
"TABLE (the format is detected; --format forces it):\n"
"  long CSV     code,period,value; other columns are kept as dimensions (age, sex, ...)\n"
"  wide CSV     code plus one column per period (or any numeric columns)\n"
"  PxWeb CSV    as SCB's statistical database exports it: \"Region\",\"Alder\",...,\"000007Y7 2024\"\n"
"  JSON-stat    a JSON-stat 2.0 dataset; the geographic dimension has role geo, or is the one\n"
"               whose categories the key knows; quality goes into that dimension's extension\n"
"Codes may carry SCB's suffix (0114A0010_DeSO2025); the output has plain codes. Delimiters\n"
"',' ';' and tab are detected. Missing values (\"..\", \".\", an empty cell, JSON null) stay\n"
"missing: an output value fed by a missing input value is missing, never 0.\n"
"\n"
"Options:\n"
"  --key KEY.csv        the key; give it twice (A, then B) to chain revisions A then B\n"
"  --in TABLE           the table to translate\n"
"  --out OUT            the translated table (written atomically; never the input)\n"
"  --reverse            go from the new version to the old one (uses the w_*_new weights)\n"
"  --weights pop|area   weights for counts (default: pop when the key has them, else area)\n"
"  --kind count|mean|median\n"
"                       count (default): value(new) = sum of w(old->new) x value(old);\n"
"                       mean: a mean or rate, weighted by --denominator, else by the\n"
"                       population (or area) of each piece; median: estimated as a weighted\n"
"                       mean, exact only for an area that did not change\n"
"  --denominator COL    column (CSV) or category (JSON-stat, DIM=CATEGORY or CATEGORY) with\n"
"                       the denominator of a mean or rate; it is carried as a count\n"
"  --code-column C      the code column (default: code, region, deso, desokod, regso,\n"
"                       regsokod, kod, ...; else the first); JSON-stat: the dimension\n"
"  --value-column C     the value column of a long table (default: value, else the last\n"
"                       numeric column)\n"
"  --format F           auto (default), long, wide, pxweb or jsonstat\n"
"  --comparability F    take quality from a comparability.csv of the same run\n"
"  --allow-unknown      pass rows whose code the key does not know through unchanged (with a\n"
"                       warning); without it such a code is an error and nothing is written\n"
"  --quiet              no warnings or notices\n"
"  --help               this text\n"
"\n"
"Counts keep their totals, overall and per municipality; what the key carries to a part with\n"
"no code in the other version is reported as a warning. A summary goes to stderr.\n"
"Exit codes: 0 ok, 1 bad or inconsistent data, 2 usage error, 3 input/output error.\n",
        f);
}

static void chain_usage(FILE *f)
{
    fputs(
"Usage: regrev key-chain A.csv B.csv [C.csv ...] --out OUT.csv\n"
"\n"
"Compose keys across successive revisions (A: 2018 -> 2025, B: 2025 -> next) into one key from\n"
"the first version to the last, in key.csv's format:\n"
"  w(a->c) = sum over b of w_A(a->b) x w_B(b->c)   (each of the four weights)\n"
"  area_m2 and pop are A's multiplied through by b's shares in B.\n"
"Parts that only one version covers (an empty code) stay as they are. A code that A carries\n"
"data to but B does not know is an error.\n"
"\n"
"Options:\n"
"  --out OUT.csv   the chained key (written atomically)\n"
"  --quiet         no warnings or notices\n"
"  --help          this text\n"
"Exit codes: 0 ok, 1 bad or inconsistent data, 2 usage error, 3 input/output error.\n",
        f);
}

/* The directory and file name of an output path (borrowed buffers of the caller). */
static int split_out(const char *out, char *dir, size_t dsize, char *base, size_t bsize)
{
    char a[4096], b[4096];
    if (strlen(out) >= sizeof a || out[0] == '\0' || out[strlen(out) - 1] == '/')
        return -1;
    snprintf(a, sizeof a, "%s", out);
    snprintf(b, sizeof b, "%s", out);
    snprintf(dir, dsize, "%s", dirname(a));
    snprintf(base, bsize, "%s", basename(b));
    return 0;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Read the keys and compose them in order; *out owned by the caller. */
static rr_status load_keys(rr_ctx *ctx, const char *const *paths, size_t n, rr_key **out)
{
    rr_key *acc = NULL;
    rr_status st = rr_key_read_csv(ctx, paths[0], &acc);
    for (size_t i = 1; i < n && st == RR_OK; i++) {
        rr_key *next = NULL, *chained = NULL;
        if ((st = rr_key_read_csv(ctx, paths[i], &next)) == RR_OK &&
            (st = rr_key_chain(ctx, acc, next, &chained)) == RR_OK) {
            rr_key_free(acc);
            acc = chained;
        }
        rr_key_free(next);
    }
    if (st != RR_OK) {
        rr_key_free(acc);
        return st;
    }
    *out = acc;
    return RR_OK;
}

/* Write through an atomic output set: begin in OUT's directory, add its name, commit. */
typedef rr_status (*writer_fn)(rr_ctx *ctx, const void *obj, const char *path);

static rr_status write_table_fn(rr_ctx *ctx, const void *obj, const char *path)
{
    return rr_table_write(ctx, obj, path);
}

static rr_status write_key_fn(rr_ctx *ctx, const void *obj, const char *path)
{
    return rr_key_write_csv(ctx, obj, path);
}

static rr_status write_atomic(rr_ctx *ctx, const char *out, writer_fn fn, const void *obj)
{
    char dir[4096], base[4096];
    rr_outset *set = NULL;
    if (split_out(out, dir, sizeof dir, base, sizeof base) != 0)
        return RR_ERR_ARG;
    rr_status st = rr_outset_begin(ctx, dir, &set);
    if (st != RR_OK)
        return st;
    cli_signals_set_outset(set);
    const char *tmp = rr_outset_add(ctx, set, base);
    if (!tmp || (st = fn(ctx, obj, tmp)) != RR_OK) {
        cli_signals_set_outset(NULL);
        rr_outset_abort(set);
        return st != RR_OK ? st : RR_ERR_INTERNAL;
    }
    return cli_outset_commit(ctx, set);
}

enum {
    OPT_KEY = 256, OPT_IN, OPT_OUT, OPT_REVERSE, OPT_WEIGHTS, OPT_KIND, OPT_DENOMINATOR,
    OPT_CODE_COLUMN, OPT_VALUE_COLUMN, OPT_FORMAT, OPT_COMPARABILITY, OPT_ALLOW_UNKNOWN,
    OPT_QUIET, OPT_PROGRESS, OPT_HELP
};

static const struct option translate_options[] = {
    {"key", required_argument, NULL, OPT_KEY},
    {"in", required_argument, NULL, OPT_IN},
    {"out", required_argument, NULL, OPT_OUT},
    {"reverse", no_argument, NULL, OPT_REVERSE},
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    {"kind", required_argument, NULL, OPT_KIND},
    {"denominator", required_argument, NULL, OPT_DENOMINATOR},
    {"code-column", required_argument, NULL, OPT_CODE_COLUMN},
    {"value-column", required_argument, NULL, OPT_VALUE_COLUMN},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"comparability", required_argument, NULL, OPT_COMPARABILITY},
    {"allow-unknown", no_argument, NULL, OPT_ALLOW_UNKNOWN},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char *weights_name(rr_weights w)
{
    return w == RR_WEIGHTS_POP ? "population" : "area";
}

int cmd_translate(int argc, char **argv, int parse_only)
{
    const char *keys[MAX_KEYS];
    size_t nkeys = 0;
    const char *out_path = NULL, *comparability = NULL;
    int reverse = 0;
    rr_table_opts topts = {0};
    rr_translate_opts xopts = {0};
    cli_state cs = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", translate_options, NULL)) != -1) {
        switch (c) {
        case OPT_KEY:
            if (nkeys == MAX_KEYS) {
                cli_error("at most %d keys can be chained (see regrev translate --help)", MAX_KEYS);
                return EXIT_USAGE;
            }
            keys[nkeys++] = optarg;
            break;
        case OPT_IN: topts.path = optarg; break;
        case OPT_OUT: out_path = optarg; break;
        case OPT_REVERSE: reverse = 1; break;
        case OPT_WEIGHTS:
            if (strcmp(optarg, "pop") == 0 || strcmp(optarg, "population") == 0)
                xopts.weights = RR_WEIGHTS_POP;
            else if (strcmp(optarg, "area") == 0)
                xopts.weights = RR_WEIGHTS_AREA;
            else {
                cli_error("--weights takes pop or area, not '%s' (see regrev translate --help)",
                          optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_KIND:
            if (strcmp(optarg, "count") == 0)
                xopts.kind = RR_KIND_COUNT;
            else if (strcmp(optarg, "mean") == 0 || strcmp(optarg, "rate") == 0)
                xopts.kind = RR_KIND_MEAN;
            else if (strcmp(optarg, "median") == 0)
                xopts.kind = RR_KIND_MEDIAN;
            else {
                cli_error("--kind takes count, mean or median, not '%s' (see regrev translate "
                          "--help)", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_DENOMINATOR: topts.denominator = optarg; break;
        case OPT_CODE_COLUMN: topts.code_column = optarg; break;
        case OPT_VALUE_COLUMN: topts.value_column = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "auto") == 0)
                topts.format = RR_TABLE_AUTO;
            else if (strcmp(optarg, "long") == 0)
                topts.format = RR_TABLE_LONG;
            else if (strcmp(optarg, "wide") == 0)
                topts.format = RR_TABLE_WIDE;
            else if (strcmp(optarg, "pxweb") == 0)
                topts.format = RR_TABLE_PXWEB_CSV;
            else if (strcmp(optarg, "jsonstat") == 0 || strcmp(optarg, "json-stat") == 0)
                topts.format = RR_TABLE_JSONSTAT;
            else {
                cli_error("--format takes auto, long, wide, pxweb or jsonstat, not '%s' (see "
                          "regrev translate --help)", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_COMPARABILITY: comparability = optarg; break;
        case OPT_ALLOW_UNKNOWN: xopts.allow_unknown = 1; break;
        case OPT_QUIET: cs.quiet = 1; break;
        case OPT_PROGRESS: cs.progress = 1; break;
        case OPT_HELP: translate_usage(stdout); return EXIT_OK;
        default:
            cli_error("unknown or incomplete option '%s' (see regrev translate --help)",
                      argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s' (see regrev translate --help)", argv[optind]);
        return EXIT_USAGE;
    }
    if (nkeys == 0 || !topts.path || !out_path) {
        cli_error("translate needs --key, --in and --out (see regrev translate --help)");
        return EXIT_USAGE;
    }
    if (xopts.kind == RR_KIND_COUNT && topts.denominator) {
        cli_error("--denominator goes with --kind mean or median (see regrev translate --help)");
        return EXIT_USAGE;
    }
    char dir[4096], base[4096];
    if (split_out(out_path, dir, sizeof dir, base, sizeof base) != 0) {
        cli_error("--out must name a file, not '%s' (see regrev translate --help)", out_path);
        return EXIT_USAGE;
    }
    if (same_file(out_path, topts.path)) {
        cli_error("--out is the input table; regrev never overwrites its inputs (%s)", out_path);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < nkeys; i++)
        if (same_file(out_path, keys[i])) {
            cli_error("--out is a key; regrev never overwrites its inputs (%s)", out_path);
            return EXIT_USAGE;
        }
    if (parse_only)
        return EXIT_OK;

    rr_ctx *ctx = cli_ctx_start(&cs);
    if (!ctx)
        return EXIT_DATA;
    rr_key *key = NULL, *rev = NULL;
    rr_table *in = NULL, *out = NULL;
    rr_translate_report rep;
    int rc = EXIT_OK;
    rr_status st = load_keys(ctx, keys, nkeys, &key);
    if (st == RR_OK && reverse && (st = rr_key_reverse(ctx, key, &rev)) == RR_OK) {
        rr_key_free(key);
        key = rev;
    }
    if (st == RR_OK && comparability)
        st = rr_key_read_comparability(ctx, key, comparability);
    if (st == RR_OK)
        st = rr_table_read(ctx, &topts, key, &in);
    if (st == RR_OK)
        st = rr_table_translate(ctx, in, key, &xopts, &out, &rep);
    if (st == RR_OK)
        st = write_atomic(ctx, out_path, write_table_fn, out);
    if (st != RR_OK) {
        rc = cli_fail(ctx, st);
    } else if (!cs.quiet) {
        fprintf(stderr,
                "regrev: wrote %s (%s, %s weights): %zu codes -> %zu codes, %zu exact, "
                "%zu estimated",
                out_path, rr_table_format_name(rr_table_format_of(in)), weights_name(rep.weights),
                rep.codes_in, rep.codes_out, rep.codes_exact, rep.codes_out - rep.codes_exact);
        if (rep.codes_unknown)
            fprintf(stderr, ", %zu passed through", rep.codes_unknown);
        if (rep.cells_missing)
            fprintf(stderr, ", %zu missing values", rep.cells_missing);
        if (rep.series_checked)
            fprintf(stderr, "; total %.10g in, %.10g out", rep.total_in, rep.total_out);
        if (rep.dropped != 0)
            fprintf(stderr, " + %.10g on empty codes", rep.dropped);
        if (rep.kommun_checked)
            fprintf(stderr, "; %zu of %zu municipal totals kept", rep.kommun_checked -
                    rep.kommun_differ, rep.kommun_checked);
        fputc('\n', stderr);
    }
    rr_table_free(out);
    rr_table_free(in);
    rr_key_free(key);
    rr_ctx_free(ctx);
    return rc;
}

static const struct option chain_options[] = {
    {"out", required_argument, NULL, OPT_OUT},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int cmd_key_chain(int argc, char **argv, int parse_only)
{
    const char *out_path = NULL;
    cli_state cs = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", chain_options, NULL)) != -1) {
        switch (c) {
        case OPT_OUT: out_path = optarg; break;
        case OPT_QUIET: cs.quiet = 1; break;
        case OPT_HELP: chain_usage(stdout); return EXIT_OK;
        default:
            cli_error("unknown or incomplete option '%s' (see regrev key-chain --help)",
                      argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    size_t nkeys = (size_t)(argc - optind);
    if (nkeys < 2 || !out_path) {
        cli_error("key-chain needs two or more keys and --out (see regrev key-chain --help)");
        return EXIT_USAGE;
    }
    if (nkeys > MAX_KEYS) {
        cli_error("at most %d keys can be chained (see regrev key-chain --help)", MAX_KEYS);
        return EXIT_USAGE;
    }
    char dir[4096], base[4096];
    if (split_out(out_path, dir, sizeof dir, base, sizeof base) != 0) {
        cli_error("--out must name a file, not '%s' (see regrev key-chain --help)", out_path);
        return EXIT_USAGE;
    }
    const char *keys[MAX_KEYS];
    for (size_t i = 0; i < nkeys; i++) {
        keys[i] = argv[optind + (int)i];
        if (same_file(out_path, keys[i])) {
            cli_error("--out is one of the keys; regrev never overwrites its inputs (%s)",
                      out_path);
            return EXIT_USAGE;
        }
    }
    if (parse_only)
        return EXIT_OK;
    rr_ctx *ctx = cli_ctx_start(&cs);
    if (!ctx)
        return EXIT_DATA;
    rr_key *key = NULL;
    int rc = EXIT_OK;
    rr_status st = load_keys(ctx, keys, nkeys, &key);
    if (st == RR_OK)
        st = write_atomic(ctx, out_path, write_key_fn, key);
    if (st != RR_OK)
        rc = cli_fail(ctx, st);
    else if (!cs.quiet)
        fprintf(stderr, "regrev: wrote %s (%zu relations from %zu keys)\n", out_path,
                rr_key_row_count(key), nkeys);
    rr_key_free(key);
    rr_ctx_free(ctx);
    return rc;
}
