# add_wasm_program(NAME SOURCES...) builds NAME.wasm from our own C sources
# with Debian's clang-14 and wasi-libc (--target=wasm32-wasi).  The result is
# at ${CMAKE_BINARY_DIR}/wasm/NAME.wasm and a target `wasm-NAME` builds it.
find_program(WASM_CC NAMES clang-14 clang)
set(WASM_OUTPUT_DIR ${CMAKE_BINARY_DIR}/wasm)
file(MAKE_DIRECTORY ${WASM_OUTPUT_DIR})

function(add_wasm_program name)
  cmake_parse_arguments(W "" "" "SOURCES;FLAGS" ${ARGN})
  if(NOT W_SOURCES)
    set(W_SOURCES ${W_UNPARSED_ARGUMENTS})
  endif()
  set(out ${WASM_OUTPUT_DIR}/${name}.wasm)
  set(srcs)
  foreach(s ${W_SOURCES})
    list(APPEND srcs ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${WASM_CC} --target=wasm32-wasi -O2 -Wall -Wextra ${W_FLAGS} -o ${out} ${srcs}
    DEPENDS ${srcs}
    COMMENT "Building Wasm program ${name}.wasm"
    VERBATIM)
  add_custom_target(wasm-${name} ALL DEPENDS ${out})
endfunction()

# add_wat_module(NAME FILE.wat) and add_wat_component(NAME FILE.wat) build
# test inputs written as WebAssembly text: core modules with wabt's
# wat2wasm (Debian), components with `jco parse` (npm @bytecodealliance/jco,
# installed into .tools/ by scripts/install-deps.sh).  Outputs land beside
# the other test programs: ${WASM_OUTPUT_DIR}/NAME.wasm, target wasm-NAME.
find_program(WAT2WASM wat2wasm)
find_program(JCO jco HINTS ${CMAKE_SOURCE_DIR}/.tools/node_modules/.bin)

function(wat_rule name src tool)
  set(out ${WASM_OUTPUT_DIR}/${name}.wasm)
  set(in ${CMAKE_CURRENT_SOURCE_DIR}/${src})
  if(tool STREQUAL "jco")
    if(NOT JCO)
      message(FATAL_ERROR "jco not found: run scripts/install-deps.sh (it installs it into .tools/)")
    endif()
    set(cmd ${JCO} parse ${in} -o ${out})
  else()
    if(NOT WAT2WASM)
      message(FATAL_ERROR "wat2wasm not found: apt-get install wabt (scripts/install-deps.sh)")
    endif()
    set(cmd ${WAT2WASM} ${in} -o ${out})
  endif()
  add_custom_command(OUTPUT ${out} COMMAND ${cmd} DEPENDS ${in}
    COMMENT "Building ${name}.wasm from ${src}" VERBATIM)
  add_custom_target(wasm-${name} ALL DEPENDS ${out})
endfunction()

function(add_wat_module name src)
  wat_rule(${name} ${src} wat2wasm)
endfunction()

function(add_wat_component name src)
  wat_rule(${name} ${src} jco)
endfunction()
