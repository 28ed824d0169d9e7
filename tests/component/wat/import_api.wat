;; A component importing one host interface with one function and one
;; resource, lowered into a core module: the subject of import errors.
(component
  (type $api (instance
    (export "blob" (type (sub resource)))
    (export "get" (func (result u32)))
  ))
  (import "test:x/api@1.0.0" (instance $api (type $api)))
  (core func $get (canon lower (func $api "get")))
  (core module $m
    (import "api" "get" (func (result i32)))
  )
  (core instance $ai (export "get" (func $get)))
  (core instance (instantiate $m (with "api" (instance $ai))))
)
