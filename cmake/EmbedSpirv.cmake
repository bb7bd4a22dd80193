# Writes OUT, a C++ fragment with one aligned byte array per compiled shader, and a table of them.
# Called as: cmake -DOUT=file.inc -DINPUTS="name=path.spv|name=path.spv|..." -P EmbedSpirv.cmake
string(REPLACE "|" ";" inputs "${INPUTS}")
set(arrays "")
set(table "")
foreach(entry IN LISTS inputs)
  string(REGEX MATCH "^([^=]+)=(.+)$" _ "${entry}")
  set(name "${CMAKE_MATCH_1}")
  file(READ "${CMAKE_MATCH_2}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "alignas(4) const unsigned char k_${name}[] = {${bytes}};\n")
  string(APPEND table "    {\"${name}\", k_${name}, sizeof k_${name}},\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from engine/src/backend/vulkan/shaders by cmake/EmbedSpirv.cmake; do not edit.\n"
  "${arrays}const EmbeddedShader kEmbeddedShaders[] = {\n${table}};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
