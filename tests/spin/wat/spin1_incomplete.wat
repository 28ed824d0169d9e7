;; spin1_incomplete.wat - exports handle-http-request but neither
;; canonical_abi_realloc nor its memory: the Spin 1 executor must refuse it
;; at start-up, naming both.
(module
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.const 0)))
