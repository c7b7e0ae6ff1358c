# `cmake --install` gives imaging pipelines the LibTorch-free layers
# (Penumbra::core, Penumbra::io, Penumbra::instruments) with headers and a
# package config, so `find_package(Penumbra)` works from another project.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PENUMBRA_INSTALLED_TARGETS penumbra_core penumbra_io penumbra_instruments
    penumbra_fftw penumbra_casacore penumbra_hdf5)
install(TARGETS ${PENUMBRA_INSTALLED_TARGETS} EXPORT PenumbraTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# Headers of the LibTorch-free layers only: instruments/torch/ is the adapter to
# the probabilistic layer and includes LibTorch (the install test checks both).
foreach(dir src/core src/io instruments)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION include/penumbra/${dir}
          FILES_MATCHING PATTERN "*.hpp"
          PATTERN "torch" EXCLUDE)
endforeach()
install(DIRECTORY ${PROJECT_BINARY_DIR}/generated/ DESTINATION include/penumbra)
if(PENUMBRA_BUILD_CLI)
  install(TARGETS penumbra RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT PenumbraTargets NAMESPACE Penumbra::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Penumbra)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/PenumbraConfig.cmake.in
  ${PROJECT_BINARY_DIR}/PenumbraConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Penumbra)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/PenumbraConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/PenumbraConfig.cmake
              ${PROJECT_BINARY_DIR}/PenumbraConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Penumbra)
