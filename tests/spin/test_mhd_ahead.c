/*
 * test_mhd_ahead.c - spin_mhd_load_ahead (mhd_load.c): `up` loads
 * libmicrohttpd on a thread of its own while components compile.  The
 * call returns without the library; the library then appears in the
 * process without anyone calling spin_mhd_load, which afterwards hands
 * back the loaded table; a second call changes nothing.
 */
#include "mhd_load.h"
#include "test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool mhd_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, "/libmicrohttpd") != NULL;
    fclose(f);
    return found;
}

static void test_loads_on_its_own_thread(void)
{
    CHECK(!mhd_mapped());
    spin_mhd_load_ahead();
    /* The load ends by itself: wait for it, generously bounded. */
    for (int i = 0; i < 3000 && !mhd_mapped(); i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    CHECK(mhd_mapped());
    util_error *err = NULL;
    const spin_mhd_api *api = spin_mhd_load(&err);
    CHECK(api != NULL);
    CHECK(err == NULL);
    util_error_free(&err);
    if (api != NULL)
        CHECK(api->get_version() != NULL);
    spin_mhd_load_ahead(); /* done already: nothing to start */
    CHECK(spin_mhd_load(NULL) == api);
}

int main(void)
{
    RUN(test_loads_on_its_own_thread);
    return TEST_SUMMARY();
}
