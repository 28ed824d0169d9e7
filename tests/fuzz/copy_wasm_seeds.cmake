# cmake -DSRC=<dir> -DDST=<dir> -P copy_wasm_seeds.cmake
# Copies the .wasm files of SRC (the spec test suite) into DST, the seed
# corpus of the engine's fuzz targets; seeds stay in the build tree.
file(GLOB seeds ${SRC}/*.wasm)
file(MAKE_DIRECTORY ${DST})
file(COPY ${seeds} DESTINATION ${DST})
