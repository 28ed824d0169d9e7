/*
 * config.c - the OTEL_* variables, read once when an app starts.
 *
 * Design: everything the exporter needs is resolved here into one
 * otel_config, so that nothing reads the environment on a request.  The
 * rules are the OpenTelemetry SDK environment specification's:
 *  - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the URL as is; else
 *    OTEL_EXPORTER_OTLP_ENDPOINT with "/v1/traces" appended;
 *  - OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: only http/protobuf is spoken
 *    here; grpc or http/json is a warning and no export (never a failure:
 *    an app runs the same with or without its telemetry);
 *  - OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES
 *    (k=v pairs separated by commas, percent-encoded);
 *  - OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG: always_on, always_off,
 *    traceidratio and their parentbased_ forms (the default is
 *    parentbased_always_on);
 *  - OTEL_SDK_DISABLED=true turns it all off.
 */
#include "otel_internal.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char *lookup(const char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static const char *nonempty(const char *const *env, const char *name)
{
    const char *v = lookup(env, name);
    return v && *v ? v : NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *otel_percent_decode(const char *s)
{
    char *out = util_xmalloc(strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (*s != '%') {
            *o++ = *s;
            continue;
        }
        int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
        if (lo < 0) {
            free(out);
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        s += 2;
    }
    *o = '\0';
    return out;
}

static char *trimmed(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return util_xstrndup(s, len);
}

static void add_resource(otel_config *cfg, char *key, char *value)
{
    for (size_t i = 0; i < cfg->nres; i++)
        if (strcmp(cfg->res_keys[i], key) == 0) { /* the last one wins */
            free(cfg->res_values[i]);
            cfg->res_values[i] = value;
            free(key);
            return;
        }
    cfg->res_keys = util_xrealloc(cfg->res_keys, (cfg->nres + 1) * sizeof(char *));
    cfg->res_values = util_xrealloc(cfg->res_values, (cfg->nres + 1) * sizeof(char *));
    cfg->res_keys[cfg->nres] = key;
    cfg->res_values[cfg->nres++] = value;
}

/* "k=v,k2=v2": a malformed pair is skipped with a warning (the spec says
 * to discard the whole variable; one bad pair losing every attribute helps
 * nobody reading the traces, so only it goes). */
static void read_resource(otel_config *cfg, const char *list)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        cleanup_free char *pair = trimmed(p, len);
        char *eq = strchr(pair, '=');
        if (*pair) {
            char *k = NULL, *v = NULL;
            if (eq) {
                *eq = '\0';
                cleanup_free char *kt = trimmed(pair, strlen(pair));
                cleanup_free char *vt = trimmed(eq + 1, strlen(eq + 1));
                k = *kt ? otel_percent_decode(kt) : NULL;
                v = k ? otel_percent_decode(vt) : NULL;
            }
            if (k && v) {
                add_resource(cfg, k, v);
            } else {
                util_log_warn("OTEL_RESOURCE_ATTRIBUTES: ignoring '%.*s' (expected "
                              "key=value, percent-encoded)", (int)len, p);
                free(k);
                free(v);
            }
        }
        p = end ? end + 1 : p + len;
    }
}

static int read_sampler(const char *const *env, otel_config *cfg, util_error **err)
{
    const char *name = nonempty(env, "OTEL_TRACES_SAMPLER");
    if (!name)
        name = "parentbased_always_on";
    const char *base = name;
    cfg->parent_based = strncmp(name, "parentbased_", 12) == 0;
    if (cfg->parent_based)
        base = name + 12;
    if (strcmp(base, "always_on") == 0) {
        cfg->root = OTEL_SAMPLE_ALWAYS_ON;
    } else if (strcmp(base, "always_off") == 0) {
        cfg->root = OTEL_SAMPLE_ALWAYS_OFF;
    } else if (strcmp(base, "traceidratio") == 0) {
        cfg->root = OTEL_SAMPLE_RATIO;
        cfg->ratio = 1.0;
        const char *arg = nonempty(env, "OTEL_TRACES_SAMPLER_ARG");
        if (arg) {
            char *end = NULL;
            double r = strtod(arg, &end);
            if (*end != '\0' || !(r >= 0.0 && r <= 1.0))
                return util_error_set(err, 0,
                                      "OTEL_TRACES_SAMPLER_ARG='%s': expected a ratio "
                                      "between 0 and 1", arg);
            cfg->ratio = r;
        }
    } else {
        return util_error_set(err, 0,
                              "OTEL_TRACES_SAMPLER='%s' is not supported (always_on, "
                              "always_off, traceidratio, parentbased_always_on, "
                              "parentbased_always_off, parentbased_traceidratio)", name);
    }
    return 0;
}

static unsigned read_ms(const char *const *env, const char *name, unsigned dflt, unsigned max)
{
    const char *v = nonempty(env, name);
    if (!v)
        return dflt;
    char *end = NULL;
    unsigned long n = strtoul(v, &end, 10);
    if (*end != '\0' || v[0] == '-') {
        util_log_warn("%s='%s': expected milliseconds, using %u", name, v, dflt);
        return dflt;
    }
    return n > max ? max : (unsigned)n;
}

static char *traces_url(const char *const *env)
{
    const char *url = nonempty(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    if (url)
        return util_xstrdup(url);
    const char *base = nonempty(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
    if (!base)
        return NULL;
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    return util_xasprintf("%.*s/v1/traces", (int)n, base);
}

int otel_config_read(const char *const *env, const char *default_service, otel_config *cfg,
                     util_error **err)
{
    *cfg = (otel_config){0};
    if (!env)
        env = (const char *const *)environ;
    const char *disabled = lookup(env, "OTEL_SDK_DISABLED");
    if (disabled && strcasecmp(disabled, "true") == 0)
        return -1;
    cfg->url = traces_url(env);
    if (!cfg->url)
        return -1;
    const char *proto = nonempty(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
    const char *pvar = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
    if (!proto) {
        proto = nonempty(env, "OTEL_EXPORTER_OTLP_PROTOCOL");
        pvar = "OTEL_EXPORTER_OTLP_PROTOCOL";
    }
    if (proto && strcmp(proto, "http/protobuf") != 0) {
        util_error_set(err, 0, "%s='%s' is not supported (only http/protobuf)", pvar, proto);
        otel_config_clear(cfg);
        return -1;
    }
    if (read_sampler(env, cfg, err) < 0) {
        otel_config_clear(cfg);
        return -1;
    }
    const char *res = lookup(env, "OTEL_RESOURCE_ATTRIBUTES");
    if (res)
        read_resource(cfg, res);
    const char *svc = nonempty(env, "OTEL_SERVICE_NAME");
    for (size_t i = 0; !svc && i < cfg->nres; i++)
        if (strcmp(cfg->res_keys[i], "service.name") == 0)
            svc = cfg->res_values[i];
    cfg->service = util_xstrdup(svc ? svc : default_service ? default_service : "spin");
    cfg->delay_ms = read_ms(env, "OTEL_BSP_SCHEDULE_DELAY", 5000, 60000);
    /* an export waits at most this long for the collector (the SDK's
     * default 10 s): only the exporter thread waits */
    cfg->timeout_ms = read_ms(env, "OTEL_EXPORTER_OTLP_TIMEOUT", 10000, 10000);
    if (cfg->timeout_ms == 0)
        cfg->timeout_ms = 10000;
    return 0;
}

void otel_config_clear(otel_config *cfg)
{
    free(cfg->url);
    free(cfg->service);
    for (size_t i = 0; i < cfg->nres; i++) {
        free(cfg->res_keys[i]);
        free(cfg->res_values[i]);
    }
    free(cfg->res_keys);
    free(cfg->res_values);
    *cfg = (otel_config){0};
}

bool otel_sample(const otel_config *cfg, const uint8_t trace_id[16], bool has_parent,
                 bool parent_sampled)
{
    if (has_parent && cfg->parent_based)
        return parent_sampled;
    switch (cfg->root) {
    case OTEL_SAMPLE_ALWAYS_ON:
        return true;
    case OTEL_SAMPLE_ALWAYS_OFF:
        return false;
    case OTEL_SAMPLE_RATIO: {
        /* the trace id's last 8 bytes as a number below 2^63 */
        uint64_t x = 0;
        for (int i = 8; i < 16; i++)
            x = x << 8 | trace_id[i];
        x >>= 1;
        return (double)x < cfg->ratio * 9223372036854775808.0;
    }
    }
    return false;
}
