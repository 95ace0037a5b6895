/* valid.h: a fast "certainly valid" test for polygons in plain C (valid.c); GEOS stays the judge
 * of everything it cannot certify. Never installed. */
#ifndef REGREV_VALID_H
#define REGREV_VALID_H

#include <geos_c.h>
#include <stddef.h>

/* One ring: n points, x = xy[2 * i], y = xy[2 * i + 1]; closed (first point == last point) as
 * GEOS stores it. Borrowed. */
typedef struct rr_ringv {
    const double *xy;
    size_t n;
} rr_ringv;

/* Working memory for the tests below, kept between calls so that a call allocates nothing once
 * the scratch has grown to the largest geometry seen (its arrays grow, never shrink). One per
 * thread: a scratch is not to be shared by concurrent calls. rr_valid_scratch_new returns NULL
 * when out of memory; the caller frees it with rr_valid_scratch_free (which accepts NULL). */
typedef struct rr_valid_scratch rr_valid_scratch;
rr_valid_scratch *rr_valid_scratch_new(void);
void rr_valid_scratch_free(rr_valid_scratch *s);

/* Whether a polygonal geometry is certainly valid as GEOS 3.11's isValid judges it. Polygon p
 * has rings[first[p]] (its shell) .. rings[first[p + 1] - 1] (its holes); npolys >= 1 and
 * first has npolys + 1 entries. npolys == 1 is a Polygon (a MultiPolygon of one part has the
 * same validity), more a MultiPolygon. Everything is borrowed; nothing is kept.
 * Returns 1 when certainly valid; 0 when not known: invalid, degenerate, uncertain in double
 * precision or too costly to decide (valid.c lists the cases), so ask GEOS; -1 when out of
 * memory. Never 1 for a geometry GEOS calls invalid. */
int rr_polygons_surely_valid(const rr_ringv *rings, const size_t *first, size_t npolys);
/* The same with the caller's scratch s (borrowed; NULL: 0). rr_polygons_surely_valid makes and
 * frees one scratch per call. */
int rr_polygons_surely_valid_s(rr_valid_scratch *s, const rr_ringv *rings, const size_t *first,
                               size_t npolys);

/* The same for a GEOS Polygon or MultiPolygon (its x and y; z and m play no part in validity).
 * Any other type, an empty geometry or a GEOS error: 0. Out of memory: -1. g is borrowed. */
int rr_geos_surely_valid(GEOSContextHandle_t h, const GEOSGeometry *g);
/* The same with the caller's scratch s (borrowed; NULL: 0), which also holds the copy of g's
 * coordinates. */
int rr_geos_surely_valid_s(rr_valid_scratch *s, GEOSContextHandle_t h, const GEOSGeometry *g);

#endif
