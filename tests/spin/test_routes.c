/* test_routes.c - the HTTP routing table follows Spin's rules. */
#include "routes.h"
#include "test.h"

#define SPEC(r, k) {(r), false, (k), 0}

static spin_router *build(const spin_route_spec *specs, size_t n)
{
    util_error *err = NULL;
    spin_route_spec copy[16];
    for (size_t i = 0; i < n; i++) {
        copy[i] = specs[i];
        copy[i].target = i;
    }
    spin_router *r = spin_router_build(copy, n, NULL, NULL, &err);
    if (!r) {
        fprintf(stderr, "build failed: %s\n", err->msg);
        util_error_free(&err);
    }
    return r;
}

/* Key of the route matching `path`, or "(none)". */
static const char *route_key(spin_router *r, const char *path)
{
    static char buf[128];
    spin_route_match m;
    if (!spin_router_match(r, path, &m))
        return "(none)";
    snprintf(buf, sizeof(buf), "%s", m.key);
    spin_route_match_clear(&m);
    return buf;
}

static void test_exact_routes(void)
{
    spin_route_spec s[] = {SPEC("/foo", "foo"), SPEC("/foo/bar", "foobar")};
    spin_router *r = build(s, 2);
    CHECK_STR(route_key(r, "/foo"), "foo");
    CHECK_STR(route_key(r, "/foo/bar"), "foobar");
    CHECK_STR(route_key(r, "/foo/"), "foo"); /* trailing slash ignored */
    CHECK_STR(route_key(r, "/foobar"), "(none)");
    CHECK_STR(route_key(r, "/foo/bar/baz"), "(none)");
    CHECK_STR(route_key(r, "/"), "(none)");
    spin_router_free(r);
}

static void test_wildcard_matches_everything(void)
{
    spin_route_spec s[] = {SPEC("/...", "all")};
    spin_router *r = build(s, 1);
    CHECK_STR(route_key(r, "/foo/bar"), "all");
    CHECK_STR(route_key(r, "/abc/"), "all");
    CHECK_STR(route_key(r, "/"), "all");
    spin_router_free(r);
}

static void test_longest_prefix_wins_regardless_of_order(void)
{
    spin_route_spec a[] = {SPEC("/one/...", "one"), SPEC("/one/two/...", "onetwo"),
                           SPEC("/one/two/three/...", "onetwothree")};
    spin_route_spec b[] = {SPEC("/one/two/three/...", "onetwothree"),
                           SPEC("/one/two/...", "onetwo"), SPEC("/one/...", "one")};
    spin_router *r = build(a, 3);
    CHECK_STR(route_key(r, "/one/two/three/four"), "onetwothree");
    CHECK_STR(route_key(r, "/one/two/x"), "onetwo");
    CHECK_STR(route_key(r, "/one"), "one");
    spin_router_free(r);
    r = build(b, 3);
    CHECK_STR(route_key(r, "/one/two/three/four"), "onetwothree");
    CHECK_STR(route_key(r, "/one/twox"), "one");
    spin_router_free(r);
}

static void test_exact_beats_wildcard(void)
{
    spin_route_spec s[] = {SPEC("/...", "wildcard"), SPEC("/one", "one_exact"),
                           SPEC("/one/...", "one_wild")};
    spin_router *r = build(s, 3);
    CHECK_STR(route_key(r, "/one"), "one_exact");
    CHECK_STR(route_key(r, "/one/x"), "one_wild");
    CHECK_STR(route_key(r, "/two"), "wildcard");
    spin_router_free(r);
}

static void test_named_segments(void)
{
    spin_route_spec s[] = {SPEC("/1/:two/3", "comp"), SPEC("/users/:id/...", "users"),
                           SPEC("/users/me/...", "me")};
    spin_router *r = build(s, 3);
    spin_route_match m;
    CHECK(spin_router_match(r, "/1/2/3", &m));
    CHECK_STR(m.key, "comp");
    CHECK_INT(m.ncaptures, 1);
    if (m.ncaptures == 1) {
        CHECK_STR(m.captures[0].name, "two");
        CHECK_STR(m.captures[0].value, "2");
    }
    spin_route_match_clear(&m);
    CHECK(spin_router_match(r, "/users/42/posts", &m));
    CHECK_STR(m.key, "users");
    CHECK_STR(m.path_info, "/posts");
    if (m.ncaptures == 1)
        CHECK_STR(m.captures[0].value, "42");
    spin_route_match_clear(&m);
    /* An exact segment is more specific than a :name one. */
    CHECK_STR(route_key(r, "/users/me/x"), "me");
    /* :name needs a segment (Spin's router lets "//" give an empty one). */
    CHECK_STR(route_key(r, "/1/3"), "(none)");
    CHECK_STR(route_key(r, "/users"), "(none)");
    spin_router_free(r);
}

static void test_path_info_keeps_trailing_slash(void)
{
    spin_route_spec s[] = {SPEC("/test/...", "comp")};
    spin_router *r = build(s, 1);
    const char *paths[][2] = {{"/test", ""},
                              {"/test/", "/"},
                              {"/test/hello", "/hello"},
                              {"/test/hello/", "/hello/"},
                              {"/test/a/b", "/a/b"}};
    for (size_t i = 0; i < UTIL_ARRAY_LEN(paths); i++) {
        spin_route_match m;
        CHECK(spin_router_match(r, paths[i][0], &m));
        CHECK_STR(m.path_info, paths[i][1]);
        CHECK_STR(m.based_route, "/test/...");
        CHECK_STR(m.based_route_or_prefix, "/test");
        CHECK_STR(m.raw_route_or_prefix, "/test");
        spin_route_match_clear(&m);
    }
    spin_router_free(r);
}

static void test_based_route_normalisation(void)
{
    spin_route_spec s[] = {SPEC("hello/", "h"), SPEC("/", "root")};
    spin_router *r = build(s, 2);
    spin_route_match m;
    CHECK(spin_router_match(r, "/hello", &m));
    CHECK_STR(m.based_route, "/hello");
    CHECK_STR(m.raw_route, "hello/");
    spin_route_match_clear(&m);
    CHECK(spin_router_match(r, "/", &m));
    CHECK_STR(m.key, "root");
    CHECK_STR(m.based_route, "");
    CHECK_STR(m.path_info, "");
    spin_route_match_clear(&m);
    spin_router_free(r);
}

static void test_duplicates_last_wins_and_reported(void)
{
    spin_route_spec s[] = {SPEC("/", "comp-first /"),        SPEC("/", "comp-second /"),
                           SPEC("/foo", "comp-first /foo"),  SPEC("/foo", "comp-second /foo"),
                           SPEC("/...", "comp-first /..."),  SPEC("/...", "comp-second /..."),
                           SPEC("/whee/...", "first whee"), SPEC("/whee/...", "second whee")};
    util_error *err = NULL;
    spin_route_duplicate *d = NULL;
    size_t nd = 0;
    spin_router *r = spin_router_build(s, 8, &d, &nd, &err);
    CHECK(r != NULL);
    CHECK_INT(nd, 4);
    CHECK_INT(spin_router_count(r), 4);
    if (nd == 4) {
        CHECK_STR(d[0].replaced_key, "comp-first /");
        CHECK_STR(d[0].effective_key, "comp-second /");
        CHECK_STR(d[0].route, "/");
        CHECK_STR(d[1].route, "/foo");
        CHECK_STR(d[2].route, "/...");
        CHECK_STR(d[3].route, "/whee/...");
        CHECK_STR(d[3].replaced_key, "first whee");
    }
    CHECK_STR(route_key(r, "/foo"), "comp-second /foo");
    /* Declaration order is kept for display. */
    const char *key = NULL;
    CHECK_STR(spin_router_display(r, 3, &key), "/whee (wildcard)");
    CHECK_STR(key, "second whee");
    spin_route_duplicates_free(d, nd);
    spin_router_free(r);
}

static void test_private_routes_are_not_routable(void)
{
    spin_route_spec s[] = {SPEC("/", "comp-/"), {NULL, true, "comp-private", 1},
                           SPEC("/whee/...", "whee")};
    spin_router *r = build(s, 3);
    CHECK_INT(spin_router_count(r), 2);
    for (size_t i = 0; i < spin_router_count(r); i++) {
        const char *key = NULL;
        spin_router_display(r, i, &key);
        CHECK(strcmp(key, "comp-private") != 0);
    }
    spin_router_free(r);

    /* { private = false } is not a route at all. */
    spin_route_spec bad[] = {SPEC("/", "comp-/"), {NULL, false, "comp-bad component", 1}};
    util_error *err = NULL;
    CHECK(spin_router_build(bad, 2, NULL, NULL, &err) == NULL);
    CHECK(err && strstr(err->msg, "comp-bad component") != NULL);
    CHECK(err && strstr(err->msg, "private = false") != NULL);
    util_error_free(&err);
}

static void test_bad_patterns_are_errors(void)
{
    spin_route_spec s1[] = {SPEC("/a/:/b", "c1")};
    spin_route_spec s2[] = {SPEC("/a/*/b", "c2")};
    spin_route_spec s3[] = {SPEC("/a/*rest", "c3")};
    const spin_route_spec *all[] = {s1, s2, s3};
    const char *keys[] = {"c1", "c2", "c3"};
    for (size_t i = 0; i < 3; i++) {
        util_error *err = NULL;
        CHECK(spin_router_build(all[i], 1, NULL, NULL, &err) == NULL);
        CHECK(err && strstr(err->msg, keys[i]) != NULL);
        CHECK(err && strstr(err->msg, "Error parsing route") != NULL);
        util_error_free(&err);
    }
}

static void test_reserved_routes(void)
{
    spin_route_spec a[] = {SPEC("/.well-known/spin/...", "c")};
    spin_route_spec b[] = {SPEC("/.well-known/spin", "c")};
    spin_route_spec c[] = {SPEC("/.well-known/spindle/...", "c")};
    spin_router *r = build(a, 1);
    CHECK(spin_router_has_reserved(r));
    spin_router_free(r);
    r = build(b, 1);
    CHECK(!spin_router_has_reserved(r));
    spin_router_free(r);
    r = build(c, 1);
    CHECK(!spin_router_has_reserved(r));
    spin_router_free(r);
}

static void test_empty_table_matches_nothing(void)
{
    spin_router *r = build(NULL, 0);
    CHECK_STR(route_key(r, "/"), "(none)");
    CHECK_INT(spin_router_count(r), 0);
    spin_router_free(r);
}

int main(void)
{
    RUN(test_exact_routes);
    RUN(test_wildcard_matches_everything);
    RUN(test_longest_prefix_wins_regardless_of_order);
    RUN(test_exact_beats_wildcard);
    RUN(test_named_segments);
    RUN(test_path_info_keeps_trailing_slash);
    RUN(test_based_route_normalisation);
    RUN(test_duplicates_last_wins_and_reported);
    RUN(test_private_routes_are_not_routable);
    RUN(test_bad_patterns_are_errors);
    RUN(test_reserved_routes);
    RUN(test_empty_table_matches_nothing);
    return TEST_SUMMARY();
}
