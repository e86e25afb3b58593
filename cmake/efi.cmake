# UEFI applications with Debian's GNU-EFI, linked by ld.lld: compile PIC with
# the MS-ABI call wrapper, link a shared object against gnu-efi's crt0 with
# our own linker script (cmake/efi_app.lds says why), then objcopy it to a
# PE32+ EFI application. --apply-dynamic-relocs: gnu-efi's _relocate adds the
# load base to the word in place (REL style), so lld must also write each
# RELA addend there; by default it leaves zeros.
set(GNUEFI_INCLUDE /usr/include/efi)
set(GNUEFI_LIB /usr/lib)
foreach(f ${GNUEFI_INCLUDE}/efi.h ${GNUEFI_LIB}/crt0-efi-x86_64.o
          ${GNUEFI_LIB}/libgnuefi.a)
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "gnu-efi is missing (${f}); install it: apt-get install gnu-efi")
  endif()
endforeach()

set(DV_EFI_CFLAGS
  -fpic -fshort-wchar -mno-red-zone -ffreestanding -fno-stack-protector
  -fno-strict-aliasing -fno-asynchronous-unwind-tables -O2 -g
  -DEFI_FUNCTION_WRAPPER -DGNU_EFI_USE_MS_ABI=0)

# dv_add_efi_app(NAME SOURCES...): builds NAME.efi in the current binary dir
# and a target NAME that produces it.
function(dv_add_efi_app name)
  set(objs ${name}_objs)
  add_library(${objs} OBJECT ${ARGN})
  target_include_directories(${objs} PRIVATE
    ${GNUEFI_INCLUDE} ${GNUEFI_INCLUDE}/x86_64
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR})
  target_compile_options(${objs} PRIVATE $<$<COMPILE_LANGUAGE:C>:${DV_EFI_CFLAGS}>)
  target_compile_definitions(${objs} PRIVATE
    DRVISOR_VERSION="${PROJECT_VERSION}" DRVISOR_COMMIT="${DRVISOR_COMMIT}")
  set(so ${CMAKE_CURRENT_BINARY_DIR}/${name}.so)
  set(efi ${CMAKE_CURRENT_BINARY_DIR}/${name}.efi)
  add_custom_command(OUTPUT ${efi}
    COMMAND ${LLD_LINKER} -shared -Bsymbolic -znocombreloc -nostdlib --apply-dynamic-relocs
            --no-undefined
            -T ${PROJECT_SOURCE_DIR}/cmake/efi_app.lds
            ${GNUEFI_LIB}/crt0-efi-x86_64.o $<TARGET_OBJECTS:${objs}>
            -L${GNUEFI_LIB} -lefi -lgnuefi -o ${so}
    COMMAND ${OBJCOPY} -j .text -j .sdata -j .data -j .dynamic -j .dynsym
            -j .rela.dyn -j .reloc --target=efi-app-x86_64 ${so} ${efi}
    DEPENDS ${objs} $<TARGET_OBJECTS:${objs}> ${PROJECT_SOURCE_DIR}/cmake/efi_app.lds
    COMMAND_EXPAND_LISTS
    COMMENT "Linking EFI application ${name}.efi")
  add_custom_target(${name} ALL DEPENDS ${efi})
  set_target_properties(${name} PROPERTIES EFI_FILE ${efi})
endfunction()
