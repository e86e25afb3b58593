/*
 * Validation, loading and relocation of the core image; see elf_load.h.
 *
 * No libc and no <elf.h> (neither exists for the GNU-EFI build): the ELF64
 * structures are defined here with fixed-size types (System V gABI, "ELF-64
 * Object File Format" 1.5; x86-64 psABI for the relocation type). The file
 * may sit at any alignment, so every structure is copied out byte by byte
 * before it is read, and only after its bounds have been checked.
 */
#include <stddef.h>
#include <stdint.h>
#include "elf_load.h"

struct elf64_ehdr {
	uint8_t e_ident[16];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

struct elf64_dyn {
	int64_t d_tag;
	uint64_t d_val;
};

struct elf64_rela {
	uint64_t r_offset;
	uint64_t r_info;
	int64_t r_addend;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr layout");
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr layout");
_Static_assert(sizeof(struct elf64_dyn) == 16, "Elf64_Dyn layout");
_Static_assert(sizeof(struct elf64_rela) == 24, "Elf64_Rela layout");

#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_DYN 3
#define EM_X86_64 62

#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PF_X 1

#define DT_NULL 0
#define DT_PLTRELSZ 2
#define DT_RELA 7
#define DT_RELASZ 8
#define DT_RELAENT 9
#define DT_REL 17
#define DT_RELSZ 18
#define DT_JMPREL 23
#define DT_RELRSZ 35
#define DT_RELR 36

#define R_X86_64_RELATIVE 8

#define MAX_PHNUM 64
#define PAGE_SIZE 4096u
#define PLAUSIBLE_FILE_END (1ull << 32)

/* ---- byte helpers -------------------------------------------------------- */

/* Copy n bytes from src to dst (no overlap); the loader has no memcpy. */
static void copy_bytes(void *dst, const void *src, uint64_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	uint64_t i;

	for (i = 0; i < n; i++)
		d[i] = s[i];
}

/* Zero n bytes at dst; the loader has no memset. */
static void zero_bytes(void *dst, uint64_t n)
{
	uint8_t *d = dst;
	uint64_t i;

	for (i = 0; i < n; i++)
		d[i] = 0;
}

/* Store v little-endian at p, which may be unaligned. */
static void store_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* True when [off, off + len) lies inside a file of size bytes; written so
 * that no sum can wrap. */
static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Copy the i-th program header of a checked header table into *ph. */
static void read_phdr(const uint8_t *file, const struct elf64_ehdr *eh, unsigned i,
		      struct elf64_phdr *ph)
{
	copy_bytes(ph, file + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* ---- checks -------------------------------------------------------------- */

/* Check the ELF header: identity, type, machine and the program header
 * table's place in the file. Fills *eh. */
static enum dv_elf_status check_header(const uint8_t *file, size_t size,
				       struct elf64_ehdr *eh)
{
	if (!file || size < sizeof(*eh))
		return DV_ELF_TRUNCATED;
	copy_bytes(eh, file, sizeof(*eh));
	if (eh->e_ident[0] != 0x7f || eh->e_ident[1] != 'E' || eh->e_ident[2] != 'L' ||
	    eh->e_ident[3] != 'F')
		return DV_ELF_BAD_MAGIC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return DV_ELF_BAD_CLASS;
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return DV_ELF_BAD_ENDIAN;
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return DV_ELF_BAD_VERSION;
	if (eh->e_type != ET_DYN)
		return DV_ELF_BAD_TYPE;
	if (eh->e_machine != EM_X86_64)
		return DV_ELF_BAD_MACHINE;
	if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > MAX_PHNUM)
		return DV_ELF_BAD_PHDRS;
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr), size))
		return DV_ELF_TRUNCATED;
	return DV_ELF_OK;
}

/* Check one PT_LOAD on its own: inside the file (else, when its bytes would
 * end at a plausible offset, below 4 GiB, the file was cut short), filesz <=
 * memsz, no wrap, alignment a power of two no larger than
 * the page the loader aligns the image to, and consistent between file and
 * memory. */
static enum dv_elf_status check_load(const struct elf64_phdr *ph, size_t size)
{
	if (!in_file(ph->p_offset, ph->p_filesz, size) && ph->p_offset < PLAUSIBLE_FILE_END &&
	    ph->p_filesz < PLAUSIBLE_FILE_END - ph->p_offset)
		return DV_ELF_TRUNCATED;
	if (!in_file(ph->p_offset, ph->p_filesz, size) || ph->p_filesz > ph->p_memsz)
		return DV_ELF_BAD_SEGMENT;
	if (ph->p_vaddr > UINT64_MAX - ph->p_memsz || ph->p_align > PAGE_SIZE)
		return DV_ELF_BAD_SEGMENT;
	if (ph->p_align > 1 &&
	    ((ph->p_align & (ph->p_align - 1)) ||
	     ph->p_vaddr % ph->p_align != ph->p_offset % ph->p_align))
		return DV_ELF_BAD_SEGMENT;
	return DV_ELF_OK;
}

/* Check every PT_LOAD and that they are sorted and disjoint; store the
 * page-rounded end of the last one in *span. */
static enum dv_elf_status check_loads(const uint8_t *file, size_t size,
				      const struct elf64_ehdr *eh, uint64_t *span)
{
	struct elf64_phdr ph;
	uint64_t end = 0;
	int loads = 0;
	enum dv_elf_status st;
	unsigned i;

	for (i = 0; i < eh->e_phnum; i++) {
		read_phdr(file, eh, i, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		st = check_load(&ph, size);
		if (st != DV_ELF_OK)
			return st;
		if (loads && ph.p_vaddr < end)
			return DV_ELF_BAD_SEGMENT;
		end = ph.p_vaddr + ph.p_memsz;
		loads++;
	}
	if (!loads)
		return DV_ELF_NO_LOAD;
	if (end > UINT64_MAX - (PAGE_SIZE - 1))
		return DV_ELF_BAD_SEGMENT;
	*span = (end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	return DV_ELF_OK;
}

/* True when the entry point lies inside an executable PT_LOAD. */
static int entry_ok(const uint8_t *file, const struct elf64_ehdr *eh)
{
	struct elf64_phdr ph;
	unsigned i;

	for (i = 0; i < eh->e_phnum; i++) {
		read_phdr(file, eh, i, &ph);
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && eh->e_entry >= ph.p_vaddr &&
		    eh->e_entry - ph.p_vaddr < ph.p_memsz)
			return 1;
	}
	return 0;
}

/* What the dynamic section says about relocations. */
struct dyn_rela {
	uint64_t addr, size, ent;
	int has_addr, has_size, has_ent;
};

/* Read the dynamic entries of *dyn (inside the file) up to DT_NULL into *r.
 * Relocation kinds the loader cannot apply (REL, RELR, PLT) are refused
 * rather than silently skipped. */
static enum dv_elf_status read_dynamic(const uint8_t *file, const struct elf64_phdr *dyn,
				       struct dyn_rela *r)
{
	struct elf64_dyn d;
	uint64_t i, n = dyn->p_filesz / sizeof(d);

	for (i = 0; i < n; i++) {
		copy_bytes(&d, file + dyn->p_offset + i * sizeof(d), sizeof(d));
		switch (d.d_tag) {
		case DT_NULL:
			return DV_ELF_OK;
		case DT_RELA:
			r->addr = d.d_val;
			r->has_addr = 1;
			break;
		case DT_RELASZ:
			r->size = d.d_val;
			r->has_size = 1;
			break;
		case DT_RELAENT:
			r->ent = d.d_val;
			r->has_ent = 1;
			break;
		case DT_REL: case DT_RELSZ: case DT_RELR: case DT_RELRSZ: case DT_JMPREL:
			return DV_ELF_BAD_RELOC;
		case DT_PLTRELSZ:
			if (d.d_val)
				return DV_ELF_BAD_RELOC;
			break;
		}
	}
	return DV_ELF_BAD_DYNAMIC;  /* no DT_NULL within the segment */
}

/* Translate the table at virtual address r->addr (r->size bytes) to a file
 * offset through the PT_LOAD whose file bytes hold all of it. */
static enum dv_elf_status rela_file_offset(const uint8_t *file, const struct elf64_ehdr *eh,
					   const struct dyn_rela *r, uint64_t *off)
{
	struct elf64_phdr ph;
	unsigned i;

	for (i = 0; i < eh->e_phnum; i++) {
		read_phdr(file, eh, i, &ph);
		if (ph.p_type == PT_LOAD && r->addr >= ph.p_vaddr &&
		    in_file(r->addr - ph.p_vaddr, r->size, ph.p_filesz)) {
			*off = ph.p_offset + (r->addr - ph.p_vaddr);
			return DV_ELF_OK;
		}
	}
	return DV_ELF_BAD_DYNAMIC;
}

/* Check every relocation of the table at file offset off (count entries):
 * R_X86_64_RELATIVE, patching 8 bytes inside the span. */
static enum dv_elf_status check_relocs(const uint8_t *file, uint64_t off, uint64_t count,
				       uint64_t span)
{
	struct elf64_rela r;
	uint64_t i;

	for (i = 0; i < count; i++) {
		copy_bytes(&r, file + off + i * sizeof(r), sizeof(r));
		if ((uint32_t)r.r_info != R_X86_64_RELATIVE || !in_file(r.r_offset, 8, span))
			return DV_ELF_BAD_RELOC;
	}
	return DV_ELF_OK;
}

/* Find the single PT_DYNAMIC, if any, into *dyn. Returns 1 when found, 0
 * when absent, -1 when there are several. */
static int find_dynamic(const uint8_t *file, const struct elf64_ehdr *eh,
			struct elf64_phdr *dyn)
{
	struct elf64_phdr ph;
	int found = 0;
	unsigned i;

	for (i = 0; i < eh->e_phnum; i++) {
		read_phdr(file, eh, i, &ph);
		if (ph.p_type != PT_DYNAMIC)
			continue;
		if (found)
			return -1;
		copy_bytes(dyn, &ph, sizeof(ph));  /* not "=": that may call memcpy */
		found = 1;
	}
	return found;
}

/* Locate and check the relocation table named by PT_DYNAMIC, filling the
 * rela fields of info (both 0 when there is none). */
static enum dv_elf_status check_dynamic(const uint8_t *file, size_t size,
					const struct elf64_ehdr *eh, struct dv_elf_info *info)
{
	struct dyn_rela r;
	struct elf64_phdr dyn;
	enum dv_elf_status st;
	int found = find_dynamic(file, eh, &dyn);

	zero_bytes(&r, sizeof(r));  /* not "= { 0 }": that may call memset */
	info->rela_off = 0;
	info->rela_count = 0;
	if (found <= 0)
		return found ? DV_ELF_BAD_DYNAMIC : DV_ELF_OK;
	if (!in_file(dyn.p_offset, dyn.p_filesz, size))
		return DV_ELF_BAD_DYNAMIC;
	st = read_dynamic(file, &dyn, &r);
	if (st != DV_ELF_OK)
		return st;
	if (!r.has_addr && !r.has_size)
		return DV_ELF_OK;
	if (!r.has_addr || !r.has_size || !r.has_ent || r.ent != sizeof(struct elf64_rela) ||
	    r.size % sizeof(struct elf64_rela))
		return DV_ELF_BAD_DYNAMIC;
	if (r.size == 0)
		return DV_ELF_OK;
	st = rela_file_offset(file, eh, &r, &info->rela_off);
	if (st != DV_ELF_OK)
		return st;
	info->rela_count = r.size / sizeof(struct elf64_rela);
	return check_relocs(file, info->rela_off, info->rela_count, info->span);
}

/* ---- public API ------------------------------------------------------------ */

/* See elf_load.h. Checks run in file order: header, program headers, the
 * loads, the span against max_span, the entry, then the relocations. */
enum dv_elf_status dv_elf_check(const void *file, size_t size, uint64_t max_span,
				struct dv_elf_info *info)
{
	const uint8_t *f = file;
	struct elf64_ehdr eh;
	enum dv_elf_status st;

	st = check_header(f, size, &eh);
	if (st != DV_ELF_OK)
		return st;
	st = check_loads(f, size, &eh, &info->span);
	if (st != DV_ELF_OK)
		return st;
	if (info->span > max_span)
		return DV_ELF_TOO_BIG;
	if (!entry_ok(f, &eh))
		return DV_ELF_BAD_ENTRY;
	info->entry = eh.e_entry;
	return check_dynamic(f, size, &eh, info);
}

/* See elf_load.h. The image is checked again first (with info->span as the
 * limit), so a stale or forged info can never make it write outside dest
 * or read outside the file; dest's info->span bytes are all written. */
enum dv_elf_status dv_elf_load(const void *file, size_t size, const struct dv_elf_info *info,
			       void *dest, uint64_t base)
{
	const uint8_t *f = file;
	uint8_t *d = dest;
	struct dv_elf_info fresh;
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	struct elf64_rela r;
	enum dv_elf_status st;
	uint64_t i;

	if (!info || !dest)
		return DV_ELF_TOO_BIG;  /* no room at all: a caller's bug */
	st = dv_elf_check(file, size, info->span, &fresh);
	if (st != DV_ELF_OK)
		return st;
	copy_bytes(&eh, f, sizeof(eh));
	zero_bytes(d, info->span);
	for (i = 0; i < eh.e_phnum; i++) {
		read_phdr(f, &eh, (unsigned)i, &ph);
		if (ph.p_type == PT_LOAD)
			copy_bytes(d + ph.p_vaddr, f + ph.p_offset, ph.p_filesz);
	}
	for (i = 0; i < fresh.rela_count; i++) {
		copy_bytes(&r, f + fresh.rela_off + i * sizeof(r), sizeof(r));
		store_le64(d + r.r_offset, base + (uint64_t)r.r_addend);
	}
	return DV_ELF_OK;
}

/* See elf_load.h; "unknown status" for a value outside the enum. */
const char *dv_elf_status_str(enum dv_elf_status s)
{
	static const char *const text[] = {
		[DV_ELF_OK] = "ok",
		[DV_ELF_TRUNCATED] = "file is truncated",
		[DV_ELF_BAD_MAGIC] = "not an ELF file",
		[DV_ELF_BAD_CLASS] = "not a 64-bit ELF file",
		[DV_ELF_BAD_ENDIAN] = "not a little-endian ELF file",
		[DV_ELF_BAD_VERSION] = "unknown ELF version",
		[DV_ELF_BAD_TYPE] = "not a position-independent executable (ET_DYN)",
		[DV_ELF_BAD_MACHINE] = "not an x86-64 ELF file",
		[DV_ELF_BAD_PHDRS] = "bad program header table",
		[DV_ELF_NO_LOAD] = "no loadable segment",
		[DV_ELF_BAD_SEGMENT] = "bad loadable segment",
		[DV_ELF_TOO_BIG] = "image too big",
		[DV_ELF_BAD_ENTRY] = "entry point not in an executable segment",
		[DV_ELF_BAD_DYNAMIC] = "bad dynamic section",
		[DV_ELF_BAD_RELOC] = "unsupported or out-of-image relocation",
	};

	if ((unsigned)s >= sizeof(text) / sizeof(text[0]) || !text[s])
		return "unknown status";
	return text[s];
}
