/* libfuzzer_main.c: the libFuzzer entry of one harness, chosen at compile time (RR_FUZZ_ENTRY). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return RR_FUZZ_ENTRY(data, size);
}
