/* fuzz_table_csv.c: the long and wide CSV table reader (libcsv underneath), then translation. */
#include "fuzz.h"

int rr_fuzz_table_csv(const uint8_t *data, size_t size)
{
    static const rr_table_opts variants[] = {
        {.format = RR_TABLE_AUTO},
        {.format = RR_TABLE_AUTO},
        {.format = RR_TABLE_LONG, .value_column = "value"},
        {.format = RR_TABLE_WIDE, .code_column = "deso", .denominator = "total"},
        {.format = RR_TABLE_LONG, .denominator = "pop"},
        {.format = RR_TABLE_WIDE},
    };
    rr_fuzz_tables(data, size, variants, sizeof variants / sizeof variants[0]);
    return 0;
}
