/* fuzz_args.c: argument handling of `regrev run`, `translate` and `key-chain`: the input is the
 * arguments, one per line; each command parses them and stops before any work (parse_only). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/regrev/cli.h"
#include "fuzz.h"

#define MAX_ARGS 64

/* glibc's getopt keeps a pointer into the last argv it parsed; optind = 0 makes it start
 * afresh (the commands set optind = 1, enough for one parse per process). */
static void getopt_reset(void)
{
    char prog[] = "regrev", *argv[] = {prog, NULL};
    optind = 0;
    opterr = 0;
    (void)getopt(1, argv, "");
}

static void run_one(int (*cmd)(int, char **, int), const char *name, const uint8_t *data,
                    size_t size)
{
    char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
    char *cmdname = strdup(name);
    if (!buf || !cmdname) {
        free(buf);
        free(cmdname);
        return;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    int argc = 0;
    argv[argc++] = cmdname;
    char *p = buf;
    while (argc <= MAX_ARGS) {
        argv[argc++] = p;
        char *nl = memchr(p, '\n', (size_t)(buf + size - p));
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    argv[argc] = NULL;
    getopt_reset();
    rr_fuzz_mute();
    cmd(argc, argv, 1);
    rr_fuzz_unmute();
    free(buf);
    free(cmdname);
}

int rr_fuzz_args(const uint8_t *data, size_t size)
{
    run_one(cmd_run, "run", data, size);
    run_one(cmd_translate, "translate", data, size);
    run_one(cmd_key_chain, "key-chain", data, size);
    return 0;
}
