# cmake -DSRC=<dir> -DDST=<dir> -P copy_component_seeds.cmake
# Copies the components of SRC (../shared/corpora/components: real/ and
# jco/, not the .core.wasm modules) into DST, the seed corpus of
# fuzz_component; seeds stay in the build tree.  Components over 1 MB (the
# JavaScript engines) are left out: each run of them would cost 10 ms.
file(GLOB_RECURSE seeds ${SRC}/real/*.wasm ${SRC}/jco/*.wasm)
file(MAKE_DIRECTORY ${DST})
foreach(seed ${seeds})
  file(SIZE ${seed} size)
  if(size LESS_EQUAL 1048576 AND NOT seed MATCHES "\\.core\\.wasm$")
    file(COPY ${seed} DESTINATION ${DST})
  endif()
endforeach()
