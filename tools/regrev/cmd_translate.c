/* cmd_translate.c: `regrev translate`: carry a statistical table across a revision with a key. */
#include "cli.h"

int cmd_translate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("translate is not built yet");
    return EXIT_USAGE;
}
