/* review.h: helpers shared by the review writers (write_gpkg.c, write_html.c); GEOS only. */
#ifndef REGREV_REVIEW_H
#define REGREV_REVIEW_H

#include "internal.h"

/* Is piece p part of what moved in change c? X → Y rows (X ≠ Y): the transferred pieces from X
 * to Y; X → X "Minskas": every transferred piece X gives to another code; "Utvidgas": every
 * transferred piece X receives from another code; "Utvidgas till territorialvattengräns": the
 * parts of X that no old area covered and that count as a change. */
int rr_review_piece_of_change(const rr_revision *rev, const rr_change *c, const rr_piece *p);

/* The pieces grouped by old area and by new area, in piece order within a group (a counting
 * sort): each change then finds its candidates at once, where scanning every piece for every
 * change took 101 of 111 s with 100,000 areas. Group n (the number of areas) holds the pieces
 * without an area on that side. */
typedef struct rr_piece_index {
    size_t *by[2];    /* [0] old, [1] new: piece numbers, group after group */
    size_t *first[2]; /* group g is by[side][first[side][g] .. first[side][g + 1]) */
} rr_piece_index;
/* 0 when out of memory (ix then freed). */
int rr_piece_index_build(const rr_revision *rev, rr_piece_index *ix);
void rr_piece_index_free(rr_piece_index *ix);

/* The union of the moved pieces of change c, exact (not simplified), its candidates taken from
 * ix when given (else every piece is tested; the same pieces in the same order either way).
 * Returns a new geometry the caller destroys with GEOSGeom_destroy_r, or NULL: then *st is RR_OK
 * when the change has no pieces, or the failure (message in ctx). */
GEOSGeometry *rr_review_change_shape(rr_ctx *ctx, const rr_revision *rev, const rr_change *c,
                                     const rr_piece_index *ix, rr_status *st);

/* Change k's shape (rr_review_change_shape) made once for all the writers that ask, side by
 * side (review.gpkg and review.html both need every change's: two GEOS unions each): borrowed,
 * valid while the revision's analysis is. Without the revision's memo (out of memory when it was
 * made) the shape is made here and left in *own for the caller to destroy. NULL: no moved piece,
 * or the failure in *st. */
const GEOSGeometry *rr_review_change_shape_shared(rr_ctx *ctx, const rr_revision *rev, size_t k,
                                                  const rr_piece_index *ix, GEOSGeometry **own,
                                                  rr_status *st);

/* Fill colours per class, "#rrggbb" (review.html's legend and review.gpkg's QGIS style). */
extern const char *const rr_review_class_colour[RR_CLASS_COUNT];

#endif
