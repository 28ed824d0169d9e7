# The layer rule, made mechanical: a layer's dependents see only its door.
#
# layer_door(<layer> <header>...) makes the headers listed the only ones
# the layer's target shows to the targets that link it: they are linked
# (symlinks, a copy where links fail) into <build>/doors/<layer>/, the
# target's PUBLIC include directory, while the layer's own folder is
# PRIVATE.  A layer that includes another's private header then fails to
# compile; tests/layers checks the order of the layers and their symbols.
function(layer_door layer)
  set(door ${CMAKE_BINARY_DIR}/doors/${layer})
  file(REMOVE_RECURSE ${door})
  file(MAKE_DIRECTORY ${door})
  foreach(header ${ARGN})
    set(source ${CMAKE_CURRENT_SOURCE_DIR}/${header})
    file(CREATE_LINK ${source} ${door}/${header} SYMBOLIC COPY_ON_ERROR)
    if(NOT IS_SYMLINK ${door}/${header})
      # a copy: configure again when the original changes
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
    endif()
  endforeach()
  target_include_directories(${layer} PUBLIC ${door} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()
