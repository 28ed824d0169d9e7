;; spin1_redis.wat - a Spin 1 ABI module importing a host module this host
;; does not provide (no Spin 1 interface is named outbound-mqtt; the legacy
;; ones are served now): refused at start-up, naming the import.
(module
  (import "outbound-mqtt" "publish" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.const 0)))
