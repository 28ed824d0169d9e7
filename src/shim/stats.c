/*
 * stats.c - container stats as the cgroups Metrics protobuf CRI expects.
 *
 * CRI (containerd 1.6+) decodes StatsResponse.stats only as
 * io.containerd.cgroups.v1.Metrics or io.containerd.cgroups.v2.Metrics and
 * rejects anything else, so we encode the message matching the host's
 * cgroup mode, in its units (v1: nanoseconds; v2: microseconds).
 */
#include "container.h"
#include "proto.h"
#include "shim_internal.h"

static void v1_any(const container_stats *cs, pb_any *any)
{
    Io__Containerd__Cgroups__V1__Metrics m = IO__CONTAINERD__CGROUPS__V1__METRICS__INIT;
    Io__Containerd__Cgroups__V1__PidsStat pids = IO__CONTAINERD__CGROUPS__V1__PIDS_STAT__INIT;
    Io__Containerd__Cgroups__V1__CPUStat cpu = IO__CONTAINERD__CGROUPS__V1__CPUSTAT__INIT;
    Io__Containerd__Cgroups__V1__CPUUsage usage = IO__CONTAINERD__CGROUPS__V1__CPUUSAGE__INIT;
    Io__Containerd__Cgroups__V1__Throttle thr = IO__CONTAINERD__CGROUPS__V1__THROTTLE__INIT;
    Io__Containerd__Cgroups__V1__MemoryStat mem = IO__CONTAINERD__CGROUPS__V1__MEMORY_STAT__INIT;
    Io__Containerd__Cgroups__V1__MemoryEntry mu = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
    Io__Containerd__Cgroups__V1__MemoryEntry sw = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
    pids.current = cs->pids_current;
    pids.limit = cs->pids_limit == UINT64_MAX ? 0 : cs->pids_limit;
    usage.total = cs->cpu_usage_usec * 1000;
    usage.user = cs->cpu_user_usec * 1000;
    usage.kernel = cs->cpu_system_usec * 1000;
    thr.periods = cs->cpu_nr_periods;
    thr.throttled_periods = cs->cpu_nr_throttled;
    thr.throttled_time = cs->cpu_throttled_usec * 1000;
    cpu.usage = &usage;
    cpu.throttling = &thr;
    mem.cache = mem.total_cache = cs->memory_cache;
    mem.rss = mem.total_rss = cs->memory_rss;
    mem.inactive_file = mem.total_inactive_file = cs->memory_inactive_file;
    mem.hierarchical_memory_limit = cs->memory_limit;
    mu.usage = cs->memory_usage;
    mu.limit = cs->memory_limit;
    mu.max = cs->memory_max_usage;
    sw.usage = cs->memory_swap_usage;
    sw.limit = cs->memory_swap_limit;
    mem.usage = &mu;
    mem.swap = &sw;
    m.pids = &pids;
    m.cpu = &cpu;
    m.memory = &mem;
    shim_pb_any_pack(any, "io.containerd.cgroups.v1.Metrics", &m.base);
}

static void v2_any(const container_stats *cs, pb_any *any)
{
    Io__Containerd__Cgroups__V2__Metrics m = IO__CONTAINERD__CGROUPS__V2__METRICS__INIT;
    Io__Containerd__Cgroups__V2__PidsStat pids = IO__CONTAINERD__CGROUPS__V2__PIDS_STAT__INIT;
    Io__Containerd__Cgroups__V2__CPUStat cpu = IO__CONTAINERD__CGROUPS__V2__CPUSTAT__INIT;
    Io__Containerd__Cgroups__V2__MemoryStat mem = IO__CONTAINERD__CGROUPS__V2__MEMORY_STAT__INIT;
    pids.current = cs->pids_current;
    pids.limit = cs->pids_limit == UINT64_MAX ? 0 : cs->pids_limit;
    cpu.usage_usec = cs->cpu_usage_usec;
    cpu.user_usec = cs->cpu_user_usec;
    cpu.system_usec = cs->cpu_system_usec;
    cpu.nr_periods = cs->cpu_nr_periods;
    cpu.nr_throttled = cs->cpu_nr_throttled;
    cpu.throttled_usec = cs->cpu_throttled_usec;
    mem.usage = cs->memory_usage;
    mem.usage_limit = cs->memory_limit;
    mem.max_usage = cs->memory_max_usage;
    mem.anon = cs->memory_anon;
    mem.file = cs->memory_cache;
    mem.inactive_file = cs->memory_inactive_file;
    mem.swap_usage = cs->memory_swap_usage;
    mem.swap_limit = cs->memory_swap_limit;
    m.pids = &pids;
    m.cpu = &cpu;
    m.memory = &mem;
    shim_pb_any_pack(any, "io.containerd.cgroups.v2.Metrics", &m.base);
}

void shim_stats_to_any(const container_stats *cs, pb_any *any)
{
    if (cs->cgroup_v2)
        v2_any(cs, any);
    else
        v1_any(cs, any);
}
