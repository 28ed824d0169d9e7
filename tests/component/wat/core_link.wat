;; Core instances linked through `with` arguments (coreplan.c links them by
;; position once per pre): two arguments both named "env" serve main's
;; imports field by field, the later one winning where both export a name
;; (as a linker filled in argument order would); an alias reads an export
;; of an instantiated module.  `which` returns f() * 100 + g() + h():
;; f from $b (2), g only in $a (10), h from the inline instance (5) = 215.
(component
  (core module $ma
    (func (export "f") (result i32) (i32.const 1))
    (func (export "g") (result i32) (i32.const 10)))
  (core module $mb
    (func (export "f") (result i32) (i32.const 2))
    (func (export "five") (result i32) (i32.const 5)))
  (core instance $a (instantiate $ma))
  (core instance $b (instantiate $mb))
  (alias core export $b "five" (core func $five))
  (core instance $inline (export "h" (func $five)))
  (core module $main
    (import "env" "f" (func $f (result i32)))
    (import "env" "g" (func $g (result i32)))
    (import "more" "h" (func $h (result i32)))
    (func (export "which") (result i32)
      (i32.add (i32.add (i32.mul (call $f) (i32.const 100)) (call $g)) (call $h))))
  (core instance $main-i (instantiate $main
    (with "env" (instance $a))
    (with "env" (instance $b))
    (with "more" (instance $inline))))
  (alias core export $main-i "which" (core func $which))
  (func (export "which") (result u32) (canon lift (core func $which))))
