# Flags for code that runs on the bare machine inside the hypervisor (core/,
# arch-x86/, drivers/): no libc, no red zone (interrupts and exits push on the
# current stack), no SSE/AVX so that guest vector state is never clobbered,
# position-independent because the loader picks the address.
set(DV_FREESTANDING_CFLAGS
  -ffreestanding -fno-builtin -nostdlib -fno-stack-protector
  -fPIE -mcmodel=small -mno-red-zone
  -mno-mmx -mno-sse -mno-sse2 -mno-avx -mno-80387
  -fno-omit-frame-pointer -fno-asynchronous-unwind-tables
  -fno-common -O2 -g)

# Test-suite hooks in the core (host watchpoint, guest-memory read
# hypercall); still off unless the config says test_hooks=on. A release
# build for users' machines turns them off entirely.
option(DRVISOR_TEST_HOOKS "Build the core's test-suite hooks" ON)

# dv_add_freestanding_objects(TARGET SOURCES...): an object library of
# freestanding C and NASM sources.
function(dv_add_freestanding_objects target)
  add_library(${target} OBJECT ${ARGN})
  target_include_directories(${target} PRIVATE
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:${DV_FREESTANDING_CFLAGS}>)
  if(DRVISOR_TEST_HOOKS)
    target_compile_definitions(${target} PRIVATE DRVISOR_TEST_HOOKS)
  endif()
  target_compile_definitions(${target} PRIVATE
    DRVISOR_VERSION="${PROJECT_VERSION}" DRVISOR_COMMIT="${DRVISOR_COMMIT}"
    "DRVISOR_VERSION_NUM=(${PROJECT_VERSION_MAJOR}*65536+${PROJECT_VERSION_MINOR})")
endfunction()
