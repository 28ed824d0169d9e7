;; The spec's may_leave rule: a component's realloc and post-return must
;; not call imports.  `ping` is a host import; this component's realloc
;; calls it (reached when the host's string result of `echo` is lowered
;; into it), and the post-return of `answer` calls it.  `ping-direct`
;; calls it from ordinary code, which is allowed.
(component
  (import "test:leave/host" (instance $host
    (export "ping" (func))
    (export "echo" (func (param "s" string) (result string)))))
  (alias export $host "ping" (func $ping))
  (alias export $host "echo" (func $echo))
  (core func $ping-low (canon lower (func $ping)))
  (core instance $imports (export "ping" (func $ping-low)))
  (core module $mem
    (import "host" "ping" (func $ping))
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (call $ping)
      (global.set $next (i32.add (global.get $next) (i32.const 64)))
      (global.get $next)))
  (core instance $m (instantiate $mem (with "host" (instance $imports))))
  (alias core export $m "memory" (core memory $memory))
  (alias core export $m "realloc" (core func $realloc))
  (core func $echo-low (canon lower (func $echo) (memory $memory) (realloc $realloc)))
  (core instance $more (export "echo" (func $echo-low)) (export "ping" (func $ping-low)))
  (core module $main
    (import "host" "echo" (func $echo (param i32 i32 i32)))
    (import "host" "ping" (func $ping))
    (import "mem" "memory" (memory 1))
    (data (i32.const 16) "hi")
    (func (export "echo-through-realloc") (result i32)
      (call $echo (i32.const 16) (i32.const 2) (i32.const 64))
      (i32.load offset=4 (i32.const 64)))
    (func (export "answer") (result i32) (i32.const 42))
    (func (export "answer-post") (param i32) (call $ping))
    (func (export "ping-direct") (call $ping)))
  (core instance $main-i (instantiate $main
    (with "host" (instance $more))
    (with "mem" (instance $m))))
  (func (export "echo-through-realloc") (result u32)
    (canon lift (core func $main-i "echo-through-realloc")))
  (func (export "answer") (result u32)
    (canon lift (core func $main-i "answer") (post-return (core func $main-i "answer-post"))))
  (func (export "ping-direct") (canon lift (core func $main-i "ping-direct"))))
