/*
 * dl.c - opening an optional shared library at run time and filling a
 * table of its functions.
 *
 * Some libraries only one feature uses (libmicrohttpd for the HTTP
 * trigger, later database clients for Spin's host APIs) would, if linked,
 * be loaded and relocated with everything they depend on at every start of
 * the binary.  The feature instead calls util_dl_open() when it first
 * needs the library: RTLD_NOW makes a library lacking one of the functions
 * fail here, with a message, rather than at the first call, and every
 * symbol in the caller's table is looked up before anything is handed
 * back, so the caller gets either a complete table or none (its slots
 * zeroed).  Errors name the shared object and the Debian package that
 * ships it, which is what an operator needs to fix the node.
 *
 * The table holds the caller's own typed function-pointer variables:
 * dlsym returns void *, which POSIX (not ISO C) guarantees converts to a
 * function pointer, so the address is copied in with memcpy.
 *
 * A process can seal loading (util_dl_seal): a Spin container process
 * does after pivot_root, where a library name would resolve to whatever
 * the image ships; what the shim did not load before the fork is then
 * refused with the reason instead.
 */
#include "util.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static bool sealed;
static char seal_reason[256];

void util_dl_seal(const char *why)
{
    snprintf(seal_reason, sizeof(seal_reason), "%s", why);
    __atomic_store_n(&sealed, true, __ATOMIC_RELEASE);
}

bool util_dl_refused(const char *soname, char *buf, size_t len)
{
    if (!__atomic_load_n(&sealed, __ATOMIC_ACQUIRE))
        return false;
    snprintf(buf, len, "%s was not loaded: %s", soname, seal_reason);
    return true;
}

static const char *dl_why(const char *fallback)
{
    const char *why = dlerror();
    return why ? why : fallback;
}

static void clear_slots(const util_dl_symbol *syms, size_t nsyms)
{
    for (size_t i = 0; i < nsyms; i++)
        memset(syms[i].slot, 0, syms[i].size);
}

static int resolve_all(void *handle, const util_dl_symbol *syms, size_t nsyms,
                       const char *soname, const char *package, util_error **err)
{
    for (size_t i = 0; i < nsyms; i++) {
        dlerror(); /* a stale message must not be blamed on this lookup */
        void *sym = dlsym(handle, syms[i].name);
        if (sym == NULL)
            return util_error_set(err, 0,
                                  "%s lacks %s (%s); install the version Debian's package %s "
                                  "ships",
                                  soname, syms[i].name, dl_why("symbol not found"), package);
        if (syms[i].size != sizeof(sym))
            return util_error_set(err, 0, "%s: the slot for %s is not a pointer", soname,
                                  syms[i].name);
        memcpy(syms[i].slot, &sym, sizeof(sym));
    }
    return 0;
}

void *util_dl_open(const char *soname, const char *package, const util_dl_symbol *syms,
                   size_t nsyms, util_error **err)
{
    char refused[512];
    if (util_dl_refused(soname, refused, sizeof(refused))) {
        util_error_set(err, 0, "%s", refused);
        return NULL;
    }
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        util_error_set(err, 0, "%s cannot be loaded (%s); install the Debian package %s",
                       soname, dl_why("not found"), package);
        return NULL;
    }
    if (resolve_all(handle, syms, nsyms, soname, package, err) < 0) {
        clear_slots(syms, nsyms);
        dlclose(handle);
        return NULL;
    }
    return handle;
}

void util_dl_close(void *handle)
{
    if (handle != NULL)
        dlclose(handle);
}
