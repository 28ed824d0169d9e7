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

# add_c_component(NAME SOURCE WIT_DIR WORLD [DEPS_DIR]) builds a component from C
# written against the canonical ABI (no libc, no adapter): clang-14 makes
# the core module (bulk memory: memcpy is memory.copy), `jco embed` adds the WIT world of WIT_DIR/world.wit
# (its deps: jco's WASI 0.2.12 packages and DEPS_DIR or WIT_DIR/deps;
# cmake/jco_root_preopen.mjs lets jco read them) and `jco new` wraps it.  The
# result is ${WASM_OUTPUT_DIR}/NAME.wasm, target wasm-NAME.
set(JCO_WASI_WIT ${CMAKE_SOURCE_DIR}/.tools/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12)

function(add_c_component name src wit_dir world)
  if(NOT JCO)
    message(FATAL_ERROR "jco not found: run scripts/install-deps.sh (it installs it into .tools/)")
  endif()
  find_program(NODE_FOR_JCO node REQUIRED)
  get_filename_component(jco_script ${JCO} REALPATH)
  set(in ${CMAKE_CURRENT_SOURCE_DIR}/${src})
  set(world_wit ${CMAKE_CURRENT_SOURCE_DIR}/${wit_dir}/world.wit)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}.component)
  set(core ${work}/core.wasm)
  set(out ${WASM_OUTPUT_DIR}/${name}.wasm)
  # WIT packages of the component's own (DEPS_DIR, the optional fifth
  # argument, else WIT_DIR/deps), besides WASI's.
  set(own_deps ${CMAKE_CURRENT_SOURCE_DIR}/${wit_dir}/deps)
  if(ARGC GREATER 4)
    set(own_deps ${CMAKE_CURRENT_SOURCE_DIR}/${ARGV4})
  endif()
  set(copy_own_deps)
  set(own_dep_files)
  if(EXISTS ${own_deps})
    set(copy_own_deps COMMAND ${CMAKE_COMMAND} -E copy_directory ${own_deps} ${work}/wit/deps)
    file(GLOB_RECURSE own_dep_files ${own_deps}/*.wit)
  endif()
  file(MAKE_DIRECTORY ${work})
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${work}/wit
    COMMAND ${CMAKE_COMMAND} -E make_directory ${work}/wit/deps
    COMMAND ${CMAKE_COMMAND} -E copy ${world_wit} ${work}/wit/world.wit
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${JCO_WASI_WIT} ${work}/wit/deps
    ${copy_own_deps}
    COMMAND ${WASM_CC} --target=wasm32 -O2 -mbulk-memory -Wall -Wextra -nostdlib -Wl,--no-entry
            -o ${core} ${in}
    COMMAND ${NODE_FOR_JCO} --import ${CMAKE_SOURCE_DIR}/cmake/jco_root_preopen.mjs ${jco_script}
            embed --wit ${work}/wit -n ${world} -o embedded.wasm core.wasm
    COMMAND ${JCO} new embedded.wasm -o component.wasm
    COMMAND ${CMAKE_COMMAND} -E copy component.wasm ${out}
    DEPENDS ${in} ${world_wit} ${own_dep_files}
    WORKING_DIRECTORY ${work}
    COMMENT "Building component ${name}.wasm from ${src}"
    VERBATIM)
  add_custom_target(wasm-${name} ALL DEPENDS ${out})
endfunction()
