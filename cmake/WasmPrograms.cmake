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
