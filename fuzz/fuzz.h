/* fuzz.h: the fuzzing harnesses of regrev, one entry function per parser. libFuzzer drivers
 * (fuzz/libfuzzer_main.c, REGREV_FUZZ=ON, clang) call one each; tests/unit/test_fuzz_replay.c
 * runs them all over the stored crashing inputs and seeds with any compiler. */
#ifndef REGREV_FUZZ_H
#define REGREV_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <regrev/regrev.h>

/* Each returns 0 (libFuzzer's convention); a bug shows as a crash, a sanitizer report, a leak
 * or a hang. */
int rr_fuzz_table_csv(const uint8_t *data, size_t size); /* long/wide CSV tables, translated */
int rr_fuzz_pxweb(const uint8_t *data, size_t size);     /* SCB's PxWeb CSV, translated */
int rr_fuzz_jsonstat(const uint8_t *data, size_t size);  /* JSON-stat 2.0, translated */
int rr_fuzz_key(const uint8_t *data, size_t size);       /* key.csv (+ comparability.csv) */
int rr_fuzz_args(const uint8_t *data, size_t size);      /* run/translate/key-chain options */
int rr_fuzz_wkb(const uint8_t *data, size_t size);       /* WKB -> OGR -> GEOS -> valid */

typedef struct rr_fuzz_harness {
    const char *name; /* directory name under fuzz/corpus and tests/fuzz-regressions */
    int (*fn)(const uint8_t *data, size_t size);
} rr_fuzz_harness;
/* Every harness, ending with {NULL, NULL}. */
extern const rr_fuzz_harness rr_fuzz_harnesses[];

/* ---- fuzz_util.c ------------------------------------------------------------------------- */

/* A path that reads back `data` (a memfd; slot 0..3 for several files at once). */
const char *rr_fuzz_file(int slot, const uint8_t *data, size_t size);
/* The process's context (warnings and notices dropped). */
rr_ctx *rr_fuzz_ctx(void);
/* The Dalarna DeSO 2018 -> 2025 key (fuzz/key.csv) and its reverse, read once. */
const rr_key *rr_fuzz_key_forward(void);
const rr_key *rr_fuzz_key_reverse(void);
/* Read a table with each set of options, write it, translate it both ways and write that. */
void rr_fuzz_tables(const uint8_t *data, size_t size, const rr_table_opts *variants, size_t n);
/* Silence stdout/stderr of code under test (the CLI prints usage errors) and restore them. */
void rr_fuzz_mute(void);
void rr_fuzz_unmute(void);

#endif
