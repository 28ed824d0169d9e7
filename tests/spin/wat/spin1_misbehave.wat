;; spin1_misbehave.wat - a Spin 1 ABI module (handle-http-request,
;; canonical_abi_realloc, memory) whose handler misbehaves according to the
;; request's method (the enum's index), to show the host answers 500 and
;; keeps serving:
;;   GET (0)    traps (unreachable)
;;   POST (1)   returns a pointer past the end of memory
;;   PUT (2)    returns a record whose header list points past memory
;;   DELETE (3) calls proc_exit(3) inside the handler
;;   PATCH (4)  answers 201 with header "x-uri: <uri>" and the request body,
;;              so a good response from the same module is seen too
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; bump allocator from 1024; grows memory as needed
  (global $next (mut i32) (i32.const 1024))
  (func $alloc (export "canonical_abi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    ;; round up to the alignment
    (local.set $p
      (i32.and
        (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (global.set $next (i32.add (local.get $p) (local.get $size)))
    (block $ok
      (br_if $ok (i32.le_u (global.get $next) (i32.mul (memory.size) (i32.const 65536))))
      (drop (memory.grow
        (i32.add (i32.shr_u (i32.sub (global.get $next)
                                     (i32.mul (memory.size) (i32.const 65536)))
                            (i32.const 16))
                 (i32.const 1)))))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request")
    (param $method i32) (param $uri i32) (param $uri_len i32)
    (param $hdrs i32) (param $hdrs_len i32) (param $params i32) (param $params_len i32)
    (param $body_tag i32) (param $body i32) (param $body_len i32) (result i32)
    (local $ret i32) (local $list i32)
    (if (i32.eq (local.get $method) (i32.const 0)) (then unreachable))
    (if (i32.eq (local.get $method) (i32.const 1)) (then (return (i32.const 0x7ffffff0))))
    (if (i32.eq (local.get $method) (i32.const 3)) (then (call $proc_exit (i32.const 3))))
    (local.set $ret (call $alloc (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 28)))
    (if (i32.eq (local.get $method) (i32.const 2))
      (then
        (i32.store16 (local.get $ret) (i32.const 200))
        (i32.store8 offset=4 (local.get $ret) (i32.const 1))
        (i32.store offset=8 (local.get $ret) (i32.const 0x7fff0000))
        (i32.store offset=12 (local.get $ret) (i32.const 2))
        (i32.store8 offset=16 (local.get $ret) (i32.const 0))
        (return (local.get $ret))))
    ;; PATCH and the rest: 201, x-uri: <uri>, body echoed
    (local.set $list (call $alloc (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 16)))
    (i32.store (local.get $list) (i32.const 16))          ;; "x-uri" in the data segment
    (i32.store offset=4 (local.get $list) (i32.const 5))
    (i32.store offset=8 (local.get $list) (local.get $uri))
    (i32.store offset=12 (local.get $list) (local.get $uri_len))
    (i32.store16 (local.get $ret) (i32.const 201))
    (i32.store8 offset=4 (local.get $ret) (i32.const 1))
    (i32.store offset=8 (local.get $ret) (local.get $list))
    (i32.store offset=12 (local.get $ret) (i32.const 1))
    (i32.store8 offset=16 (local.get $ret) (local.get $body_tag))
    (i32.store offset=20 (local.get $ret) (local.get $body))
    (i32.store offset=24 (local.get $ret) (local.get $body_len))
    (local.get $ret))
  (data (i32.const 16) "x-uri"))
