;; A nested component instantiated with a function of another type than
;; its import declares: linking names the instance, the import and both
;; types.
(component
  (component $inner
    (import "f" (func (param "x" u32) (result u32)))
  )
  (core module $m (func (export "g") (param i64) (result i64) local.get 0))
  (core instance $i (instantiate $m))
  (func $g (param "x" u64) (result u64) (canon lift (core func $i "g")))
  (instance (instantiate $inner (with "f" (func $g))))
)
