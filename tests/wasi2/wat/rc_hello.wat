;; A component written against the pre-release WASI 0.2.0-rc-2023-10-18
;; names, with their shapes of that snapshot: monotonic-clock.subscribe
;; (when, absolute), io/poll.poll-one, the error resource inside
;; io/streams.  `run` waits for a timer that has already passed, writes
;; "hello rc\n" to stdout and returns the write's result discriminant
;; (0 = ok).
(component
  (import "wasi:io/poll@0.2.0-rc-2023-10-18" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "poll-one" (func (param "in" (borrow $p))))
  ))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.0-rc-2023-10-18" (instance $clock
    (alias outer 1 $pollable (type $p))
    (export "pollable" (type $pe (eq $p)))
    (export "subscribe" (func (param "when" u64) (param "absolute" bool) (result (own $pe))))
  ))
  (import "wasi:io/streams@0.2.0-rc-2023-10-18" (instance $streams
    (export "output-stream" (type $os (sub resource)))
    (export "error" (type $err (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $err)) (case "closed")))
    (export "stream-error" (type $see (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8)) (result (result (error $see)))))
  ))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0-rc-2023-10-18" (instance $stdout
    (alias outer 1 $output-stream (type $os))
    (export "output-stream" (type $ose (eq $os)))
    (export "get-stdout" (func (result (own $ose))))
  ))

  (core module $mem (memory (export "memory") 1))
  (core instance $mem (instantiate $mem))
  (alias core export $mem "memory" (core memory $memory))

  (core func $poll-one (canon lower (func $poll "poll-one")))
  (core func $subscribe (canon lower (func $clock "subscribe")))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
    (memory $memory)))
  (core func $drop-pollable (canon resource.drop $pollable))
  (core func $drop-stream (canon resource.drop $output-stream))

  (core module $main
    (import "env" "memory" (memory 1))
    (import "wasi" "poll-one" (func $poll-one (param i32)))
    (import "wasi" "subscribe" (func $subscribe (param i64 i32) (result i32)))
    (import "wasi" "get-stdout" (func $get-stdout (result i32)))
    (import "wasi" "write" (func $write (param i32 i32 i32 i32)))
    (import "wasi" "drop-pollable" (func $drop-pollable (param i32)))
    (import "wasi" "drop-stream" (func $drop-stream (param i32)))
    (data (i32.const 16) "hello rc\n")
    (func (export "run") (result i32)
      (local $p i32) (local $out i32)
      ;; instant 0, absolute: long passed, so poll-one returns at once
      (local.set $p (call $subscribe (i64.const 0) (i32.const 1)))
      (call $poll-one (local.get $p))
      (call $drop-pollable (local.get $p))
      (local.set $out (call $get-stdout))
      (call $write (local.get $out) (i32.const 16) (i32.const 9) (i32.const 64))
      (call $drop-stream (local.get $out))
      (i32.load8_u (i32.const 64)))
  )
  (core instance $main (instantiate $main
    (with "env" (instance $mem))
    (with "wasi" (instance
      (export "poll-one" (func $poll-one))
      (export "subscribe" (func $subscribe))
      (export "get-stdout" (func $get-stdout))
      (export "write" (func $write))
      (export "drop-pollable" (func $drop-pollable))
      (export "drop-stream" (func $drop-stream))))))
  (func (export "run") (result u32) (canon lift (core func $main "run")))
)
