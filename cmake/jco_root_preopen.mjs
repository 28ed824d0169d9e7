// Loaded with `node --import` before jco (see add_c_component in
// WasmPrograms.cmake): jco's wasm-tools runs as a component on
// preview2-shim, which since 0.26 starts with no preopened directory, so
// `jco embed --wit DIR` cannot read DIR.  This gives it the host's root.
// The shim is the one jco-transpile itself resolves (process.argv[1] is
// jco's own script).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const fromJco = createRequire(process.argv[1]);
const fromTranspile = createRequire(fromJco.resolve('@bytecodealliance/jco-transpile/wasm-tools'));
const shim = fromTranspile.resolve('@bytecodealliance/preview2-shim/filesystem');
const { _setPreopens } = await import(pathToFileURL(shim).href);
_setPreopens({ '/': '/' });
