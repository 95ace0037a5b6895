/* fuzz_key.c: the key.csv reader, and what is done with a key (reverse, chain, quality, write);
 * the same bytes as a comparability.csv for the Dalarna key. */
#include "fuzz.h"

static void use_key(rr_ctx *ctx, const rr_key *key)
{
    rr_relation_view v;
    for (size_t k = 0; k < rr_key_row_count(key); k++) {
        rr_key_row(key, k, &v);
        rr_key_quality(key, v.new_code);
    }
    rr_key_has_pop(key);
    rr_key_write_csv(ctx, key, "/dev/null");
}

int rr_fuzz_key(const uint8_t *data, size_t size)
{
    rr_ctx *ctx = rr_fuzz_ctx();
    const char *path = rr_fuzz_file(1, data, size);
    rr_key *key = NULL, *rev = NULL, *chain = NULL;
    if (rr_key_read_csv(ctx, path, &key) == RR_OK) {
        use_key(ctx, key);
        if (rr_key_reverse(ctx, key, &rev) == RR_OK) {
            use_key(ctx, rev);
            if (rr_key_chain(ctx, key, rev, &chain) == RR_OK)
                use_key(ctx, chain);
            rr_key_free(chain);
            chain = NULL;
        }
        if (rr_key_chain(ctx, rr_fuzz_key_forward(), key, &chain) == RR_OK)
            use_key(ctx, chain);
        rr_key_free(chain);
        chain = NULL;
        if (rr_key_chain(ctx, key, rr_fuzz_key_reverse(), &chain) == RR_OK)
            use_key(ctx, chain);
        rr_key_free(chain);
        rr_key_free(rev);
        rr_key_free(key);
    }
    /* the same bytes as the comparability.csv of the Dalarna key (a fresh copy: it is changed) */
    rr_key *copy = NULL;
    if (rr_key_reverse(ctx, rr_fuzz_key_reverse(), &copy) == RR_OK &&
        rr_key_read_comparability(ctx, copy, path) == RR_OK)
        use_key(ctx, copy);
    rr_key_free(copy);
    return 0;
}
