;; A core import no `with` argument serves: instantiation fails naming it.
(component
  (core module $ma
    (func (export "f") (result i32) (i32.const 1)))
  (core instance $a (instantiate $ma))
  (core module $main
    (import "env" "nope" (func (result i32))))
  (core instance $main-i (instantiate $main (with "env" (instance $a)))))
