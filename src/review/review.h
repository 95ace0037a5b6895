/* review.h: helpers shared by the review writers (write_gpkg.c, write_html.c); GEOS only. */
#ifndef REGREV_REVIEW_H
#define REGREV_REVIEW_H

#include "internal.h"

/* Is piece p part of what moved in change c? X → Y rows (X ≠ Y): the transferred pieces from X
 * to Y; X → X "Minskas": every transferred piece X gives to another code; "Utvidgas": every
 * transferred piece X receives from another code; "Utvidgas till territorialvattengräns": the
 * parts of X that no old area covered and that count as a change. */
int rr_review_piece_of_change(const rr_revision *rev, const rr_change *c, const rr_piece *p);

/* The union of the moved pieces of change c, exact (not simplified). Returns a new geometry the
 * caller destroys with GEOSGeom_destroy_r, or NULL: then *st is RR_OK when the change has no
 * pieces, or the failure (message in ctx). */
GEOSGeometry *rr_review_change_shape(rr_ctx *ctx, const rr_revision *rev, const rr_change *c,
                                     rr_status *st);

/* Fill colours per class, "#rrggbb" (review.html's legend and review.gpkg's QGIS style). */
extern const char *const rr_review_class_colour[RR_CLASS_COUNT];

#endif
