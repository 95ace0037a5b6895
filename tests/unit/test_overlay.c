/* test_overlay.c: overlay, sliver rule, key weights, change types and classes on cases whose
 * answers follow from hand arithmetic on squares. */
#include "test_support.h"

typedef struct revision_case {
    rr_areaset *old_set, *new_set;
    rr_revision *rev;
} revision_case;

static void build(rr_ctx *ctx, revision_case *rc, size_t n_old, const char *const *old_codes,
                  const char *const *old_wkt, size_t n_new, const char *const *new_codes,
                  const char *const *new_wkt)
{
    rr_params p;
    rr_params_default(&p);
    assert_ok(ctx, rr_areaset_from_wkt(ctx, n_old, old_codes, old_wkt, NULL, &rc->old_set));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, n_new, new_codes, new_wkt, NULL, &rc->new_set));
    assert_ok(ctx, rr_revision_overlay(ctx, rc->old_set, rc->new_set, &p, &rc->rev));
    assert_ok(ctx, rr_revision_analyse(ctx, rc->rev));
}

static void destroy(revision_case *rc)
{
    rr_revision_free(rc->rev);
    rr_areaset_free(rc->old_set);
    rr_areaset_free(rc->new_set);
}

static const rr_relation_view *find_rel(const rr_revision *rev, const char *o, const char *n,
                                        rr_relation_view *v)
{
    for (size_t k = 0; k < rr_revision_relation_count(rev); k++) {
        rr_revision_relation(rev, k, v);
        if (strcmp(v->old_code, o) == 0 && strcmp(v->new_code, n) == 0)
            return v;
    }
    return NULL;
}

static int has_change(const rr_revision *rev, const char *o, const char *n, const char *type,
                      double area)
{
    rr_change_view v;
    for (size_t k = 0; k < rr_revision_change_count(rev); k++) {
        rr_revision_change(rev, k, &v);
        if (strcmp(v.old_code, o) == 0 && strcmp(v.new_code, n) == 0 &&
            strcmp(v.change_type, type) == 0 && fabs(v.area_m2 - area) < 1e-6)
            return 1;
    }
    return 0;
}

static void check_cmp(const rr_revision *rev, int side, const char *code, const char *want,
                      double share)
{
    double got_share = -1;
    const char *got = rr_revision_area_comparability(rev, side, code, NULL, &got_share);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("%s %s: comparability %s, expected %s", side ? "new" : "old", code, got, want);
    assert_near(got_share, share, 1e-12);
}

#define SQ(x0, y0, x1, y1) "POLYGON((" #x0 " " #y0 "," #x1 " " #y0 "," #x1 " " #y1 "," #x0 " " #y1 "," #x0 " " #y0 "))"

/* One square of 1 km² split in two halves with new codes (SCB: "Upphör; till nybildad"). */
static void test_overlay_split(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001A0010"}, *ow[] = {SQ(0, 0, 1000, 1000)};
    const char *nc[] = {"0001A0011", "0001A0012"};
    const char *nw[] = {SQ(0, 0, 500, 1000), SQ(500, 0, 1000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 1, oc, ow, 2, nc, nw);
    rr_relation_view v;
    assert_int_equal(rr_revision_relation_count(rc.rev), 2);
    assert_non_null(find_rel(rc.rev, "0001A0010", "0001A0011", &v));
    assert_near(v.area_m2, 500000, 1e-6);
    assert_near(v.w_area_old, 0.5, 1e-12);
    assert_near(v.w_area_new, 1.0, 1e-12);
    assert_true(has_change(rc.rev, "0001A0010", "0001A0011", "Upphör; till nybildad", 500000));
    assert_true(has_change(rc.rev, "0001A0010", "0001A0012", "Upphör; till nybildad", 500000));
    assert_int_equal(rr_revision_change_count(rc.rev), 2);
    const char *related = NULL;
    assert_string_equal(rr_revision_area_class(rc.rev, 0, "0001A0010", &related), "split");
    assert_string_equal(related, "0001A0011;0001A0012");
    assert_string_equal(rr_revision_area_class(rc.rev, 1, "0001A0012", &related), "split");
    destroy(&rc);
}

/* Two halves merged into one area that keeps the first code. */
static void test_overlay_merge(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001B0010", "0001B0020"};
    const char *ow[] = {SQ(0, 0, 500, 1000), SQ(500, 0, 1000, 1000)};
    const char *nc[] = {"0001B0010"}, *nw[] = {SQ(0, 0, 1000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 2, oc, ow, 1, nc, nw);
    rr_relation_view v;
    assert_non_null(find_rel(rc.rev, "0001B0020", "0001B0010", &v));
    assert_near(v.w_area_old, 1.0, 1e-12);
    assert_near(v.w_area_new, 0.5, 1e-12);
    assert_true(has_change(rc.rev, "0001B0020", "0001B0010", "Upphör; till befintlig", 500000));
    assert_true(has_change(rc.rev, "0001B0010", "0001B0010", "Utvidgas", 500000));
    assert_int_equal(rr_revision_change_count(rc.rev), 2);
    assert_string_equal(rr_revision_area_class(rc.rev, 0, "0001B0020", NULL), "merged");
    assert_string_equal(rr_revision_area_class(rc.rev, 1, "0001B0010", NULL), "merged");
    destroy(&rc);
}

/* Same square, new code. */
static void test_overlay_code_change(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001C1010"}, *ow[] = {SQ(0, 0, 1000, 1000)};
    const char *nc[] = {"0001C1020"}, *nw[] = {SQ(0, 0, 1000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 1, oc, ow, 1, nc, nw);
    assert_int_equal(rr_revision_change_count(rc.rev), 1);
    assert_true(has_change(rc.rev, "0001C1010", "0001C1020", "Kodändrad; annat än 20-22", 1e6));
    assert_string_equal(rr_revision_area_class(rc.rev, 0, "0001C1010", NULL), "recoded");
    assert_string_equal(rr_revision_area_class(rc.rev, 1, "0001C1020", NULL), "recoded");
    check_cmp(rc.rev, 0, "0001C1010", "recoded", 0);
    destroy(&rc);
}

/* The boundary between P and Q moves 200 m into Q: a block of 20 ha moves from Q to P. */
static void test_overlay_boundary_shift(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001P", "0001Q"};
    const char *ow[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 1000)};
    const char *nw[] = {SQ(0, 0, 1200, 1000), SQ(1200, 0, 2000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 2, oc, ow, 2, oc, nw);
    rr_relation_view v;
    assert_non_null(find_rel(rc.rev, "0001Q", "0001P", &v));
    assert_near(v.area_m2, 200000, 1e-6);
    assert_near(v.w_area_old, 0.2, 1e-12);
    assert_near(v.w_area_new, 200000.0 / 1200000.0, 1e-12);
    assert_non_null(find_rel(rc.rev, "0001Q", "0001Q", &v));
    assert_near(v.w_area_old, 0.8, 1e-12);
    assert_true(has_change(rc.rev, "0001Q", "0001P", "Ger del/delar till befintlig", 200000));
    assert_true(has_change(rc.rev, "0001Q", "0001Q",
                           "Minskas och ger del till befintlig eller nybildad", 200000));
    assert_true(has_change(rc.rev, "0001P", "0001P", "Utvidgas", 200000));
    assert_int_equal(rr_revision_change_count(rc.rev), 3);
    assert_string_equal(rr_revision_area_class(rc.rev, 0, "0001P", NULL), "complex");
    destroy(&rc);
}

static double piece_area(const rr_revision *rev, const char *o, const char *n)
{
    double sum = 0;
    rr_piece_view v;
    for (size_t k = 0; k < rr_revision_piece_count(rev); k++) {
        rr_revision_piece(rev, k, &v);
        if (strcmp(v.old_code, o) == 0 && strcmp(v.new_code, n) == 0)
            sum += v.area_m2;
    }
    return sum;
}

/* P gives up a strip 100 m wide along its east side. Two neighbours take 50 m of it each (the
 * strip is not one of their gains whole: it is cut between them), and the western 50 m no new
 * area covers. Hand arithmetic: 50 m × 500 m = 25,000 m² to Q and to R, 50 m × 1,000 m =
 * 50,000 m² uncovered, 900,000 m² stays. */
static void test_overlay_loss_shared_and_uncovered(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001P", "0001Q", "0001R"};
    const char *ow[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 500), SQ(1000, 500, 2000, 1000)};
    const char *nw[] = {SQ(0, 0, 900, 1000), SQ(950, 0, 2000, 500), SQ(950, 500, 2000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 3, oc, ow, 3, oc, nw);
    assert_near(piece_area(rc.rev, "0001P", "0001P"), 900000, 1e-6);
    assert_near(piece_area(rc.rev, "0001P", "0001Q"), 25000, 1e-6);
    assert_near(piece_area(rc.rev, "0001P", "0001R"), 25000, 1e-6);
    assert_near(piece_area(rc.rev, "0001P", ""), 50000, 1e-6);
    assert_near(piece_area(rc.rev, "0001Q", "0001Q"), 500000, 1e-6);
    assert_near(piece_area(rc.rev, "0001R", "0001R"), 500000, 1e-6);
    assert_int_equal(rr_revision_piece_count(rc.rev), 6);
    destroy(&rc);
}

/* P's lost strip (300 m × 1,000 m) is exactly what R gained: the same region cut on both sides,
 * shared without an overlay; the areas must still be exact. */
static void test_overlay_loss_moved_whole(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001P", "0001R"};
    const char *ow[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 1000)};
    const char *nw[] = {SQ(0, 0, 700, 1000), SQ(700, 0, 2000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 2, oc, ow, 2, oc, nw);
    assert_near(piece_area(rc.rev, "0001P", "0001P"), 700000, 1e-6);
    assert_near(piece_area(rc.rev, "0001P", "0001R"), 300000, 1e-6);
    assert_near(piece_area(rc.rev, "0001R", "0001R"), 1000000, 1e-6);
    assert_int_equal(rr_revision_piece_count(rc.rev), 3);
    destroy(&rc);
}

/* The new version reaches 500 m further out (the 2025 territorial sea). */
static void test_overlay_sea_extension(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001S"}, *ow[] = {SQ(0, 0, 1000, 1000)}, *nw[] = {SQ(0, 0, 1000, 1500)};
    revision_case rc = {0};
    build(ctx, &rc, 1, oc, ow, 1, oc, nw);
    rr_relation_view v;
    assert_non_null(find_rel(rc.rev, "", "0001S", &v));
    assert_near(v.area_m2, 500000, 1e-6);
    assert_true(isnan(v.w_area_new)); /* an empty code never dilutes the weights */
    assert_non_null(find_rel(rc.rev, "0001S", "0001S", &v));
    assert_near(v.w_area_new, 1.0, 1e-12);
    assert_near(v.w_area_old, 1.0, 1e-12);
    assert_true(has_change(rc.rev, "0001S", "0001S", "Utvidgas till territorialvattengräns", 500000));
    assert_int_equal(rr_revision_change_count(rc.rev), 1);
    destroy(&rc);
}

/* The boundary moves 10 m: a 1 ha strip 10 m wide is a redrawn edge, folded into Q→Q. */
static void test_overlay_sliver_folded(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001P", "0001Q"};
    const char *ow[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 1000)};
    const char *nw[] = {SQ(0, 0, 1010, 1000), SQ(1010, 0, 2000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 2, oc, ow, 2, oc, nw);
    rr_relation_view v;
    assert_null(find_rel(rc.rev, "0001Q", "0001P", &v));
    assert_non_null(find_rel(rc.rev, "0001Q", "0001Q", &v));
    assert_near(v.area_m2, 1000000, 1e-6); /* 990,000 kept + 10,000 folded back */
    assert_near(v.w_area_old, 1.0, 1e-12);
    assert_int_equal(rr_revision_relation_count(rc.rev), 2);
    assert_int_equal(rr_revision_change_count(rc.rev), 0);
    /* the piece itself is still in the overlay, marked as not a transfer */
    int found = 0;
    for (size_t k = 0; k < rr_revision_piece_count(rc.rev); k++) {
        rr_piece_view pv;
        rr_revision_piece(rc.rev, k, &pv);
        if (strcmp(pv.old_code, "0001Q") == 0 && strcmp(pv.new_code, "0001P") == 0) {
            assert_near(pv.area_m2, 10000, 1e-6);
            assert_int_equal(pv.transfer, 0);
            found = 1;
        }
    }
    assert_true(found);
    assert_string_equal(rr_revision_area_class(rc.rev, 0, "0001Q", NULL), "boundary");
    check_cmp(rc.rev, 0, "0001Q", "identical", 0);
    destroy(&rc);
}

/* An unchanged area takes the fast path and is classed unchanged. */
static void test_overlay_unchanged(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001U", "0001V"};
    const char *ow[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 2, oc, ow, 2, oc, ow);
    assert_int_equal(rr_revision_piece_count(rc.rev), 2);
    assert_int_equal(rr_revision_change_count(rc.rev), 0);
    assert_string_equal(rr_revision_area_class(rc.rev, 0, "0001U", NULL), "unchanged");
    destroy(&rc);
}

/* Two threads give the same relations as one. */
static void test_overlay_threads_same_result(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001P", "0001Q", "0001R"};
    const char *ow[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 1000), SQ(2000, 0, 3000, 1000)};
    const char *nw[] = {SQ(0, 0, 1300, 1000), SQ(1300, 0, 2500, 1000), SQ(2500, 0, 3000, 1000)};
    rr_areaset *os = NULL, *ns = NULL;
    rr_revision *r1 = NULL, *r2 = NULL;
    rr_params p;
    rr_params_default(&p);
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 3, oc, ow, NULL, &os));
    assert_ok(ctx, rr_areaset_from_wkt(ctx, 3, oc, nw, NULL, &ns));
    assert_ok(ctx, rr_revision_overlay(ctx, os, ns, &p, &r1));
    p.threads = 2;
    assert_ok(ctx, rr_revision_overlay(ctx, os, ns, &p, &r2));
    assert_ok(ctx, rr_revision_analyse(ctx, r1));
    assert_ok(ctx, rr_revision_analyse(ctx, r2));
    assert_int_equal(rr_revision_relation_count(r1), rr_revision_relation_count(r2));
    for (size_t k = 0; k < rr_revision_relation_count(r1); k++) {
        rr_relation_view a, b;
        rr_revision_relation(r1, k, &a);
        rr_revision_relation(r2, k, &b);
        assert_string_equal(a.old_code, b.old_code);
        assert_string_equal(a.new_code, b.new_code);
        assert_true(a.area_m2 == b.area_m2);
    }
    rr_revision_free(r1);
    rr_revision_free(r2);
    rr_areaset_free(os);
    rr_areaset_free(ns);
}

/* Split and merge: the whole side is an aggregate, the parts are estimated. */
static void test_overlay_comparability_split_merge(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001A0010"}, *ow[] = {SQ(0, 0, 1000, 1000)};
    const char *nc[] = {"0001A0011", "0001A0012"};
    const char *nw[] = {SQ(0, 0, 500, 1000), SQ(500, 0, 1000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 1, oc, ow, 2, nc, nw);
    check_cmp(rc.rev, 0, "0001A0010", "aggregate", 0);
    check_cmp(rc.rev, 1, "0001A0011", "estimated", 1);
    destroy(&rc);
}

/* A chain: C = A + 30 % of B, D = the rest of B. One unit of four areas. */
static void test_overlay_comparability_chain_is_one_unit(void **state)
{
    rr_ctx *ctx = *state;
    const char *oc[] = {"0001A", "0001B"};
    const char *ow[] = {SQ(0, 0, 1000, 1000), SQ(1000, 0, 2000, 1000)};
    const char *nc[] = {"0001C", "0001D"};
    const char *nw[] = {SQ(0, 0, 1300, 1000), SQ(1300, 0, 2000, 1000)};
    revision_case rc = {0};
    build(ctx, &rc, 2, oc, ow, 2, nc, nw);
    size_t u[4];
    assert_non_null(rr_revision_area_comparability(rc.rev, 0, "0001A", &u[0], NULL));
    assert_non_null(rr_revision_area_comparability(rc.rev, 0, "0001B", &u[1], NULL));
    assert_non_null(rr_revision_area_comparability(rc.rev, 1, "0001C", &u[2], NULL));
    assert_non_null(rr_revision_area_comparability(rc.rev, 1, "0001D", &u[3], NULL));
    assert_true(u[0] == u[1] && u[1] == u[2] && u[2] == u[3]);
    /* A lies wholly in C but is not a union of whole new areas; C draws 300,000 of its
     * 1,300,000 m² from B, which is only partly inside it. */
    check_cmp(rc.rev, 0, "0001A", "estimated", 1);
    check_cmp(rc.rev, 1, "0001C", "estimated", 300000.0 / 1300000.0);
    check_cmp(rc.rev, 1, "0001D", "estimated", 1);
    /* B sends 300,000 m² to C (only partly inside B) and 700,000 to D (wholly inside B) */
    check_cmp(rc.rev, 0, "0001B", "estimated", 0.3);
    destroy(&rc);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlay_split),
        cmocka_unit_test(test_overlay_merge),
        cmocka_unit_test(test_overlay_code_change),
        cmocka_unit_test(test_overlay_boundary_shift),
        cmocka_unit_test(test_overlay_sea_extension),
        cmocka_unit_test(test_overlay_loss_shared_and_uncovered),
        cmocka_unit_test(test_overlay_loss_moved_whole),
        cmocka_unit_test(test_overlay_sliver_folded),
        cmocka_unit_test(test_overlay_unchanged),
        cmocka_unit_test(test_overlay_threads_same_result),
        cmocka_unit_test(test_overlay_comparability_split_merge),
        cmocka_unit_test(test_overlay_comparability_chain_is_one_unit),
    };
    return RUN_TESTS(tests);
}
