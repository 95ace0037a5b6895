/* outfile.c: atomic output sets: every output goes to a temporary name in the output
 * directory and is renamed into place only when the whole run succeeded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define RR_OUTSET_MAX 32

struct rr_outset {
    char *dir;
    size_t n;
    char *tmp[RR_OUTSET_MAX];
    char *final[RR_OUTSET_MAX];
};

/* 0 made or there, -1 failed (errno), -2 out of memory. */
static int mkdir_p(const char *dir)
{
    char *p = rr_strdup(dir);
    if (!p)
        return -2;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = (mkdir(p, 0777) != 0 && errno != EEXIST) ? -1 : 0;
    free(p);
    return rc;
}

rr_status rr_outset_begin(rr_ctx *ctx, const char *dir, rr_outset **out)
{
    struct stat st;
    int made = mkdir_p(dir);
    if (made == -2)
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", dir);
    if (made != 0 || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return rr_error(ctx, RR_ERR_IO, "cannot create output directory: %s (%s)",
                        strerror(errno ? errno : ENOTDIR), dir);
    if (access(dir, W_OK) != 0)
        return rr_error(ctx, RR_ERR_IO, "output directory is not writable: %s (%s)",
                        strerror(errno), dir);
    rr_outset *set = calloc(1, sizeof *set);
    if (!set || !(set->dir = rr_strdup(dir))) {
        free(set);
        return rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", dir);
    }
    *out = set;
    return RR_OK;
}

const char *rr_outset_add(rr_ctx *ctx, rr_outset *set, const char *name)
{
    if (set->n == RR_OUTSET_MAX) {
        rr_error(ctx, RR_ERR_INTERNAL, "too many outputs in one run (%s)", name);
        return NULL;
    }
    char *tmp = rr_sprintf("%s/.regrev-tmp-%ld-%s", set->dir, (long)getpid(), name);
    char *final = rr_sprintf("%s/%s", set->dir, name);
    if (!tmp || !final) {
        free(tmp);
        free(final);
        rr_error(ctx, RR_ERR_NOMEM, "out of memory (%s)", name);
        return NULL;
    }
    unlink(tmp);
    set->tmp[set->n] = tmp;
    set->final[set->n] = final;
    set->n++;
    return tmp;
}

static void outset_free(rr_outset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        free(set->tmp[i]);
        free(set->final[i]);
    }
    free(set->dir);
    free(set);
}

rr_status rr_outset_commit(rr_ctx *ctx, rr_outset *set)
{
    rr_status st = RR_OK;
    for (size_t i = 0; i < set->n; i++) {
        if (access(set->tmp[i], F_OK) != 0) {
            st = rr_error(ctx, RR_ERR_INTERNAL, "output was not written (%s)", set->final[i]);
            break;
        }
    }
    for (size_t i = 0; st == RR_OK && i < set->n; i++) {
        if (rename(set->tmp[i], set->final[i]) != 0)
            st = rr_error(ctx, RR_ERR_IO, "cannot rename output into place: %s (%s)",
                          strerror(errno), set->final[i]);
    }
    if (st != RR_OK)
        rr_outset_unlink_temps(set);
    outset_free(set);
    return st;
}

void rr_outset_unlink_temps(const rr_outset *set)
{
    for (size_t i = 0; i < set->n; i++)
        unlink(set->tmp[i]);
}

void rr_outset_abort(rr_outset *set)
{
    if (!set)
        return;
    rr_outset_unlink_temps(set);
    outset_free(set);
}

typedef struct write_all_job {
    const rr_revision *rev;
    const rr_write_job *jobs;
} write_all_job;

static rr_status write_one(rr_ctx *ctx, size_t i, void *user)
{
    const write_all_job *w = user;
    return w->jobs[i].write(ctx, w->rev, w->jobs[i].path);
}

rr_status rr_write_all(rr_ctx *ctx, const rr_revision *rev, const rr_write_job *jobs, size_t n)
{
    /* The writers read the same piece geometries side by side: GEOS caches an envelope when
     * first asked, and two threads filling one race. Every piece's were made by the worker that
     * made the piece (rr_geom_warm in overlay.c's list_push). */
    write_all_job w = {rev, jobs};
    int threads = rev->params.threads < (int)n ? rev->params.threads : (int)n;
    return rr_parallel_for(ctx, n, threads, "writing", write_one, NULL, &w);
}
