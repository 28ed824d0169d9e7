;; A core module as wit-bindgen lays one out (test_componentize.c): imports
;; named by the WIT interfaces of wit_cz/world.wit (embedded by `jco embed`),
;; a top-level function ($root), a resource's constructor, method and drop,
;; one import of its embedder ("env" "twice"), and the exports wit-component
;; lifts: an interface function with its post-return, a world function,
;; cabi_realloc (a bump allocator) and _initialize.
(module
  (import "test:cz/host@1.0.0" "greet" (func $greet (param i32 i32 i32)))
  (import "test:cz/host@1.0.0" "[constructor]counter" (func $ctor (param i32) (result i32)))
  (import "test:cz/host@1.0.0" "[method]counter.bump" (func $bump (param i32) (result i32)))
  (import "test:cz/host@1.0.0" "[resource-drop]counter" (func $drop (param i32)))
  (import "$root" "log" (func $log (param i32 i32)))
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (global $init (mut i32) (i32.const 0))
  (global $posts (mut i32) (i32.const 0))

  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32)
        (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))

  (func (export "_initialize")
    (global.set $init (i32.const 100)))

  ;; run(who) = greet(who), after a counter from 40 bumped to 41 and dropped,
  ;; logged through the world's own import
  (func (export "test:cz/api@1.0.0#run") (param $p i32) (param $n i32) (result i32)
    (local $c i32)
    (call $greet (local.get $p) (local.get $n) (i32.const 16))
    (local.set $c (call $ctor (i32.const 40)))
    (if (i32.ne (call $bump (local.get $c)) (i32.const 41)) (then unreachable))
    (call $drop (local.get $c))
    (call $log (i32.load (i32.const 16)) (i32.load (i32.const 20)))
    (i32.const 16))

  (func (export "cabi_post_test:cz/api@1.0.0#run") (param i32)
    (global.set $posts (i32.add (global.get $posts) (i32.const 1))))

  ;; ping(x) = x + twice(x) + 100 once _initialize ran + 1000 per post-return
  (func (export "ping") (param $x i32) (result i32)
    (i32.add (i32.add (local.get $x) (call $twice (local.get $x)))
             (i32.add (global.get $init) (i32.mul (global.get $posts) (i32.const 1000))))))
