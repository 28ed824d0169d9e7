;; spin1_fresh.wat - a Spin 1 ABI module that mutates its state on every
;; request: a mutable global, a byte its data segment initialised (so the
;; engine maps the module's copy-on-write memory image) and the memory's size
;; (it grows one page).  The body is three characters: the global, the byte
;; and the page count after the request.  A fresh instance per request
;; answers "112" every time; state kept from an earlier request would show
;; as "223", "334", ...
(module
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 512) "0")
  (func (export "canonical_abi_realloc")
    (param i32 i32 i32 i32) (result i32)
    (i32.const 4096))
  (func (export "handle-http-request")
    (param $method i32) (param $uri i32) (param $uri_len i32)
    (param $hdrs i32) (param $hdrs_len i32) (param $params i32) (param $params_len i32)
    (param $body_tag i32) (param $body i32) (param $body_len i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 512) (i32.add (i32.load8_u (i32.const 512)) (i32.const 1)))
    (drop (memory.grow (i32.const 1)))
    (i32.store8 (i32.const 256) (i32.add (global.get $count) (i32.const 48)))
    (i32.store8 (i32.const 257) (i32.load8_u (i32.const 512)))
    (i32.store8 (i32.const 258) (i32.add (memory.size) (i32.const 48)))
    (i32.store16 (i32.const 128) (i32.const 200))
    (i32.store8 offset=4 (i32.const 128) (i32.const 0)) ;; headers: none
    (i32.store8 offset=16 (i32.const 128) (i32.const 1)) ;; body: some
    (i32.store offset=20 (i32.const 128) (i32.const 256))
    (i32.store offset=24 (i32.const 128) (i32.const 3))
    (i32.const 128)))
