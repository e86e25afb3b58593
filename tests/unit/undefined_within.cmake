# cmake -DNM=<nm> -DOBJS="a.o|b.o" -DALLOW="sym1|sym2" -P undefined_within.cmake
# Fails when an object refers to a symbol outside ALLOW: the monitor runs in
# the freestanding core, which has no libc, only core/format.c and
# core/string.c.
cmake_policy(SET CMP0057 NEW)
string(REPLACE "|" ";" objs "${OBJS}")
string(REPLACE "|" ";" allow "${ALLOW}")
foreach(obj ${objs})
  execute_process(COMMAND ${NM} -u ${obj} OUTPUT_VARIABLE undef RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -u ${obj} failed")
  endif()
  string(REGEX MATCHALL "[^ \t\n]+\n" lines "${undef}")
  foreach(line ${lines})
    string(STRIP "${line}" sym)
    if(sym STREQUAL "U" OR sym STREQUAL "")
      continue()
    endif()
    if(NOT sym IN_LIST allow)
      message(FATAL_ERROR "${obj} needs ${sym}, which the freestanding core lacks")
    endif()
  endforeach()
endforeach()
