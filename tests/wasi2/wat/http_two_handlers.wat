;; A component that exports wasi:http/incoming-handler twice (0.2.0 and
;; 0.2.3, the same instance): which one to call is ambiguous, so the
;; handler door refuses it.  `handle` drops nothing and returns.
(component
  (import "wasi:http/types@0.2.0" (instance $types
    (export "incoming-request" (type (sub resource)))
    (export "response-outparam" (type (sub resource)))
  ))
  (alias export $types "incoming-request" (type $req))
  (alias export $types "response-outparam" (type $out))
  (core module $main
    (func (export "handle") (param i32 i32)))
  (core instance $main (instantiate $main))
  (func $handle (param "request" (own $req)) (param "response-out" (own $out))
    (canon lift (core func $main "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler))
  (export "wasi:http/incoming-handler@0.2.3" (instance $handler))
)
