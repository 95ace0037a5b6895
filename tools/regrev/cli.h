/* cli.h: shared pieces of the regrev command line: messages, progress, exit codes. */
#ifndef REGREV_CLI_H
#define REGREV_CLI_H

#include <signal.h>

#include <regrev/regrev.h>

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

typedef struct cli_state {
    int quiet;
    int progress;   /* show progress (terminal or --progress) */
    int progress_shown;
} cli_state;

void cli_init(cli_state *st, rr_ctx *ctx);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const cli_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the library's message for a failure and return the exit code for the status. */
int cli_fail(rr_ctx *ctx, rr_status status);
int cli_exit_code(rr_status status);
/* Parse a number option; returns 0 on success, prints a usage error otherwise. */
int cli_parse_double(const char *opt, const char *text, double min, double *out);
void cli_progress_done(cli_state *st);

/* The interrupted-run handling: SIGINT/SIGTERM cancel the context and remove temporaries. */
void cli_signals_install(rr_ctx *ctx);
/* Hold off (SIG_BLOCK) or let in (SIG_UNBLOCK) the signals that end a run, SIGINT, SIGTERM and
 * SIGHUP, in the calling thread; the mask before in *old when not NULL. */
void cli_hold_signals(int how, sigset_t *old);
/* A library context for a command: messages and progress through st, SIGINT/SIGTERM
 * cancelling it. NULL (the error printed) when out of memory. */
rr_ctx *cli_ctx_start(cli_state *st);
void cli_signals_set_outset(rr_outset *set);
/* rr_outset_commit with SIGINT/SIGTERM held back, and the outset forgotten by the handler. */
rr_status cli_outset_commit(rr_ctx *ctx, rr_outset *set);

/* The commands; argv[0] is the command's name. parse_only: return after the arguments are
 * parsed and checked (EXIT_OK if they are good, else the usage exit code) without reading or
 * writing anything: for the argument fuzzer (fuzz/fuzz_args.c). */
int cmd_run(int argc, char **argv, int parse_only);
int cmd_translate(int argc, char **argv, int parse_only);
int cmd_key_chain(int argc, char **argv, int parse_only);

#endif
