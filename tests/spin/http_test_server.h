/*
 * http_test_server.h - what the HTTP server tests share: a server started
 * on an ephemeral loopback port, and a raw TCP connection to it.  Each test
 * file keeps its own handler and its own way of reading replies, since
 * those are what it asserts on.  Header-only on purpose: tests/test.h
 * counts failures in per-file statics, so CHECK must expand in the test's
 * own translation unit.
 */
#ifndef TESTS_SPIN_HTTP_TEST_SERVER_H
#define TESTS_SPIN_HTTP_TEST_SERVER_H

#include "http_server.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    spin_http_server *srv; /* NULL if it could not start (a failed CHECK) */
    int port;
} test_server;

/* Starts `cfg` (handler and limits set by the caller) on 127.0.0.1:0. */
static test_server test_server_start(spin_http_server_config cfg)
{
    test_server s = {0};
    util_error *err = NULL;
    char *bound = NULL;
    int fd = spin_http_listen("127.0.0.1:0", &bound, &err);
    CHECK(fd >= 0);
    if (fd < 0) {
        util_error_free(&err);
        return s;
    }
    s.port = atoi(strrchr(bound, ':') + 1);
    free(bound);
    cfg.listen_fd = fd;
    s.srv = spin_http_server_start(&cfg, &err);
    CHECK(s.srv != NULL);
    util_error_free(&err);
    return s;
}

/* A blocking TCP connection to 127.0.0.1:port, or -1. */
static int test_server_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

#endif
