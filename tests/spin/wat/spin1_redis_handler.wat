;; A Spin 1 ABI redis handler (what wit-bindgen 0.2 makes of spin-redis.wit's
;; handle-redis-message): for each message it writes "redis message: <it>"
;; on stdout; "trap" traps and "fail" returns error::error.  Its allocator
;; is a bump allocator (each message gets a fresh instance).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "redis message: ")
  (data (i32.const 32) "\n")
  (func (export "canonical_abi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap
      (i32.and (i32.add (i32.add (global.get $heap) (local.get $size)) (i32.const 7))
               (i32.const -8)))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func $is (param $ptr i32) (param $len i32) (param $word i32) (result i32)
    (i32.and (i32.eq (local.get $len) (i32.const 4))
             (i32.eq (i32.load (local.get $ptr)) (local.get $word))))
  (func (export "handle-redis-message") (param $ptr i32) (param $len i32) (result i32)
    ;; "trap" and "fail", as little-endian words
    (if (call $is (local.get $ptr) (local.get $len) (i32.const 0x70617274))
      (then unreachable))
    (if (call $is (local.get $ptr) (local.get $len) (i32.const 0x6c696166))
      (then
        (i32.store8 (i32.const 64) (i32.const 1))
        (i32.store8 (i32.const 65) (i32.const 1))
        (return (i32.const 64))))
    ;; one fd_write of three iovecs: prefix, message, newline
    (i32.store (i32.const 80) (i32.const 16))
    (i32.store (i32.const 84) (i32.const 15))
    (i32.store (i32.const 88) (local.get $ptr))
    (i32.store (i32.const 92) (local.get $len))
    (i32.store (i32.const 96) (i32.const 32))
    (i32.store (i32.const 100) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 80) (i32.const 3) (i32.const 104)))
    (i32.store8 (i32.const 64) (i32.const 0))
    (i32.const 64)))
