/* fuzz_util.c: what the harnesses share: inputs as memfd files, one context, the Dalarna key,
 * the table round (read, write, translate both ways), muting the CLI's messages. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef RR_FUZZ_KEY
#define RR_FUZZ_KEY "fuzz/key.csv"
#endif

const rr_fuzz_harness rr_fuzz_harnesses[] = {
    {"table_csv", rr_fuzz_table_csv}, {"pxweb", rr_fuzz_pxweb}, {"jsonstat", rr_fuzz_jsonstat},
    {"key", rr_fuzz_key},             {"args", rr_fuzz_args},   {"wkb", rr_fuzz_wkb},
    {NULL, NULL},
};

/* A harness cannot go on without its fixtures: stop loudly (never in the library). */
static void fixture_failed(const char *what)
{
    fprintf(stderr, "regrev fuzz: %s\n", what);
    abort();
}

const char *rr_fuzz_file(int slot, const uint8_t *data, size_t size)
{
    static int fd[4] = {-1, -1, -1, -1};
    static char path[4][64];
    if (slot < 0 || slot > 3)
        fixture_failed("bad memfd slot");
    if (fd[slot] < 0) {
        fd[slot] = memfd_create("regrev-fuzz", MFD_CLOEXEC);
        if (fd[slot] < 0)
            fixture_failed("memfd_create failed");
        snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
    }
    if (ftruncate(fd[slot], 0) != 0)
        fixture_failed("ftruncate failed");
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(fd[slot], data + done, size - done, (off_t)done);
        if (w <= 0)
            fixture_failed("pwrite failed");
        done += (size_t)w;
    }
    return path[slot];
}

rr_ctx *rr_fuzz_ctx(void)
{
    static rr_ctx *ctx;
    if (!ctx && !(ctx = rr_ctx_new()))
        fixture_failed("rr_ctx_new failed");
    return ctx;
}

static rr_key *key_forward, *key_reverse;

static void load_keys(void)
{
    if (key_forward)
        return;
    rr_ctx *ctx = rr_fuzz_ctx();
    if (rr_key_read_csv(ctx, RR_FUZZ_KEY, &key_forward) != RR_OK ||
        rr_key_reverse(ctx, key_forward, &key_reverse) != RR_OK) {
        fprintf(stderr, "regrev fuzz: %s\n", rr_ctx_errmsg(ctx));
        fixture_failed("cannot read the key " RR_FUZZ_KEY);
    }
}

const rr_key *rr_fuzz_key_forward(void)
{
    load_keys();
    return key_forward;
}

const rr_key *rr_fuzz_key_reverse(void)
{
    load_keys();
    return key_reverse;
}

/* Use what a reader returned the way the CLI and users do: accessors, writer. */
static void use_table(rr_ctx *ctx, const rr_table *t)
{
    volatile double sink = 0;
    size_t ncodes = rr_table_code_count(t), nseries = rr_table_series_count(t);
    for (size_t j = 0; j < nseries && j < 16; j++) {
        const char *name = rr_table_series_name(t, j);
        sink += name ? (double)strlen(name) : 0;
        for (size_t c = 0; c < ncodes && c < 64; c++)
            sink += rr_table_value(t, rr_table_code(t, c), j);
    }
    for (size_t c = 0; c < ncodes && c < 64; c++) {
        const char *q = rr_table_quality(t, rr_table_code(t, c));
        sink += q ? (double)strlen(q) : 0;
    }
    (void)sink;
    rr_table_write(ctx, t, "/dev/null");
}

void rr_fuzz_tables(const uint8_t *data, size_t size, const rr_table_opts *variants, size_t n)
{
    rr_ctx *ctx = rr_fuzz_ctx();
    const rr_key *keys[2] = {rr_fuzz_key_forward(), rr_fuzz_key_reverse()};
    const char *path = rr_fuzz_file(0, data, size);
    for (size_t v = 0; v < n; v++) {
        rr_table_opts o = variants[v];
        o.path = path;
        rr_table *t = NULL;
        /* the key helps detect a header and JSON-stat's geographic dimension: with and without */
        if (rr_table_read(ctx, &o, v % 2 ? keys[0] : NULL, &t) != RR_OK)
            continue;
        use_table(ctx, t);
        for (int k = 0; k < 2; k++) {
            for (int kind = RR_KIND_COUNT; kind <= RR_KIND_MEDIAN; kind++) {
                rr_translate_opts xo = {.kind = (rr_kind)kind, .allow_unknown = 1};
                rr_translate_report rep;
                rr_table *out = NULL;
                if (rr_table_translate(ctx, t, keys[k], &xo, &out, &rep) == RR_OK)
                    use_table(ctx, out);
                rr_table_free(out);
            }
        }
        rr_table_free(t);
    }
}

static FILE *devnull, *saved_out, *saved_err;

void rr_fuzz_mute(void)
{
    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        fixture_failed("cannot open /dev/null");
    saved_out = stdout;
    saved_err = stderr;
    stdout = devnull;
    stderr = devnull;
}

void rr_fuzz_unmute(void)
{
    fflush(devnull);
    stdout = saved_out;
    stderr = saved_err;
}
