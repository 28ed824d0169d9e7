;; bench/components/echo.wat - the host-call benchmark's guest: `loop n`
;; calls the host's bench:host/strings `echo` n times with a 16-byte
;; string and checks the length it gets back, so every call lifts a
;; string, runs the host function and lowers a string through realloc.
(component
  (import "bench:host/strings" (instance $host
    (export "echo" (func (param "s" string) (result string)))))
  (core module $mem
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    ;; a bump allocator that starts over at each call: the benchmark
    ;; measures the ABI, not an allocator
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.xor (i32.sub (local.get 2) (i32.const 1)) (i32.const -1))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (local.get $p))
    (func (export "reset") (global.set $next (i32.const 1024)))
    (data (i32.const 16) "0123456789abcdef"))
  (core instance $m (instantiate $mem))
  (alias core export $m "memory" (core memory $memory))
  (alias core export $m "realloc" (core func $realloc))
  (alias export $host "echo" (func $echo))
  (core func $echo_lowered (canon lower (func $echo) (memory $memory) (realloc $realloc)))
  (core module $main
    (import "host" "echo" (func $echo (param i32 i32 i32)))
    (import "mem" "reset" (func $reset))
    (import "mem" "memory" (memory 1))
    (func (export "loop") (param $n i32) (result i32)
      (local $bad i32)
      (block $done
        (loop $again
          (br_if $done (i32.eqz (local.get $n)))
          (call $reset)
          (call $echo (i32.const 16) (i32.const 16) (i32.const 64))
          (if (i32.ne (i32.load (i32.const 68)) (i32.const 16))
            (then (local.set $bad (i32.add (local.get $bad) (i32.const 1)))))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $again)))
      (local.get $bad)))
  (core instance $host_funcs (export "echo" (func $echo_lowered)))
  (core instance $main_i (instantiate $main
    (with "host" (instance $host_funcs))
    (with "mem" (instance $m))))
  (func (export "loop") (param "n" u32) (result u32)
    (canon lift (core func $main_i "loop"))))
