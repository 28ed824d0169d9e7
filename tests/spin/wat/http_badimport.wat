;; A wasi:http proxy component that also imports an interface no host
;; provides: loading it must fail, naming the component and the import.
(component
  (import "acme:missing/api@1.0.0" (instance $missing
    (export "f" (func))
  ))
  (import "wasi:http/types@0.2.0" (instance $types
    (export "incoming-request" (type (sub resource)))
    (export "response-outparam" (type (sub resource)))
  ))
  (alias export $types "incoming-request" (type $request))
  (alias export $types "response-outparam" (type $outparam))
  (core func $f (canon lower (func $missing "f")))
  (core module $m
    (import "acme" "f" (func $f))
    (func (export "handle") (param i32 i32) call $f))
  (core instance $i (instantiate $m (with "acme" (instance (export "f" (func $f))))))
  (func $handle (param "request" (own $request)) (param "response-out" (own $outparam))
    (canon lift (core func $i "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler))
)
