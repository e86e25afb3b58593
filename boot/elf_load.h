/*
 * Validation, loading and relocation of the core image (core.elf). Pure C
 * with no firmware or libc dependency, so the loader links it and the host
 * unit tests feed it truncated and corrupt files.
 *
 * The core is linked by ld.lld as a static position-independent executable
 * (ET_DYN, link base 0) whose only dynamic relocations are R_X86_64_RELATIVE.
 * The loader picks the physical address; relocation adds it to every
 * relocated word. The core runs identity-mapped, so that address is also its
 * virtual address.
 *
 * Everything read from the file is bounds-checked against its size before it
 * is used; every arithmetic step that could overflow is checked.
 */
#ifndef DRVISOR_BOOT_ELF_LOAD_H
#define DRVISOR_BOOT_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

enum dv_elf_status {
	DV_ELF_OK = 0,
	DV_ELF_TRUNCATED,        /* file smaller than a header or table it declares */
	DV_ELF_BAD_MAGIC,
	DV_ELF_BAD_CLASS,        /* not ELFCLASS64 */
	DV_ELF_BAD_ENDIAN,       /* not little-endian */
	DV_ELF_BAD_VERSION,
	DV_ELF_BAD_TYPE,         /* not ET_DYN */
	DV_ELF_BAD_MACHINE,      /* not EM_X86_64 */
	DV_ELF_BAD_PHDRS,        /* program header table size/entry size/count invalid */
	DV_ELF_NO_LOAD,          /* no PT_LOAD segment */
	DV_ELF_BAD_SEGMENT,      /* segment outside the file, filesz > memsz, overflow, bad alignment, overlap */
	DV_ELF_TOO_BIG,          /* image span larger than the caller's limit */
	DV_ELF_BAD_ENTRY,        /* entry not inside an executable PT_LOAD segment */
	DV_ELF_BAD_DYNAMIC,      /* PT_DYNAMIC outside the file or malformed */
	DV_ELF_BAD_RELOC,        /* relocation of an unsupported type or outside the image */
};

struct dv_elf_info {
	uint64_t span;           /* bytes from link address 0 to the end of the last segment */
	uint64_t entry;          /* entry offset from the load base */
	uint64_t rela_off;       /* file offset of the RELA table, 0 if none */
	uint64_t rela_count;     /* number of Elf64_Rela entries */
};

/* Check the image of size bytes. max_span bounds the memory it may need.
 * On success fills info and returns DV_ELF_OK; otherwise returns the first
 * problem found and leaves info unspecified. */
enum dv_elf_status dv_elf_check(const void *file, size_t size, uint64_t max_span,
				struct dv_elf_info *info);

/* Copy the segments of a checked image into dest (info->span bytes; bytes
 * not covered by a segment's file contents are zeroed), then apply its
 * relocations for a load address of base. dest is where the loader can write
 * the memory that will live at base (the same pointer when identity-mapped). */
enum dv_elf_status dv_elf_load(const void *file, size_t size, const struct dv_elf_info *info,
			       void *dest, uint64_t base);

/* A short English description of a status, e.g. "file is truncated". */
const char *dv_elf_status_str(enum dv_elf_status s);

#endif
