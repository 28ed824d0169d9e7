;; A WASI 0.2 command whose run never returns: for --timeout.
(component
  (core module $m
    (func (export "run") (result i32)
      (loop $l (br $l))
      i32.const 0))
  (core instance $i (instantiate $m))
  (type $run-type (func (result (result))))
  (func $run (type $run-type) (canon lift (core func $i "run")))
  (instance $cli (export "run" (func $run)))
  (export "wasi:cli/run@0.2.3" (instance $cli)))
