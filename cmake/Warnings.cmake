# Compiler flags shared by every C target of the project.
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
                    -Wno-unused-parameter -fno-strict-aliasing)
add_compile_definitions(_GNU_SOURCE)
if(WERROR)
  add_compile_options(-Werror)
endif()
# Fuzz targets need every library they call instrumented for coverage, so a
# FUZZ build instruments the whole tree and runs it under ASan + UBSan too.
if(FUZZ)
  set(SANITIZE ON)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
