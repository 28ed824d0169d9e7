/*
 * http_types.c - the helpers of the request and response types
 * (http_types.h): header lookup, building and clearing a response, reason
 * phrases.  Kept apart from the server so that the trigger and executors
 * link against the types without reaching into the server.
 */
#include "http_types.h"

#include <string.h>
#include <strings.h>

const char *spin_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
    }
}

const char *spin_http_request_header(const spin_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

void spin_http_response_add_header(spin_http_response *resp, const char *name,
                                   const char *value)
{
    resp->headers = util_xrealloc(resp->headers, (resp->nheaders + 1) * sizeof(spin_http_header));
    resp->headers[resp->nheaders].name = util_xstrdup(name);
    resp->headers[resp->nheaders].value = util_xstrdup(value);
    resp->nheaders++;
}

void spin_http_response_clear(spin_http_response *resp)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    util_buf_free(&resp->body);
    memset(resp, 0, sizeof(*resp));
}

