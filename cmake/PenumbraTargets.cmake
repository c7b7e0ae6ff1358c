# penumbra_add_library(NAME DIR [TORCH] LINKS ...)
# One static library per layer; sources are the .cpp files of the layer's folder
# (and its subfolders), so adding a concept means adding a file, not editing CMake.
function(penumbra_add_library name)
  cmake_parse_arguments(ARG "TORCH" "" "LINKS;PRIVATE_LINKS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)  # a layer that has no sources yet is a header-only placeholder
    add_library(penumbra_${name} INTERFACE)
    target_include_directories(penumbra_${name} INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
    target_link_libraries(penumbra_${name} INTERFACE ${ARG_LINKS} $<$<BOOL:${ARG_TORCH}>:penumbra_torch>)
    add_library(Penumbra::${name} ALIAS penumbra_${name})
    return()
  endif()
  add_library(penumbra_${name} STATIC ${srcs})
  add_library(Penumbra::${name} ALIAS penumbra_${name})
  set_target_properties(penumbra_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(penumbra_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated>
    $<INSTALL_INTERFACE:include/penumbra>)
  target_link_libraries(penumbra_${name} PUBLIC ${ARG_LINKS} PRIVATE ${ARG_PRIVATE_LINKS})
  target_compile_options(penumbra_${name} PRIVATE -Wall -Wextra)
  if(ARG_TORCH)
    target_link_libraries(penumbra_${name} PUBLIC penumbra_torch)
    # <torch/torch.h> costs ~12 s per file: unity builds amortise it.
    set_target_properties(penumbra_${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
endfunction()
