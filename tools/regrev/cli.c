/* cli.c: messages, progress display, signal handling and exit codes of the regrev command. */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Messages and progress may come from the library's worker threads: one at a time. */
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_diag(rr_diag_level level, const char *message, void *user)
{
    cli_state *st = user;
    if (st->quiet)
        return;
    pthread_mutex_lock(&stderr_lock);
    if (st->progress_shown) {
        fputs("\r\033[K", stderr);
        st->progress_shown = 0;
    }
    fprintf(stderr, "regrev: %s%s\n", level == RR_WARNING ? "warning: " : "", message);
    pthread_mutex_unlock(&stderr_lock);
}

static void on_progress(const char *stage, size_t done, size_t total, void *user)
{
    cli_state *st = user;
    if (!st->progress)
        return;
    pthread_mutex_lock(&stderr_lock);
    if (total)
        fprintf(stderr, "\rregrev: %s %zu/%zu (%d%%)\033[K", stage, done, total,
                (int)(100.0 * (double)done / (double)total));
    else
        fprintf(stderr, "\rregrev: %s %zu\033[K", stage, done);
    st->progress_shown = 1;
    pthread_mutex_unlock(&stderr_lock);
}

void cli_progress_done(cli_state *st)
{
    pthread_mutex_lock(&stderr_lock);
    if (st->progress_shown) {
        fputs("\r\033[K", stderr);
        st->progress_shown = 0;
    }
    pthread_mutex_unlock(&stderr_lock);
}

void cli_init(cli_state *st, rr_ctx *ctx)
{
    if (!st->progress)
        st->progress = isatty(STDERR_FILENO);
    rr_ctx_set_diag(ctx, on_diag, st);
    rr_ctx_set_progress(ctx, on_progress, st);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("regrev: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_warning(const cli_state *st, const char *fmt, ...)
{
    if (st->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("regrev: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_exit_code(rr_status status)
{
    switch (status) {
    case RR_OK: return EXIT_OK;
    case RR_ERR_ARG: return EXIT_USAGE;
    case RR_ERR_IO: return EXIT_IO;
    default: return EXIT_DATA;
    }
}

int cli_fail(rr_ctx *ctx, rr_status status)
{
    const char *msg = rr_ctx_errmsg(ctx);
    /* one line, always */
    fputs("regrev: error: ", stderr);
    for (const char *p = msg[0] ? msg : rr_status_name(status); *p; p++)
        fputc(*p == '\n' ? ' ' : *p, stderr);
    fputc('\n', stderr);
    return cli_exit_code(status);
}

int cli_parse_double(const char *opt, const char *text, double min, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= min) || v > 1e15) {
        cli_error("%s takes a number >= %g, not '%s' (see --help)", opt, min, text);
        return -1;
    }
    *out = v;
    return 0;
}

static rr_ctx *volatile sig_ctx;
static rr_outset *volatile sig_outset;
static volatile sig_atomic_t sig_committed;

static void on_signal(int sig)
{
    /* Leave with status 1, never as a signal (CONTRACT: never 124-127), and with no half-written
     * output: temporaries are removed; outputs already renamed into place are whole. */
    static const char msg[] = "\nregrev: error: interrupted; no output was written\n";
    static const char done[] = "\nregrev: error: interrupted after the outputs were written\n";
    ssize_t w;
    if (sig_outset)
        rr_outset_unlink_temps(sig_outset);
    if (sig_committed)
        w = write(STDERR_FILENO, done, sizeof done - 1);
    else
        w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    (void)sig_ctx;
    (void)sig;
    _exit(EXIT_DATA);
}

void cli_signals_install(rr_ctx *ctx)
{
    sig_ctx = ctx;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void cli_hold_signals(int how, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(how, &set, old);
}

void cli_signals_set_outset(rr_outset *set)
{
    sig_outset = set;
}

rr_status cli_outset_commit(rr_ctx *ctx, rr_outset *set)
{
    /* Renaming the outputs into place must not be cut short: hold SIGINT/SIGTERM until done.
     * A signal that came meanwhile ends the process after it ("interrupted"), outputs whole. */
    sigset_t old;
    cli_hold_signals(SIG_BLOCK, &old);
    rr_status st = rr_outset_commit(ctx, set);
    sig_outset = NULL;
    sig_committed = st == RR_OK;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return st;
}

rr_ctx *cli_ctx_start(cli_state *st)
{
    rr_ctx *ctx = rr_ctx_new();
    if (!ctx) {
        cli_error("out of memory");
        return NULL;
    }
    cli_init(st, ctx);
    cli_signals_install(ctx);
    return ctx;
}
