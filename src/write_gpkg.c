/* write_gpkg.c: review.gpkg for GIS users (layers old, new, pieces, changes). */
#include <stdio.h>

#include "io_gdal.h"

rr_status rr_write_review_gpkg(rr_ctx *ctx, const rr_revision *rev, const char *path)
{
    (void)rev;
    FILE *f = fopen(path, "w"); /* placeholder until the writer lands */
    if (!f)
        return rr_error(ctx, RR_ERR_IO, "cannot write (%s)", path);
    fclose(f);
    return RR_OK;
}
