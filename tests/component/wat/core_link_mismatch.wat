;; A core import served by an export of another type: instantiation fails
;; naming it.
(component
  (core module $ma
    (func (export "f") (result i32) (i32.const 1)))
  (core instance $a (instantiate $ma))
  (core module $main
    (import "env" "f" (func (result i64))))
  (core instance $main-i (instantiate $main (with "env" (instance $a)))))
