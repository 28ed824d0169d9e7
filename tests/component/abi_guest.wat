;; abi_guest.wat - the core module test_abi.c lifts from and lowers into:
;; one exported memory and realloc functions as canonical options name
;; them.  `realloc` is a bump allocator that grows memory when it runs out
;; and records its calls (count and last arguments, in exported globals);
;; the others return bad pointers for the trap tests, or grow memory on
;; every call so that lowering must re-read the memory after each one.
(module
  (memory (export "memory") 1)
  (global $bump (export "bump") (mut i32) (i32.const 1024))
  (global $calls (export "calls") (mut i32) (i32.const 0))
  (global $last_align (export "last_align") (mut i32) (i32.const 0))
  (global $last_size (export "last_size") (mut i32) (i32.const 0))
  (global $last_old (export "last_old") (mut i32) (i32.const 0))

  (func $record (param $old i32) (param $old_size i32) (param $align i32) (param $size i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (global.set $last_old (i32.or (local.get $old) (local.get $old_size)))
    (global.set $last_align (local.get $align))
    (global.set $last_size (local.get $size)))

  (func $bump_alloc (param $align i32) (param $size i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p
      (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
               (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.lt_s
              (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (local.get $have))
                                               (i32.const 16))
                                    (i32.const 1)))
              (i32.const 0))
          (then unreachable))))
    (global.set $bump (local.get $end))
    (local.get $p))

  (func (export "realloc") (param i32 i32 i32 i32) (result i32)
    (call $record (local.get 0) (local.get 1) (local.get 2) (local.get 3))
    (call $bump_alloc (local.get 2) (local.get 3)))

  ;; Grows memory by two pages before every allocation.
  (func (export "realloc_grow") (param i32 i32 i32 i32) (result i32)
    (call $record (local.get 0) (local.get 1) (local.get 2) (local.get 3))
    (drop (memory.grow (i32.const 2)))
    (call $bump_alloc (local.get 2) (local.get 3)))

  ;; One byte past a properly aligned pointer.
  (func (export "realloc_misaligned") (param i32 i32 i32 i32) (result i32)
    (call $record (local.get 0) (local.get 1) (local.get 2) (local.get 3))
    (i32.add (call $bump_alloc (local.get 2) (local.get 3)) (i32.const 1)))

  ;; 16 bytes before the end of memory, whatever the size asked.
  (func (export "realloc_oob") (param i32 i32 i32 i32) (result i32)
    (call $record (local.get 0) (local.get 1) (local.get 2) (local.get 3))
    (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 16)))

  (func (export "realloc_trap") (param i32 i32 i32 i32) (result i32)
    unreachable))
