/* main.c: the regrev command: dispatch to subcommands, --help and --version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef REGREV_MIMALLOC
#include <mimalloc.h>
#endif

#include "cli.h"

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
#endif
    /* From the first instruction on, an interrupt ends the run with status 1 and no output. */
    cli_signals_install(NULL);
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
