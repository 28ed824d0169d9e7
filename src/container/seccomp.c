/*
 * seccomp.c - translates the spec's linux.seccomp profile into a BPF
 * program with libseccomp.
 *
 * The translation (and every error about the profile) happens in the shim
 * before forking; what is handed to the child is the exported BPF, which it
 * installs with one prctl() as the last step before running the process,
 * so the filter does not get in the way of the container's own setup.
 * Syscall names unknown to libseccomp for this architecture are skipped,
 * as runc and crun do, because profiles list syscalls of newer kernels.
 */
#include "internal.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static int parse_action(const char *name, int errno_ret, uint32_t *out)
{
    if (name == NULL)
        return -1;
    if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
        *out = SCMP_ACT_ALLOW;
    else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
        *out = SCMP_ACT_ERRNO((uint32_t)errno_ret);
    else if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
        *out = SCMP_ACT_KILL_THREAD;
    else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
        *out = SCMP_ACT_KILL_PROCESS;
    else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
        *out = SCMP_ACT_TRAP;
    else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
        *out = SCMP_ACT_TRACE((uint32_t)errno_ret);
    else if (strcmp(name, "SCMP_ACT_LOG") == 0)
        *out = SCMP_ACT_LOG;
    else
        return -1;
    return 0;
}

static int parse_op(const char *name, enum scmp_compare *out)
{
    static const struct {
        const char *name;
        enum scmp_compare op;
    } ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (size_t i = 0; name && i < UTIL_ARRAY_LEN(ops); i++) {
        if (strcmp(name, ops[i].name) == 0) {
            *out = ops[i].op;
            return 0;
        }
    }
    return -1;
}

static json_object *field(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (o && json_object_object_get_ex(o, k, &v) && !json_object_is_type(v, json_type_null))
        return v;
    return NULL;
}

static int errno_ret_of(json_object *o, int dflt)
{
    json_object *v = field(o, "errnoRet");
    return v ? json_object_get_int(v) : dflt;
}

static int add_rule(scmp_filter_ctx ctx, json_object *rule, size_t idx, util_error **err)
{
    const char *act_name = json_object_get_string(field(rule, "action"));
    uint32_t action;
    if (parse_action(act_name, errno_ret_of(rule, EPERM), &action) < 0)
        return util_error_set(err, 0, "linux.seccomp.syscalls[%zu].action: unknown action %s",
                              idx, act_name ? act_name : "(missing)");

    struct scmp_arg_cmp cmps[6];
    unsigned n_cmps = 0;
    json_object *args = field(rule, "args");
    if (args != NULL) {
        if (!json_object_is_type(args, json_type_array) || json_object_array_length(args) > 6)
            return util_error_set(err, 0,
                                  "linux.seccomp.syscalls[%zu].args: expected up to 6 entries",
                                  idx);
        for (size_t i = 0; i < json_object_array_length(args); i++) {
            json_object *a = json_object_array_get_idx(args, i);
            const char *op_name = json_object_get_string(field(a, "op"));
            enum scmp_compare op;
            if (parse_op(op_name, &op) < 0)
                return util_error_set(err, 0,
                                      "linux.seccomp.syscalls[%zu].args[%zu].op: unknown op %s",
                                      idx, i, op_name ? op_name : "(missing)");
            json_object *index = field(a, "index");
            if (index == NULL || !json_object_is_type(index, json_type_int) ||
                json_object_get_int(index) < 0 || json_object_get_int(index) > 5)
                return util_error_set(err, 0,
                                      "linux.seccomp.syscalls[%zu].args[%zu].index: expected 0..5",
                                      idx, i);
            cmps[n_cmps].arg = (unsigned)json_object_get_int(index);
            cmps[n_cmps].op = op;
            cmps[n_cmps].datum_a = json_object_get_uint64(field(a, "value"));
            cmps[n_cmps].datum_b = json_object_get_uint64(field(a, "valueTwo"));
            n_cmps++;
        }
    }

    /* "names" (current spec) or the old single "name" */
    json_object *names = field(rule, "names");
    /* json-c asserts (aborts) on array calls on other types: check first. */
    if (names != NULL && !json_object_is_type(names, json_type_array))
        return util_error_set(err, 0, "linux.seccomp.syscalls[%zu].names: expected an array",
                              idx);
    size_t n_names = names ? json_object_array_length(names) : 1;
    for (size_t i = 0; i < n_names; i++) {
        const char *name = names ? json_object_get_string(json_object_array_get_idx(names, i))
                                 : json_object_get_string(field(rule, "name"));
        if (name == NULL)
            return util_error_set(err, 0, "linux.seccomp.syscalls[%zu].names: expected strings",
                                  idx);
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not a syscall of this architecture/libseccomp */
        int r = seccomp_rule_add_array(ctx, action, nr, n_cmps, n_cmps ? cmps : NULL);
        /* EEXIST/EACCES: the rule equals the default action: nothing to add */
        if (r < 0 && r != -EEXIST && r != -EACCES)
            return util_error_set(err, -r, "linux.seccomp.syscalls[%zu]: rule for %s", idx, name);
    }
    return 0;
}

static int arch_token(const char *name, uint32_t *out)
{
    if (name == NULL || strncmp(name, "SCMP_ARCH_", 10) != 0)
        return -1;
    cleanup_free char *lower = util_xstrdup(name + 10);
    for (char *p = lower; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    uint32_t a = seccomp_arch_resolve_name(lower);
    if (a == 0)
        return -1;
    *out = a;
    return 0;
}

int container_seccomp_compile(json_object *profile, seccomp_program *out, util_error **err)
{
    memset(out, 0, sizeof(*out));
    if (profile == NULL)
        return 0;
    const char *dflt = json_object_get_string(field(profile, "defaultAction"));
    json_object *der = field(profile, "defaultErrnoRet");
    uint32_t default_action;
    if (parse_action(dflt, der ? json_object_get_int(der) : EPERM, &default_action) < 0)
        return util_error_set(err, 0, "linux.seccomp.defaultAction: unknown action %s",
                              dflt ? dflt : "(missing)");

    scmp_filter_ctx ctx = seccomp_init(default_action);
    if (ctx == NULL)
        return util_error_set(err, 0, "seccomp: cannot initialise libseccomp");
    int rc = -1;
    json_object *archs = field(profile, "architectures");
    if (archs != NULL && !json_object_is_type(archs, json_type_array)) {
        util_error_set(err, 0, "linux.seccomp.architectures: expected an array");
        goto out;
    }
    for (size_t i = 0; archs && i < json_object_array_length(archs); i++) {
        const char *an = json_object_get_string(json_object_array_get_idx(archs, i));
        uint32_t a;
        if (arch_token(an, &a) < 0) {
            util_error_set(err, 0, "linux.seccomp.architectures[%zu]: unknown architecture %s", i,
                           an ? an : "(not a string)");
            goto out;
        }
        int r = seccomp_arch_add(ctx, a);
        if (r < 0 && r != -EEXIST) {
            util_error_set(err, -r, "linux.seccomp.architectures[%zu]: %s", i, an);
            goto out;
        }
    }
    json_object *rules = field(profile, "syscalls");
    if (rules && !json_object_is_type(rules, json_type_array)) {
        util_error_set(err, 0, "linux.seccomp.syscalls: expected an array");
        goto out;
    }
    for (size_t i = 0; rules && i < json_object_array_length(rules); i++)
        if (add_rule(ctx, json_object_array_get_idx(rules, i), i, err) < 0)
            goto out;

    int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0) {
        util_error_set(err, errno, "seccomp: memfd_create");
        goto out;
    }
    int r = seccomp_export_bpf(ctx, fd);
    off_t size = lseek(fd, 0, SEEK_END);
    if (r < 0 || size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0) {
        close(fd);
        util_error_set(err, r < 0 ? -r : 0, "seccomp: exporting the BPF program");
        goto out;
    }
    out->filter = util_xmalloc((size_t)size);
    if (pread(fd, out->filter, (size_t)size, 0) != size) {
        close(fd);
        container_seccomp_program_free(out);
        util_error_set(err, errno, "seccomp: reading the BPF program");
        goto out;
    }
    close(fd);
    out->len = (size_t)size / sizeof(struct sock_filter);
    rc = 0;
out:
    seccomp_release(ctx);
    return rc;
}

int container_seccomp_install(const seccomp_program *prog)
{
    if (prog == NULL || prog->filter == NULL)
        return 0;
    struct sock_fprog fp = {.len = (unsigned short)prog->len, .filter = prog->filter};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) < 0)
        return -errno;
    return 0;
}

void container_seccomp_program_free(seccomp_program *prog)
{
    free(prog->filter);
    prog->filter = NULL;
    prog->len = 0;
}
