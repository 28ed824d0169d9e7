;; One component importing wasi:io/streams at two patch versions, 0.2.0
;; and 0.2.1, as components built from crates of different ages do
;; (runwasi's hello_wasi_http imports both): it gets stdout's stream from
;; wasi:cli/stdout@0.2.0, typed by streams@0.2.0, and writes to it through
;; streams@0.2.1's blocking-write-and-flush.  The handle is accepted only if
;; both versions are served by one host interface whose resource types they
;; share; with two types the write would trap on a wrong resource type.
(component
  (import "wasi:io/streams@0.2.0" (instance $s0
    (export "output-stream" (type (sub resource)))))
  (alias export $s0 "output-stream" (type $os0))
  (type $stdout-type (instance
    (alias outer 1 $os0 (type $os))
    (export "output-stream" (type $os-e (eq $os)))
    (type $own (own $os-e))
    (export "get-stdout" (func (result $own)))))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout (type $stdout-type)))
  (import "wasi:io/error@0.2.1" (instance $e1
    (export "error" (type (sub resource)))))
  (alias export $e1 "error" (type $err1))
  (type $streams1-type (instance
    (alias outer 1 $err1 (type $err))
    (export "error" (type $err-e (eq $err)))
    (type $own-err (own $err-e))
    (type $stream-error (variant (case "last-operation-failed" $own-err) (case "closed")))
    (export "stream-error" (type $stream-error-e (eq $stream-error)))
    (export "output-stream" (type $os (sub resource)))
    (type $borrow (borrow $os))
    (type $bytes (list u8))
    (type $write-result (result (error $stream-error-e)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" $borrow) (param "contents" $bytes) (result $write-result)))))
  (import "wasi:io/streams@0.2.1" (instance $s1 (type $streams1-type)))

  (core module $memory
    (memory (export "memory") 1)
    (data (i32.const 16) "mixed versions\n"))
  (core instance $mem (instantiate $memory))
  (alias core export $mem "memory" (core memory $m))
  (alias export $stdout "get-stdout" (func $get-stdout))
  (alias export $s1 "[method]output-stream.blocking-write-and-flush" (func $write))
  (core func $get-stdout-lowered (canon lower (func $get-stdout)))
  (core func $write-lowered (canon lower (func $write) (memory $m)))
  (core instance $host
    (export "get-stdout" (func $get-stdout-lowered))
    (export "write" (func $write-lowered)))
  (core module $main
    (import "host" "get-stdout" (func $get-stdout (result i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "mem" "memory" (memory 1))
    (func (export "run") (result i32)
      (call $write (call $get-stdout) (i32.const 16) (i32.const 15) (i32.const 64))
      ;; result<_, stream-error> at 64: discriminant 0 = ok
      (i32.load8_u (i32.const 64))))
  (core instance $main-i (instantiate $main
    (with "host" (instance $host))
    (with "mem" (instance $mem))))
  (type $run-type (func (result (result))))
  (func $run (type $run-type) (canon lift (core func $main-i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@0.2.1" (instance $cli)))
