/*
 * flags.c - containerd's shim command line, parsed the way Go's flag
 * package does it (which is what containerd and its shims use): `-name
 * value`, `-name=value`, one or two dashes, booleans without a value,
 * flags end at the first non-flag word (the action) or at `--`.
 */
#include "shim_internal.h"

#include <string.h>

int shim_parse_flags(int argc, char **argv, shim_flags *f, util_error **err)
{
    memset(f, 0, sizeof *f);
    f->argv0 = argc > 0 ? argv[0] : "containerd-shim-spin-v2";
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"namespace", offsetof(shim_flags, ns)},
        {"id", offsetof(shim_flags, id)},
        {"address", offsetof(shim_flags, address)},
        {"publish-binary", offsetof(shim_flags, publish_binary)},
        {"bundle", offsetof(shim_flags, bundle)},
        {"socket", offsetof(shim_flags, socket)},
    };
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0')
            break;
        a++;
        if (a[0] == '-') {
            a++;
            if (a[0] == '\0') { /* "--" ends the flags */
                i++;
                break;
            }
        }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if ((nlen == 5 && strncmp(a, "debug", 5) == 0) || (nlen == 4 && strncmp(a, "info", 4) == 0)) {
            bool on = eq == NULL || strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0;
            *(a[0] == 'd' ? &f->debug : &f->info) = on;
            continue;
        }
        size_t k = 0;
        while (k < UTIL_ARRAY_LEN(strs) &&
               !(strlen(strs[k].name) == nlen && strncmp(a, strs[k].name, nlen) == 0))
            k++;
        if (k == UTIL_ARRAY_LEN(strs))
            return util_error_set(err, 0, "flag provided but not defined: -%.*s", (int)nlen, a);
        const char *value;
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return util_error_set(err, 0, "flag needs an argument: -%s", strs[k].name);
            value = argv[++i];
        }
        *(const char **)((char *)f + strs[k].off) = value;
    }
    if (i < argc)
        f->action = argv[i++];
    if (i < argc)
        return util_error_set(err, 0, "unexpected argument after %s: %s", f->action, argv[i]);
    if (f->action && strcmp(f->action, "start") != 0 && strcmp(f->action, "delete") != 0)
        return util_error_set(err, 0, "unknown action %s (expected start or delete)", f->action);
    /* containerd runs `-info` with no other flag */
    if (f->info)
        return 0;
    if (f->ns == NULL || f->ns[0] == '\0')
        return util_error_set(err, 0, "shim namespace cannot be empty (-namespace)");
    if (f->action && (f->id == NULL || f->id[0] == '\0'))
        return util_error_set(err, 0, "-id is required for %s", f->action);
    if (f->action && strcmp(f->action, "start") == 0 && (f->address == NULL || !f->address[0]))
        return util_error_set(err, 0, "-address is required for start");
    return 0;
}
