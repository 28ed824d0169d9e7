/*
 * toml_scalar.c - the leaves of a TOML document: the four string kinds,
 * integers, floats, booleans and the four datetime kinds.
 *
 * Numbers and datetimes are first cut out of the input as one token (the
 * characters that can appear in any of them), then validated against the
 * TOML 1.0 grammar by hand.  Validating the token as a whole rather than
 * letting strtoll/strtod decide keeps the rules the spec states (underscores
 * only between digits, no leading zeros, no sign on hex) in one readable
 * place, and strtod only ever sees a string we already know is well formed.
 */
#include "toml_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

toml_value *util_tp_new_value(toml_parser *p, toml_type type)
{
    toml_value *v = util_xcalloc(1, sizeof(*v));
    v->type = type;
    v->line = p->line;
    v->col = tp_col(p);
    return v;
}

/* ---- strings ------------------------------------------------------------ */

static void append_utf8(util_buf *b, uint32_t cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    util_buf_append(b, out, n);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* After a backslash in a basic string. */
static int parse_escape(toml_parser *p, util_buf *b)
{
    size_t at = p->pos - 1;
    int c = tp_peek(p);
    p->pos++;
    switch (c) {
    case 'b':
        util_buf_append(b, "\b", 1);
        return 0;
    case 't':
        util_buf_append(b, "\t", 1);
        return 0;
    case 'n':
        util_buf_append(b, "\n", 1);
        return 0;
    case 'f':
        util_buf_append(b, "\f", 1);
        return 0;
    case 'r':
        util_buf_append(b, "\r", 1);
        return 0;
    case '"':
        util_buf_append(b, "\"", 1);
        return 0;
    case '\\':
        util_buf_append(b, "\\", 1);
        return 0;
    case 'u':
    case 'U': {
        int digits = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int i = 0; i < digits; i++) {
            int h = hexval(tp_peek(p));
            if (h < 0)
                return util_tp_error_at(p, at, "\\%c escape needs %d hex digits", c, digits);
            cp = cp * 16 + (uint32_t)h;
            p->pos++;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return util_tp_error_at(p, at, "escape \\%c%0*X is not a Unicode scalar value", c,
                                    digits, cp);
        append_utf8(b, cp);
        return 0;
    }
    default:
        if (c < 0)
            return util_tp_error_at(p, at, "unterminated string");
        if (c >= 0x20 && c < 0x7F)
            return util_tp_error_at(p, at, "invalid escape sequence '\\%c'", c);
        return util_tp_error_at(p, at, "invalid escape sequence");
    }
}

static bool is_ws(int c)
{
    return c == ' ' || c == '\t';
}

/* Control characters other than tab are not allowed anywhere in a string
 * (newlines are handled by the callers of multi-line strings). */
static int check_char(toml_parser *p, int c)
{
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
        if (c == '\n' || c == '\r')
            return tp_error(p, "newline in single-line string");
        return tp_error(p, "control character U+%04X in string", (unsigned)c);
    }
    return 0;
}

/* Counts a run of the closing quote at pos of a multi-line string: 3 closes
 * it, 4 or 5 close it after one or two quotes of content. */
static int multiline_close(toml_parser *p, char q, util_buf *b, bool *closed)
{
    size_t n = 0;
    while (tp_peek_at(p, n) == q)
        n++;
    if (n < 3) {
        util_buf_append(b, p->src + p->pos, n);
        p->pos += n;
        *closed = false;
        return 0;
    }
    if (n > 5)
        return tp_error(p, "too many quotes closing a multi-line string");
    util_buf_append(b, p->src + p->pos, n - 3);
    p->pos += n;
    *closed = true;
    return 0;
}

static int parse_multiline(toml_parser *p, char q, util_buf *b)
{
    size_t start = p->pos;
    p->pos += 3;
    util_tp_newline(p); /* a newline right after the opening quotes is trimmed */
    for (;;) {
        int c = tp_peek(p);
        if (c < 0)
            return util_tp_error_at(p, start, "unterminated multi-line string");
        if (c == q) {
            bool closed = false;
            if (multiline_close(p, q, b, &closed) < 0)
                return -1;
            if (closed)
                return 0;
            continue;
        }
        if (c == '\n' || c == '\r') {
            if (!util_tp_newline(p))
                return tp_error(p, "carriage return without line feed in string");
            util_buf_append(b, "\n", 1);
            continue;
        }
        if (q == '"' && c == '\\') {
            /* A backslash ending a line swallows all whitespace up to the
             * next non-whitespace character, newlines included. */
            size_t save = p->pos;
            p->pos++;
            while (is_ws(tp_peek(p)))
                p->pos++;
            if (tp_peek(p) == '\n' || tp_peek(p) == '\r') {
                if (!util_tp_newline(p))
                    return tp_error(p, "carriage return without line feed in string");
                for (;;) {
                    if (is_ws(tp_peek(p)))
                        p->pos++;
                    else if (tp_peek(p) == '\n' || tp_peek(p) == '\r') {
                        if (!util_tp_newline(p))
                            return tp_error(p, "carriage return without line feed in string");
                    } else
                        break;
                }
                continue;
            }
            p->pos = save + 1;
            if (parse_escape(p, b) < 0)
                return -1;
            continue;
        }
        if (check_char(p, c) < 0)
            return -1;
        util_buf_append(b, p->src + p->pos, 1);
        p->pos++;
    }
}

static int parse_single(toml_parser *p, char q, util_buf *b)
{
    size_t start = p->pos;
    p->pos++;
    for (;;) {
        int c = tp_peek(p);
        if (c < 0 || c == '\n')
            return util_tp_error_at(p, start, "unterminated string");
        if (c == q) {
            p->pos++;
            return 0;
        }
        if (q == '"' && c == '\\') {
            p->pos++;
            if (parse_escape(p, b) < 0)
                return -1;
            continue;
        }
        if (check_char(p, c) < 0)
            return -1;
        util_buf_append(b, p->src + p->pos, 1);
        p->pos++;
    }
}

int util_tp_parse_string(toml_parser *p, bool allow_multiline, char **out, size_t *out_len)
{
    char q = (char)tp_peek(p);
    util_buf b = {0};
    util_buf_reserve(&b, 16);
    int r;
    if (tp_peek_at(p, 1) == q && tp_peek_at(p, 2) == q) {
        if (!allow_multiline) {
            util_buf_free(&b);
            return tp_error(p, "multi-line strings cannot be keys");
        }
        r = parse_multiline(p, q, &b);
    } else {
        r = parse_single(p, q, &b);
    }
    if (r < 0) {
        util_buf_free(&b);
        return -1;
    }
    *out = util_buf_steal(&b, out_len);
    return 0;
}

/* ---- datetimes ---------------------------------------------------------- */

static bool digits(const char *s, size_t len, size_t at, size_t n, int *out)
{
    if (at + n > len)
        return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/* HH:MM:SS[.frac] at `*at`; advances it. */
static bool parse_time(const char *s, size_t len, size_t *at, toml_datetime *dt)
{
    size_t i = *at;
    if (!digits(s, len, i, 2, &dt->hour) || i + 2 >= len || s[i + 2] != ':' ||
        !digits(s, len, i + 3, 2, &dt->minute) || i + 5 >= len || s[i + 5] != ':' ||
        !digits(s, len, i + 6, 2, &dt->second))
        return false;
    i += 8;
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
        return false;
    if (i < len && s[i] == '.') {
        i++;
        size_t n = 0;
        int ns = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (n < 9)
                ns = ns * 10 + (s[i] - '0');
            n++;
            i++;
        }
        if (n == 0)
            return false;
        for (size_t k = n; k < 9; k++)
            ns *= 10;
        dt->nanosecond = ns;
    }
    *at = i;
    return true;
}

int util_toml_parse_datetime(const char *s, size_t len, toml_datetime *out)
{
    toml_datetime dt = {0};
    size_t i = 0;
    if (len >= 3 && s[2] == ':') {
        if (!parse_time(s, len, &i, &dt) || i != len)
            return -1;
        *out = dt;
        return TOML_LOCAL_TIME;
    }
    if (!digits(s, len, 0, 4, &dt.year) || len < 10 || s[4] != '-' ||
        !digits(s, len, 5, 2, &dt.month) || s[7] != '-' || !digits(s, len, 8, 2, &dt.day))
        return -1;
    if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > days_in_month(dt.year, dt.month))
        return -1;
    i = 10;
    if (i == len) {
        *out = dt;
        return TOML_LOCAL_DATE;
    }
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
        return -1;
    i++;
    if (!parse_time(s, len, &i, &dt))
        return -1;
    if (i == len) {
        *out = dt;
        return TOML_LOCAL_DATETIME;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        *out = dt;
        return TOML_DATETIME;
    }
    int oh, om;
    if ((s[i] != '+' && s[i] != '-') || !digits(s, len, i + 1, 2, &oh) || i + 3 >= len ||
        s[i + 3] != ':' || !digits(s, len, i + 4, 2, &om) || i + 6 != len)
        return -1;
    if (oh > 23 || om > 59)
        return -1;
    dt.offset_minutes = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
    *out = dt;
    return TOML_DATETIME;
}

/* ---- numbers ------------------------------------------------------------ */

/* Digits of `base` with single underscores between digits; appends the
 * digits (without underscores) to `clean`. */
static bool digit_run(const char *s, size_t len, size_t *at, int base, util_buf *clean)
{
    size_t i = *at;
    bool prev_digit = false;
    size_t start = i;
    while (i < len) {
        char c = s[i];
        int v = hexval((unsigned char)c);
        if (v >= 0 && v < base) {
            util_buf_append(clean, &c, 1);
            prev_digit = true;
        } else if (c == '_') {
            if (!prev_digit || i + 1 >= len || hexval((unsigned char)s[i + 1]) < 0 ||
                hexval((unsigned char)s[i + 1]) >= base)
                return false;
            prev_digit = false;
        } else {
            break;
        }
        i++;
    }
    if (i == start)
        return false;
    *at = i;
    return true;
}

static toml_value *parse_integer(toml_parser *p, const char *s, size_t len, size_t at)
{
    size_t i = 0;
    bool neg = false, sign = false;
    int base = 10;
    if (s[i] == '+' || s[i] == '-') {
        neg = s[i] == '-';
        sign = true;
        i++;
    }
    if (i + 1 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
        if (sign) {
            util_tp_error_at(p, at,
                             "a sign is not allowed on hexadecimal, octal or binary integers");
            return NULL;
        }
        base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
        i += 2;
    }
    util_buf clean = {0};
    util_buf_reserve(&clean, len);
    if (!digit_run(s, len, &i, base, &clean) || i != len) {
        util_buf_free(&clean);
        util_tp_error_at(p, at, "invalid number '%.*s'", (int)len, s);
        return NULL;
    }
    if (base == 10 && clean.len > 1 && clean.data[0] == '0') {
        util_buf_free(&clean);
        util_tp_error_at(p, at, "leading zeros are not allowed in '%.*s'", (int)len, s);
        return NULL;
    }
    /* Accumulate as a negative number so INT64_MIN fits. */
    int64_t v = 0;
    bool overflow = false;
    for (size_t k = 0; k < clean.len; k++) {
        int d = hexval((unsigned char)clean.data[k]);
        if (v < (INT64_MIN + d) / base) {
            overflow = true;
            break;
        }
        v = v * base - d;
    }
    util_buf_free(&clean);
    if (!overflow && !neg) {
        if (v == INT64_MIN)
            overflow = true;
        else
            v = -v;
    }
    if (overflow) {
        util_tp_error_at(p, at, "integer '%.*s' does not fit in 64 bits", (int)len, s);
        return NULL;
    }
    toml_value *val = util_tp_new_value(p, TOML_INTEGER);
    val->col = (unsigned)(at - p->line_start + 1);
    val->u.integer = v;
    return val;
}

static toml_value *parse_float(toml_parser *p, const char *s, size_t len, size_t at)
{
    size_t i = 0;
    util_buf clean = {0};
    util_buf_reserve(&clean, len + 1);
    if (s[i] == '+' || s[i] == '-') {
        util_buf_append(&clean, s, 1);
        i++;
    }
    double d;
    if (len - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)) {
        d = s[i] == 'i' ? INFINITY : NAN;
        if (s[0] == '-')
            d = -d;
        util_buf_free(&clean);
        goto done;
    }
    size_t int_at = clean.len;
    if (!digit_run(s, len, &i, 10, &clean))
        goto bad;
    if (clean.len - int_at > 1 && clean.data[int_at] == '0') {
        util_buf_free(&clean);
        util_tp_error_at(p, at, "leading zeros are not allowed in '%.*s'", (int)len, s);
        return NULL;
    }
    bool frac = false, exp = false;
    if (i < len && s[i] == '.') {
        util_buf_append(&clean, ".", 1);
        i++;
        if (!digit_run(s, len, &i, 10, &clean))
            goto bad;
        frac = true;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        util_buf_append(&clean, "e", 1);
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            util_buf_append(&clean, s + i, 1);
            i++;
        }
        if (!digit_run(s, len, &i, 10, &clean))
            goto bad;
        exp = true;
    }
    if (i != len || (!frac && !exp))
        goto bad;
    errno = 0;
    d = strtod(clean.data, NULL);
    util_buf_free(&clean);
    /* Overflow to infinity is a value the user did not write. */
    if (errno == ERANGE && isinf(d)) {
        util_tp_error_at(p, at, "float '%.*s' is out of range", (int)len, s);
        return NULL;
    }
done:;
    toml_value *val = util_tp_new_value(p, TOML_FLOAT);
    val->col = (unsigned)(at - p->line_start + 1);
    val->u.fp = d;
    return val;
bad:
    util_buf_free(&clean);
    util_tp_error_at(p, at, "invalid number '%.*s'", (int)len, s);
    return NULL;
}

static bool token_char(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '_' || c == '+' || c == '-' || c == '.' || c == ':';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

toml_value *util_tp_parse_scalar(toml_parser *p)
{
    size_t at = p->pos;
    int c = tp_peek(p);
    if (c == '"' || c == '\'') {
        toml_value *v = util_tp_new_value(p, TOML_STRING);
        if (util_tp_parse_string(p, true, &v->u.str.data, &v->u.str.len) < 0) {
            free(v);
            return NULL;
        }
        return v;
    }
    size_t end = at;
    while (end < p->len && token_char((unsigned char)p->src[end]))
        end++;
    /* A date followed by a space and a time is one datetime. */
    if (end - at == 10 && p->src[at + 4] == '-' && end + 3 < p->len && p->src[end] == ' ' &&
        is_digit((unsigned char)p->src[end + 1]) && is_digit((unsigned char)p->src[end + 2]) &&
        p->src[end + 3] == ':') {
        end++;
        while (end < p->len && token_char((unsigned char)p->src[end]))
            end++;
    }
    const char *s = p->src + at;
    size_t len = end - at;
    if (len == 0) {
        if (c < 0 || c == '\n' || c == '\r' || c == '#')
            tp_error(p, "expected a value");
        else if (c >= 0x20 && c < 0x7F)
            tp_error(p, "expected a value, found '%c'", c);
        else
            tp_error(p, "expected a value");
        return NULL;
    }
    if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0)) {
        toml_value *v = util_tp_new_value(p, TOML_BOOL);
        v->u.boolean = len == 4;
        p->pos = end;
        return v;
    }
    bool is_datetime = (len >= 5 && is_digit((unsigned char)s[0]) && s[4] == '-') ||
                       (len >= 3 && is_digit((unsigned char)s[0]) && s[2] == ':');
    if (is_datetime) {
        toml_datetime dt;
        int kind = util_toml_parse_datetime(s, len, &dt);
        if (kind < 0) {
            tp_error(p, "invalid date-time '%.*s'", (int)len, s);
            return NULL;
        }
        toml_value *v = util_tp_new_value(p, (toml_type)kind);
        v->dt = dt;
        v->u.str.data = util_xstrndup(s, len);
        v->u.str.len = len;
        p->pos = end;
        return v;
    }
    if (!is_digit(c) && c != '+' && c != '-' && c != 'i' && c != 'n') {
        tp_error(p, "invalid value '%.*s' (strings need quotes)", (int)(len > 40 ? 40 : len), s);
        return NULL;
    }
    bool is_float = false;
    bool hex = len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    for (size_t k = 0; k < len && !hex; k++)
        if (s[k] == '.' || s[k] == 'e' || s[k] == 'E' || s[k] == 'i' || s[k] == 'n')
            is_float = true;
    toml_value *v = is_float ? parse_float(p, s, len, at) : parse_integer(p, s, len, at);
    if (v != NULL)
        p->pos = end;
    return v;
}
