"""test_up_chaining.py - `up` serves a component's requests to its own app
in-process, as Spin does: http://<id>.spin.internal/... reaches component
<id> whatever its route (a private one too), a relative URL goes through
the app's router (allowed by `self`), the body passes both ways, a host
not in allowed_outbound_hosts is refused (HTTP-request-denied), and a
component calling itself for ever ends with an error (loop-detected).

The guest is a JS component (js/chain.js, componentize-js): with an
x-target header it POSTs its request body there and answers with what
came back; otherwise it echoes what it got.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_up_components import Up, built  # noqa: E402
from harness import run_tests  # noqa: E402

CHAIN = built("chain_http_js.wasm")


def write_app(tmp, allowed):
    """front (route /front/...) may reach what `allowed` says; back has a
    private route and may call its own app (self)."""
    text = f"""spin_manifest_version = 2
[application]
name = "chaining"

[[trigger.http]]
route = "/front/..."
component = "front"

[[trigger.http]]
route = {{ private = true }}
component = "back"

[[trigger.http]]
route = "/echo/..."
component = "echo"

[[trigger.http]]
route = "/loop/..."
component = "loop"

[component.front]
source = "{CHAIN}"
allowed_outbound_hosts = {allowed}

[component.back]
source = "{CHAIN}"
allowed_outbound_hosts = ["http://self"]

[component.echo]
source = "{CHAIN}"

[component.loop]
source = "{CHAIN}"
allowed_outbound_hosts = ["http://self"]
"""
    with open(os.path.join(tmp, "spin.toml"), "w") as f:
        f.write(text)
    return tmp


def test_service_chaining_and_self_requests_pass_bodies_both_ways():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, '["http://*.spin.internal"]')
        with Up(app) as up:
            # front -> back (private route) through <id>.spin.internal
            status, _, body = up.request(
                "POST", "/front/x", body=b"hello-back",
                headers={"x-target": "http://back.spin.internal/deep/path?q=1"})
            text = body.decode()
            assert status == 200, text
            assert text.startswith("called http://back.spin.internal/deep/path?q=1: 200 ["), text
            assert "echo POST" in text and "hop=chained" in text, text
            assert "body=hello-back" in text, text
            assert "path-info=/deep/path" in text, text
            # a component with a public route too, and a GET without body
            status, _, body = up.request(
                "GET", "/front/y", headers={"x-target": "http://echo.spin.internal/e?x=2"})
            assert status == 200, body
            assert b": 200 [echo GET path-info=/e hop=chained" in body, body


def test_a_relative_request_goes_through_the_router():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, '["http://self", "http://*.spin.internal"]')
        with Up(app) as up:
            status, _, body = up.request("POST", "/front/z", body=b"to-myself",
                                         headers={"x-target": "/echo/abc"})
            text = body.decode()
            assert status == 200, (status, text)
            assert text.startswith("called /echo/abc: 200 ["), text
            assert "path-info=/abc" in text and "route=/echo/..." in text, text
            assert "body=to-myself" in text, text
            # the component calling itself (its own route, relative URL)
            status, _, body = up.request("POST", "/front/me", body=b"me-again",
                                         headers={"x-target": "/front/inner"})
            text = body.decode()
            assert status == 200, (status, text)
            assert "path-info=/inner" in text and "route=/front/..." in text, text
            assert "body=me-again" in text, text
            # a path no route serves: the router's 404 comes back
            status, _, body = up.request("GET", "/front/n", headers={"x-target": "/nothing"})
            assert status == 200 and b": 404 [" in body, body


def test_hosts_not_allowed_are_refused():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, '["http://echo.spin.internal"]')
        with Up(app) as up:
            status, _, body = up.request("GET", "/front/a",
                                         headers={"x-target": "http://echo.spin.internal/e"})
            assert status == 200 and b"200 [echo GET" in body, body
            # another component, and the app itself, are not allowed: the
            # guest's fetch fails (handle() gave HTTP-request-denied)
            for target in ("http://back.spin.internal/", "/echo/x"):
                status, _, body = up.request("GET", "/front/b", headers={"x-target": target})
                assert status == 502 and body.startswith(b"fetch failed"), (target, body)


def test_a_component_calling_itself_for_ever_ends_with_an_error():
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(tmp, '["http://self"]')
        with Up(app) as up:
            status, _, body = up.request("GET", "/loop/go", timeout=120)
            assert status != 200, body
            log = "".join(up.err) + "".join(up.out)
            assert "loop detected" in log, (status, body, log[-3000:])
            # the server still serves
            status, _, body = up.request("GET", "/echo/after")
            assert status == 200 and b"echo GET" in body, body


if __name__ == "__main__":
    run_tests(globals())
