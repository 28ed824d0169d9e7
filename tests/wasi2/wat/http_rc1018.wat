;; An HTTP handler written against the pre-release wasi:http
;; 0.2.0-rc-2023-10-18 (Spin 2.0's), in that snapshot's shapes: fields
;; built from a list of entries, outgoing-response from a status and
;; borrowed headers, `write` for the body, finish without a result, and
;; response-outparam.set with the old `error` variant.  Path "/err" sets
;; error protocol-error("bad"); any other answers 202, x-rc: 1018, body
;; "rc body".
(component
  (import "wasi:io/streams@0.2.0-rc-2023-10-18" (instance $streams
    (export "output-stream" (type $os (sub resource)))
    (export "error" (type $err (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $err)) (case "closed")))
    (export "stream-error" (type $see (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8)) (result (result (error $see)))))
  ))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:http/types@0.2.0-rc-2023-10-18" (instance $types
    (alias outer 1 $output-stream (type $os0))
    (export "output-stream" (type $os (eq $os0)))
    (export "fields" (type $fields (sub resource)))
    (export "headers" (type $headers (eq $fields)))
    (export "incoming-request" (type $req (sub resource)))
    (export "response-outparam" (type $out (sub resource)))
    (export "outgoing-response" (type $resp (sub resource)))
    (export "outgoing-body" (type $body (sub resource)))
    (type $e (variant (case "invalid-url" string) (case "timeout-error" string)
      (case "protocol-error" string) (case "unexpected-error" string)))
    (export "error" (type $ee (eq $e)))
    (export "[constructor]fields"
      (func (param "entries" (list (tuple string (list u8)))) (result (own $fields))))
    (export "[method]incoming-request.path-with-query"
      (func (param "self" (borrow $req)) (result (option string))))
    (export "[constructor]outgoing-response"
      (func (param "status-code" u16) (param "headers" (borrow $headers)) (result (own $resp))))
    (export "[method]outgoing-response.write"
      (func (param "self" (borrow $resp)) (result (result (own $body)))))
    (export "[method]outgoing-body.write"
      (func (param "self" (borrow $body)) (result (result (own $os)))))
    (export "[static]outgoing-body.finish"
      (func (param "this" (own $body)) (param "trailers" (option (own $fields)))))
    (export "[static]response-outparam.set"
      (func (param "param" (own $out)) (param "response" (result (own $resp) (error $ee)))))
  ))
  (alias export $types "incoming-request" (type $req))
  (alias export $types "response-outparam" (type $out))
  (alias export $types "fields" (type $fields))

  (core module $mem
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 8192))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $mem (instantiate $mem))
  (alias core export $mem "memory" (core memory $memory))
  (alias core export $mem "realloc" (core func $realloc))

  (core func $path (canon lower (func $types "[method]incoming-request.path-with-query")
    (memory $memory) (realloc $realloc)))
  (core func $fields-new (canon lower (func $types "[constructor]fields") (memory $memory)))
  (core func $resp-new (canon lower (func $types "[constructor]outgoing-response")))
  (core func $resp-write (canon lower (func $types "[method]outgoing-response.write")
    (memory $memory)))
  (core func $body-write (canon lower (func $types "[method]outgoing-body.write") (memory $memory)))
  (core func $finish (canon lower (func $types "[static]outgoing-body.finish")))
  (core func $set (canon lower (func $types "[static]response-outparam.set") (memory $memory)))
  (core func $bwf (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
    (memory $memory)))
  (core func $drop-stream (canon resource.drop $output-stream))
  (core func $drop-fields (canon resource.drop $fields))

  (core module $main
    (import "env" "memory" (memory 1))
    (import "h" "path" (func $path (param i32 i32)))
    (import "h" "fields-new" (func $fields-new (param i32 i32) (result i32)))
    (import "h" "resp-new" (func $resp-new (param i32 i32) (result i32)))
    (import "h" "resp-write" (func $resp-write (param i32 i32)))
    (import "h" "body-write" (func $body-write (param i32 i32)))
    (import "h" "finish" (func $finish (param i32 i32 i32)))
    (import "h" "set" (func $set (param i32 i32 i32 i32 i32)))
    (import "h" "bwf" (func $bwf (param i32 i32 i32 i32)))
    (import "h" "drop-stream" (func $drop-stream (param i32)))
    (import "h" "drop-fields" (func $drop-fields (param i32)))
    ;; one entry: (string x-rc, list "1018") at 256
    (data (i32.const 16) "x-rc")
    (data (i32.const 24) "1018")
    (data (i32.const 32) "rc body")
    (data (i32.const 40) "bad")
    (data (i32.const 256) "\10\00\00\00\04\00\00\00\18\00\00\00\04\00\00\00")
    (func (export "handle") (param $req i32) (param $out i32)
      (local $h i32) (local $resp i32) (local $b i32) (local $s i32)
      (call $path (local.get $req) (i32.const 1024))
      (if (i32.eqz (i32.load8_u (i32.const 1024))) (then unreachable))
      ;; "/err": path length 4
      (if (i32.eq (i32.load (i32.const 1032)) (i32.const 4)) (then
        (call $set (local.get $out) (i32.const 1) (i32.const 2) (i32.const 40) (i32.const 3))
        (return)))
      (local.set $h (call $fields-new (i32.const 256) (i32.const 1)))
      (local.set $resp (call $resp-new (i32.const 202) (local.get $h)))
      (call $drop-fields (local.get $h))
      (call $resp-write (local.get $resp) (i32.const 1040))
      (if (i32.load8_u (i32.const 1040)) (then unreachable))
      (local.set $b (i32.load (i32.const 1044)))
      (call $set (local.get $out) (i32.const 0) (local.get $resp) (i32.const 0) (i32.const 0))
      (call $body-write (local.get $b) (i32.const 1040))
      (if (i32.load8_u (i32.const 1040)) (then unreachable))
      (local.set $s (i32.load (i32.const 1044)))
      (call $bwf (local.get $s) (i32.const 32) (i32.const 7) (i32.const 1056))
      (if (i32.load8_u (i32.const 1056)) (then unreachable))
      (call $drop-stream (local.get $s))
      (call $finish (local.get $b) (i32.const 0) (i32.const 0)))
  )
  (core instance $main (instantiate $main
    (with "env" (instance $mem))
    (with "h" (instance
      (export "path" (func $path))
      (export "fields-new" (func $fields-new))
      (export "resp-new" (func $resp-new))
      (export "resp-write" (func $resp-write))
      (export "body-write" (func $body-write))
      (export "finish" (func $finish))
      (export "set" (func $set))
      (export "bwf" (func $bwf))
      (export "drop-stream" (func $drop-stream))
      (export "drop-fields" (func $drop-fields))))))
  (func $handle (param "request" (own $req)) (param "response-out" (own $out))
    (canon lift (core func $main "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0-rc-2023-10-18" (instance $handler))
)
