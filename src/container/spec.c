/*
 * spec.c - reads an OCI runtime spec (config.json) into the plain structs
 * of internal.h.
 *
 * Parsing happens once, in the shim, before anything is forked: the
 * children only make system calls with what is parsed here, and every
 * mistake in the file is reported from container_create() as
 * "<field path>: <problem>", e.g. "process.args[1]: expected a string".
 * Fields this runtime does not act on (hooks, apparmor, selinux, ...) are
 * ignored, like runc ignores unknown fields.
 */
#include "internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>

static int type_error(util_error **err, const char *field, const char *what)
{
    return util_error_set(err, 0, "%s: expected %s", field, what);
}

static json_object *get(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (obj == NULL || !json_object_object_get_ex(obj, key, &v))
        return NULL;
    if (json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}

static int get_string(json_object *obj, const char *key, const char *field, char **out,
                      util_error **err)
{
    json_object *v = get(obj, key);
    *out = NULL;
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return type_error(err, field, "a string");
    *out = util_xstrdup(json_object_get_string(v));
    return 0;
}

static int get_bool(json_object *obj, const char *key, const char *field, bool *out,
                    util_error **err)
{
    json_object *v = get(obj, key);
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return type_error(err, field, "a boolean");
    *out = json_object_get_boolean(v);
    return 0;
}

static int get_int(json_object *obj, const char *key, const char *field, bool *present,
                   int64_t *out, util_error **err)
{
    json_object *v = get(obj, key);
    if (present)
        *present = false;
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return type_error(err, field, "an integer");
    errno = 0;
    *out = json_object_get_int64(v);
    if (errno == ERANGE && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
        *out = -1; /* e.g. 2^64-1 "unlimited" */
    if (present)
        *present = true;
    return 0;
}

static int get_uint(json_object *obj, const char *key, const char *field, bool *present,
                    uint64_t *out, util_error **err)
{
    json_object *v = get(obj, key);
    if (present)
        *present = false;
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
        return type_error(err, field, "a non-negative integer");
    *out = json_object_get_uint64(v);
    if (present)
        *present = true;
    return 0;
}

/* A string array into a NULL-terminated char**. */
static int get_strv(json_object *obj, const char *key, const char *field, char ***out,
                    size_t *n, util_error **err)
{
    json_object *v = get(obj, key);
    *out = NULL;
    *n = 0;
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return type_error(err, field, "an array of strings");
    size_t len = json_object_array_length(v);
    char **arr = util_xcalloc(len + 1, sizeof(char *));
    for (size_t i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string)) {
            for (size_t j = 0; j < i; j++)
                free(arr[j]);
            free(arr);
            return util_error_set(err, 0, "%s[%zu]: expected a string", field, i);
        }
        arr[i] = util_xstrdup(json_object_get_string(e));
    }
    *out = arr;
    *n = len;
    return 0;
}

static void strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* ---- capabilities and rlimits ----------------------------------------- */

static const char *const cap_names[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
    "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
    "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
    "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

static int cap_set_parse(json_object *caps, const char *key, uint64_t *mask, util_error **err)
{
    json_object *v = get(caps, key);
    *mask = 0;
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return util_error_set(err, 0, "process.capabilities.%s: expected an array", key);
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(v, i));
        if (name == NULL || strncmp(name, "CAP_", 4) != 0)
            return util_error_set(err, 0, "process.capabilities.%s[%zu]: unknown capability %s",
                                  key, i, name ? name : "(not a string)");
        size_t k;
        for (k = 0; k < UTIL_ARRAY_LEN(cap_names); k++)
            if (strcmp(name + 4, cap_names[k]) == 0)
                break;
        if (k == UTIL_ARRAY_LEN(cap_names))
            return util_error_set(err, 0, "process.capabilities.%s[%zu]: unknown capability %s",
                                  key, i, name);
        *mask |= 1ULL << k;
    }
    return 0;
}

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

int container_spec_parse_process(json_object *obj, spec_process *p, util_error **err)
{
    memset(p, 0, sizeof(*p));
    if (obj == NULL || !json_object_is_type(obj, json_type_object))
        return type_error(err, "process", "an object");
    if (get_strv(obj, "args", "process.args", &p->args, &p->n_args, err) < 0)
        return -1;
    if (p->n_args == 0)
        return util_error_set(err, 0, "process.args: expected a non-empty array");
    if (p->args[0][0] == '\0')
        return util_error_set(err, 0, "process.args[0]: must not be empty");
    if (get_strv(obj, "env", "process.env", &p->env, &p->n_env, err) < 0)
        return -1;
    if (p->env == NULL)
        p->env = util_xcalloc(1, sizeof(char *));
    if (get_string(obj, "cwd", "process.cwd", &p->cwd, err) < 0)
        return -1;
    if (p->cwd == NULL)
        p->cwd = util_xstrdup("/");
    if (p->cwd[0] != '/')
        return util_error_set(err, 0, "process.cwd: must be an absolute path, got \"%s\"", p->cwd);
    if (get_bool(obj, "terminal", "process.terminal", &p->terminal, err) < 0 ||
        get_bool(obj, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privs, err) < 0)
        return -1;
    int64_t v = 0;
    if (get_int(obj, "oomScoreAdj", "process.oomScoreAdj", &p->has_oom_score_adj, &v, err) < 0)
        return -1;
    if (p->has_oom_score_adj && (v < -1000 || v > 1000))
        return util_error_set(err, 0, "process.oomScoreAdj: %lld is outside -1000..1000",
                              (long long)v);
    p->oom_score_adj = (int)v;

    json_object *user = get(obj, "user");
    if (user != NULL) {
        uint64_t u = 0;
        if (get_uint(user, "uid", "process.user.uid", NULL, &u, err) < 0)
            return -1;
        p->uid = (uid_t)u;
        u = 0;
        if (get_uint(user, "gid", "process.user.gid", NULL, &u, err) < 0)
            return -1;
        p->gid = (gid_t)u;
        json_object *ag = get(user, "additionalGids");
        if (ag != NULL) {
            if (!json_object_is_type(ag, json_type_array))
                return type_error(err, "process.user.additionalGids", "an array");
            p->n_gids = json_object_array_length(ag);
            p->gids = util_xcalloc(p->n_gids + 1, sizeof(gid_t));
            for (size_t i = 0; i < p->n_gids; i++) {
                json_object *g = json_object_array_get_idx(ag, i);
                if (!json_object_is_type(g, json_type_int) || json_object_get_int64(g) < 0)
                    return util_error_set(err, 0,
                                          "process.user.additionalGids[%zu]: expected a gid", i);
                p->gids[i] = (gid_t)json_object_get_int64(g);
            }
        }
    }

    json_object *caps = get(obj, "capabilities");
    if (caps != NULL) {
        p->caps.present = true;
        if (cap_set_parse(caps, "bounding", &p->caps.bounding, err) < 0 ||
            cap_set_parse(caps, "effective", &p->caps.effective, err) < 0 ||
            cap_set_parse(caps, "permitted", &p->caps.permitted, err) < 0 ||
            cap_set_parse(caps, "inheritable", &p->caps.inheritable, err) < 0 ||
            cap_set_parse(caps, "ambient", &p->caps.ambient, err) < 0)
            return -1;
    }

    json_object *rl = get(obj, "rlimits");
    if (rl != NULL) {
        if (!json_object_is_type(rl, json_type_array))
            return type_error(err, "process.rlimits", "an array");
        p->n_rlimits = json_object_array_length(rl);
        p->rlimits = util_xcalloc(p->n_rlimits + 1, sizeof(spec_rlimit));
        for (size_t i = 0; i < p->n_rlimits; i++) {
            json_object *e = json_object_array_get_idx(rl, i);
            const char *type = json_object_get_string(get(e, "type"));
            size_t k;
            for (k = 0; type && k < UTIL_ARRAY_LEN(rlimit_names); k++)
                if (strcmp(type, rlimit_names[k].name) == 0)
                    break;
            if (type == NULL || k == UTIL_ARRAY_LEN(rlimit_names))
                return util_error_set(err, 0, "process.rlimits[%zu].type: unknown rlimit %s", i,
                                      type ? type : "(missing)");
            p->rlimits[i].resource = rlimit_names[k].resource;
            if (get_uint(e, "soft", "process.rlimits[].soft", NULL, &p->rlimits[i].soft, err) < 0 ||
                get_uint(e, "hard", "process.rlimits[].hard", NULL, &p->rlimits[i].hard, err) < 0)
                return -1;
        }
    }
    return 0;
}

int container_spec_parse_process_json(const char *text, spec_process *out, util_error **err)
{
    memset(out, 0, sizeof(*out));
    enum json_tokener_error jerr;
    json_object *obj = json_tokener_parse_verbose(text, &jerr);
    if (obj == NULL)
        return util_error_set(err, 0, "process spec: invalid JSON: %s",
                              json_tokener_error_desc(jerr));
    int r = container_spec_parse_process(obj, out, err);
    json_object_put(obj);
    if (r < 0)
        container_spec_process_free(out);
    return r;
}

/* ---- resources --------------------------------------------------------- */

/* linux.resources.devices -> "+c 1:3 rwm" / "-a *:* rwm" lines for the
 * v1 devices controller. */
static int parse_device_rules(json_object *arr, spec_resources *r, util_error **err)
{
    if (arr == NULL)
        return 0;
    if (!json_object_is_type(arr, json_type_array))
        return type_error(err, "linux.resources.devices", "an array");
    size_t n = json_object_array_length(arr);
    r->device_rules = util_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        bool allow = false;
        char field[64];
        snprintf(field, sizeof(field), "linux.resources.devices[%zu].allow", i);
        if (get_bool(e, "allow", field, &allow, err) < 0)
            return -1;
        const char *type = json_object_get_string(get(e, "type"));
        if (type == NULL)
            type = "a";
        if (strcmp(type, "a") != 0 && strcmp(type, "c") != 0 && strcmp(type, "b") != 0)
            return util_error_set(err, 0, "linux.resources.devices[%zu].type: expected a, c or b",
                                  i);
        const char *access = json_object_get_string(get(e, "access"));
        if (access == NULL || access[0] == '\0')
            access = "rwm";
        if (strspn(access, "rwm") != strlen(access))
            return util_error_set(err, 0,
                                  "linux.resources.devices[%zu].access: expected letters of rwm",
                                  i);
        int64_t major = -1, minor = -1;
        bool has;
        snprintf(field, sizeof(field), "linux.resources.devices[%zu].major", i);
        if (get_int(e, "major", field, &has, &major, err) < 0)
            return -1;
        snprintf(field, sizeof(field), "linux.resources.devices[%zu].minor", i);
        if (get_int(e, "minor", field, &has, &minor, err) < 0)
            return -1;
        char maj[24] = "*", min[24] = "*";
        if (major >= 0)
            snprintf(maj, sizeof(maj), "%lld", (long long)major);
        if (minor >= 0)
            snprintf(min, sizeof(min), "%lld", (long long)minor);
        r->device_rules[r->n_device_rules++] =
            util_xasprintf("%c%s %s:%s %s", allow ? '+' : '-', type, maj, min, access);
    }
    return 0;
}

int container_spec_parse_resources(json_object *res, spec_resources *r, util_error **err)
{
    memset(r, 0, sizeof(*r));
    if (res == NULL)
        return 0;
    if (!json_object_is_type(res, json_type_object))
        return type_error(err, "linux.resources", "an object");
    json_object *mem = get(res, "memory");
    if (get_int(mem, "limit", "linux.resources.memory.limit", &r->has_memory_limit,
                &r->memory_limit, err) < 0 ||
        get_int(mem, "swap", "linux.resources.memory.swap", &r->has_memory_swap,
                &r->memory_swap, err) < 0 ||
        get_int(mem, "reservation", "linux.resources.memory.reservation",
                &r->has_memory_reservation, &r->memory_reservation, err) < 0)
        return -1;
    if (r->has_memory_limit && r->memory_limit == 0)
        r->has_memory_limit = false; /* 0 means "not set" for CRI */
    json_object *cpu = get(res, "cpu");
    if (get_uint(cpu, "shares", "linux.resources.cpu.shares", &r->has_cpu_shares, &r->cpu_shares,
                 err) < 0 ||
        get_int(cpu, "quota", "linux.resources.cpu.quota", &r->has_cpu_quota, &r->cpu_quota,
                err) < 0 ||
        get_uint(cpu, "period", "linux.resources.cpu.period", &r->has_cpu_period, &r->cpu_period,
                 err) < 0 ||
        get_string(cpu, "cpus", "linux.resources.cpu.cpus", &r->cpuset_cpus, err) < 0 ||
        get_string(cpu, "mems", "linux.resources.cpu.mems", &r->cpuset_mems, err) < 0)
        return -1;
    if (r->has_cpu_shares && r->cpu_shares == 0)
        r->has_cpu_shares = false;
    json_object *pids = get(res, "pids");
    if (get_int(pids, "limit", "linux.resources.pids.limit", &r->has_pids_limit, &r->pids_limit,
                err) < 0)
        return -1;
    return parse_device_rules(get(res, "devices"), r, err);
}

void container_spec_resources_free(spec_resources *r)
{
    for (size_t i = 0; i < r->n_device_rules; i++)
        free(r->device_rules[i]);
    free(r->device_rules);
    free(r->cpuset_cpus);
    free(r->cpuset_mems);
    memset(r, 0, sizeof(*r));
}

/* ---- mounts ------------------------------------------------------------ */

static int parse_mounts(json_object *arr, spec *s, util_error **err)
{
    if (arr == NULL)
        return 0;
    if (!json_object_is_type(arr, json_type_array))
        return type_error(err, "mounts", "an array");
    s->n_mounts = json_object_array_length(arr);
    s->mounts = util_xcalloc(s->n_mounts + 1, sizeof(spec_mount));
    for (size_t i = 0; i < s->n_mounts; i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        spec_mount *sm = &s->mounts[i];
        char field[64];
        snprintf(field, sizeof(field), "mounts[%zu].destination", i);
        if (get_string(m, "destination", field, &sm->destination, err) < 0)
            return -1;
        if (sm->destination == NULL || sm->destination[0] != '/')
            return util_error_set(err, 0, "%s: expected an absolute path", field);
        snprintf(field, sizeof(field), "mounts[%zu].type", i);
        if (get_string(m, "type", field, &sm->type, err) < 0)
            return -1;
        snprintf(field, sizeof(field), "mounts[%zu].source", i);
        if (get_string(m, "source", field, &sm->source, err) < 0)
            return -1;
        char **opts = NULL;
        size_t n_opts = 0;
        snprintf(field, sizeof(field), "mounts[%zu].options", i);
        if (get_strv(m, "options", field, &opts, &n_opts, err) < 0)
            return -1;
        container_mount_parse_options((const char *const *)opts, n_opts, &sm->flags,
                                      &sm->propagation, &sm->bind, &sm->data);
        strv_free(opts);
        if (sm->type == NULL)
            sm->type = util_xstrdup(sm->bind ? "bind" : "none");
        if (strcmp(sm->type, "bind") == 0)
            sm->bind = true;
        if (sm->source == NULL)
            sm->source = util_xstrdup(sm->type);
    }
    return 0;
}

/* ---- linux ------------------------------------------------------------- */

static const struct {
    const char *name;
    int flag;
} ns_names[] = {
    {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP},
};

static int parse_idmaps(json_object *arr, const char *field, spec_idmap **out, size_t *n,
                        util_error **err)
{
    if (arr == NULL)
        return 0;
    if (!json_object_is_type(arr, json_type_array))
        return type_error(err, field, "an array");
    *n = json_object_array_length(arr);
    *out = util_xcalloc(*n + 1, sizeof(spec_idmap));
    for (size_t i = 0; i < *n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        uint64_t c = 0, h = 0, sz = 0;
        if (get_uint(e, "containerID", field, NULL, &c, err) < 0 ||
            get_uint(e, "hostID", field, NULL, &h, err) < 0 ||
            get_uint(e, "size", field, NULL, &sz, err) < 0)
            return -1;
        (*out)[i] = (spec_idmap){(unsigned)c, (unsigned)h, (unsigned)sz};
    }
    return 0;
}

static unsigned long parse_propagation(const char *s)
{
    static const struct {
        const char *name;
        unsigned long flags;
    } t[] = {
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    for (size_t i = 0; i < UTIL_ARRAY_LEN(t); i++)
        if (strcmp(s, t[i].name) == 0)
            return t[i].flags;
    return 0;
}

static int parse_linux(json_object *lx, spec *s, util_error **err)
{
    if (lx == NULL)
        return 0;
    if (!json_object_is_type(lx, json_type_object))
        return type_error(err, "linux", "an object");

    json_object *nss = get(lx, "namespaces");
    if (nss != NULL) {
        if (!json_object_is_type(nss, json_type_array))
            return type_error(err, "linux.namespaces", "an array");
        s->n_namespaces = json_object_array_length(nss);
        s->namespaces = util_xcalloc(s->n_namespaces + 1, sizeof(spec_namespace));
        for (size_t i = 0; i < s->n_namespaces; i++) {
            json_object *e = json_object_array_get_idx(nss, i);
            const char *type = json_object_get_string(get(e, "type"));
            size_t k;
            for (k = 0; type && k < UTIL_ARRAY_LEN(ns_names); k++)
                if (strcmp(type, ns_names[k].name) == 0)
                    break;
            if (type == NULL || k == UTIL_ARRAY_LEN(ns_names))
                return util_error_set(err, 0, "linux.namespaces[%zu].type: unknown namespace %s",
                                      i, type ? type : "(missing)");
            s->namespaces[i].type = ns_names[k].flag;
            char field[64];
            snprintf(field, sizeof(field), "linux.namespaces[%zu].path", i);
            if (get_string(e, "path", field, &s->namespaces[i].path, err) < 0)
                return -1;
            if (s->namespaces[i].path && s->namespaces[i].path[0] == '\0') {
                free(s->namespaces[i].path);
                s->namespaces[i].path = NULL;
            }
            for (size_t j = 0; j < i; j++)
                if (s->namespaces[j].type == s->namespaces[i].type)
                    return util_error_set(err, 0, "linux.namespaces[%zu]: duplicate %s namespace",
                                          i, type);
        }
    }

    if (parse_idmaps(get(lx, "uidMappings"), "linux.uidMappings", &s->uid_maps, &s->n_uid_maps,
                     err) < 0 ||
        parse_idmaps(get(lx, "gidMappings"), "linux.gidMappings", &s->gid_maps, &s->n_gid_maps,
                     err) < 0)
        return -1;
    if (get_string(lx, "cgroupsPath", "linux.cgroupsPath", &s->cgroups_path, err) < 0)
        return -1;
    if (container_spec_parse_resources(get(lx, "resources"), &s->resources, err) < 0)
        return -1;
    if (get_strv(lx, "maskedPaths", "linux.maskedPaths", &s->masked_paths, &s->n_masked_paths,
                 err) < 0 ||
        get_strv(lx, "readonlyPaths", "linux.readonlyPaths", &s->readonly_paths,
                 &s->n_readonly_paths, err) < 0)
        return -1;

    char *prop = NULL;
    if (get_string(lx, "rootfsPropagation", "linux.rootfsPropagation", &prop, err) < 0)
        return -1;
    if (prop != NULL) {
        s->rootfs_propagation = parse_propagation(prop);
        bool bad = s->rootfs_propagation == 0;
        free(prop);
        if (bad)
            return util_error_set(err, 0, "linux.rootfsPropagation: unknown propagation");
    }

    json_object *devs = get(lx, "devices");
    if (devs != NULL) {
        if (!json_object_is_type(devs, json_type_array))
            return type_error(err, "linux.devices", "an array");
        s->n_devices = json_object_array_length(devs);
        s->devices = util_xcalloc(s->n_devices + 1, sizeof(spec_device));
        for (size_t i = 0; i < s->n_devices; i++) {
            json_object *e = json_object_array_get_idx(devs, i);
            spec_device *d = &s->devices[i];
            char field[64];
            snprintf(field, sizeof(field), "linux.devices[%zu].path", i);
            if (get_string(e, "path", field, &d->path, err) < 0)
                return -1;
            if (d->path == NULL || d->path[0] != '/')
                return util_error_set(err, 0, "%s: expected an absolute path", field);
            const char *t = json_object_get_string(get(e, "type"));
            if (t == NULL || strlen(t) != 1 || strchr("cbup", t[0]) == NULL)
                return util_error_set(err, 0, "linux.devices[%zu].type: expected c, b, u or p",
                                      i);
            d->type = t[0];
            uint64_t v = 0;
            if (get_uint(e, "major", "linux.devices[].major", NULL, &v, err) < 0)
                return -1;
            d->major = (unsigned)v;
            v = 0;
            if (get_uint(e, "minor", "linux.devices[].minor", NULL, &v, err) < 0)
                return -1;
            d->minor = (unsigned)v;
            v = 0666;
            bool has_mode = false;
            if (get_uint(e, "fileMode", "linux.devices[].fileMode", &has_mode, &v, err) < 0)
                return -1;
            d->mode = (unsigned)v;
            v = 0;
            if (get_uint(e, "uid", "linux.devices[].uid", NULL, &v, err) < 0)
                return -1;
            d->uid = (uid_t)v;
            v = 0;
            if (get_uint(e, "gid", "linux.devices[].gid", NULL, &v, err) < 0)
                return -1;
            d->gid = (gid_t)v;
        }
    }

    json_object *sysctl = get(lx, "sysctl");
    if (sysctl != NULL) {
        if (!json_object_is_type(sysctl, json_type_object))
            return type_error(err, "linux.sysctl", "an object");
        s->sysctls = util_xcalloc((size_t)json_object_object_length(sysctl) + 1,
                                  sizeof(spec_sysctl));
        json_object_object_foreach(sysctl, key, val)
        {
            if (!json_object_is_type(val, json_type_string))
                return util_error_set(err, 0, "linux.sysctl.%s: expected a string", key);
            s->sysctls[s->n_sysctls].key = util_xstrdup(key);
            s->sysctls[s->n_sysctls].value = util_xstrdup(json_object_get_string(val));
            s->n_sysctls++;
        }
    }

    s->seccomp = get(lx, "seccomp");
    if (s->seccomp != NULL && !json_object_is_type(s->seccomp, json_type_object))
        return type_error(err, "linux.seccomp", "an object");
    return 0;
}

int container_spec_parse(const char *text, const char *bundle, spec *s, util_error **err)
{
    memset(s, 0, sizeof(*s));
    enum json_tokener_error jerr;
    s->json = json_tokener_parse_verbose(text, &jerr);
    if (s->json == NULL)
        return util_error_set(err, 0, "invalid JSON: %s", json_tokener_error_desc(jerr));
    if (!json_object_is_type(s->json, json_type_object))
        return util_error_set(err, 0, "expected a JSON object at the top level");

    json_object *proc = get(s->json, "process");
    if (proc == NULL)
        return util_error_set(err, 0, "process: missing");
    if (container_spec_parse_process(proc, &s->process, err) < 0)
        return -1;
    if (s->process.terminal)
        return util_error_set(err, 0, "process.terminal: terminals are not supported");

    json_object *root = get(s->json, "root");
    char *path = NULL;
    if (get_string(root, "path", "root.path", &path, err) < 0)
        return -1;
    if (path == NULL)
        path = util_xstrdup("rootfs");
    if (path[0] == '/')
        s->root_path = path;
    else {
        s->root_path = util_xasprintf("%s/%s", bundle, path);
        free(path);
    }
    if (get_bool(root, "readonly", "root.readonly", &s->root_readonly, err) < 0)
        return -1;
    if (get_string(s->json, "hostname", "hostname", &s->hostname, err) < 0 ||
        get_string(s->json, "domainname", "domainname", &s->domainname, err) < 0)
        return -1;
    if (parse_mounts(get(s->json, "mounts"), s, err) < 0)
        return -1;
    if (parse_linux(get(s->json, "linux"), s, err) < 0)
        return -1;
    s->annotations = get(s->json, "annotations");
    if (s->annotations != NULL && !json_object_is_type(s->annotations, json_type_object))
        return type_error(err, "annotations", "an object");
    if (s->hostname != NULL && container_spec_find_namespace(s, CLONE_NEWUTS) == NULL)
        return util_error_set(err, 0, "hostname: needs a new uts namespace");
    return 0;
}

const spec_namespace *container_spec_find_namespace(const spec *s, int type)
{
    for (size_t i = 0; i < s->n_namespaces; i++)
        if (s->namespaces[i].type == type)
            return &s->namespaces[i];
    return NULL;
}

void container_spec_process_free(spec_process *p)
{
    strv_free(p->args);
    strv_free(p->env);
    free(p->cwd);
    free(p->gids);
    free(p->rlimits);
    memset(p, 0, sizeof(*p));
}

void container_spec_free(spec *s)
{
    container_spec_process_free(&s->process);
    free(s->root_path);
    free(s->hostname);
    free(s->domainname);
    for (size_t i = 0; i < s->n_mounts; i++) {
        free(s->mounts[i].destination);
        free(s->mounts[i].type);
        free(s->mounts[i].source);
        free(s->mounts[i].data);
    }
    free(s->mounts);
    for (size_t i = 0; i < s->n_namespaces; i++)
        free(s->namespaces[i].path);
    free(s->namespaces);
    for (size_t i = 0; i < s->n_devices; i++)
        free(s->devices[i].path);
    free(s->devices);
    free(s->uid_maps);
    free(s->gid_maps);
    free(s->cgroups_path);
    container_spec_resources_free(&s->resources);
    strv_free(s->masked_paths);
    strv_free(s->readonly_paths);
    for (size_t i = 0; i < s->n_sysctls; i++) {
        free(s->sysctls[i].key);
        free(s->sysctls[i].value);
    }
    free(s->sysctls);
    if (s->json)
        json_object_put(s->json);
    memset(s, 0, sizeof(*s));
}
