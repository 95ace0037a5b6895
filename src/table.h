/* table.h: internals shared by keyfile.c, table.c and translate.c: the CSV reader on libcsv,
 * the key's rows and the in-memory statistical table; never installed. */
#ifndef REGREV_TABLE_H
#define REGREV_TABLE_H

#include <jansson.h>
#include <stddef.h>

#include "internal.h"

/* ---- CSV files (libcsv) ------------------------------------------------------------------- */

/* One record of a CSV file: its fields and the line it starts on (1-based). */
typedef struct rr_csv_record {
    char **field;
    size_t nfields;
    size_t line;
} rr_csv_record;

typedef struct rr_csv {
    rr_csv_record *rec; /* rec[0] is the header */
    size_t nrec;
    char delim;         /* ',', ';' or '\t' (detected on the first line) */
    int quoted_header;  /* the first line starts with a quote (SCB's PxWeb CSV quotes text) */
    int crlf;           /* lines end with CR LF */
} rr_csv;

/* Read a whole CSV file. Fails with RR_ERR_IO when it cannot be read, RR_ERR_FORMAT when it is
 * empty, malformed (quotes) or ragged (a record whose field count differs from the header's);
 * messages name the file, line and column. `what` says what the file is for messages ("key",
 * "table"). On success *out owns the records: free with rr_csv_free. */
rr_status rr_csv_read(rr_ctx *ctx, const char *path, rr_csv *out);
void rr_csv_free(rr_csv *csv);
/* Index of the header field named `name` (case-insensitive, blanks trimmed) or RR_NONE. */
size_t rr_csv_column(const rr_csv *csv, const char *name);

/* Parse a number as written in a table: optional sign, digits, optional decimals (',' as the
 * decimal mark when decimal_comma), optional exponent, blanks around. Returns 1 for a number,
 * 0 for a missing-value marker ("", "..", "."), -1 for anything else. */
int rr_parse_number(const char *text, int decimal_comma, double *out);

/* "2021" for DeSO (0114A0010) and RegSO (0114R001) codes: the municipality is the first four
 * digits when a letter follows them; NULL (no municipality) otherwise. Writes into buf[5]. */
const char *rr_code_kommun(const char *code, char buf[5]);

/* ---- keys ------------------------------------------------------------------------------- */

/* One relation of a key, oriented in the direction of translation: `from` is the version the
 * data is in, `to` the version it is carried to. Missing numbers are NAN. */
typedef struct rr_keyrel {
    char *from, *to;            /* "" for a part only one version covers */
    double area, pop;
    double w_area_from, w_area_to, w_pop_from, w_pop_to;
    size_t line;                /* line in the key file (0 for derived keys) */
} rr_keyrel;

struct rr_key {
    rr_keyrel *rows;      /* sorted by from, then to */
    size_t n;
    size_t *by_to;         /* row indices sorted by to, then from */
    char *name;            /* file name or "A.csv + B.csv" for messages */
    int has_pop;           /* every relation between two codes has population weights */
    int reversed;          /* rows go new -> old */
    int chained;           /* composed of several keys */
    /* quality per target code from a comparability.csv (NULL: derive from the weights) */
    char **cmp_code;       /* sorted */
    unsigned char *cmp_exact;
    size_t ncmp;
};

/* First row whose `from` is code (rows[*first .. *first + *count)); 0 if none. */
int rr_key_find_from(const rr_key *key, const char *code, size_t *first, size_t *count);
/* Same by `to`: indices into key->by_to. */
int rr_key_find_to(const rr_key *key, const char *code, size_t *first, size_t *count);

/* ---- statistical tables ------------------------------------------------------------------ */

enum { RR_CELL_ABSENT = 0, RR_CELL_VALUE = 1, RR_CELL_MISSING = 2 };

/* Column roles of a CSV table. */
enum { RR_COL_CODE = 0, RR_COL_DIM, RR_COL_LABEL, RR_COL_VALUE, RR_COL_QUALITY };

/* How a CSV table was laid out, to write the translation in the same shape. */
typedef struct rr_csv_layout {
    char delim;
    int quote_text;        /* quote every text field (PxWeb CSV) */
    int decimal_comma;
    int crlf;
    char *missing;         /* marker for missing values as the input wrote it ("", "..", ".") */
    size_t ncols;
    char **header;
    int *role;             /* RR_COL_* per column */
    size_t code_col;
    size_t *value_index;   /* per column: index among value columns (RR_NONE if not a value) */
    size_t nvalues;        /* value columns */
    size_t ndims;
    size_t *dim_col;       /* columns that are dimensions */
    size_t ngroups;        /* distinct combinations of dimension values, in order of appearance */
    char **group_dims;     /* ngroups x ndims strings */
    size_t nlabels;
    size_t *label_col;     /* columns that are attributes of the code (a name, a municipality) */
    char **labels;         /* ncodes x nlabels strings (input tables only) */
    int code_major;        /* rows ordered code by code (else group by group) */
} rr_csv_layout;

/* JSON-stat 2.0 dataset. */
typedef struct rr_jsonstat {
    json_t *root;          /* the whole dataset, as read */
    size_t ndims;
    size_t *size;
    char **dim_id;
    size_t geo;            /* index of the geographic dimension */
    char ***cat;           /* per dimension its category ids in index order */
} rr_jsonstat;

/* The table: a value per (series, code). A series is everything but the code: a value column
 * and a combination of dimension values (CSV) or of the other dimensions' categories
 * (JSON-stat). A translated table borrows the layout of its source table. */
struct rr_table {
    rr_table_format format;
    char *path;
    size_t ncodes;
    char **code;           /* normalised codes, sorted */
    char **code_raw;       /* as written (with SCB's suffix) */
    size_t *code_line;     /* line (CSV) or category position (JSON-stat, 1-based) of the code */
    size_t nseries;
    char **series_name;
    size_t *series_den;    /* denominator series of each series, or RR_NONE */
    unsigned char *series_is_den;
    double *value;         /* value[s * ncodes + c] */
    unsigned char *cell;   /* RR_CELL_* per value */
    /* translated tables */
    const struct rr_table *source;
    const char **quality;  /* per code: "exact" / "estimated" (static strings) */
    unsigned char *passthrough; /* code passed through unchanged (--allow-unknown) */
    char **labels;         /* CSV label columns per code (ncodes x the source's nlabels) */
    /* layout of input tables */
    rr_csv_layout *csv;
    rr_jsonstat *js;
};

/* The most values (codes x series) a table may hold: 2^28, 2.25 GB of values and flags. A
 * JSON-stat dataset of a few kilobytes can name more (six dimensions of 30 categories are 729
 * million); such a table is refused rather than allocated. */
#define RR_TABLE_MAX_CELLS ((size_t)1 << 28)
/* Allocate the value arrays of a table with ncodes codes and nseries series (cells absent);
 * RR_ERR_FORMAT for more than RR_TABLE_MAX_CELLS values. */
rr_status rr_table_alloc_cells(rr_ctx *ctx, rr_table *t);
/* Index of a code in t->code (binary search) or RR_NONE. */
size_t rr_table_find_code(const rr_table *t, const char *code);

#endif
