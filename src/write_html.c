/* write_html.c: review.html, a self-contained offline review map of the revision. */
#include <stdio.h>

#include "internal.h"

rr_status rr_write_review_html(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    (void)rev;
    FILE *f = fopen(path, "w"); /* placeholder until the writer lands */
    if (!f)
        return rr_error(ctx, RR_ERR_IO, "cannot write (%s)", path);
    fputs("<!doctype html><title>regrev review</title>\n", f);
    fclose(f);
    return RR_OK;
}
