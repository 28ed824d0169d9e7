/*
 * wagi_cgi.c - the CGI half of the Wagi executor: request -> environment
 * and argv, program output -> response.  Pure functions, no Wasm, so the
 * protocol is unit-tested on its own.
 *
 * The variables and their values follow Spin's Wagi executor (which
 * started from the Wagi project's CGI code and then overrides some values
 * with the route information every Spin executor gets).  One deliberate
 * difference: Spin looks CONTENT_TYPE up under a header name that can never
 * match, so its Wagi guests always see it empty; we pass the request's
 * Content-Type as CGI/1.1 (RFC 3875) specifies.
 *
 * Output parsing mirrors Spin: header lines up to the first empty line
 * (CR characters ignored there), "Status: NNN reason" sets the status,
 * "Location" without a Status gives 302, and a response needs at least one
 * of Content-Type, Status or Location, else it becomes a 500 whose body
 * says so.
 */
#include "http_executor.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ---- request -> CGI ---------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static char *percent_decode(const char *s)
{
    size_t n = strlen(s);
    char *out = util_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

void spin_wagi_build_env(const spin_http_request *req, const spin_route_match *m, const char *host,
                         util_env *env)
{
    char num[32];
    util_env_set(env, "AUTH_TYPE", "");
    snprintf(num, sizeof(num), "%zu", req->body_len);
    util_env_set(env, "CONTENT_LENGTH", num);
    const char *ct = spin_http_request_header(req, "content-type");
    util_env_set(env, "CONTENT_TYPE", ct ? ct : "");
    util_env_set(env, "GATEWAY_INTERFACE", "CGI/1.1");
    util_env_set(env, "QUERY_STRING", req->query ? req->query : "");
    util_env_set(env, "REMOTE_ADDR", req->client_ip);
    util_env_set(env, "REMOTE_HOST", req->client_ip);
    util_env_set(env, "REMOTE_USER", "");
    util_env_set(env, "REQUEST_METHOD", req->method);
    util_env_set(env, "SCRIPT_NAME", m->based_route_or_prefix);
    const char *pi = m->path_info ? m->path_info : "";
    util_env_set(env, "X_RAW_PATH_INFO", pi);
    cleanup_free char *decoded = percent_decode(pi);
    util_env_set(env, "PATH_TRANSLATED", decoded);

    /* SERVER_NAME/PORT: Spin splits the Host header at its first ':'. */
    cleanup_free char *server_name = NULL;
    const char *h = host ? host : "default_host";
    const char *colon = strchr(h, ':');
    server_name = colon ? util_xstrndup(h, (size_t)(colon - h)) : util_xstrdup(h);
    if (!server_name[0]) {
        free(server_name);
        server_name = util_xstrdup("default_host");
    }
    util_env_set(env, "SERVER_NAME", server_name);
    util_env_set(env, "SERVER_PORT", colon && colon[1] ? colon + 1 : "80");
    util_env_set(env, "SERVER_PROTOCOL", req->version);
    util_env_set(env, "SERVER_SOFTWARE", "WAGI/1");

    for (size_t i = 0; i < req->nheaders; i++) {
        cleanup_free char *key = util_xasprintf("HTTP_%s", req->headers[i].name);
        for (char *p = key; *p; p++)
            *p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        if (strcmp(key, "HTTP_AUTHORIZATION") == 0 || strcmp(key, "HTTP_CONNECTION") == 0)
            continue;
        util_env_set(env, key, req->headers[i].value);
    }

    /* The route information overrides what CGI computed (PATH_INFO stays
     * raw, as in Spin). */
    spin_default_headers dh;
    spin_default_headers_compute(req, m, host, &dh);
    for (size_t i = 0; i < dh.len; i++)
        util_env_set(env, dh.items[i].cgi_name, dh.items[i].value);
    spin_default_headers_free(&dh);
}

static char *replace_all(const char *s, const char *from, const char *to)
{
    util_buf b = {0};
    size_t fl = strlen(from);
    const char *p;
    while ((p = strstr(s, from)) != NULL) {
        util_buf_append(&b, s, (size_t)(p - s));
        util_buf_append_str(&b, to);
        s = p + fl;
    }
    util_buf_append_str(&b, s);
    size_t len;
    return util_buf_steal(&b, &len);
}

char **spin_wagi_build_argv(const char *tmpl, const spin_http_request *req, size_t *argc)
{
    if (!tmpl)
        tmpl = "${SCRIPT_NAME} ${ARGS}";
    cleanup_free char *args = util_xstrdup(req->query ? req->query : "");
    for (char *p = args; *p; p++)
        if (*p == '&')
            *p = ' ';
    cleanup_free char *a = replace_all(tmpl, "${SCRIPT_NAME}", req->path);
    cleanup_free char *b = replace_all(a, "${ARGS}", args);
    size_t n = 1;
    for (const char *p = b; *p; p++)
        n += *p == ' ';
    char **argv = util_xcalloc(n + 1, sizeof(char *));
    size_t i = 0;
    const char *start = b;
    for (;;) {
        const char *sp = strchr(start, ' ');
        if (!sp) {
            argv[i++] = util_xstrdup(start);
            break;
        }
        argv[i++] = util_xstrndup(start, (size_t)(sp - start));
        start = sp + 1;
    }
    *argc = i;
    return argv;
}

void spin_wagi_free_argv(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

/* ---- CGI output -> response -------------------------------------------- */

static bool valid_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={}", c))
            return false;
    }
    return true;
}

static bool valid_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 32 && c != '\t') || c == 127)
            return false;
    }
    return true;
}

static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void set_internal_error(spin_http_response *resp, const char *msg)
{
    spin_http_response_clear(resp);
    resp->status = 500;
    util_buf_append_str(&resp->body, msg);
    util_log_error("HTTP 500 error: %s", msg);
}

int spin_wagi_compose_response(const uint8_t *out, size_t len, spin_http_response *resp,
                               util_error **err)
{
    if (len == 0)
        return util_error_set(err, 0,
                              "the component is configured to use the WAGI executor but did "
                              "not write to stdout. Check the `executor` in spin.toml.");
    util_buf head = {0};
    size_t body_start = len; /* no blank line: everything is body */
    uint8_t last = 0;
    util_buf scanned = {0};
    for (size_t i = 0; i < len; i++) {
        uint8_t c = out[i];
        if (c == '\r')
            continue;
        if (c == '\n' && last == '\n') {
            util_buf_append(&head, scanned.data ? scanned.data : "", scanned.len);
            body_start = i + 1;
            break;
        }
        last = c;
        util_buf_append(&scanned, &c, 1);
    }
    util_buf_free(&scanned);

    resp->status = 200;
    if (body_start < len)
        util_buf_append(&resp->body, out + body_start, len - body_start);

    bool sufficient = false, explicit_status = false;
    char *text = head.data ? head.data : (char *)"";
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon) {
            if (*trim(line))
                util_log_warn("wagi: corrupt header line '%s'", line);
            continue;
        }
        *colon = '\0';
        char *name = trim(line), *value = trim(colon + 1);
        if (strcasecmp(name, "content-type") == 0) {
            sufficient = true;
            spin_http_response_add_header(resp, "Content-Type", value);
        } else if (strcasecmp(name, "status") == 0) {
            sufficient = true;
            explicit_status = true;
            char *end = NULL;
            long code = strtol(value, &end, 10);
            if (end == value || (*end && *end != ' ') || code < 100 || code > 999) {
                util_log_warn("wagi: failed to parse status code '%s'", value);
                resp->status = 502;
            } else {
                resp->status = (int)code;
            }
        } else if (strcasecmp(name, "location") == 0) {
            sufficient = true;
            spin_http_response_add_header(resp, "Location", value);
            if (!explicit_status)
                resp->status = 302;
        } else if (valid_token(name) && valid_value(value)) {
            spin_http_response_add_header(resp, name, value);
        } else {
            util_log_warn("wagi: invalid header '%s'", name);
        }
    }
    util_buf_free(&head);
    if (!sufficient)
        set_internal_error(resp, "Exactly one of 'location' or 'content-type' must be specified");
    return 0;
}
