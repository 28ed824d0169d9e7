/*
 * test_otel_config.c - src/otel's pieces without a network: the OTEL_*
 * variables (endpoint rules, protocol, resource attributes, service name,
 * samplers), W3C traceparent parsing, and the ExportTraceServiceRequest
 * encoding read back with protobuf-c.
 */
#include "otel_internal.h"
#include "otlp_trace.pb-c.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static int read_cfg(const char *const *env, otel_config *cfg, char **msg)
{
    util_error *err = NULL;
    int rc = otel_config_read(env, "dflt", cfg, &err);
    *msg = err ? util_xstrdup(err->msg) : NULL;
    util_error_free(&err);
    return rc;
}

static void test_endpoints(void)
{
    otel_config c;
    char *msg;
    const char *none[] = {"OTEL_SERVICE_NAME=x", NULL};
    CHECK_INT(read_cfg(none, &c, &msg), -1);
    CHECK(msg == NULL); /* no endpoint: off, no error */
    const char *base[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h:4318/", NULL};
    CHECK_INT(read_cfg(base, &c, &msg), 0);
    CHECK_STR(c.url, "http://h:4318/v1/traces");
    CHECK_STR(c.service, "dflt");
    CHECK(c.parent_based && c.root == OTEL_SAMPLE_ALWAYS_ON);
    otel_config_clear(&c);
    const char *traces[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h:4318",
                            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://t/x", NULL};
    CHECK_INT(read_cfg(traces, &c, &msg), 0);
    CHECK_STR(c.url, "http://t/x");
    otel_config_clear(&c);
    const char *disabled[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h", "OTEL_SDK_DISABLED=true",
                              NULL};
    CHECK_INT(read_cfg(disabled, &c, &msg), -1);
    CHECK(msg == NULL);
}

static void test_protocol(void)
{
    otel_config c;
    char *msg;
    const char *grpc[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h",
                          "OTEL_EXPORTER_OTLP_PROTOCOL=grpc", NULL};
    CHECK_INT(read_cfg(grpc, &c, &msg), -1);
    CHECK_STR(msg, "OTEL_EXPORTER_OTLP_PROTOCOL='grpc' is not supported (only http/protobuf)");
    free(msg);
    const char *pb[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h",
                        "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", NULL};
    CHECK_INT(read_cfg(pb, &c, &msg), 0);
    otel_config_clear(&c);
}

static void test_resource_and_service(void)
{
    otel_config c;
    char *msg;
    const char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h",
                         "OTEL_RESOURCE_ATTRIBUTES= a=1%2C2 ,bad,service.name=from-res,c=%zz,a=3",
                         NULL};
    CHECK_INT(read_cfg(env, &c, &msg), 0);
    CHECK_INT(c.nres, 2);
    CHECK_STR(c.res_keys[0], "a");
    CHECK_STR(c.res_values[0], "3"); /* the last wins */
    CHECK_STR(c.res_keys[1], "service.name");
    CHECK_STR(c.service, "from-res");
    otel_config_clear(&c);
    const char *named[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h", "OTEL_SERVICE_NAME=svc",
                           "OTEL_RESOURCE_ATTRIBUTES=service.name=other,k=v%20w", NULL};
    CHECK_INT(read_cfg(named, &c, &msg), 0);
    CHECK_STR(c.service, "svc");
    CHECK_STR(c.res_values[1], "v w");
    otel_config_clear(&c);
}

static void test_samplers(void)
{
    otel_config c;
    char *msg;
    uint8_t low[16] = {0}, high[16];
    memset(high, 0xff, sizeof(high));
    const char *half[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h",
                          "OTEL_TRACES_SAMPLER=traceidratio", "OTEL_TRACES_SAMPLER_ARG=0.5", NULL};
    CHECK_INT(read_cfg(half, &c, &msg), 0);
    CHECK(!c.parent_based && c.root == OTEL_SAMPLE_RATIO);
    CHECK(otel_sample(&c, low, false, false));
    CHECK(!otel_sample(&c, high, false, false));
    CHECK(!otel_sample(&c, high, true, true)); /* not parent-based */
    otel_config_clear(&c);
    const char *pb[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h",
                        "OTEL_TRACES_SAMPLER=parentbased_always_off", NULL};
    CHECK_INT(read_cfg(pb, &c, &msg), 0);
    CHECK(otel_sample(&c, high, true, true));
    CHECK(!otel_sample(&c, high, true, false));
    CHECK(!otel_sample(&c, low, false, false));
    otel_config_clear(&c);
    const char *bad[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h",
                         "OTEL_TRACES_SAMPLER=traceidratio", "OTEL_TRACES_SAMPLER_ARG=2", NULL};
    CHECK_INT(read_cfg(bad, &c, &msg), -1);
    CHECK_STR(msg, "OTEL_TRACES_SAMPLER_ARG='2': expected a ratio between 0 and 1");
    free(msg);
    const char *unknown[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://h",
                             "OTEL_TRACES_SAMPLER=jaeger_remote", NULL};
    CHECK_INT(read_cfg(unknown, &c, &msg), -1);
    CHECK(msg && strstr(msg, "OTEL_TRACES_SAMPLER='jaeger_remote' is not supported"));
    free(msg);
}

static void test_traceparent(void)
{
    uint8_t t[16], s[8], f = 0;
    CHECK(otel_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t,
                                 s, &f));
    CHECK(t[0] == 0x4b && t[15] == 0x36 && s[0] == 0x00 && s[7] == 0xb7 && f == 1);
    /* uppercase, zero ids, another version, short, trailing garbage */
    CHECK(!otel_parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", t,
                                  s, &f));
    CHECK(!otel_parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01", t,
                                  s, &f));
    CHECK(!otel_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", t,
                                  s, &f));
    CHECK(!otel_parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t,
                                  s, &f));
    CHECK(!otel_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", t, s,
                                  &f));
    CHECK(!otel_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", t,
                                  s, &f));
}

static void test_encode_reads_back(void)
{
    otel_config c = {.service = (char *)"svc"};
    char *k = (char *)"env", *v = (char *)"prod";
    c.res_keys = &k;
    c.res_values = &v;
    c.nres = 1;
    otel_attr attrs[2] = {{.key = (char *)"http.route", .str = (char *)"/..."},
                          {.key = (char *)"http.response.status_code", .i = 200}};
    otel_span s = {.name = (char *)"GET /...", .kind = OTEL_KIND_SERVER, .has_parent = true,
                   .sampled = true, .start_ns = 5, .end_ns = 9, .attrs = attrs, .nattrs = 2};
    memset(s.trace_id, 0xab, 16);
    memset(s.span_id, 0xcd, 8);
    memset(s.parent_id, 0xef, 8);
    otel_span *list[] = {&s};
    size_t len = 0;
    uint8_t *buf = otel_encode(&c, list, 1, &len);
    Otlp__ExportTraceServiceRequest *r =
        otlp__export_trace_service_request__unpack(NULL, len, buf);
    CHECK(r != NULL && r->n_resource_spans == 1);
    if (r && r->n_resource_spans == 1) {
        Otlp__ResourceSpans *rs = r->resource_spans[0];
        CHECK_INT(rs->resource->n_attributes, 2);
        CHECK_STR(rs->resource->attributes[0]->key, "service.name");
        CHECK_STR(rs->resource->attributes[0]->value->string_value, "svc");
        CHECK_STR(rs->resource->attributes[1]->value->string_value, "prod");
        Otlp__Span *p = rs->scope_spans[0]->spans[0];
        CHECK_STR(p->name, "GET /...");
        CHECK_INT(p->kind, 2);
        CHECK(p->trace_id.len == 16 && p->trace_id.data[0] == 0xab);
        CHECK(p->parent_span_id.len == 8 && p->parent_span_id.data[7] == 0xef);
        CHECK(p->start_time_unix_nano == 5 && p->end_time_unix_nano == 9);
        CHECK_INT(p->n_attributes, 2);
        CHECK_INT(p->attributes[1]->value->int_value, 200);
    }
    otlp__export_trace_service_request__free_unpacked(r, NULL);
    free(buf);
}

int main(void)
{
    RUN(test_endpoints);
    RUN(test_protocol);
    RUN(test_resource_and_service);
    RUN(test_samplers);
    RUN(test_traceparent);
    RUN(test_encode_reads_back);
    return TEST_SUMMARY();
}
