/*
 * shim_test_util.h - helpers shared by the shim tests: a fake containerd
 * events endpoint (records every forwarded envelope) and typed Task calls.
 */
#ifndef SHIM_TEST_UTIL_H
#define SHIM_TEST_UTIL_H

#include "proto.h"
#include "ttrpc.h"

#include <pthread.h>

typedef struct events_sink {
    ttrpc_server *server;
    pthread_t thread;
    char path[108];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char *topics[256];
    char *namespaces[256];
    Containerd__Events__TaskExit exits[16]; /* copies of exit payload fields */
    size_t n_exits;
    size_t n;
} events_sink;

int events_sink_start(events_sink *s);
void events_sink_stop(events_sink *s);
/* Waits (up to 10 s) until at least n events arrived; returns the count. */
size_t events_sink_wait(events_sink *s, size_t n);
/* "create,start,exit,delete" style list of topic basenames. */
char *events_sink_topics(events_sink *s);

/* One Task call: packs req, unpacks the reply with resp_desc into *out
 * (NULL on error status).  Returns the status code, or -1 on transport
 * failure; *msg receives the status message (malloc'd). */
int task_call(ttrpc_client *c, const char *method, const ProtobufCMessage *req,
              const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **out, char **msg);

#endif
