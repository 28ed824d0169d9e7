/*
 * install_wkg.c - the locked app of a `wkg oci push` package.
 *
 * Such a package is one `application/wasm` layer and nothing else: no
 * locked app says how to run it.  containerd-shim-spin runs it through
 * spin_loader::from_wasm_file (spin crates/loader/src/lib.rs), which makes
 * a manifest of one HTTP trigger with an inline component,
 *
 *   [application] name = <file stem of the wasm path>
 *   [[trigger.http]] route = "/..."  component = { source = <path> }
 *
 * and normalises it (spin crates/manifest/src/normalize.rs): the trigger,
 * having no id and no component reference, becomes "http-trigger1", its
 * inline component "http-trigger1-component".  The wasm path there is
 * /.cache/registry/wasm/sha256:<hex>, whose file stem is the whole file
 * name.  We write the same app as LockedApp JSON, with the component's
 * source by digest (the layout's way of naming the wasm file, which the
 * Spin host resolves in the cache) instead of a file:// path that would
 * only be right inside the container.
 */
#include "install_internal.h"

char *oci_wkg_locked_app(const char *digest)
{
    /* The digest is checked to be "sha256:" + hex: nothing to escape. */
    return util_xasprintf(
        "{\"spin_lock_version\":0,"
        "\"metadata\":{\"name\":\"%s\",\"trigger\":{\"type\":\"http\"},"
        "\"triggers\":{\"http\":{}}},"
        "\"triggers\":[{\"id\":\"http-trigger1\",\"trigger_type\":\"http\","
        "\"trigger_config\":{\"component\":\"http-trigger1-component\",\"route\":\"/...\"}}],"
        "\"components\":[{\"id\":\"http-trigger1-component\","
        "\"source\":{\"content_type\":\"application/wasm\",\"digest\":\"%s\"}}]}\n",
        digest, digest);
}
