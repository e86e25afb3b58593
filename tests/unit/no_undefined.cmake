# cmake -DNM=<nm> -DOBJS="a.o|b.o" -P no_undefined.cmake
# Fails when an object refers to a symbol it does not define: the loader's
# pure-C modules must not call into libc, not even through a compiler-made
# memcpy or memset.
string(REPLACE "|" ";" objs "${OBJS}")
foreach(obj ${objs})
  execute_process(COMMAND ${NM} -u ${obj} OUTPUT_VARIABLE undef RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -u ${obj} failed")
  endif()
  if(NOT undef STREQUAL "")
    message(FATAL_ERROR "${obj} needs symbols from outside:\n${undef}")
  endif()
endforeach()
