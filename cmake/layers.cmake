# One folder = one target = one namespace. juwei_layer() builds a layer and enforces the
# dependency graph of docs/architecture.md: a source that includes a header of a layer it
# does not declare fails the configure step, so a forbidden edge never compiles.
#
#   juwei_layer(NAME <layer> [DEPS <layers>...] [LIBS <libs>...] [PROGRAM <exe> MAIN <file>])
#
# Layer names are the folder paths under src/ ("domain", "store/sqlite"); the target is
# juwei_<path with / as _>. Tests (*_test.cpp) are collected into juwei_<name>_tests.
set(JUWEI_LAYERS text domain render store store/sql store/sqlite store/postgres store/backends service http cli)

function(juwei_target_name layer out)
  string(REPLACE "/" "_" name "${layer}")
  set(${out} "juwei_${name}" PARENT_SCOPE)
endfunction()

function(juwei_check_includes layer allowed)
  file(GLOB sources "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp" "${CMAKE_CURRENT_SOURCE_DIR}/*.hpp")
  foreach(src IN LISTS sources)
    file(STRINGS "${src}" lines REGEX "^#include \"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" header "${line}")
      get_filename_component(dir "${header}" DIRECTORY)
      if(dir STREQUAL "")
        continue()
      endif()
      if(NOT dir IN_LIST JUWEI_LAYERS)
        continue()
      endif()
      if(dir STREQUAL layer OR dir IN_LIST allowed)
        continue()
      endif()
      message(FATAL_ERROR "layering: ${src} includes \"${header}\", but layer '${layer}' "
                          "may use only: ${allowed} (see docs/architecture.md)")
    endforeach()
  endforeach()
endfunction()

function(juwei_layer)
  cmake_parse_arguments(L "" "NAME;PROGRAM;MAIN" "DEPS;LIBS;TEST_LIBS" ${ARGN})
  juwei_target_name("${L_NAME}" target)
  file(GLOB all_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  set(sources "")
  set(tests "")
  foreach(src IN LISTS all_sources)
    if(src MATCHES "_test\\.cpp$")
      list(APPEND tests "${src}")
    elseif(L_MAIN AND src STREQUAL "${CMAKE_CURRENT_SOURCE_DIR}/${L_MAIN}")
      continue()
    else()
      list(APPEND sources "${src}")
    endif()
  endforeach()

  # Tests may use the layer and what it depends on, nothing more.
  juwei_check_includes("${L_NAME}" "${L_DEPS}")

  set(dep_targets "")
  foreach(dep IN LISTS L_DEPS)
    juwei_target_name("${dep}" dep_target)
    list(APPEND dep_targets "${dep_target}")
  endforeach()

  if(sources)
    add_library(${target} STATIC ${sources})
    target_include_directories(${target} PUBLIC "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(${target} PUBLIC ${dep_targets} ${L_LIBS})
  else()  # a header-only layer, such as an interface
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE "${PROJECT_SOURCE_DIR}/src")
    target_link_libraries(${target} INTERFACE ${dep_targets} ${L_LIBS})
  endif()
  if(L_PROGRAM)  # an executable: MAIN plus the layer's library
    add_executable(${L_PROGRAM} "${L_MAIN}")
    target_link_libraries(${L_PROGRAM} PRIVATE ${target})
  endif()

  if(JUWEI_TESTS AND tests)
    add_executable(${target}_tests ${tests})
    target_link_libraries(${target}_tests PRIVATE ${target} ${L_TEST_LIBS} GTest::gtest GTest::gmock
                                                  GTest::gtest_main)
    target_compile_definitions(${target}_tests PRIVATE
                               JUWEI_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(${target}_tests DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
