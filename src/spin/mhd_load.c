/*
 * mhd_load.c - libmicrohttpd, loaded when the first HTTP server starts.
 *
 * Linked normally, libmicrohttpd would be loaded and relocated, with the
 * nine libraries it needs (gnutls, p11-kit, nettle, gmp, idn2, ...) and
 * their constructors, at every start of the binary: `-v`, every
 * `start`/`delete` containerd runs for a pod, every `run` of a command
 * module.  That was most of the binary's start-up time, for a library only
 * the HTTP trigger uses.  So nothing links it: the dozen functions
 * http_server.c calls are looked up with dlsym() into a table, once per
 * process (pthread_once) by util_dl_open, and the handle is never closed
 * because servers run until the process exits.  A library missing one of
 * them fails here, with a message naming the package, rather than at the
 * first request.
 *
 * A container process runs its Spin app after pivoting into the image's
 * rootfs, where the host's library is not visible: the container layer
 * calls spin_http_load() in the shim first, and the forked process
 * inherits the loaded library (and the finished pthread_once).
 *
 * `up` has nothing loaded when it starts, and the load (10-20 ms) used to
 * sit between the last compiled component and the listener: the app
 * loader calls spin_mhd_load_ahead() as soon as the manifest shows an http
 * trigger, a thread does the load while components are read and compiled,
 * and the server's spin_mhd_load() then finds it done (or waits in
 * pthread_once for the rest of it).  Nothing is bound or answered any
 * earlier: readiness still means the app can answer.
 */
#include "mhd_load.h"
#include "spin.h"

#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static spin_mhd_api api;
static bool loaded;
static char failure[512];
/* A load was started or done: spin_mhd_load_ahead has nothing to add. */
static bool ahead_started;

#define SYMBOL(member, symbol) UTIL_DL_SYMBOL(#symbol, api.member)

static void load_once(void)
{
    __atomic_store_n(&ahead_started, true, __ATOMIC_RELEASE);
    const util_dl_symbol syms[] = {
        SYMBOL(start_daemon, MHD_start_daemon),
        SYMBOL(stop_daemon, MHD_stop_daemon),
        SYMBOL(quiesce_daemon, MHD_quiesce_daemon),
        SYMBOL(create_response_from_buffer, MHD_create_response_from_buffer),
        SYMBOL(create_response_from_callback, MHD_create_response_from_callback),
        SYMBOL(destroy_response, MHD_destroy_response),
        SYMBOL(add_response_header, MHD_add_response_header),
        SYMBOL(add_response_footer, MHD_add_response_footer),
        SYMBOL(queue_response, MHD_queue_response),
        SYMBOL(suspend_connection, MHD_suspend_connection),
        SYMBOL(resume_connection, MHD_resume_connection),
        SYMBOL(lookup_connection_value, MHD_lookup_connection_value),
        SYMBOL(get_connection_values, MHD_get_connection_values),
        SYMBOL(get_connection_info, MHD_get_connection_info),
        SYMBOL(get_version, MHD_get_version),
    };
    util_error *err = NULL;
    if (util_dl_open(SPIN_MHD_SONAME, SPIN_MHD_PACKAGE, syms, UTIL_ARRAY_LEN(syms), &err) ==
        NULL) {
        snprintf(failure, sizeof(failure), "%s", err->msg);
        util_error_free(&err);
        return;
    }
    loaded = true; /* the handle stays open: servers run until the process exits */
}


static void *load_thread(void *arg)
{
    (void)arg;
    pthread_once(&once, load_once);
    return NULL;
}

void spin_mhd_load_ahead(void)
{
    if (__atomic_exchange_n(&ahead_started, true, __ATOMIC_ACQ_REL))
        return;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, load_thread, NULL) != 0)
        util_log_debug("loading libmicrohttpd ahead: no thread (it loads when the server starts)");
    pthread_attr_destroy(&attr);
}

const spin_mhd_api *spin_mhd_load(util_error **err)
{
    pthread_once(&once, load_once);
    if (!loaded) {
        util_error_set(err, 0, "the HTTP server: %s", failure);
        return NULL;
    }
    return &api;
}

int spin_http_load(util_error **err)
{
    return spin_preload_libraries(SPIN_LIB_ALL, err);
}
