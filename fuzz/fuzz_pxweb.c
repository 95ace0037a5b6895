/* fuzz_pxweb.c: SCB's PxWeb CSV (quoted text, suffixed codes, decimal commas), then translation. */
#include "fuzz.h"

int rr_fuzz_pxweb(const uint8_t *data, size_t size)
{
    static const rr_table_opts variants[] = {
        {.format = RR_TABLE_PXWEB_CSV},
        {.format = RR_TABLE_AUTO},
        {.format = RR_TABLE_PXWEB_CSV, .code_column = "Region", .denominator = "000007Y7 2024"},
    };
    rr_fuzz_tables(data, size, variants, sizeof variants / sizeof variants[0]);
    return 0;
}
