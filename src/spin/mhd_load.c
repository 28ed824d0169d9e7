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
 * process (pthread_once), and the handle is never closed because servers
 * run until the process exits.  RTLD_NOW makes a library missing one of
 * them fail here, with a message, rather than at the first request.
 *
 * A container process runs its Spin app after pivoting into the image's
 * rootfs, where the host's library is not visible: the container layer
 * calls spin_http_load() in the shim first, and the forked process
 * inherits the loaded library (and the finished pthread_once).
 */
#include "mhd_load.h"

#include "spin.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static spin_mhd_api api;
static bool loaded;
static char failure[512];

/* dlsym returns void *; POSIX guarantees it converts to a function
 * pointer, which ISO C alone does not, hence the memcpy. */
static bool resolve(void *handle, const char *name, void *slot, size_t size)
{
    void *sym = dlsym(handle, name);
    if (sym == NULL) {
        const char *why = dlerror();
        snprintf(failure, sizeof(failure), "%s", why ? why : name);
        return false;
    }
    memcpy(slot, &sym, size);
    return true;
}

#define RESOLVE(h, member, symbol) resolve(h, #symbol, &api.member, sizeof(api.member))

static void load_once(void)
{
    void *h = dlopen(SPIN_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *why = dlerror();
        snprintf(failure, sizeof(failure), "%s", why ? why : "not found");
        return;
    }
    bool ok = RESOLVE(h, start_daemon, MHD_start_daemon) &&
              RESOLVE(h, stop_daemon, MHD_stop_daemon) &&
              RESOLVE(h, quiesce_daemon, MHD_quiesce_daemon) &&
              RESOLVE(h, create_response_from_buffer, MHD_create_response_from_buffer) &&
              RESOLVE(h, destroy_response, MHD_destroy_response) &&
              RESOLVE(h, add_response_header, MHD_add_response_header) &&
              RESOLVE(h, queue_response, MHD_queue_response) &&
              RESOLVE(h, suspend_connection, MHD_suspend_connection) &&
              RESOLVE(h, resume_connection, MHD_resume_connection) &&
              RESOLVE(h, lookup_connection_value, MHD_lookup_connection_value) &&
              RESOLVE(h, get_connection_values, MHD_get_connection_values) &&
              RESOLVE(h, get_connection_info, MHD_get_connection_info) &&
              RESOLVE(h, get_version, MHD_get_version);
    if (!ok) {
        dlclose(h);
        memset(&api, 0, sizeof(api));
        return;
    }
    loaded = true;
}

const spin_mhd_api *spin_mhd_load(util_error **err)
{
    pthread_once(&once, load_once);
    if (!loaded) {
        util_error_set(err, 0,
                       "the HTTP server needs %s, which cannot be loaded (%s); install the "
                       "Debian package %s",
                       SPIN_MHD_SONAME, failure, SPIN_MHD_PACKAGE);
        return NULL;
    }
    return &api;
}

int spin_http_load(util_error **err)
{
    return spin_mhd_load(err) ? 0 : -1;
}
