;; The per-thread pool of instance blocks (src/engine/pool.c): a table of
;; 4096 elements (32 KiB of element array) and 250 defined functions (more
;; than 16 KiB of function records) are big enough to be pooled.  An
;; instance changes its table, grows it and bumps its global; the next
;; instance, taking the pooled blocks back, must see none of it.
(module
  (type $v (func (result i32)))
  (table $t (export "tab") 4096 funcref)
  (global $g (export "g") (mut i32) (i32.const 7))
  (elem (i32.const 10) $f0 $f1)
  (func $f0 (result i32) i32.const 100)
  (func $f1 (result i32) i32.const 101)
  (func (export "put") (param i32) local.get 0 ref.func $f1 table.set $t)
  (func (export "is_null") (param i32) (result i32) local.get 0 table.get $t ref.is_null)
  (func (export "call_at") (param i32) (result i32) local.get 0 call_indirect $t (type $v))
  (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow $t)
  (func (export "size") (result i32) table.size $t)
  (func (export "bump") (result i32)
    global.get $g i32.const 1 i32.add global.set $g global.get $g)
  ;; padding: more defined functions
  (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func) (func))
