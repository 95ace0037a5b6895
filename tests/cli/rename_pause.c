/* rename_pause.c: an LD_PRELOAD shim for the CLI tests. The first rename() of the process is
 * done, then RENAME_MARK (a path) is created and the process sleeps 2 s: a test can send a
 * signal while the outputs are being renamed into place, which is otherwise over in a moment. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int rename(const char *from, const char *to)
{
    static int (*real)(const char *, const char *);
    static int calls;
    if (!real)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    int r = real(from, to);
    const char *mark = getenv("RENAME_MARK");
    if (++calls == 1 && mark) {
        int fd = open(mark, O_CREAT | O_WRONLY, 0644);
        if (fd >= 0)
            close(fd);
        sleep(2);
    }
    return r;
}
