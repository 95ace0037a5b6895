/* fuzz_jsonstat.c: the JSON-stat 2.0 reader (jansson underneath), then translation. */
#include "fuzz.h"

int rr_fuzz_jsonstat(const uint8_t *data, size_t size)
{
    static const rr_table_opts variants[] = {
        {.format = RR_TABLE_JSONSTAT},
        {.format = RR_TABLE_AUTO},
        {.format = RR_TABLE_JSONSTAT, .code_column = "Region"},
        {.format = RR_TABLE_JSONSTAT, .denominator = "Kon=1+2"},
    };
    rr_fuzz_tables(data, size, variants, sizeof variants / sizeof variants[0]);
    return 0;
}
