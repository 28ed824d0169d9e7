;; Functions for `run --invoke`: one that returns a value without taking
;; parameters, and one that echoes a string, so WAVE text goes through the
;; command line both ways.  A component without WASI imports.
(component
  (core module $libc
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    ;; a bump allocator: realloc(old, old-size, align, new-size)
    (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32)
      (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $next (i32.add (local.get $p) (local.get $nsz)))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core module $m
    (import "libc" "memory" (memory 1))
    (func (export "answer") (result i32) i32.const 42)
    ;; (ptr, len) -> the same pair, stored at 16
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 0))
      (i32.store (i32.const 20) (local.get 1))
      (i32.const 16)))
  (core instance $i (instantiate $m (with "libc" (instance $libc))))
  (func (export "answer") (result u32) (canon lift (core func $i "answer")))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory $mem) (realloc $realloc))))
