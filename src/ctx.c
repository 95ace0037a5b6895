/* ctx.c: the per-thread context: GEOS handle, error message, diagnostics and progress. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The _r message handlers carry a user pointer, so each context keeps its own last message. */
static void geos_msg_r(const char *message, void *user)
{
    rr_ctx *ctx = user;
    snprintf(ctx->geos_msg, sizeof ctx->geos_msg, "%s", message);
}

static void geos_notice_r(const char *message, void *user)
{
    (void)message;
    (void)user;
}

rr_ctx *rr_ctx_new(void)
{
    rr_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->geos = GEOS_init_r();
    if (!ctx->geos) {
        free(ctx);
        return NULL;
    }
    GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_msg_r, ctx);
    GEOSContext_setNoticeMessageHandler_r(ctx->geos, geos_notice_r, ctx);
    return ctx;
}

void rr_ctx_free(rr_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->nwarning_texts; i++)
        free(ctx->warning_texts[i]);
    free(ctx->warning_texts);
    rr_crew_free(ctx->crew);
    GEOS_finish_r(ctx->geos);
    free(ctx);
}

const char *rr_ctx_errmsg(const rr_ctx *ctx) { return ctx ? ctx->errmsg : "no context"; }

void rr_ctx_set_diag(rr_ctx *ctx, rr_diag_fn fn, void *user)
{
    ctx->diag = fn;
    ctx->diag_user = user;
}

void rr_ctx_set_progress(rr_ctx *ctx, rr_progress_fn fn, void *user)
{
    ctx->progress = fn;
    ctx->progress_user = user;
}

void rr_ctx_cancel(rr_ctx *ctx) { ctx->cancelled = 1; }

size_t rr_ctx_warning_count(const rr_ctx *ctx) { return ctx->warnings; }

int rr_cancelled(const rr_ctx *ctx) { return ctx->cancelled != 0; }

const char *rr_status_name(rr_status status)
{
    switch (status) {
    case RR_OK: return "ok";
    case RR_ERR_NOMEM: return "out of memory";
    case RR_ERR_ARG: return "bad argument";
    case RR_ERR_IO: return "input/output error";
    case RR_ERR_FORMAT: return "bad file format";
    case RR_ERR_CRS: return "coordinate reference system error";
    case RR_ERR_GEOMETRY: return "geometry error";
    case RR_ERR_INTERNAL: return "internal error";
    case RR_ERR_DATA: return "inconsistent data";
    case RR_ERR_CANCELLED: return "cancelled";
    }
    return "unknown status";
}

rr_status rr_error(rr_ctx *ctx, rr_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
    return status;
}

rr_status rr_error_prefix(rr_ctx *ctx, rr_status status, const char *fmt, ...)
{
    char prefix[RR_ERRMSG_MAX], old[RR_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, ctx->errmsg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof ctx->errmsg - 3)
        n = sizeof ctx->errmsg - 3;
    memcpy(ctx->errmsg, prefix, n);
    memcpy(ctx->errmsg + n, ": ", 2);
    size_t rest = sizeof ctx->errmsg - n - 3;
    size_t m = strlen(old);
    if (m > rest)
        m = rest;
    memcpy(ctx->errmsg + n + 2, old, m);
    ctx->errmsg[n + 2 + m] = '\0';
    return status;
}

__attribute__((format(printf, 3, 0)))
static void emit(rr_ctx *ctx, rr_diag_level level, const char *fmt, va_list ap)
{
    char msg[RR_ERRMSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (level == RR_WARNING) {
        ctx->warnings++;
        rr_ctx_keep_warning(ctx, msg);
    }
    if (ctx->diag)
        ctx->diag(level, msg, ctx->diag_user);
}

void rr_warn(rr_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(ctx, RR_WARNING, fmt, ap);
    va_end(ap);
}

void rr_notice(rr_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(ctx, RR_NOTICE, fmt, ap);
    va_end(ap);
}

void rr_progress(rr_ctx *ctx, const char *stage, size_t done, size_t total)
{
    if (ctx->progress)
        ctx->progress(stage, done, total, ctx->progress_user);
}

void rr_ctx_keep_warning(rr_ctx *ctx, const char *msg)
{
    if (ctx->nwarning_texts >= RR_WARNINGS_KEPT)
        return;
    if (!ctx->warning_texts) {
        ctx->warning_texts = calloc(RR_WARNINGS_KEPT, sizeof *ctx->warning_texts);
        if (!ctx->warning_texts)
            return;
    }
    char *copy = rr_strdup(msg);
    if (copy)
        ctx->warning_texts[ctx->nwarning_texts++] = copy;
}

size_t rr_ctx_warning_text_count(const rr_ctx *ctx) { return ctx->nwarning_texts; }
const char *rr_ctx_warning_text(const rr_ctx *ctx, size_t i) { return ctx->warning_texts[i]; }

const char *rr_geos_msg(rr_ctx *ctx)
{
    return ctx->geos_msg[0] ? ctx->geos_msg : "unknown GEOS error";
}

rr_ctx *rr_ctx_worker(const rr_ctx *parent)
{
    rr_ctx *w = rr_ctx_new();
    if (w) {
        w->diag = parent->diag;
        w->diag_user = parent->diag_user;
    }
    return w;
}

void rr_ctx_take_warnings(rr_ctx *ctx, const rr_ctx *worker)
{
    ctx->warnings += worker->warnings;
    for (size_t i = 0; i < worker->nwarning_texts; i++)
        rr_ctx_keep_warning(ctx, worker->warning_texts[i]);
}
