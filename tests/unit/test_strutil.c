/* test_strutil.c: SCB code normalisation and number formatting. */
#include "test_support.h"

#include <stdlib.h>

#include "internal.h"

static void check_code(const char *in, const char *want)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", in);
    rr_code_normalise(buf);
    assert_string_equal(buf, want);
}

static void test_strutil_strips_vintage_suffix(void **state)
{
    (void)state;
    check_code("0114A0010_DeSO2025", "0114A0010");
    check_code("0114R001_RegSO2025", "0114R001");
    check_code(" 2081C1100 ", "2081C1100");
    check_code("2081C1100_DeSO2018", "2081C1100");
}

static void test_strutil_keeps_other_underscores(void **state)
{
    (void)state;
    check_code("a_b", "a_b");
    check_code("code_2025", "code_2025");   /* no letters before the year */
    check_code("X_DeSO20251", "X_DeSO20251"); /* five digits: not a vintage */
    check_code("_DeSO2025", "_DeSO2025");   /* nothing would be left: kept */
}

static void test_strutil_number_format(void **state)
{
    (void)state;
    char b[64];
    rr_fmt_num(b, sizeof b, 0.5, 12);
    assert_string_equal(b, "0.5");
    rr_fmt_num(b, sizeof b, 1.0 / 3.0, 12);
    assert_string_equal(b, "0.333333333333");
    rr_fmt_num(b, sizeof b, 1.0, 12);
    assert_string_equal(b, "1");
    rr_fmt_num(b, sizeof b, 2.5e-7, 12);
    assert_string_equal(b, "0.00000025");
    rr_fmt_num(b, sizeof b, NAN, 12);
    assert_string_equal(b, "");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strutil_strips_vintage_suffix),
        cmocka_unit_test(test_strutil_keeps_other_underscores),
        cmocka_unit_test(test_strutil_number_format),
    };
    return RUN_TESTS(tests);
}
