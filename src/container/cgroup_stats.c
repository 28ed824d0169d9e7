/*
 * container_cgroup_stats.c - reads a cgroup's metrics into container_stats.
 *
 * The fields are the ones containerd's cgroups Metrics protobufs carry (v1:
 * io.containerd.cgroups.v1.Metrics, v2: io.containerd.cgroups.v2.Metrics),
 * converted to their units here so the shim only encodes: CPU times in
 * microseconds (v1 reports nanoseconds and USER_HZ ticks), memory in bytes,
 * I/O summed over devices.  A file the kernel does not offer leaves its
 * fields 0, because a missing controller is normal (hybrid hosts).
 */
#include "internal.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

static bool read_u64(const char *dir, const char *file, uint64_t *out)
{
    if (dir == NULL)
        return false;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    cleanup_file FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    char buf[64];
    if (fgets(buf, sizeof(buf), f) == NULL)
        return false;
    if (strncmp(buf, "max", 3) == 0) {
        *out = UINT64_MAX;
        return true;
    }
    long long v = strtoll(buf, NULL, 10);
    *out = v < 0 ? UINT64_MAX : (uint64_t)v;
    return true;
}

/* "key value" lines (memory.stat, cpu.stat, ...) */
static bool read_keyed(const char *dir, const char *file, const char *key, uint64_t *out)
{
    if (dir == NULL)
        return false;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    cleanup_file FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    char k[128];
    unsigned long long v;
    while (fscanf(f, "%127s %llu", k, &v) == 2) {
        if (strcmp(k, key) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* blkio.throttle.io_service_bytes style: "8:0 Read 123" lines. */
static void read_blkio(const char *dir, const char *file, uint64_t *rd, uint64_t *wr)
{
    if (dir == NULL)
        return;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    cleanup_file FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        char dev[64], op[32];
        unsigned long long v;
        if (sscanf(line, "%63s %31s %llu", dev, op, &v) != 3)
            continue;
        if (strcmp(op, "Read") == 0)
            *rd += v;
        else if (strcmp(op, "Write") == 0)
            *wr += v;
    }
}

static void stats_v1(cgroup *cg, container_stats *st)
{
    const char *acct = container_cgroup_dir_for(cg, "cpuacct");
    const char *cpu = container_cgroup_dir_for(cg, "cpu");
    const char *mem = container_cgroup_dir_for(cg, "memory");
    const char *pids = container_cgroup_dir_for(cg, "pids");
    const char *blkio = container_cgroup_dir_for(cg, "blkio");
    uint64_t v = 0;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;

    if (read_u64(acct, "cpuacct.usage", &v))
        st->cpu_usage_usec = v / 1000;
    if (read_keyed(acct, "cpuacct.stat", "user", &v))
        st->cpu_user_usec = v * (1000000 / (uint64_t)hz);
    if (read_keyed(acct, "cpuacct.stat", "system", &v))
        st->cpu_system_usec = v * (1000000 / (uint64_t)hz);
    read_keyed(cpu, "cpu.stat", "nr_periods", &st->cpu_nr_periods);
    read_keyed(cpu, "cpu.stat", "nr_throttled", &st->cpu_nr_throttled);
    if (read_keyed(cpu, "cpu.stat", "throttled_time", &v))
        st->cpu_throttled_usec = v / 1000;

    read_u64(mem, "memory.usage_in_bytes", &st->memory_usage);
    read_u64(mem, "memory.limit_in_bytes", &st->memory_limit);
    read_u64(mem, "memory.max_usage_in_bytes", &st->memory_max_usage);
    read_keyed(mem, "memory.stat", "total_rss", &st->memory_rss);
    read_keyed(mem, "memory.stat", "total_cache", &st->memory_cache);
    read_keyed(mem, "memory.stat", "total_inactive_file", &st->memory_inactive_file);
    st->memory_anon = st->memory_rss;
    read_u64(mem, "memory.memsw.usage_in_bytes", &st->memory_swap_usage);
    read_u64(mem, "memory.memsw.limit_in_bytes", &st->memory_swap_limit);
    read_keyed(mem, "memory.oom_control", "oom_kill", &st->memory_oom_kills);

    read_u64(pids, "pids.current", &st->pids_current);
    read_u64(pids, "pids.max", &st->pids_limit);

    read_blkio(blkio, "blkio.throttle.io_service_bytes", &st->io_read_bytes, &st->io_write_bytes);
    read_blkio(blkio, "blkio.throttle.io_serviced", &st->io_read_ops, &st->io_write_ops);
}

static void stats_v2(cgroup *cg, container_stats *st)
{
    const char *dir = container_cgroup_dir_for(cg, "");
    read_keyed(dir, "cpu.stat", "usage_usec", &st->cpu_usage_usec);
    read_keyed(dir, "cpu.stat", "user_usec", &st->cpu_user_usec);
    read_keyed(dir, "cpu.stat", "system_usec", &st->cpu_system_usec);
    read_keyed(dir, "cpu.stat", "nr_periods", &st->cpu_nr_periods);
    read_keyed(dir, "cpu.stat", "nr_throttled", &st->cpu_nr_throttled);
    read_keyed(dir, "cpu.stat", "throttled_usec", &st->cpu_throttled_usec);

    read_u64(dir, "memory.current", &st->memory_usage);
    read_u64(dir, "memory.max", &st->memory_limit);
    read_u64(dir, "memory.peak", &st->memory_max_usage);
    read_keyed(dir, "memory.stat", "anon", &st->memory_anon);
    read_keyed(dir, "memory.stat", "file", &st->memory_cache);
    read_keyed(dir, "memory.stat", "inactive_file", &st->memory_inactive_file);
    st->memory_rss = st->memory_anon;
    read_u64(dir, "memory.swap.current", &st->memory_swap_usage);
    read_u64(dir, "memory.swap.max", &st->memory_swap_limit);
    read_keyed(dir, "memory.events", "oom_kill", &st->memory_oom_kills);

    read_u64(dir, "pids.current", &st->pids_current);
    read_u64(dir, "pids.max", &st->pids_limit);

    char path[1024];
    snprintf(path, sizeof(path), "%s/io.stat", dir ? dir : "");
    cleanup_file FILE *f = dir ? fopen(path, "re") : NULL;
    char word[128];
    while (f && fscanf(f, "%127s", word) == 1) {
        unsigned long long v;
        if (sscanf(word, "rbytes=%llu", &v) == 1)
            st->io_read_bytes += v;
        else if (sscanf(word, "wbytes=%llu", &v) == 1)
            st->io_write_bytes += v;
        else if (sscanf(word, "rios=%llu", &v) == 1)
            st->io_read_ops += v;
        else if (sscanf(word, "wios=%llu", &v) == 1)
            st->io_write_ops += v;
    }
}

int container_cgroup_stats(cgroup *cg, container_stats *st, util_error **err)
{
    memset(st, 0, sizeof(*st));
    st->cgroup_v2 = cg->v2;
    if (cg->n_dirs == 0)
        return util_error_set(err, 0, "cgroup %s does not exist", cg->rel_path ? cg->rel_path : "");
    if (cg->v2)
        stats_v2(cg, st);
    else
        stats_v1(cg, st);
    return 0;
}
