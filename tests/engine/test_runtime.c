/*
 * test_runtime.c - the engine's runtime through its public API (wasm.h):
 * arithmetic and control flow, traps with spec messages and backtraces,
 * host functions reading guest memory, exit, call-depth exhaustion,
 * deadlines and interrupts, memory growth under a cap, tables and
 * call_indirect, several instances linked together, host -> guest
 * re-entry bounded by the native stack, and export names holding NULs.
 *
 * The modules are small hand-written WAT programs (shown above each byte
 * array) assembled once into the binary form the engine consumes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "wasm.h"

/*
 * (module
 *   (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
 *   (func $fib (export "fib") (param i32) (result i32)
 *     local.get 0 i32.const 2 i32.lt_u
 *     if (result i32) local.get 0
 *     else local.get 0 i32.const 1 i32.sub call $fib local.get 0 i32.const 2 i32.sub call $fib i32.add end)
 *   (func (export "fact") (param i64) (result i64) (local i64)
 *     i64.const 1 local.set 1
 *     block loop
 *       local.get 0 i64.eqz br_if 1
 *       local.get 1 local.get 0 i64.mul local.set 1
 *       local.get 0 i64.const 1 i64.sub local.set 0
 *       br 0
 *     end end
 *     local.get 1)
 *   (func (export "div_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
 *   (func (export "rem_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_s)
 *   (func (export "fmin") (param f32 f32) (result f32) local.get 0 local.get 1 f32.min)
 *   (func (export "nearest") (param f64) (result f64) local.get 0 f64.nearest)
 *   (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
 *   (func (export "trunc_sat") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_u)
 *   (func (export "swap") (param i32 i32) (result i32 i32) local.get 1 local.get 0)
 *   (func (export "rotl") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rotl)
 *   (func (export "clz") (param i32) (result i32) local.get 0 i32.clz)
 *   (func (export "ext8") (param i32) (result i32) local.get 0 i32.extend8_s)
 *   (func (export "sel") (param i32 i32 i32) (result i32) local.get 0 local.get 1 local.get 2 select)
 *   (func (export "brtable") (param i32) (result i32)
 *     block block block
 *       local.get 0 br_table 0 1 2
 *     end i32.const 10 return
 *     end i32.const 20 return
 *     end i32.const 30)
 *   (func (export "tee") (param i32) (result i32) (local i32)
 *     local.get 0 i32.const 5 i32.add local.tee 1 local.get 1 i32.mul)
 *   (func (export "swaplocals") (param i32 i32) (result i32)
 *     local.get 0 local.get 1 local.set 0 local.set 1 local.get 0 i32.const 10 i32.mul local.get 1 i32.add)
 * )
 */
static const uint8_t arith_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x35, 0x09, 0x60,
    0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01,
    0x7e, 0x01, 0x7e, 0x60, 0x02, 0x7d, 0x7d, 0x01, 0x7d, 0x60, 0x01, 0x7c,
    0x01, 0x7c, 0x60, 0x01, 0x7c, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x02,
    0x7f, 0x7f, 0x60, 0x02, 0x7e, 0x7e, 0x01, 0x7e, 0x60, 0x03, 0x7f, 0x7f,
    0x7f, 0x01, 0x7f, 0x03, 0x12, 0x11, 0x00, 0x01, 0x02, 0x00, 0x00, 0x03,
    0x04, 0x05, 0x05, 0x06, 0x07, 0x01, 0x01, 0x08, 0x01, 0x01, 0x00, 0x07,
    0x87, 0x01, 0x11, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x03, 0x66, 0x69,
    0x62, 0x00, 0x01, 0x04, 0x66, 0x61, 0x63, 0x74, 0x00, 0x02, 0x05, 0x64,
    0x69, 0x76, 0x5f, 0x73, 0x00, 0x03, 0x05, 0x72, 0x65, 0x6d, 0x5f, 0x73,
    0x00, 0x04, 0x04, 0x66, 0x6d, 0x69, 0x6e, 0x00, 0x05, 0x07, 0x6e, 0x65,
    0x61, 0x72, 0x65, 0x73, 0x74, 0x00, 0x06, 0x05, 0x74, 0x72, 0x75, 0x6e,
    0x63, 0x00, 0x07, 0x09, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73, 0x61,
    0x74, 0x00, 0x08, 0x04, 0x73, 0x77, 0x61, 0x70, 0x00, 0x09, 0x04, 0x72,
    0x6f, 0x74, 0x6c, 0x00, 0x0a, 0x03, 0x63, 0x6c, 0x7a, 0x00, 0x0b, 0x04,
    0x65, 0x78, 0x74, 0x38, 0x00, 0x0c, 0x03, 0x73, 0x65, 0x6c, 0x00, 0x0d,
    0x07, 0x62, 0x72, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x00, 0x0e, 0x03, 0x74,
    0x65, 0x65, 0x00, 0x0f, 0x0a, 0x73, 0x77, 0x61, 0x70, 0x6c, 0x6f, 0x63,
    0x61, 0x6c, 0x73, 0x00, 0x10, 0x0a, 0xd9, 0x01, 0x11, 0x07, 0x00, 0x20,
    0x00, 0x20, 0x01, 0x6a, 0x0b, 0x1c, 0x00, 0x20, 0x00, 0x41, 0x02, 0x49,
    0x04, 0x7f, 0x20, 0x00, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x01,
    0x20, 0x00, 0x41, 0x02, 0x6b, 0x10, 0x01, 0x6a, 0x0b, 0x0b, 0x25, 0x01,
    0x01, 0x7e, 0x42, 0x01, 0x21, 0x01, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00,
    0x50, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x7e, 0x21, 0x01, 0x20, 0x00,
    0x42, 0x01, 0x7d, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b,
    0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6d, 0x0b, 0x07, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x6f, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x96, 0x0b,
    0x05, 0x00, 0x20, 0x00, 0x9e, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xaa, 0x0b,
    0x06, 0x00, 0x20, 0x00, 0xfc, 0x03, 0x0b, 0x06, 0x00, 0x20, 0x01, 0x20,
    0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x89, 0x0b, 0x05, 0x00,
    0x20, 0x00, 0x67, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xc0, 0x0b, 0x09, 0x00,
    0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x1b, 0x0b, 0x1a, 0x00, 0x02, 0x40,
    0x02, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x02, 0x0b,
    0x41, 0x0a, 0x0f, 0x0b, 0x41, 0x14, 0x0f, 0x0b, 0x41, 0x1e, 0x0b, 0x0e,
    0x01, 0x01, 0x7f, 0x20, 0x00, 0x41, 0x05, 0x6a, 0x22, 0x01, 0x20, 0x01,
    0x6c, 0x0b, 0x12, 0x00, 0x20, 0x00, 0x20, 0x01, 0x21, 0x00, 0x21, 0x01,
    0x20, 0x00, 0x41, 0x0a, 0x6c, 0x20, 0x01, 0x6a, 0x0b, 0x00, 0x37, 0x04,
    0x6e, 0x61, 0x6d, 0x65, 0x01, 0x0b, 0x02, 0x00, 0x03, 0x61, 0x64, 0x64,
    0x01, 0x03, 0x66, 0x69, 0x62, 0x02, 0x23, 0x11, 0x00, 0x00, 0x01, 0x00,
    0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07, 0x00,
    0x08, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x0b, 0x00, 0x0c, 0x00, 0x0d, 0x00,
    0x0e, 0x00, 0x0f, 0x00, 0x10, 0x00,
};

/*
 * (module
 *   (func $inner (export "inner") unreachable)
 *   (func $middle call $inner)
 *   (func $outer (export "outer") call $middle)
 *   (func $oob (export "oob") (result i32) i32.const 65534 i32.load)
 *   (func $rec (export "rec") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec)
 *   (func $count (export "count") (param i32) (result i32)
 *     local.get 0 i32.eqz if (result i32) i32.const 0
 *     else local.get 0 i32.const 1 i32.sub call $count i32.const 1 i32.add end)
 *   (func $spin (export "spin") loop br 0 end)
 *   (memory 1)
 * )
 */
static const uint8_t traps_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0d, 0x03, 0x60,
    0x00, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03,
    0x08, 0x07, 0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x00, 0x05, 0x03, 0x01,
    0x00, 0x01, 0x07, 0x2c, 0x06, 0x05, 0x69, 0x6e, 0x6e, 0x65, 0x72, 0x00,
    0x00, 0x05, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x00, 0x02, 0x03, 0x6f, 0x6f,
    0x62, 0x00, 0x03, 0x03, 0x72, 0x65, 0x63, 0x00, 0x04, 0x05, 0x63, 0x6f,
    0x75, 0x6e, 0x74, 0x00, 0x05, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x06,
    0x0a, 0x41, 0x07, 0x03, 0x00, 0x00, 0x0b, 0x04, 0x00, 0x10, 0x00, 0x0b,
    0x04, 0x00, 0x10, 0x01, 0x0b, 0x09, 0x00, 0x41, 0xfe, 0xff, 0x03, 0x28,
    0x02, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x04,
    0x0b, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41, 0x00, 0x05, 0x20,
    0x00, 0x41, 0x01, 0x6b, 0x10, 0x05, 0x41, 0x01, 0x6a, 0x0b, 0x0b, 0x07,
    0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x00, 0x46, 0x04, 0x6e, 0x61,
    0x6d, 0x65, 0x01, 0x2e, 0x07, 0x00, 0x05, 0x69, 0x6e, 0x6e, 0x65, 0x72,
    0x01, 0x06, 0x6d, 0x69, 0x64, 0x64, 0x6c, 0x65, 0x02, 0x05, 0x6f, 0x75,
    0x74, 0x65, 0x72, 0x03, 0x03, 0x6f, 0x6f, 0x62, 0x04, 0x03, 0x72, 0x65,
    0x63, 0x05, 0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x06, 0x04, 0x73, 0x70,
    0x69, 0x6e, 0x02, 0x0f, 0x07, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
    0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00,
};

/*
 * (module
 *   (import "env" "log" (func $log (param i32 i32)))
 *   (import "env" "twice" (func $twice (param i64) (result i64)))
 *   (import "env" "exit" (func $exit (param i32)))
 *   (import "env" "callback" (func $callback (param i32) (result i32)))
 *   (memory (export "memory") 1 4)
 *   (data (i32.const 16) "hello host")
 *   (func (export "say") i32.const 16 i32.const 10 call $log)
 *   (func (export "dbl") (param i64) (result i64) local.get 0 call $twice i64.const 1 i64.add)
 *   (func (export "quit") (param i32) local.get 0 call $exit unreachable)
 *   (func (export "sq") (param i32) (result i32) local.get 0 local.get 0 i32.mul)
 *   (func (export "viacb") (param i32) (result i32) local.get 0 call $callback i32.const 1 i32.add)
 *   (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
 *   (func (export "size") (result i32) memory.size)
 *   (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
 * )
 */
static const uint8_t host_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1b, 0x06, 0x60,
    0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7e, 0x01, 0x7e, 0x60, 0x01, 0x7f,
    0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01,
    0x7f, 0x02, 0x31, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f, 0x67,
    0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x74, 0x77, 0x69, 0x63, 0x65,
    0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x65, 0x78, 0x69, 0x74, 0x00,
    0x02, 0x03, 0x65, 0x6e, 0x76, 0x08, 0x63, 0x61, 0x6c, 0x6c, 0x62, 0x61,
    0x63, 0x6b, 0x00, 0x03, 0x03, 0x09, 0x08, 0x04, 0x01, 0x02, 0x03, 0x03,
    0x03, 0x05, 0x03, 0x05, 0x04, 0x01, 0x01, 0x01, 0x04, 0x07, 0x3f, 0x09,
    0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x73, 0x61,
    0x79, 0x00, 0x04, 0x03, 0x64, 0x62, 0x6c, 0x00, 0x05, 0x04, 0x71, 0x75,
    0x69, 0x74, 0x00, 0x06, 0x02, 0x73, 0x71, 0x00, 0x07, 0x05, 0x76, 0x69,
    0x61, 0x63, 0x62, 0x00, 0x08, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x09,
    0x04, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x0a, 0x04, 0x6c, 0x6f, 0x61, 0x64,
    0x00, 0x0b, 0x0a, 0x42, 0x08, 0x08, 0x00, 0x41, 0x10, 0x41, 0x0a, 0x10,
    0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x10, 0x01, 0x42, 0x01, 0x7c, 0x0b,
    0x07, 0x00, 0x20, 0x00, 0x10, 0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x6c, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x10, 0x03, 0x41, 0x01,
    0x6a, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x04, 0x00, 0x3f,
    0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x0b, 0x10,
    0x01, 0x00, 0x41, 0x10, 0x0b, 0x0a, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20,
    0x68, 0x6f, 0x73, 0x74, 0x00, 0x3f, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01,
    0x1d, 0x04, 0x00, 0x03, 0x6c, 0x6f, 0x67, 0x01, 0x05, 0x74, 0x77, 0x69,
    0x63, 0x65, 0x02, 0x04, 0x65, 0x78, 0x69, 0x74, 0x03, 0x08, 0x63, 0x61,
    0x6c, 0x6c, 0x62, 0x61, 0x63, 0x6b, 0x02, 0x19, 0x0c, 0x00, 0x00, 0x01,
    0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07,
    0x00, 0x08, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x0b, 0x00,
};

/*
 * (module
 *   (type $ii (func (param i32) (result i32)))
 *   (type $v (func))
 *   (table $t (export "table") 4 10 funcref)
 *   (elem (i32.const 0) $inc $dbl)
 *   (func $inc (type $ii) local.get 0 i32.const 1 i32.add)
 *   (func $dbl (type $ii) local.get 0 i32.const 2 i32.mul)
 *   (func $nop (type $v))
 *   (func (export "call") (param i32 i32) (result i32) local.get 1 local.get 0 call_indirect (type $ii))
 *   (func (export "callv") (param i32) local.get 0 call_indirect (type $v))
 *   (func (export "size") (result i32) table.size $t)
 *   (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow $t)
 *   (func (export "setnop") (param i32) local.get 0 ref.func $nop table.set $t)
 *   (func (export "isnull") (param i32) (result i32) local.get 0 table.get $t ref.is_null)
 *   (elem declare func $nop)
 * )
 */
static const uint8_t tables_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x17, 0x05, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x0a, 0x09,
    0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x00, 0x03, 0x00, 0x04, 0x05, 0x01,
    0x70, 0x01, 0x04, 0x0a, 0x07, 0x38, 0x07, 0x05, 0x74, 0x61, 0x62, 0x6c,
    0x65, 0x01, 0x00, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x03, 0x05, 0x63,
    0x61, 0x6c, 0x6c, 0x76, 0x00, 0x04, 0x04, 0x73, 0x69, 0x7a, 0x65, 0x00,
    0x05, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x06, 0x06, 0x73, 0x65, 0x74,
    0x6e, 0x6f, 0x70, 0x00, 0x07, 0x06, 0x69, 0x73, 0x6e, 0x75, 0x6c, 0x6c,
    0x00, 0x08, 0x09, 0x0c, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x01,
    0x03, 0x00, 0x01, 0x02, 0x0a, 0x47, 0x09, 0x07, 0x00, 0x20, 0x00, 0x41,
    0x01, 0x6a, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x41, 0x02, 0x6c, 0x0b, 0x02,
    0x00, 0x0b, 0x09, 0x00, 0x20, 0x01, 0x20, 0x00, 0x11, 0x00, 0x00, 0x0b,
    0x07, 0x00, 0x20, 0x00, 0x11, 0x01, 0x00, 0x0b, 0x05, 0x00, 0xfc, 0x10,
    0x00, 0x0b, 0x09, 0x00, 0xd0, 0x70, 0x20, 0x00, 0xfc, 0x0f, 0x00, 0x0b,
    0x08, 0x00, 0x20, 0x00, 0xd2, 0x02, 0x26, 0x00, 0x0b, 0x07, 0x00, 0x20,
    0x00, 0x25, 0x00, 0xd1, 0x0b, 0x00, 0x3c, 0x04, 0x6e, 0x61, 0x6d, 0x65,
    0x01, 0x10, 0x03, 0x00, 0x03, 0x69, 0x6e, 0x63, 0x01, 0x03, 0x64, 0x62,
    0x6c, 0x02, 0x03, 0x6e, 0x6f, 0x70, 0x02, 0x13, 0x09, 0x00, 0x00, 0x01,
    0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07,
    0x00, 0x08, 0x00, 0x04, 0x08, 0x02, 0x00, 0x02, 0x69, 0x69, 0x01, 0x01,
    0x76, 0x05, 0x04, 0x01, 0x00, 0x01, 0x74,
};

/*
 * (module
 *   (memory (export "mem") 1)
 *   (global (export "g") (mut i32) (i32.const 7))
 *   (table (export "tab") 2 funcref)
 *   (elem (i32.const 0) $get)
 *   (func $get (export "get") (result i32) i32.const 0 i32.load)
 *   (func (export "put") (param i32) i32.const 0 local.get 0 i32.store)
 * )
 */
static const uint8_t linka_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60,
    0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x03, 0x03, 0x02, 0x00, 0x01,
    0x04, 0x04, 0x01, 0x70, 0x00, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01, 0x06,
    0x06, 0x01, 0x7f, 0x01, 0x41, 0x07, 0x0b, 0x07, 0x1d, 0x05, 0x03, 0x6d,
    0x65, 0x6d, 0x02, 0x00, 0x01, 0x67, 0x03, 0x00, 0x03, 0x74, 0x61, 0x62,
    0x01, 0x00, 0x03, 0x67, 0x65, 0x74, 0x00, 0x00, 0x03, 0x70, 0x75, 0x74,
    0x00, 0x01, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x0a,
    0x13, 0x02, 0x07, 0x00, 0x41, 0x00, 0x28, 0x02, 0x00, 0x0b, 0x09, 0x00,
    0x41, 0x00, 0x20, 0x00, 0x36, 0x02, 0x00, 0x0b, 0x00, 0x14, 0x04, 0x6e,
    0x61, 0x6d, 0x65, 0x01, 0x06, 0x01, 0x00, 0x03, 0x67, 0x65, 0x74, 0x02,
    0x05, 0x02, 0x00, 0x00, 0x01, 0x00,
};

/*
 * (module
 *   (import "a" "mem" (memory 1))
 *   (import "a" "g" (global $g (mut i32)))
 *   (import "a" "tab" (table 2 funcref))
 *   (import "a" "get" (func $get (result i32)))
 *   (type $r (func (result i32)))
 *   (func (export "store_and_get") (param i32) (result i32)
 *     i32.const 0 local.get 0 i32.store call $get)
 *   (func (export "bump") (result i32) global.get $g i32.const 1 i32.add global.set $g global.get $g)
 *   (func (export "indirect") (result i32) i32.const 0 call_indirect (type $r))
 * )
 */
static const uint8_t linkb_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60,
    0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x23, 0x04, 0x01,
    0x61, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x01, 0x61, 0x01, 0x67,
    0x03, 0x7f, 0x01, 0x01, 0x61, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00,
    0x02, 0x01, 0x61, 0x03, 0x67, 0x65, 0x74, 0x00, 0x00, 0x03, 0x04, 0x03,
    0x01, 0x00, 0x00, 0x07, 0x23, 0x03, 0x0d, 0x73, 0x74, 0x6f, 0x72, 0x65,
    0x5f, 0x61, 0x6e, 0x64, 0x5f, 0x67, 0x65, 0x74, 0x00, 0x01, 0x04, 0x62,
    0x75, 0x6d, 0x70, 0x00, 0x02, 0x08, 0x69, 0x6e, 0x64, 0x69, 0x72, 0x65,
    0x63, 0x74, 0x00, 0x03, 0x0a, 0x21, 0x03, 0x0b, 0x00, 0x41, 0x00, 0x20,
    0x00, 0x36, 0x02, 0x00, 0x10, 0x00, 0x0b, 0x0b, 0x00, 0x23, 0x00, 0x41,
    0x01, 0x6a, 0x24, 0x00, 0x23, 0x00, 0x0b, 0x07, 0x00, 0x41, 0x00, 0x11,
    0x00, 0x00, 0x0b, 0x00, 0x24, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x06,
    0x01, 0x00, 0x03, 0x67, 0x65, 0x74, 0x02, 0x09, 0x04, 0x00, 0x00, 0x01,
    0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x04, 0x01, 0x00, 0x01, 0x72, 0x07,
    0x04, 0x01, 0x00, 0x01, 0x67,
};

/*
 * (module
 *   (memory 1)
 *   (data (i32.const 4) "\2a")
 *   (func (export "wrapload") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add i32.load8_u)
 *   (func (export "wrapload32") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add i32.load offset=1))
 */
static const uint8_t wrap_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60,
    0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x00, 0x05, 0x03,
    0x01, 0x00, 0x01, 0x07, 0x19, 0x02, 0x08, 0x77, 0x72, 0x61, 0x70, 0x6c,
    0x6f, 0x61, 0x64, 0x00, 0x00, 0x0a, 0x77, 0x72, 0x61, 0x70, 0x6c, 0x6f,
    0x61, 0x64, 0x33, 0x32, 0x00, 0x01, 0x0a, 0x17, 0x02, 0x0a, 0x00, 0x20,
    0x00, 0x20, 0x01, 0x6a, 0x2d, 0x00, 0x00, 0x0b, 0x0a, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x6a, 0x28, 0x02, 0x01, 0x0b, 0x0b, 0x07, 0x01, 0x00, 0x41,
    0x04, 0x0b, 0x01, 0x2a,
};

/* ---- helpers ------------------------------------------------------------ */

static wasm_module *load(const uint8_t *bytes, size_t len)
{
    wasm_result r;
    wasm_result_init(&r);
    wasm_module *m = wasm_module_new(bytes, len, NULL, &r);
    if (!m)
        fprintf(stderr, "module rejected: %s\n", r.message);
    return m;
}

static wasm_instance *inst_of(wasm_store *s, const uint8_t *bytes, size_t len,
                              const wasm_linker *l)
{
    wasm_module *m = load(bytes, len);
    if (!m)
        return NULL;
    wasm_result r;
    wasm_instance *i = wasm_instantiate(s, m, l, &r);
    if (!i)
        fprintf(stderr, "instantiate failed: %s\n", r.message);
    wasm_module_free(m); /* the instance keeps its own reference */
    return i;
}

static int32_t call_i32(wasm_store *s, wasm_instance *in, const char *name, int nargs,
                        int32_t a, int32_t b, wasm_result *r)
{
    wasm_val args[2], res[1];
    memset(args, 0, sizeof args);
    memset(res, 0, sizeof res);
    args[0].i32 = a;
    args[1].i32 = b;
    wasm_func *f = wasm_instance_func(in, name);
    if (!f) {
        r->kind = WASM_UNLINKABLE;
        return 0;
    }
    wasm_func_call(s, f, args, (size_t)nargs, res, 1, r);
    return res[0].i32;
}

/* ---- arithmetic and control flow --------------------------------------- */

static void test_arith(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *in = inst_of(s, arith_wasm, sizeof arith_wasm, NULL);
    CHECK(in != NULL);
    if (!in) {
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    CHECK_INT(call_i32(s, in, "add", 2, 40, 2, &r), 42);
    CHECK_INT(r.kind, WASM_OK);
    CHECK_INT(call_i32(s, in, "add", 2, INT32_MAX, 1, &r), INT32_MIN);
    CHECK_INT(call_i32(s, in, "fib", 1, 20, 0, &r), 6765);
    CHECK_INT(call_i32(s, in, "div_s", 2, -7, 2, &r), -3);
    CHECK_INT(call_i32(s, in, "rem_s", 2, -7, 2, &r), -1);
    CHECK_INT(call_i32(s, in, "rem_s", 2, INT32_MIN, -1, &r), 0);
    CHECK_INT(r.kind, WASM_OK);
    CHECK_INT(call_i32(s, in, "clz", 1, 0, 0, &r), 32);
    CHECK_INT(call_i32(s, in, "clz", 1, 1, 0, &r), 31);
    CHECK_INT(call_i32(s, in, "ext8", 1, 0x80, 0, &r), -128);
    CHECK_INT(call_i32(s, in, "brtable", 1, 0, 0, &r), 10);
    CHECK_INT(call_i32(s, in, "brtable", 1, 1, 0, &r), 20);
    CHECK_INT(call_i32(s, in, "brtable", 1, 2, 0, &r), 30);
    CHECK_INT(call_i32(s, in, "brtable", 1, 99, 0, &r), 30);
    CHECK_INT(call_i32(s, in, "tee", 1, 2, 0, &r), 49);
    CHECK_INT(call_i32(s, in, "swaplocals", 2, 1, 2, &r), 21);

    wasm_val a[3], res[2];
    memset(a, 0, sizeof a);
    a[0].i32 = 11;
    a[1].i32 = 22;
    a[2].i32 = 0;
    CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "sel"), a, 3, res, 1, &r), 0);
    CHECK_INT(res[0].i32, 22);
    a[2].i32 = 5;
    wasm_func_call(s, wasm_instance_func(in, "sel"), a, 3, res, 1, &r);
    CHECK_INT(res[0].i32, 11);

    CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "swap"), a, 2, res, 2, &r), 0);
    CHECK_INT(res[0].i32, 22);
    CHECK_INT(res[1].i32, 11);

    a[0].i64 = 20;
    CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "fact"), a, 1, res, 1, &r), 0);
    CHECK(res[0].i64 == 2432902008176640000LL);

    a[0].i64 = (int64_t)0x8000000000000001ull;
    a[1].i64 = 1;
    wasm_func_call(s, wasm_instance_func(in, "rotl"), a, 2, res, 1, &r);
    CHECK(res[0].i64 == 3);

    /* f32.min must order -0 below +0 */
    a[0].f32 = 0.0f;
    a[1].f32 = -0.0f;
    wasm_func_call(s, wasm_instance_func(in, "fmin"), a, 2, res, 1, &r);
    CHECK_INT(res[0].f32_bits, 0x80000000u);

    /* nearest rounds half to even */
    a[0].f64 = 2.5;
    wasm_func_call(s, wasm_instance_func(in, "nearest"), a, 1, res, 1, &r);
    CHECK(res[0].f64 == 2.0);
    a[0].f64 = -3.5;
    wasm_func_call(s, wasm_instance_func(in, "nearest"), a, 1, res, 1, &r);
    CHECK(res[0].f64 == -4.0);

    a[0].f64 = -1e10;
    wasm_func_call(s, wasm_instance_func(in, "trunc_sat"), a, 1, res, 1, &r);
    CHECK_INT(res[0].i32, 0);
    a[0].f64 = 1e10;
    wasm_func_call(s, wasm_instance_func(in, "trunc_sat"), a, 1, res, 1, &r);
    CHECK_INT(res[0].i32, -1);

    /* wrong arity is refused, not executed */
    CHECK(wasm_func_call(s, wasm_instance_func(in, "add"), a, 1, res, 1, &r) < 0);
    CHECK(r.kind != WASM_OK);
    wasm_store_free(s);
}

/* An address computed by i32.add wraps at 32 bits before the offset is
 * added (the translator folds the add into the load). */
static void test_address_wrap(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *in = inst_of(s, wrap_wasm, sizeof wrap_wasm, NULL);
    CHECK(in != NULL);
    if (!in) {
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    CHECK_INT(call_i32(s, in, "wrapload", 2, -1, 5, &r), 42);
    CHECK_INT(r.kind, WASM_OK);
    CHECK_INT(call_i32(s, in, "wrapload32", 2, -2, 5, &r), 42);
    CHECK_INT(r.kind, WASM_OK);
    call_i32(s, in, "wrapload32", 2, 65530, 3, &r);
    CHECK_STR(r.message, "out of bounds memory access");
    wasm_store_free(s);
}

/* ---- traps -------------------------------------------------------------- */

static void test_traps(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *ar = inst_of(s, arith_wasm, sizeof arith_wasm, NULL);
    wasm_instance *tr = inst_of(s, traps_wasm, sizeof traps_wasm, NULL);
    CHECK(ar && tr);
    if (!ar || !tr) {
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    call_i32(s, ar, "div_s", 2, 1, 0, &r);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK_STR(r.message, "integer divide by zero");
    call_i32(s, ar, "div_s", 2, INT32_MIN, -1, &r);
    CHECK_STR(r.message, "integer overflow");

    wasm_val a[1], res[1];
    a[0].f64 = 3e9;
    wasm_func_call(s, wasm_instance_func(ar, "trunc"), a, 1, res, 1, &r);
    CHECK_STR(r.message, "integer overflow");
    a[0].f64 = __builtin_nan("");
    wasm_func_call(s, wasm_instance_func(ar, "trunc"), a, 1, res, 1, &r);
    CHECK_STR(r.message, "invalid conversion to integer");

    CHECK(wasm_func_call(s, wasm_instance_func(tr, "outer"), NULL, 0, NULL, 0, &r) < 0);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK_STR(r.message, "unreachable");
    /* innermost first, names from the name section */
    CHECK(strstr(r.backtrace, "#0 inner (func 0)") != NULL);
    CHECK(strstr(r.backtrace, "#1 middle (func 1)") != NULL);
    CHECK(strstr(r.backtrace, "#2 outer (func 2)") != NULL);

    call_i32(s, tr, "oob", 0, 0, 0, &r);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK_STR(r.message, "out of bounds memory access");

    /* the store stays usable after traps */
    CHECK_INT(call_i32(s, ar, "add", 2, 1, 2, &r), 3);
    CHECK_INT(r.kind, WASM_OK);
    wasm_store_free(s);
}

static void test_call_depth(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *tr = inst_of(s, traps_wasm, sizeof traps_wasm, NULL);
    CHECK(tr != NULL);
    if (!tr) {
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    call_i32(s, tr, "rec", 1, 0, 0, &r);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK_STR(r.message, "call stack exhausted");
    /* 9000 frames fit under the default limit of 10000 */
    CHECK_INT(call_i32(s, tr, "count", 1, 9000, 0, &r), 9000);
    CHECK_INT(r.kind, WASM_OK);
    wasm_store_free(s);

    wasm_store_config cfg = {.max_call_depth = 100};
    s = wasm_store_new(&cfg);
    tr = inst_of(s, traps_wasm, sizeof traps_wasm, NULL);
    CHECK_INT(call_i32(s, tr, "count", 1, 50, 0, &r), 50);
    CHECK_INT(r.kind, WASM_OK);
    call_i32(s, tr, "count", 1, 200, 0, &r);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK_STR(r.message, "call stack exhausted");
    wasm_store_free(s);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_interrupt(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *tr = inst_of(s, traps_wasm, sizeof traps_wasm, NULL);
    CHECK(tr != NULL);
    if (!tr) {
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    wasm_store_set_deadline(s, now_ns() + 20 * 1000000ull);
    CHECK(wasm_func_call(s, wasm_instance_func(tr, "spin"), NULL, 0, NULL, 0, &r) < 0);
    CHECK_INT(r.kind, WASM_INTERRUPTED);
    wasm_store_set_deadline(s, 0);

    /* an interrupt requested before the call stops it too, once */
    wasm_store_interrupt(s);
    CHECK(wasm_func_call(s, wasm_instance_func(tr, "spin"), NULL, 0, NULL, 0, &r) < 0);
    CHECK_INT(r.kind, WASM_INTERRUPTED);
    CHECK_INT(call_i32(s, tr, "count", 1, 10, 0, &r), 10);
    CHECK_INT(r.kind, WASM_OK);
    wasm_store_free(s);
}

/*
 * Loops whose branch targets the branch itself (offset 0): found by
 * fuzz_run, they spun forever because only negative offsets were counted
 * as back-edges.
 * (module
 *   (func (export "br_if_self") (loop (br_if 0 (i32.const 1))))
 *   (func (export "br_table_self") (loop (br_table 0 (i32.const 0))))
 *   (func (export "br_if_eq_self") (loop (br_if 0 (i32.eq (i32.const 1) (i32.const 1))))))
 */
static const uint8_t tight_loops_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
  0x00, 0x00, 0x03, 0x04, 0x03, 0x00, 0x00, 0x00, 0x07, 0x2e, 0x03, 0x0a,
  0x62, 0x72, 0x5f, 0x69, 0x66, 0x5f, 0x73, 0x65, 0x6c, 0x66, 0x00, 0x00,
  0x0d, 0x62, 0x72, 0x5f, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x5f, 0x73, 0x65,
  0x6c, 0x66, 0x00, 0x01, 0x0d, 0x62, 0x72, 0x5f, 0x69, 0x66, 0x5f, 0x65,
  0x71, 0x5f, 0x73, 0x65, 0x6c, 0x66, 0x00, 0x02, 0x0a, 0x23, 0x03, 0x09,
  0x00, 0x03, 0x40, 0x41, 0x01, 0x0d, 0x00, 0x0b, 0x0b, 0x0a, 0x00, 0x03,
  0x40, 0x41, 0x00, 0x0e, 0x00, 0x00, 0x0b, 0x0b, 0x0c, 0x00, 0x03, 0x40,
  0x41, 0x01, 0x41, 0x01, 0x46, 0x0d, 0x00, 0x0b, 0x0b
};

static void test_deadline_stops_self_branching_loops(void)
{
    static const char *const names[] = {"br_if_self", "br_table_self", "br_if_eq_self"};
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *inst = inst_of(s, tight_loops_wasm, sizeof tight_loops_wasm, NULL);
    CHECK(inst != NULL);
    for (size_t i = 0; inst && i < sizeof names / sizeof names[0]; i++) {
        wasm_result r;
        wasm_store_set_deadline(s, now_ns() + 20 * 1000000ull);
        CHECK(wasm_func_call(s, wasm_instance_func(inst, names[i]), NULL, 0, NULL, 0, &r) < 0);
        CHECK_INT(r.kind, WASM_INTERRUPTED);
    }
    wasm_store_free(s);
}

/* ---- host functions ----------------------------------------------------- */

static char logged[64];

static int host_log(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    uint64_t size;
    uint8_t *mem = wasm_caller_memory(c, &size);
    uint32_t ptr = (uint32_t)args[0].i32, len = (uint32_t)args[1].i32;
    if (!mem || (uint64_t)ptr + len > size || len >= sizeof logged)
        return wasm_caller_trap(c, "log: bad pointer");
    memcpy(logged, mem + ptr, len);
    logged[len] = '\0';
    (*(int *)env)++;
    return 0;
}

static int host_twice(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    results[0].i64 = args[0].i64 * 2;
    return 0;
}

static int host_exit(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    return wasm_caller_exit(c, args[0].i32);
}

/* calls back into the guest's "sq" export */
static int host_callback(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    wasm_func *sq = wasm_instance_func(wasm_caller_instance(c), env ? (const char *)env : "sq");
    wasm_result r;
    if (!sq || wasm_func_call(wasm_caller_store(c), sq, args, 1, results, 1, &r) < 0)
        return wasm_caller_trap(c, "callback failed");
    return 0;
}

static void test_host(void)
{
    int calls = 0;
    int ud = 5;
    wasm_store_config cfg = {.user_data = &ud};
    wasm_store *s = wasm_store_new(&cfg);
    CHECK(wasm_store_user_data(s) == &ud);
    wasm_linker *l = wasm_linker_new();
    CHECK(wasm_linker_define_host(l, s, "env", "log", "ii:", host_log, &calls) != NULL);
    CHECK(wasm_linker_define_host(l, s, "env", "twice", "I:I", host_twice, NULL) != NULL);
    CHECK(wasm_linker_define_host(l, s, "env", "exit", "i:", host_exit, NULL) != NULL);
    CHECK(wasm_linker_define_host(l, s, "env", "callback", "i:i", host_callback, NULL) != NULL);
    CHECK(wasm_linker_define_host(l, s, "env", "bad", "q:", host_exit, NULL) == NULL);
    wasm_instance *in = inst_of(s, host_wasm, sizeof host_wasm, l);
    CHECK(in != NULL);
    if (!in) {
        wasm_linker_free(l);
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "say"), NULL, 0, NULL, 0, &r), 0);
    CHECK_STR(logged, "hello host");
    CHECK_INT(calls, 1);

    wasm_val a[1], res[1];
    a[0].i64 = 21;
    CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "dbl"), a, 1, res, 1, &r), 0);
    CHECK(res[0].i64 == 43);

    CHECK_INT(call_i32(s, in, "viacb", 1, 7, 0, &r), 50);
    CHECK_INT(r.kind, WASM_OK);

    a[0].i32 = 3;
    CHECK(wasm_func_call(s, wasm_instance_func(in, "quit"), a, 1, NULL, 0, &r) < 0);
    CHECK_INT(r.kind, WASM_EXIT);
    CHECK_INT(r.exit_code, 3);

    /* unbounded host -> guest -> host recursion ends in a trap, not a crash */
    wasm_linker *rl = wasm_linker_new();
    wasm_linker_define_host(rl, s, "env", "log", "ii:", host_log, &calls);
    wasm_linker_define_host(rl, s, "env", "twice", "I:I", host_twice, NULL);
    wasm_linker_define_host(rl, s, "env", "exit", "i:", host_exit, NULL);
    wasm_linker_define_host(rl, s, "env", "callback", "i:i", host_callback, "viacb");
    wasm_instance *rin = inst_of(s, host_wasm, sizeof host_wasm, rl);
    CHECK(rin != NULL);
    if (rin) {
        call_i32(s, rin, "viacb", 1, 1, 0, &r);
        CHECK_INT(r.kind, WASM_TRAP);
        CHECK_INT(call_i32(s, rin, "sq", 1, 9, 0, &r), 81); /* the store recovered */
    }
    wasm_linker_free(rl);

    /* a host function is callable directly too */
    wasm_extern e;
    CHECK(wasm_linker_get(l, "env", "twice", &e));
    CHECK_STR(wasm_func_signature(e.of.func), "I:I");
    a[0].i64 = 4;
    CHECK_INT(wasm_func_call(s, e.of.func, a, 1, res, 1, &r), 0);
    CHECK(res[0].i64 == 8);

    /* unknown import */
    wasm_linker *empty = wasm_linker_new();
    wasm_module *m = load(host_wasm, sizeof host_wasm);
    CHECK(wasm_instantiate(s, m, empty, &r) == NULL);
    CHECK_INT(r.kind, WASM_UNLINKABLE);
    CHECK(strstr(r.message, "unknown import") != NULL);
    /* wrong signature */
    wasm_linker_define_host(empty, s, "env", "log", "i:", host_exit, NULL);
    CHECK(wasm_instantiate(s, m, empty, &r) == NULL);
    CHECK_INT(r.kind, WASM_UNLINKABLE);
    CHECK(strstr(r.message, "incompatible import type") != NULL);
    wasm_module_free(m);
    wasm_linker_free(empty);
    wasm_linker_free(l);
    wasm_store_free(s);
}

/* ---- a linker of no store, resolved once ---------------------------------- */

/* "log" with env NULL: counts in the user_data of the store it runs in. */
static int host_log_store(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    return host_log(c, wasm_caller_user_data(c), args, results);
}

static wasm_linker *store_free_linker(const char *log_sig)
{
    wasm_linker *l = wasm_linker_new();
    CHECK_INT(wasm_linker_define_func(l, "env", "log", log_sig, host_log_store, NULL), 0);
    CHECK_INT(wasm_linker_define_func(l, "env", "twice", "I:I", host_twice, NULL), 0);
    CHECK_INT(wasm_linker_define_func(l, "env", "exit", "i:", host_exit, NULL), 0);
    CHECK_INT(wasm_linker_define_func(l, "env", "callback", "i:i", host_callback, "sq"), 0);
    return l;
}

static void test_resolution_serves_a_store_per_request(void)
{
    wasm_module *m = load(host_wasm, sizeof host_wasm);
    wasm_linker *l = store_free_linker("ii:");
    CHECK_INT(wasm_linker_define_func(l, "env", "bad", "q:", host_exit, NULL), -1);
    wasm_result r;
    wasm_resolution *res = wasm_linker_resolve(l, m, &r);
    CHECK(res != NULL);
    wasm_linker_free(l); /* the resolution keeps what it needs */
    if (!res) {
        wasm_module_free(m);
        return;
    }
    int calls[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) { /* one fresh store per "request" */
        wasm_store_config cfg = {.user_data = &calls[i]};
        wasm_store *s = wasm_store_new(&cfg);
        wasm_instance *in = wasm_instantiate_resolved(s, m, res, &r);
        CHECK(in != NULL);
        if (in) {
            for (int j = 0; j <= i; j++)
                CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "say"), NULL, 0, NULL, 0, &r),
                          0);
            CHECK_STR(logged, "hello host");
            wasm_val a[1] = {{.i64 = 21}}, out[1];
            CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "dbl"), a, 1, out, 1, &r), 0);
            CHECK(out[0].i64 == 43);
            CHECK_INT(call_i32(s, in, "viacb", 1, 7, 0, &r), 50);
        }
        wasm_store_free(s);
    }
    /* each store's calls reached that store's context */
    CHECK_INT(calls[0], 1);
    CHECK_INT(calls[1], 2);
    CHECK_INT(calls[2], 3);
    /* a resolution belongs to its module */
    wasm_module *other = load(host_wasm, sizeof host_wasm);
    wasm_store *s = wasm_store_new(NULL);
    CHECK(wasm_instantiate_resolved(s, other, res, &r) == NULL);
    CHECK_INT(r.kind, WASM_UNLINKABLE);
    wasm_store_free(s);
    wasm_module_free(other);
    wasm_resolution_free(res);
    wasm_module_free(m);
}

static void test_resolution_refuses_what_instantiate_refuses(void)
{
    wasm_module *m = load(host_wasm, sizeof host_wasm);
    wasm_result r;
    /* a missing import */
    wasm_linker *l = wasm_linker_new();
    CHECK(wasm_linker_resolve(l, m, &r) == NULL);
    CHECK_INT(r.kind, WASM_UNLINKABLE);
    CHECK_STR(r.message, "unknown import: env::log (function)");
    wasm_linker_free(l);
    /* a store-free function of the wrong signature, through both paths */
    l = store_free_linker("i:");
    CHECK(wasm_linker_resolve(l, m, &r) == NULL);
    CHECK_STR(r.message, "incompatible import type: env::log (function)");
    /* which import failed, and what the host has there, for a message */
    size_t bad = 99;
    CHECK(wasm_linker_resolve_at(l, m, &bad, &r) == NULL);
    CHECK_INT((int)bad, 0);
    CHECK_STR(wasm_linker_func_signature(l, "env", "log"), "i:");
    CHECK(wasm_linker_func_signature(l, "env", "nothing") == NULL);
    wasm_store *s = wasm_store_new(NULL);
    CHECK_INT(wasm_linker_check(s, m, l, NULL, &r), -1);
    CHECK_STR(r.message, "incompatible import type: env::log (function)");
    CHECK(wasm_instantiate(s, m, l, &r) == NULL);
    CHECK_STR(r.message, "incompatible import type: env::log (function)");
    wasm_linker_free(l);
    /* store-free functions also work through wasm_instantiate, and a
     * store's extern in a resolution must be of the instantiating store */
    int calls = 0;
    wasm_store_config cfg = {.user_data = &calls};
    wasm_store *s2 = wasm_store_new(&cfg);
    l = store_free_linker("ii:");
    wasm_extern e;
    CHECK(!wasm_linker_get(l, "env", "twice", &e)); /* no store's extern */
    CHECK(wasm_linker_define_host(l, s, "env", "twice", "I:I", host_twice, NULL) != NULL);
    CHECK_STR(wasm_linker_func_signature(l, "env", "twice"), "I:I"); /* a store's, too */
    CHECK_INT(wasm_linker_check(s, m, l, NULL, &r), 0);
    wasm_instance *in = wasm_instantiate(s, m, l, &r);
    CHECK(in != NULL);
    wasm_resolution *res = wasm_linker_resolve(l, m, &r);
    CHECK(res != NULL);
    if (res) {
        CHECK(wasm_instantiate_resolved(s2, m, res, &r) == NULL);
        CHECK_STR(r.message, "incompatible import type: env::twice (function)");
        CHECK(wasm_instantiate_resolved(s, m, res, &r) != NULL);
    }
    wasm_resolution_free(res);
    wasm_linker_free(l);
    wasm_store_free(s2);
    wasm_store_free(s);
    wasm_module_free(m);
}

static void test_memory_cap(void)
{
    wasm_store_config cfg = {.max_memory_bytes = 2 * 65536};
    wasm_store *s = wasm_store_new(&cfg);
    wasm_linker *l = wasm_linker_new();
    int calls = 0;
    wasm_linker_define_host(l, s, "env", "log", "ii:", host_log, &calls);
    wasm_linker_define_host(l, s, "env", "twice", "I:I", host_twice, NULL);
    wasm_linker_define_host(l, s, "env", "exit", "i:", host_exit, NULL);
    wasm_linker_define_host(l, s, "env", "callback", "i:i", host_callback, NULL);
    wasm_instance *in = inst_of(s, host_wasm, sizeof host_wasm, l);
    CHECK(in != NULL);
    if (!in) {
        wasm_linker_free(l);
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    CHECK_INT(call_i32(s, in, "size", 0, 0, 0, &r), 1);
    CHECK_INT(call_i32(s, in, "grow", 1, 1, 0, &r), 1);
    CHECK_INT(call_i32(s, in, "size", 0, 0, 0, &r), 2);
    CHECK_INT(call_i32(s, in, "grow", 1, 1, 0, &r), -1); /* the cap */
    CHECK_INT(call_i32(s, in, "size", 0, 0, 0, &r), 2);
    /* new pages are zero and addressable; the one past the end is not */
    CHECK_INT(call_i32(s, in, "load", 1, 2 * 65536 - 1, 0, &r), 0);
    CHECK_INT(r.kind, WASM_OK);
    call_i32(s, in, "load", 1, 2 * 65536, 0, &r);
    CHECK_STR(r.message, "out of bounds memory access");

    wasm_memory *mem = wasm_instance_memory(in, "memory");
    CHECK(mem != NULL);
    CHECK(wasm_memory_size(mem) == 2 * 65536);
    CHECK(memcmp(wasm_memory_data(mem) + 16, "hello host", 10) == 0);
    wasm_memory_data(mem)[100] = 42;
    CHECK_INT(call_i32(s, in, "load", 1, 100, 0, &r), 42);
    wasm_linker_free(l);
    wasm_store_free(s);

    /* without a cap the declared maximum (4 pages) applies */
    s = wasm_store_new(NULL);
    wasm_memory *m2 = wasm_memory_new(s, (wasm_limits){.min = 1, .max = 4}, &r);
    CHECK(m2 != NULL);
    CHECK_INT(wasm_memory_grow(m2, 3), 1);
    CHECK_INT(wasm_memory_grow(m2, 1), -1);
    wasm_store_free(s);
}

/* ---- tables ------------------------------------------------------------- */

static void test_tables(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *in = inst_of(s, tables_wasm, sizeof tables_wasm, NULL);
    CHECK(in != NULL);
    if (!in) {
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    CHECK_INT(call_i32(s, in, "call", 2, 0, 5, &r), 6);
    CHECK_INT(call_i32(s, in, "call", 2, 1, 5, &r), 10);
    call_i32(s, in, "call", 2, 2, 5, &r);
    /* the element index is part of the message, as the reference
     * interpreter prints it */
    CHECK_STR(r.message, "uninitialized element 2");
    call_i32(s, in, "call", 2, 4, 5, &r);
    CHECK_STR(r.message, "undefined element 4");
    wasm_val a[1];
    a[0].i32 = 0;
    wasm_func_call(s, wasm_instance_func(in, "callv"), a, 1, NULL, 0, &r);
    CHECK_STR(r.message, "indirect call type mismatch");

    CHECK_INT(call_i32(s, in, "size", 0, 0, 0, &r), 4);
    CHECK_INT(call_i32(s, in, "grow", 1, 3, 0, &r), 4);
    CHECK_INT(call_i32(s, in, "size", 0, 0, 0, &r), 7);
    CHECK_INT(call_i32(s, in, "grow", 1, 4, 0, &r), -1); /* max 10 */
    CHECK_INT(call_i32(s, in, "isnull", 1, 6, 0, &r), 1);
    a[0].i32 = 6;
    CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "setnop"), a, 1, NULL, 0, &r), 0);
    CHECK_INT(call_i32(s, in, "isnull", 1, 6, 0, &r), 0);
    a[0].i32 = 6;
    CHECK_INT(wasm_func_call(s, wasm_instance_func(in, "callv"), a, 1, NULL, 0, &r), 0);
    call_i32(s, in, "isnull", 1, 7, 0, &r);
    CHECK_STR(r.message, "out of bounds table access");

    /* the API sees the same table */
    wasm_extern e;
    CHECK(wasm_instance_export(in, "table", &e));
    CHECK_INT(e.kind, WASM_EXTERN_TABLE);
    CHECK_INT(wasm_table_size(e.of.table), 7);
    wasm_val v;
    CHECK(wasm_table_get(e.of.table, 0, &v));
    CHECK(v.funcref != NULL);
    CHECK_STR(wasm_func_signature(v.funcref), "i:i");
    CHECK(!wasm_table_get(e.of.table, 7, &v));
    wasm_store_free(s);
}

/* ---- linking ------------------------------------------------------------ */

static void test_linking(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_linker *l = wasm_linker_new();
    wasm_instance *a = inst_of(s, linka_wasm, sizeof linka_wasm, NULL);
    CHECK(a != NULL);
    if (!a) {
        wasm_linker_free(l);
        wasm_store_free(s);
        return;
    }
    wasm_linker_define_instance(l, "a", a);
    wasm_instance *b = inst_of(s, linkb_wasm, sizeof linkb_wasm, l);
    CHECK(b != NULL);
    if (!b) {
        wasm_linker_free(l);
        wasm_store_free(s);
        return;
    }
    wasm_result r;
    /* b writes the shared memory, a's function reads it */
    CHECK_INT(call_i32(s, b, "store_and_get", 1, 1234, 0, &r), 1234);
    /* the shared global */
    CHECK_INT(call_i32(s, b, "bump", 0, 0, 0, &r), 8);
    wasm_extern g;
    CHECK(wasm_instance_export(a, "g", &g));
    CHECK_INT(wasm_global_get(g.of.global).i32, 8);
    wasm_val nv = {.i32 = 100};
    CHECK(wasm_global_set(g.of.global, nv));
    CHECK_INT(call_i32(s, b, "bump", 0, 0, 0, &r), 101);
    /* a's function through the shared table, called from b */
    wasm_val pv = {.i32 = 77};
    wasm_func_call(s, wasm_instance_func(a, "put"), &pv, 1, NULL, 0, &r);
    CHECK_INT(call_i32(s, b, "indirect", 0, 0, 0, &r), 77);

    /* an immutable host global does not satisfy a mutable import */
    wasm_linker *l2 = wasm_linker_new();
    wasm_linker_define_instance(l2, "a", a);
    wasm_extern cg = {.kind = WASM_EXTERN_GLOBAL,
                      .of.global = wasm_global_new(s, WASM_I32, false, nv)};
    wasm_linker_define(l2, "a", "g", cg);
    wasm_module *mb = load(linkb_wasm, sizeof linkb_wasm);
    CHECK(wasm_instantiate(s, mb, l2, &r) == NULL);
    CHECK_INT(r.kind, WASM_UNLINKABLE);
    CHECK(!wasm_global_set(cg.of.global, nv));
    /* a memory smaller than the declared minimum does not match */
    wasm_linker_define_instance(l2, "a", a);
    wasm_extern small = {.kind = WASM_EXTERN_MEMORY,
                         .of.memory = wasm_memory_new(s, (wasm_limits){0, UINT64_MAX}, &r)};
    wasm_linker_define(l2, "a", "mem", small);
    CHECK(wasm_instantiate(s, mb, l2, &r) == NULL);
    CHECK(strstr(r.message, "incompatible import type") != NULL);
    wasm_module_free(mb);
    wasm_linker_free(l2);
    wasm_linker_free(l);
    wasm_store_free(s);
}

/* The imports given by position (wasm_instantiate_externs, what a
 * component_pre's plan fills): a's exports by number serve b; a wrong
 * count, a wrong kind or another store's extern are refused with the
 * messages a linker's path gives. */
static void test_linking_by_position(void)
{
    wasm_store *s = wasm_store_new(NULL), *other = wasm_store_new(NULL);
    wasm_instance *a = inst_of(s, linka_wasm, sizeof linka_wasm, NULL);
    wasm_instance *a2 = inst_of(other, linka_wasm, sizeof linka_wasm, NULL);
    wasm_module *mb = load(linkb_wasm, sizeof linkb_wasm);
    CHECK(a && a2 && mb);
    if (!a || !a2 || !mb)
        goto out;
    wasm_extern imps[4], x;
    /* a exports mem, g, tab, get, put in this order; b imports the first four */
    for (size_t i = 0; i < 4; i++)
        CHECK(wasm_instance_export_at(a, i, &imps[i]));
    CHECK(wasm_instance_export_at(a, 4, &x) && x.kind == WASM_EXTERN_FUNC);
    CHECK(!wasm_instance_export_at(a, 5, &x));
    wasm_result r;
    wasm_instance *b = wasm_instantiate_externs(s, mb, imps, 4, &r);
    CHECK(b != NULL);
    if (b) {
        CHECK_INT(call_i32(s, b, "store_and_get", 1, 4321, 0, &r), 4321);
        CHECK_INT(call_i32(s, b, "bump", 0, 0, 0, &r), 8);
    }
    CHECK(wasm_instantiate_externs(s, mb, imps, 3, &r) == NULL);
    CHECK_INT(r.kind, WASM_UNLINKABLE);
    CHECK_STR(r.message, "3 imports given, the module has 4");
    wasm_extern swapped[4] = {imps[1], imps[0], imps[2], imps[3]};
    CHECK(wasm_instantiate_externs(s, mb, swapped, 4, &r) == NULL);
    CHECK_STR(r.message, "incompatible import type: a::mem (memory)");
    wasm_extern foreign[4];
    for (size_t i = 0; i < 4; i++)
        CHECK(wasm_instance_export_at(a2, i, &foreign[i]));
    CHECK(wasm_instantiate_externs(s, mb, foreign, 4, &r) == NULL);
    CHECK_STR(r.message, "incompatible import type: a::mem (memory)");
out:
    wasm_module_free(mb);
    wasm_store_free(s);
    wasm_store_free(other);
}

/* ---- constant expressions ------------------------------------------------- */

/*
 * extended-const lets an initialiser stack up any number of operands:
 * (module (global (export "g") i32
 *   (i32.const 1) (i32.const 2) ... (i32.const 20) i32.add x19))
 */
static const uint8_t deep_const_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x06, 0x3f, 0x01, 0x7f,
    0x00, 0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x41, 0x04, 0x41, 0x05, 0x41,
    0x06, 0x41, 0x07, 0x41, 0x08, 0x41, 0x09, 0x41, 0x0a, 0x41, 0x0b, 0x41,
    0x0c, 0x41, 0x0d, 0x41, 0x0e, 0x41, 0x0f, 0x41, 0x10, 0x41, 0x11, 0x41,
    0x12, 0x41, 0x13, 0x41, 0x14, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a,
    0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a,
    0x0b, 0x07, 0x05, 0x01, 0x01, 0x67, 0x03, 0x00,
};

static void test_deep_constant_expression(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_instance *in = inst_of(s, deep_const_wasm, sizeof deep_const_wasm, NULL);
    CHECK(in != NULL);
    wasm_extern g;
    if (in && wasm_instance_export(in, "g", &g)) {
        CHECK_INT(g.kind, WASM_EXTERN_GLOBAL);
        CHECK_INT(wasm_global_get(g.of.global).i32, 210);
    } else {
        CHECK(0);
    }
    wasm_store_free(s);
}

/* ---- host -> guest re-entry and export names ------------------------------ */

/*
 * (module
 *   (import "host" "reenter" (func $reenter (param i32) (result i32)))
 *   (func (export "down") (param i32) (result i32)
 *     local.get 0 i32.const 1 i32.add call $reenter)
 *   (func (export "\00a") (result i32) i32.const 1)
 *   (func (export "") (result i32) i32.const 2))
 */
static const uint8_t reenter_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x10, 0x01, 0x04,
    0x68, 0x6f, 0x73, 0x74, 0x07, 0x72, 0x65, 0x65, 0x6e, 0x74, 0x65, 0x72,
    0x00, 0x00, 0x03, 0x04, 0x03, 0x00, 0x01, 0x01, 0x07, 0x10, 0x03, 0x04,
    0x64, 0x6f, 0x77, 0x6e, 0x00, 0x01, 0x02, 0x00, 0x61, 0x00, 0x02, 0x00,
    0x00, 0x03, 0x0a, 0x15, 0x03, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a,
    0x10, 0x00, 0x0b, 0x04, 0x00, 0x41, 0x01, 0x0b, 0x04, 0x00, 0x41, 0x02,
    0x0b,
};

typedef struct reenter_env {
    wasm_func *down;
    int32_t deepest;
} reenter_env;

/* host "reenter"(n): calls the guest's "down"(n), which calls back here
 * with n + 1, without end; a failed call's trap is passed outwards */
static int host_reenter(wasm_caller *c, void *env, const wasm_val *args, wasm_val *results)
{
    reenter_env *e = env;
    if (args[0].i32 > e->deepest)
        e->deepest = args[0].i32;
    wasm_result r;
    if (wasm_func_call(wasm_caller_store(c), e->down, args, 1, results, 1, &r) < 0)
        return wasm_caller_trap(c, "%s", r.message);
    return 0;
}

/* Runs host -> guest -> host ... until the engine refuses to go deeper.
 * Returns how deep it got (0 if it returned normally). */
static int32_t run_reentry(wasm_result *r)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_linker *l = wasm_linker_new();
    reenter_env env = {0};
    wasm_linker_define_host(l, s, "host", "reenter", "i:i", host_reenter, &env);
    wasm_instance *in = inst_of(s, reenter_wasm, sizeof reenter_wasm, l);
    int32_t deepest = -1;
    if (in) {
        env.down = wasm_instance_func(in, "down");
        wasm_val a[1] = {{.i32 = 0}}, res[1];
        if (wasm_func_call(s, env.down, a, 1, res, 1, r) < 0)
            deepest = env.deepest;
        else
            deepest = 0;
        /* the store stays usable once the nest has unwound */
        wasm_result ok;
        CHECK_INT(call_i32(s, in, "", 0, 0, 0, &ok), 2);
        CHECK_INT(ok.kind, WASM_OK);
    }
    wasm_linker_free(l);
    wasm_store_free(s);
    return deepest;
}

static void check_reentry_trap(void)
{
    wasm_result r;
    int32_t deepest = run_reentry(&r);
    CHECK_INT(r.kind, WASM_TRAP);
    CHECK_STR(r.message, "call stack exhausted");
    /* the limit leaves real room, even in a sanitizer build */
    if (deepest < 16)
        fprintf(stderr, "  re-entered only %d times\n", (int)deepest);
    CHECK(deepest >= 16);
}

static void *reentry_thread(void *arg)
{
    (void)arg;
    check_reentry_trap();
    return NULL;
}

/* Re-entry nests native frames; the engine must trap before the native
 * stack runs out, on the main thread (8 MiB) as on a 1 MiB thread, where
 * the old fixed limit of 256 levels overflowed under ASan at -O0. */
static void test_reentry_depth(void)
{
    check_reentry_trap();
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    pthread_t t;
    CHECK_INT(pthread_create(&t, &attr, reentry_thread, NULL), 0);
    pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
}

/* Export names may hold NUL bytes: wasm_instance_export_n tells "\0a"
 * and "" apart, the C-string lookup sees only "". */
static void test_export_names(void)
{
    wasm_store *s = wasm_store_new(NULL);
    wasm_linker *l = wasm_linker_new();
    reenter_env env = {0};
    wasm_linker_define_host(l, s, "host", "reenter", "i:i", host_reenter, &env);
    wasm_instance *in = inst_of(s, reenter_wasm, sizeof reenter_wasm, l);
    CHECK(in != NULL);
    if (in) {
        wasm_extern e1, e2;
        CHECK(wasm_instance_export_n(in, "\0a", 2, &e1));
        CHECK(wasm_instance_export_n(in, "", 0, &e2));
        CHECK(!wasm_instance_export_n(in, "\0", 1, &e2));
        CHECK(!wasm_instance_export_n(in, "down", 3, &e2));
        CHECK(wasm_instance_export_n(in, "down", 4, &e2));
        wasm_val res[1];
        wasm_result r;
        CHECK_INT(wasm_func_call(s, e1.of.func, NULL, 0, res, 1, &r), 0);
        CHECK_INT(res[0].i32, 1);
        /* listing the module's exports gives each name's length */
        wasm_module *m = wasm_instance_module(in);
        CHECK_INT(wasm_module_export_count(m), 3);
        wasm_export_desc d1 = wasm_module_export(m, 1), d2 = wasm_module_export(m, 2);
        CHECK_INT(d1.name_len, 2);
        CHECK(memcmp(d1.name, "\0a", 2) == 0);
        CHECK_INT(d2.name_len, 0);
        CHECK(wasm_instance_export(in, "", &e2));
        CHECK_INT(wasm_func_call(s, e2.of.func, NULL, 0, res, 1, &r), 0);
        CHECK_INT(res[0].i32, 2);
    }
    wasm_linker_free(l);
    wasm_store_free(s);
}

int main(void)
{
    RUN(test_arith);
    RUN(test_address_wrap);
    RUN(test_traps);
    RUN(test_call_depth);
    RUN(test_interrupt);
    RUN(test_deadline_stops_self_branching_loops);
    RUN(test_host);
    RUN(test_resolution_serves_a_store_per_request);
    RUN(test_resolution_refuses_what_instantiate_refuses);
    RUN(test_memory_cap);
    RUN(test_tables);
    RUN(test_linking);
    RUN(test_linking_by_position);
    RUN(test_reentry_depth);
    RUN(test_export_names);
    RUN(test_deep_constant_expression);
    return TEST_SUMMARY();
}
