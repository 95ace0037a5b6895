/* test_fuzz_replay.c: every fuzzing harness (fuzz/) over its stored inputs: the crashing inputs
 * the fuzzers found (tests/fuzz-regressions/<harness>/) and the seed corpus (fuzz/corpus/<harness>/).
 * Any compiler: a regression shows as a crash here, as a report in the ASan build, or as a
 * leak under valgrind. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "test_support.h"

#ifndef RR_FUZZ_REGRESSIONS
#define RR_FUZZ_REGRESSIONS "tests/fuzz-regressions"
#endif
#ifndef RR_FUZZ_CORPUS
#define RR_FUZZ_CORPUS "fuzz/corpus"
#endif

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    *size = n;
    return buf;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Run the harness over every file in root/name; returns how many. */
static size_t replay_dir(const rr_fuzz_harness *h, const char *root)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, h->name);
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, NULL, by_name);
    size_t ran = 0;
    for (int i = 0; i < n; i++) {
        char path[8192];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
        if (entries[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            size_t size = 0;
            unsigned char *data = read_all(path, &size);
            if (!data)
                fail_msg("cannot read %s", path);
            h->fn(data, size);
            free(data);
            ran++;
        }
        free(entries[i]);
    }
    free(entries);
    return ran;
}

static void replay(const char *name)
{
    for (const rr_fuzz_harness *h = rr_fuzz_harnesses; h->name; h++) {
        if (strcmp(h->name, name) != 0)
            continue;
        size_t seeds = replay_dir(h, RR_FUZZ_CORPUS);
        size_t crashes = replay_dir(h, RR_FUZZ_REGRESSIONS);
        print_message("%s: %zu seeds, %zu stored crashing inputs\n", name, seeds, crashes);
        assert_true(seeds > 0);
        return;
    }
    fail_msg("no harness %s", name);
}

static void test_fuzz_replay_table_csv(void **state) { (void)state; replay("table_csv"); }
static void test_fuzz_replay_pxweb(void **state) { (void)state; replay("pxweb"); }
static void test_fuzz_replay_jsonstat(void **state) { (void)state; replay("jsonstat"); }
static void test_fuzz_replay_key(void **state) { (void)state; replay("key"); }
static void test_fuzz_replay_args(void **state) { (void)state; replay("args"); }
static void test_fuzz_replay_wkb(void **state) { (void)state; replay("wkb"); }

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_replay_table_csv), cmocka_unit_test(test_fuzz_replay_pxweb),
        cmocka_unit_test(test_fuzz_replay_jsonstat),  cmocka_unit_test(test_fuzz_replay_key),
        cmocka_unit_test(test_fuzz_replay_args),      cmocka_unit_test(test_fuzz_replay_wkb),
    };
    return RUN_TESTS(tests);
}
