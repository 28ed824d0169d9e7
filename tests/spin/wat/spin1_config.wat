;; spin1_config.wat - a Spin 1 ABI module reading a variable through the
;; spin-config import: the request body is the key.  ok(value) -> 200 with
;; the value as body; err(e) -> status 400 + e's case index (provider 400,
;; invalid-key 401, ...) with e's message as body.
(module
  (import "spin-config" "get-config" (func $get_config (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func $alloc (export "canonical_abi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p
      (i32.and
        (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (global.set $next (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 1)))))
    (local.get $p))
  (func (export "handle-http-request")
    (param $method i32) (param $uri i32) (param $uri_len i32)
    (param $hdrs i32) (param $hdrs_len i32) (param $params i32) (param $params_len i32)
    (param $body_tag i32) (param $body i32) (param $body_len i32) (result i32)
    (call $get_config (local.get $body) (local.get $body_len) (i32.const 64))
    (i32.store8 offset=4 (i32.const 128) (i32.const 0)) ;; headers: none
    (i32.store8 offset=16 (i32.const 128) (i32.const 1)) ;; body: some
    (if (i32.eqz (i32.load8_u (i32.const 64)))
      (then
        (i32.store16 (i32.const 128) (i32.const 200))
        (i32.store offset=20 (i32.const 128) (i32.load (i32.const 68)))
        (i32.store offset=24 (i32.const 128) (i32.load (i32.const 72))))
      (else
        (i32.store16 (i32.const 128) (i32.add (i32.const 400) (i32.load8_u (i32.const 68))))
        (i32.store offset=20 (i32.const 128) (i32.load (i32.const 72)))
        (i32.store offset=24 (i32.const 128) (i32.load (i32.const 76)))))
    (i32.const 128)))
