/* strutil.c: small string helpers: duplication, SCB code normalisation, number formatting. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

char *rr_strdup(const char *s)
{
    return s ? rr_strndup(s, strlen(s)) : NULL;
}

char *rr_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *rr_sprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

/* SCB's statistical database suffixes codes with their vintage: 0114A0010_DeSO2025,
 * 0114R001_RegSO2025. The suffix is "_" + letters + 4 digits at the end. */
void rr_code_normalise(char *code)
{
    size_t len = strlen(code);
    while (len && isspace((unsigned char)code[len - 1]))
        code[--len] = '\0';
    size_t lead = 0;
    while (isspace((unsigned char)code[lead]))
        lead++;
    if (lead) {
        memmove(code, code + lead, len - lead + 1);
        len -= lead;
    }
    char *us = strrchr(code, '_');
    if (!us || us == code || len - (size_t)(us - code) < 6)
        return;
    const char *p = us + 1;
    size_t letters = 0;
    while (isalpha((unsigned char)p[letters]))
        letters++;
    if (letters == 0 || strlen(p + letters) != 4)
        return;
    for (size_t i = 0; i < 4; i++)
        if (!isdigit((unsigned char)p[letters + i]))
            return;
    *us = '\0';
}

void rr_fmt_num(char *buf, size_t size, double v, int significant)
{
    if (isnan(v)) {
        buf[0] = '\0';
        return;
    }
    if (isinf(v)) { /* callers refuse infinite results; never convert inf to int below */
        snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == 0.0) {
        snprintf(buf, size, "0");
        return;
    }
    /* Fixed notation (no exponent: spreadsheets and scripts read it), `significant` digits. */
    double mag = floor(log10(fabs(v)));
    int decimals = significant - 1 - (int)mag;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 17)
        decimals = 17;
    snprintf(buf, size, "%.*f", decimals, v);
    if (strchr(buf, '.')) { /* trim trailing zeros */
        size_t n = strlen(buf);
        while (n && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n && buf[n - 1] == '.')
            buf[--n] = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, size, "0");
}

static void buf_reserve(rr_buf *b, size_t extra)
{
    if (b->failed || b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->failed = 1;
        return;
    }
    b->s = s;
    b->cap = cap;
}

void rr_buf_add(rr_buf *b, const char *s)
{
    size_t n = strlen(s);
    buf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void rr_buf_addf(rr_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        buf_reserve(b, (size_t)n);
        if (!b->failed) {
            vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
            b->len += (size_t)n;
        }
    }
    va_end(ap2);
}

void rr_buf_free(rr_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

void rr_csv_put_field(FILE *f, const char *s, char delim, int always_quote)
{
    if (!always_quote && !strchr(s, delim) && !strpbrk(s, "\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
