/*
 * clients.c - what the network clients of this layer (mysql, postgres,
 * redis) share, kept once: the list of an instance's open connections,
 * the time left before a request's deadline, percent-decoding a URL's
 * userinfo, and the types of rdbms-types@2.0.0 that mysql and postgres
 * both serve.
 *
 * The list is intrusive (a spinapi_conn_link inside each client's own
 * connection struct), so each client keeps its struct and its lock and
 * only the linking is common; a link knows its list, so removing it needs
 * no context and is harmless twice.
 */
#include "spinapi_internal.h"

#include <stdint.h>

/* ---- open connections ------------------------------------------------ */

void spinapi_conn_link_add(spinapi_conn_link **head, spinapi_conn_link *link)
{
    link->head = head;
    link->prev = NULL;
    link->next = *head;
    if (*head)
        (*head)->prev = link;
    *head = link;
}

void spinapi_conn_link_remove(spinapi_conn_link *link)
{
    if (link->head == NULL)
        return;
    if (link->prev)
        link->prev->next = link->next;
    else
        *link->head = link->next;
    if (link->next)
        link->next->prev = link->prev;
    link->prev = link->next = NULL;
    link->head = NULL;
}

size_t spinapi_conn_link_count(const spinapi_conn_link *head)
{
    size_t n = 0;
    for (; head; head = head->next)
        n++;
    return n;
}

/* ---- deadlines ------------------------------------------------------- */

uint64_t spinapi_ms_left(uint64_t deadline_ns)
{
    if (deadline_ns == 0)
        return UINT64_MAX;
    uint64_t now = util_monotonic_ns();
    if (now >= deadline_ns)
        return 0;
    return (deadline_ns - now + 999999) / 1000000; /* rounded up: never 0 before it */
}

/* ---- URLs ------------------------------------------------------------ */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

char *spinapi_percent_decode(const char *s, size_t n)
{
    char *out = util_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        int hi = i + 2 < n ? hex_digit(s[i + 1]) : -1;
        int lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

/* ---- rdbms-types@2.0.0 ----------------------------------------------- */

#define RDBMS2_VALUES                                                                            \
    "boolean(bool), int8(s8), int16(s16), int32(s32), int64(s64), uint8(u8), uint16(u16), "      \
    "uint32(u32), uint64(u64), floating32(f32), floating64(f64), str(string), binary(list<u8>), " \
    "db-null"

int spinapi_define_rdbms_types(component_linker *l, const char *iface, const char *data_type,
                               const char *values, util_error **err)
{
    cleanup_free char *db_value = util_xasprintf("variant{%s, unsupported}", values);
    cleanup_free char *parameter_value = util_xasprintf("variant{%s}", values);
    const char *types[][2] = {
        {"db-data-type", data_type},
        {"db-value", db_value},
        {"parameter-value", parameter_value},
        {"column", "record{name: string, data-type: db-data-type}"},
        {"row", "list<db-value>"},
        {"row-set", "record{columns: list<column>, rows: list<row>}"},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(types); i++)
        if (component_linker_define_type(l, iface, types[i][0], types[i][1], err) < 0)
            return -1;
    return 0;
}

int spinapi_define_rdbms2_types(component_linker *l, const char *iface, util_error **err)
{
    return spinapi_define_rdbms_types(l, iface,
                                      "enum{boolean, int8, int16, int32, int64, uint8, uint16, "
                                      "uint32, uint64, floating32, floating64, str, binary, other}",
                                      RDBMS2_VALUES, err);
}
