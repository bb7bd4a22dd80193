# Build provenance: configure-time facts are baked in here; the git commit and dirty flag are
# refreshed on every build by cmake/WriteGitInfo.cmake so a binary never reports a stale commit.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _bt_upper)
set(QUANT_BUILD_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_bt_upper}}")
get_directory_property(_opts COMPILE_OPTIONS)
string(REPLACE ";" " " _opts "${_opts}")
set(QUANT_BUILD_CXX_FLAGS "${QUANT_BUILD_CXX_FLAGS} ${_opts}")
string(STRIP "${QUANT_BUILD_CXX_FLAGS}" QUANT_BUILD_CXX_FLAGS)
set(QUANT_BUILD_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
set(QUANT_BUILD_OPTIONS "ENGINE_VULKAN=${ENGINE_VULKAN},QUANT_NATIVE=${QUANT_NATIVE},QUANT_SANITIZE=${QUANT_SANITIZE},QUANT_BUILD_TESTS=${QUANT_BUILD_TESTS}")
file(CONFIGURE OUTPUT "${CMAKE_BINARY_DIR}/generated/build_config.inc" CONTENT
"#define QUANT_VERSION \"${PROJECT_VERSION}\"
#define QUANT_BUILD_COMPILER \"${QUANT_BUILD_COMPILER}\"
#define QUANT_BUILD_CXX_FLAGS \"${QUANT_BUILD_CXX_FLAGS}\"
#define QUANT_BUILD_TYPE \"${CMAKE_BUILD_TYPE}\"
#define QUANT_BUILD_OPTIONS \"${QUANT_BUILD_OPTIONS}\"
")
set(QUANT_GIT_INFO_FILE "${CMAKE_BINARY_DIR}/generated/git_info.inc")
add_custom_target(quant_git_info ALL
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUT=${QUANT_GIT_INFO_FILE}
          -P ${CMAKE_SOURCE_DIR}/cmake/WriteGitInfo.cmake
  BYPRODUCTS ${QUANT_GIT_INFO_FILE}
  COMMENT "Recording git commit and dirty flag")
