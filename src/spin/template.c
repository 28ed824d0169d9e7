/*
 * template.c - Spin's "{{ variable }}" templates and identifier rules.
 *
 * Component variables and allowed hosts may embed application variables:
 * "https://{{ api_host }}/users".  A template is split once, at load time,
 * into literal and variable parts, so the loader can check every name
 * against [variables] and the host can render it per request without
 * re-parsing.  Identifier rules (kebab-case component ids, snake_case
 * variable names) live here too because templates need them.
 */
#include "manifest.h"

#include <string.h>

const char *spin_id_check(const char *id, char delim, bool lower)
{
    char wrong = delim == '-' ? '_' : delim == '_' ? '-' : 0;
    if (id == NULL || id[0] == '\0')
        return "must not be empty";
    if (wrong && strchr(id, wrong) != NULL)
        return delim == '-' ? "words must be separated with '-', not '_'"
                            : "words must be separated with '_', not '-'";
    size_t word = 0;
    const char *p = id;
    while (1) {
        const char *end = strchr(p, delim);
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0)
            return delim == '-' ? "'-'-separated words must not be empty"
                                : "'_'-separated words must not be empty";
        char first = p[0];
        bool alpha = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z');
        bool digit = first >= '0' && first <= '9';
        if (!(alpha || (word > 0 && digit)))
            return "words must start with an ASCII letter (or a digit after the first word)";
        bool upper = first >= 'A' && first <= 'Z';
        for (size_t i = 1; i < n; i++) {
            char ch = p[i];
            if ((ch >= '0' && ch <= '9') || ch == ':')
                continue;
            bool lo = ch >= 'a' && ch <= 'z', up = ch >= 'A' && ch <= 'Z';
            if (!lo && !up)
                return "words may only contain ASCII letters and digits";
            if (up != upper)
                return "words must be all lowercase or all UPPERCASE";
        }
        if (lower && upper)
            return "must be all lowercase";
        if (end == NULL)
            return NULL;
        p = end + 1;
        word++;
    }
}

static void add_part(spin_template *t, spin_template_part_kind kind, const char *s, size_t n)
{
    t->parts = util_xrealloc(t->parts, (t->len + 1) * sizeof(*t->parts));
    t->parts[t->len].kind = kind;
    t->parts[t->len].text = util_xstrndup(s, n);
    t->len++;
}

int spin_template_parse(const char *text, spin_template *out, util_error **err)
{
    spin_template t = {.raw = util_xstrdup(text)};
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (open == NULL) {
            add_part(&t, SPIN_TPL_LITERAL, p, strlen(p));
            break;
        }
        if (open > p)
            add_part(&t, SPIN_TPL_LITERAL, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        if (close == NULL) {
            spin_template_free(&t);
            return util_error_set(err, 0, "template \"%s\": '{{' without a closing '}}'", text);
        }
        const char *s = open + 2, *e = close;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        cleanup_free char *name = util_xstrndup(s, (size_t)(e - s));
        const char *why = spin_id_check(name, '_', true);
        if (why != NULL) {
            spin_template_free(&t);
            return util_error_set(err, 0, "template \"%s\": invalid variable name '%s': %s", text,
                                  name, why);
        }
        add_part(&t, SPIN_TPL_VARIABLE, name, strlen(name));
        p = close + 2;
    }
    *out = t;
    return 0;
}

void spin_template_free(spin_template *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->len; i++)
        free(t->parts[i].text);
    free(t->parts);
    free(t->raw);
    memset(t, 0, sizeof(*t));
}

char *spin_template_render(const spin_template *t, spin_template_lookup lookup, void *ctx,
                           util_error **err)
{
    util_buf b = {0};
    util_buf_reserve(&b, 16);
    for (size_t i = 0; i < t->len; i++) {
        if (t->parts[i].kind == SPIN_TPL_LITERAL) {
            util_buf_append_str(&b, t->parts[i].text);
            continue;
        }
        const char *v = lookup ? lookup(ctx, t->parts[i].text) : NULL;
        if (v == NULL) {
            util_buf_free(&b);
            util_error_set(err, 0, "no value for variable '%s'", t->parts[i].text);
            return NULL;
        }
        util_buf_append_str(&b, v);
    }
    return util_buf_steal(&b, NULL);
}
