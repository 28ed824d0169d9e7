;; Imports an interface no host provides: refused at load, naming it.
(component
  (import "example:nowhere/thing@1.2.0" (instance $thing
    (export "poke" (func (param "n" u32)))))
  (core module $m (func (export "run") (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (type $run-type (func (result (result))))
  (func $run (type $run-type) (canon lift (core func $i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $cli)))
