/* main.c: the regrev command: dispatch to subcommands, --help and --version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef REGREV_MIMALLOC
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <mimalloc.h>
#endif

#include "cli.h"

static int dispatch(int argc, char **argv);

#ifdef REGREV_MIMALLOC
/* One arena of address space for all of mimalloc's memory, marked for transparent huge pages.
 * Without it mimalloc maps every block of more than a few MB (the vertex tables of review.html's
 * simplification, the growing arrays of the overlay) on its own and unmaps it when freed, so the
 * next large block is faulted in and zeroed by the kernel once more: on the 6 x 6 bench pair
 * ~890 MB were taken from the kernel for a peak of ~610 MB, and on this VM the first touch of a
 * page costs far more than its use (system time 0.6-1.8 s). In an arena of memory mimalloc counts
 * as committed, freed blocks go back to the arena and are taken again without a fault. Only
 * address space is reserved (MAP_NORESERVE): pages become memory when first touched. When the
 * arena is full mimalloc takes memory from the kernel as before. Not made, and the run goes on
 * without it, where the reservation would be charged or would crowd out the rest: a kernel that
 * does not overcommit (vm.overcommit_memory = 2 charges the whole reservation), a limit on
 * address space or data (ulimit -v, -d), or when it cannot be mapped. 1 when made. */
static int arena_reserve(void)
{
    const size_t size = (size_t)8 << 30, align = (size_t)64 << 20; /* mimalloc's segments */
    struct rlimit as, data;
    if (getrlimit(RLIMIT_AS, &as) != 0 || as.rlim_cur != RLIM_INFINITY ||
        getrlimit(RLIMIT_DATA, &data) != 0 || data.rlim_cur != RLIM_INFINITY)
        return 0;
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = -1;
    if (!f || fscanf(f, "%d", &mode) != 1 || mode == 2) {
        if (f)
            fclose(f);
        return 0;
    }
    fclose(f);
    char *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    char *at = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
    /* only the aligned part is kept */
    if (at > p)
        munmap(p, (size_t)(at - p));
    if (p + align > at)
        munmap(at + size, (size_t)(p + align - at));
    if (mi_option_is_enabled(mi_option_large_os_pages))
        madvise(at, size, MADV_HUGEPAGE);
    if (!mi_manage_os_memory(at, size, true, false, true, -1)) {
        munmap(at, size);
        return 0;
    }
    return 1;
}

/* The command, run on a thread of its own (see main). */
typedef struct command {
    int argc;
    char **argv;
    int rc;
} command;

static void *command_main(void *arg)
{
    command *c = arg;
    cli_hold_signals(SIG_UNBLOCK, NULL); /* made with them held off (run_on_thread) */
    c->rc = dispatch(c->argc, c->argv);
    return NULL;
}

/* Run the command on a new thread, whose memory all comes from the arena, and wait for it: 1
 * when it ran (*rc its exit code), 0 when no thread could be made. mimalloc gives the main
 * thread a first segment of 32 MB before main() runs, outside the arena and so without huge
 * pages; what the command allocated first (the old version's areas, as read) went there, a
 * 4 KiB fault at a time: on the 6 x 6 bench pair 8,000 of the run's 10,500 page faults, and the
 * main thread took 0.32 s to read the old version where a worker takes 0.17 s (~1.92 -> ~1.83 s
 * for the whole run, back to back). The waiting main thread holds off the signals that end a
 * run, so that they reach the command's thread, which holds them off itself only while it
 * renames its outputs into place (cli_outset_commit). */
static int run_on_thread(int argc, char **argv, int *rc)
{
    command c = {argc, argv, EXIT_DATA};
    pthread_t tid;
    /* held off before the thread is made: the main thread never takes them, not even before it
     * would have blocked them (the command thread could be renaming its outputs by then) */
    cli_hold_signals(SIG_BLOCK, NULL);
    /* The stack main() would have had: the limit on it (ulimit -s), or 64 MB where there is none
     * (a thread's default would then be 2 MB; GEOS recurses on deep geometries). */
    struct rlimit lim;
    size_t stack = (size_t)64 << 20;
    if (getrlimit(RLIMIT_STACK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
        lim.rlim_cur >= (rlim_t)PTHREAD_STACK_MIN)
        stack = (size_t)lim.rlim_cur;
    pthread_attr_t attr;
    int made = pthread_attr_init(&attr) == 0;
    if (made && pthread_attr_setstacksize(&attr, stack) != 0)
        made = 0, pthread_attr_destroy(&attr);
    int started = pthread_create(&tid, made ? &attr : NULL, command_main, &c) == 0;
    if (made)
        pthread_attr_destroy(&attr);
    if (!started) {
        cli_hold_signals(SIG_UNBLOCK, NULL);
        return 0;
    }
    pthread_join(tid, NULL);
    *rc = c.rc;
    return 1;
}
#endif

static void usage(FILE *f)
{
    fputs("Usage: regrev COMMAND [OPTIONS]\n"
          "\n"
          "Carry statistics across revisions of statistical areas (DeSO, RegSO or any partition).\n"
          "\n"
          "Commands:\n"
          "  run         overlay two versions; write key, change list, classes, review data\n"
          "  translate   carry a statistical table from one version to the other with a key\n"
          "  key-chain   compose keys of successive revisions into one\n"
          "\n"
          "Run 'regrev COMMAND --help' for the options of a command.\n"
          "Exit codes: 0 ok, 1 bad or inconsistent data, 2 usage error, 3 input/output error.\n",
          f);
}

int main(int argc, char **argv)
{
    /* From the first instruction on, an interrupt ends the run with status 1 and no output. */
    cli_signals_install(NULL);
#ifdef REGREV_MIMALLOC
    /* Transparent huge pages for the heap (CMakeLists.txt says why), unless the user chose
     * otherwise with mimalloc's own MIMALLOC_LARGE_OS_PAGES. Before the first large allocation:
     * the segments taken until now stay as they are. */
    if (!getenv("MIMALLOC_LARGE_OS_PAGES"))
        mi_option_enable(mi_option_large_os_pages);
    /* Nor is freed memory given back to the kernel while the run lasts: taken again, each page
     * is faulted and zeroed once more (6 x 6 bench pair: ~80 MB fewer commits, system time
     * 0.93 -> 0.75 s, wall 3.11 -> 3.00 s, means of 7 alternating runs). A run is short. */
    if (!getenv("MIMALLOC_ALLOW_DECOMMIT"))
        mi_option_disable(mi_option_allow_decommit);
    /* For the same reason, reuse freed large blocks too (unless memory is to be given back). */
    int rc;
    if (!mi_option_is_enabled(mi_option_allow_decommit) && arena_reserve() &&
        run_on_thread(argc, argv, &rc))
        return rc;
#endif
    return dispatch(argc, argv);
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        cli_error("no command given; the commands are run and translate (see regrev --help)");
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("regrev %s\n", RR_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1, 0);
    if (strcmp(cmd, "translate") == 0)
        return cmd_translate(argc - 1, argv + 1, 0);
    if (strcmp(cmd, "key-chain") == 0)
        return cmd_key_chain(argc - 1, argv + 1, 0);
    cli_error("unknown command '%s'; the commands are run and translate (see regrev --help)", cmd);
    return EXIT_USAGE;
}
