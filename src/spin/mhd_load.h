/*
 * mhd_load.h - the libmicrohttpd functions the HTTP server uses, reached
 * through a table filled by dlopen()/dlsym() on first use (internal to
 * src/spin; see mhd_load.c for why).
 */
#ifndef SPIN_MHD_LOAD_H
#define SPIN_MHD_LOAD_H

#include "util.h"

#include <microhttpd.h>

/* The shared object we load: libmicrohttpd's ABI 12, Debian's libmicrohttpd12. */
#define SPIN_MHD_SONAME "libmicrohttpd.so.12"
#define SPIN_MHD_PACKAGE "libmicrohttpd12"

/* Each member has the type of the <microhttpd.h> declaration it stands for,
 * so a call through the table is checked exactly like a direct call. */
typedef struct spin_mhd_api {
    __typeof__(&MHD_start_daemon) start_daemon;
    __typeof__(&MHD_stop_daemon) stop_daemon;
    __typeof__(&MHD_quiesce_daemon) quiesce_daemon;
    __typeof__(&MHD_create_response_from_buffer) create_response_from_buffer;
    __typeof__(&MHD_create_response_from_callback) create_response_from_callback;
    __typeof__(&MHD_destroy_response) destroy_response;
    __typeof__(&MHD_add_response_header) add_response_header;
    __typeof__(&MHD_add_response_footer) add_response_footer;
    __typeof__(&MHD_queue_response) queue_response;
    __typeof__(&MHD_suspend_connection) suspend_connection;
    __typeof__(&MHD_resume_connection) resume_connection;
    __typeof__(&MHD_lookup_connection_value) lookup_connection_value;
    __typeof__(&MHD_get_connection_values) get_connection_values;
    __typeof__(&MHD_get_connection_info) get_connection_info;
    __typeof__(&MHD_get_version) get_version;
} spin_mhd_api;

/* Loads libmicrohttpd once per process (thread-safe) and returns the
 * table, or NULL with *err naming the library and the package to install.
 * Every later call returns the same result without retrying. */
const spin_mhd_api *spin_mhd_load(util_error **err);

/* Starts that load on a detached thread of its own and returns at once;
 * nothing if a load was already started or done in this process.  The
 * result is spin_mhd_load's, which waits for a load in progress. */
void spin_mhd_load_ahead(void);

#endif
