/* alloc.c: the allocator of regrev_core (internal.h maps malloc, calloc and realloc here), with
 * a test-only hook that makes the k-th allocation fail, to prove every error path frees what it
 * holds and reports RR_ERR_NOMEM [tg's chaos runs].
 *
 * The hook counts and fails the allocations of the thread that arms it: tests that arm it run
 * single-threaded (threads = 1). Unarmed, the wrappers cost one increment of a thread-local
 * counter per allocation (a counter shared by the workers made its cache line travel between
 * cores at every allocation). Memory from here is ordinary malloc memory: free() releases it, and
 * so may dependencies that take ownership. */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

#undef malloc
#undef calloc
#undef realloc

static _Thread_local unsigned long alloc_count;
static _Thread_local unsigned long alloc_fail_at; /* 0: disarmed */
static atomic_int alloc_fired;

/* 1 if this allocation is the one to fail. */
static int fail_now(void)
{
    unsigned long k = ++alloc_count;
    if (alloc_fail_at == 0 || k != alloc_fail_at)
        return 0;
    atomic_store_explicit(&alloc_fired, 1, memory_order_relaxed);
    return 1;
}

void *rr_malloc(size_t size)
{
    return fail_now() ? NULL : malloc(size);
}

void *rr_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : calloc(n, size);
}

void *rr_realloc(void *ptr, size_t size)
{
    return fail_now() ? NULL : realloc(ptr, size);
}

void *rr_grow_to(void *array, size_t *cap, size_t need, size_t elem, size_t first)
{
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    if (n == *cap)
        return array;
    void *bigger = rr_realloc(array, n * elem);
    if (bigger)
        *cap = n;
    return bigger;
}

void rr_alloc_fail_at(unsigned long k)
{
    alloc_count = 0;
    atomic_store(&alloc_fired, 0);
    alloc_fail_at = k;
}

unsigned long rr_alloc_count(void)
{
    return alloc_count;
}

int rr_alloc_fired(void)
{
    return atomic_load(&alloc_fired);
}
