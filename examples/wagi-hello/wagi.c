/*
 * wagi.c - a Wagi (CGI-style) HTTP handler for Spin's Wagi executor.
 *
 * The host passes the request as CGI: method, path and headers in
 * environment variables, the body on stdin.  The handler writes headers,
 * a blank line, then the body to stdout.  It answers:
 *   /hello        "Hello from Wagi!"
 *   /echo         the request body, with its method and query string
 *   /env/NAME     the value of environment variable NAME (variables tests)
 *   /status/N     an empty response with Status N
 *   /redirect     302 with a Location header
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v ? v : fallback;
}

int main(void)
{
    const char *path = env_or("PATH_INFO", "");
    const char *route = env_or("X_MATCHED_ROUTE", "");
    const char *full = env_or("X_FULL_URL", "");
    if (strncmp(path, "/env/", 5) == 0) {
        printf("Content-Type: text/plain\n\n%s\n", env_or(path + 5, "(unset)"));
    } else if (strncmp(path, "/status/", 8) == 0) {
        printf("Status: %d\n\n", atoi(path + 8));
    } else if (strcmp(path, "/redirect") == 0) {
        printf("Location: /hello\n\n");
    } else if (strcmp(path, "/echo") == 0) {
        printf("Content-Type: text/plain\n\n");
        printf("method=%s query=%s\n", env_or("REQUEST_METHOD", ""), env_or("QUERY_STRING", ""));
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
            fwrite(buf, 1, n, stdout);
    } else {
        printf("Content-Type: text/plain\n\n");
        printf("Hello from Wagi!\nroute=%s path_info=%s url=%s\n", route, path, full);
    }
    return 0;
}
