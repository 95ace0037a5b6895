/* test_support.h: cmocka helpers shared by the unit tests: context fixture, status asserts. */
#ifndef REGREV_TEST_SUPPORT_H
#define REGREV_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <regrev/regrev.h>

/* Diagnostics gathered for asserting on them: rr_ctx_set_diag(ctx, diag_collect, &log). */
typedef struct diag_log {
    char text[8192];
    int warnings;
} diag_log;

static inline void diag_collect(rr_diag_level level, const char *msg, void *user)
{
    diag_log *log = user;
    if (level == RR_WARNING)
        log->warnings++;
    strncat(log->text, msg, sizeof log->text - strlen(log->text) - 2);
    strcat(log->text, "\n");
}

/* assert_ok(ctx, expr): expr must return RR_OK; prints the library's message otherwise. */
#define assert_ok(ctx, expr)                                                                   \
    do {                                                                                       \
        rr_status st_ = (expr);                                                                \
        if (st_ != RR_OK)                                                                      \
            fail_msg("%s failed with %s: %s", #expr, rr_status_name(st_), rr_ctx_errmsg(ctx)); \
    } while (0)

/* assert_fails_with(ctx, expr, code, "substring"): status and message both checked. */
#define assert_fails_with(ctx, expr, code, substring)                                          \
    do {                                                                                       \
        rr_status st_ = (expr);                                                                \
        if (st_ != (code))                                                                     \
            fail_msg("%s returned %s, expected %s (message: %s)", #expr, rr_status_name(st_),  \
                     rr_status_name(code), rr_ctx_errmsg(ctx));                                \
        if (!strstr(rr_ctx_errmsg(ctx), (substring)))                                          \
            fail_msg("message '%s' lacks '%s'", rr_ctx_errmsg(ctx), (substring));              \
    } while (0)

#define assert_near(a, b, tol)                                                                 \
    do {                                                                                       \
        double a_ = (a), b_ = (b);                                                             \
        if (!(fabs(a_ - b_) <= (tol)))                                                         \
            fail_msg("%s = %.10g, expected %.10g (±%g)", #a, a_, b_, (double)(tol));           \
    } while (0)

/* Group fixture: a context in *state; warnings are counted, not printed. */
static inline int ctx_setup(void **state)
{
    rr_ctx *ctx = rr_ctx_new();
    if (!ctx)
        return -1;
    *state = ctx;
    return 0;
}

static inline int ctx_teardown(void **state)
{
    rr_ctx_free(*state);
    return 0;
}

/* Run the group, or only the tests whose name contains argv[1]. */
static inline int run_filtered(const char *name, const struct CMUnitTest *tests, size_t n,
                               int argc, char **argv)
{
    static char pattern[256];
    if (argc > 1) {
        snprintf(pattern, sizeof pattern, "*%s*", argv[1]);
        cmocka_set_test_filter(pattern);
    }
    return _cmocka_run_group_tests(name, tests, n, ctx_setup, ctx_teardown);
}

#define RUN_TESTS(tests) run_filtered(#tests, tests, sizeof(tests) / sizeof((tests)[0]), argc, argv)

/* xorshift64: the same sequence on every run, for randomised tests (*state: a nonzero seed). */
static inline unsigned test_rnd(unsigned long long *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (unsigned)(*state >> 11);
}

#endif
