/*
 * Host unit tests for boot/elf_load.c. A small but complete ET_DYN image is
 * built in memory (text, data with bss, PT_DYNAMIC, RELATIVE relocations),
 * checked and loaded, then corrupted one field at a time: every corruption
 * must be refused with the right status, and nothing may ever read or write
 * out of bounds (AddressSanitizer watches; the image is handed over in a
 * heap block of its exact size).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elf_load.h"

/* Layout of the test image (file offsets; vaddr = offset for text, +0x1000
 * for data):
 *   0x000 ELF header, 0x040 program headers (room for 4)
 *   0x180 "code" (entry), text segment ends at 0x200
 *   0x200 data: dynamic section (5 entries), 0x260 RELA table (3 entries),
 *         0x2c0 two words to relocate, 0x2d0 pattern; bss to vaddr 0x1a00 */
#define IMG_SIZE 0x300
#define PHOFF 0x40
#define PHSZ 56
#define ENTRY 0x180
#define DATA_OFF 0x200
#define DATA_VA 0x1200
#define DATA_FILESZ 0x100
#define DATA_MEMSZ 0x800
#define DYN_OFF 0x200
#define DYN_SZ 0x50
#define RELA_OFF 0x260
#define RELA_VA 0x1260
#define NRELA 3
#define SPAN 0x2000
#define BIG_LIMIT (1u << 20)

/* Phdr field offsets, and which phdr is which. */
enum { P_TYPE = 0, P_FLAGS = 4, P_OFFSET = 8, P_VADDR = 16, P_FILESZ = 32, P_MEMSZ = 40,
       P_ALIGN = 48 };
enum { PH_TEXT = 0, PH_DATA = 1, PH_DYN = 2, PH_SPARE = 3 };

struct image {
	uint8_t b[IMG_SIZE];
};

/* Little-endian stores into the image. */
static void put16(struct image *im, size_t off, uint16_t v)
{
	im->b[off] = (uint8_t)v;
	im->b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(struct image *im, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		im->b[off + i] = (uint8_t)(v >> (8 * i));
}

static void put64(struct image *im, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		im->b[off + i] = (uint8_t)(v >> (8 * i));
}

/* Little-endian 64-bit load from any address. */
static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* File offset of field off of program header i. */
static size_t ph(int i, size_t off)
{
	return PHOFF + (size_t)i * PHSZ + off;
}

/* Write program header i. */
static void put_phdr(struct image *im, int i, uint32_t type, uint32_t flags, uint64_t offset,
		     uint64_t vaddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
	put32(im, ph(i, P_TYPE), type);
	put32(im, ph(i, P_FLAGS), flags);
	put64(im, ph(i, P_OFFSET), offset);
	put64(im, ph(i, P_VADDR), vaddr);
	put64(im, ph(i, 24), vaddr);
	put64(im, ph(i, P_FILESZ), filesz);
	put64(im, ph(i, P_MEMSZ), memsz);
	put64(im, ph(i, P_ALIGN), align);
}

/* Write dynamic entry i. */
static void put_dyn(struct image *im, int i, int64_t tag, uint64_t val)
{
	put64(im, DYN_OFF + (size_t)i * 16, (uint64_t)tag);
	put64(im, DYN_OFF + (size_t)i * 16 + 8, val);
}

/* Write relocation i. */
static void put_rela(struct image *im, int i, uint64_t offset, uint64_t info, int64_t addend)
{
	put64(im, RELA_OFF + (size_t)i * 24, offset);
	put64(im, RELA_OFF + (size_t)i * 24 + 8, info);
	put64(im, RELA_OFF + (size_t)i * 24 + 16, (uint64_t)addend);
}

static const uint64_t rela_where[NRELA] = { 0x12c0, 0x12c8, 0x1500 };
static const int64_t rela_addend[NRELA] = { ENTRY, 0x1300, 0x1200 };

/* Build the valid test image described above. */
static void build(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->b, "\x7f" "ELF", 4);
	im->b[4] = 2;   /* ELFCLASS64 */
	im->b[5] = 1;   /* ELFDATA2LSB */
	im->b[6] = 1;   /* EV_CURRENT */
	put16(im, 16, 3);       /* ET_DYN */
	put16(im, 18, 62);      /* EM_X86_64 */
	put32(im, 20, 1);       /* e_version */
	put64(im, 24, ENTRY);
	put64(im, 32, PHOFF);
	put16(im, 52, 64);      /* e_ehsize */
	put16(im, 54, PHSZ);
	put16(im, 56, 3);       /* e_phnum */
	put_phdr(im, PH_TEXT, 1, 5, 0, 0, 0x200, 0x200, 0x1000);
	put_phdr(im, PH_DATA, 1, 6, DATA_OFF, DATA_VA, DATA_FILESZ, DATA_MEMSZ, 0x1000);
	put_phdr(im, PH_DYN, 2, 6, DYN_OFF, DATA_VA, DYN_SZ, DYN_SZ, 8);
	for (int i = ENTRY; i < 0x200; i++)
		im->b[i] = (uint8_t)(i * 7 + 1);
	put_dyn(im, 0, 7, RELA_VA);     /* DT_RELA */
	put_dyn(im, 1, 8, NRELA * 24);  /* DT_RELASZ */
	put_dyn(im, 2, 9, 24);          /* DT_RELAENT */
	put_dyn(im, 3, 0x6ffffff9, NRELA); /* DT_RELACOUNT, ignored */
	put_dyn(im, 4, 0, 0);           /* DT_NULL */
	for (int i = 0; i < NRELA; i++)
		put_rela(im, i, rela_where[i], 8, rela_addend[i]);
	for (int i = 0x2d0; i < IMG_SIZE; i++)
		im->b[i] = (uint8_t)(0xc0 ^ i);
}

/* dv_elf_check on an exact-size heap copy of the first size bytes. */
static enum dv_elf_status check_n(const struct image *im, size_t size, uint64_t max_span,
				  struct dv_elf_info *info)
{
	void *copy = malloc(size ? size : 1);
	enum dv_elf_status st;

	assert_non_null(copy);
	memcpy(copy, im->b, size);
	st = dv_elf_check(copy, size, max_span, info);
	free(copy);
	return st;
}

/* Check the whole image with a generous limit. */
static enum dv_elf_status check(const struct image *im)
{
	struct dv_elf_info info;

	return check_n(im, IMG_SIZE, BIG_LIMIT, &info);
}

/* Fail with both names when a status is not the expected one. */
static void expect(enum dv_elf_status got, enum dv_elf_status want, const char *what)
{
	if (got != want)
		fail_msg("%s: got '%s', want '%s'", what, dv_elf_status_str(got),
			 dv_elf_status_str(want));
}

static void test_valid_image_checks(void **state)
{
	struct dv_elf_info info;
	struct image im;

	(void)state;
	build(&im);
	expect(check_n(&im, IMG_SIZE, BIG_LIMIT, &info), DV_ELF_OK, "valid");
	assert_int_equal(info.span, SPAN);
	assert_int_equal(info.entry, ENTRY);
	assert_int_equal(info.rela_off, RELA_OFF);
	assert_int_equal(info.rela_count, NRELA);
	/* The limit is inclusive. */
	expect(check_n(&im, IMG_SIZE, SPAN, &info), DV_ELF_OK, "span == max_span");
	expect(check_n(&im, IMG_SIZE, SPAN - 1, &info), DV_ELF_TOO_BIG, "span > max_span");
	expect(check_n(&im, IMG_SIZE, 0, &info), DV_ELF_TOO_BIG, "max_span 0");
}

/* Load im at base into an exact-size block at dest_shift bytes into a
 * larger allocation pre-filled with 0xaa, and verify every byte. */
static void load_and_verify(const struct image *im, uint64_t base, size_t file_shift,
			    size_t dest_shift)
{
	uint8_t *file = malloc(IMG_SIZE + file_shift), *dest = malloc(SPAN + dest_shift);
	struct dv_elf_info info;

	memcpy(file + file_shift, im->b, IMG_SIZE);
	memset(dest, 0xaa, SPAN + dest_shift);
	expect(dv_elf_check(file + file_shift, IMG_SIZE, BIG_LIMIT, &info), DV_ELF_OK, "check");
	expect(dv_elf_load(file + file_shift, IMG_SIZE, &info, dest + dest_shift, base),
	       DV_ELF_OK, "load");
	uint8_t *d = dest + dest_shift;
	for (size_t i = 0; i < dest_shift; i++)
		assert_int_equal(dest[i], 0xaa);
	assert_memory_equal(d, im->b, 0x200);                      /* text */
	for (size_t i = 0x200; i < DATA_VA; i++)                     /* gap */
		assert_int_equal(d[i], 0);
	for (int r = 0; r < NRELA; r++)
		assert_int_equal(get64(d + rela_where[r]), base + (uint64_t)rela_addend[r]);
	assert_memory_equal(d + DATA_VA, im->b + DATA_OFF, 0xc0);    /* dyn, rela */
	assert_memory_equal(d + 0x12d0, im->b + 0x2d0, 0x30);        /* pattern */
	for (size_t i = DATA_VA + DATA_FILESZ; i < SPAN; i++)       /* bss, tail */
		if (i < 0x1500 || i >= 0x1508)
			assert_int_equal(d[i], 0);
	free(file);
	free(dest);
}

static void test_load_and_relocate(void **state)
{
	struct image im;

	(void)state;
	build(&im);
	load_and_verify(&im, 0x7f000000, 0, 0);
	load_and_verify(&im, 0xffffffff80000000ull, 0, 0);
	load_and_verify(&im, 0, 0, 0);
	/* Unaligned file and destination: no access may assume alignment
	 * (UBSan reports misaligned loads and stores). */
	load_and_verify(&im, 0x100000, 1, 3);
	load_and_verify(&im, 0x100000, 5, 7);
}

static void test_load_rechecks(void **state)
{
	uint8_t *dest = malloc(SPAN);
	struct dv_elf_info info;
	struct image im;

	(void)state;
	build(&im);
	expect(check_n(&im, IMG_SIZE, BIG_LIMIT, &info), DV_ELF_OK, "check");
	/* A span too small for the image: refused before anything is written. */
	info.span = 0x1000;
	memset(dest, 0xaa, SPAN);
	expect(dv_elf_load(im.b, IMG_SIZE, &info, dest, 0), DV_ELF_TOO_BIG, "short span");
	for (size_t i = 0; i < SPAN; i++)
		assert_int_equal(dest[i], 0xaa);
	/* A file corrupted after the check. */
	info.span = SPAN;
	put64(&im, RELA_OFF + 8, 1);
	expect(dv_elf_load(im.b, IMG_SIZE, &info, dest, 0), DV_ELF_BAD_RELOC, "changed file");
	expect(dv_elf_load(im.b, IMG_SIZE, NULL, dest, 0), DV_ELF_TOO_BIG, "no info");
	expect(dv_elf_load(im.b, IMG_SIZE, &info, NULL, 0), DV_ELF_TOO_BIG, "no dest");
	free(dest);
}

static void test_every_truncation_fails(void **state)
{
	struct dv_elf_info info;
	struct image im;

	(void)state;
	build(&im);
	for (size_t n = 0; n < IMG_SIZE; n++) {
		enum dv_elf_status st = check_n(&im, n, BIG_LIMIT, &info);

		if (st == DV_ELF_OK)
			fail_msg("truncated to %zu bytes: accepted", n);
	}
	expect(check_n(&im, 0, BIG_LIMIT, &info), DV_ELF_TRUNCATED, "empty");
	expect(check_n(&im, 63, BIG_LIMIT, &info), DV_ELF_TRUNCATED, "header cut");
	expect(check_n(&im, 64, BIG_LIMIT, &info), DV_ELF_TRUNCATED, "phdrs missing");
	expect(check_n(&im, PHOFF + 3 * PHSZ - 1, BIG_LIMIT, &info), DV_ELF_TRUNCATED,
	       "phdrs cut");
	expect(check_n(&im, IMG_SIZE - 1, BIG_LIMIT, &info), DV_ELF_TRUNCATED, "data cut");
	expect(dv_elf_check(NULL, 100, BIG_LIMIT, &info), DV_ELF_TRUNCATED, "NULL file");
}

/* Build, let mutate change one thing, expect want. */
#define MUTANT(want, ...)                                  \
	do {                                               \
		struct image m_;                           \
		build(&m_);                                \
		{ struct image *im = &m_; __VA_ARGS__; }   \
		expect(check(&m_), want, #__VA_ARGS__);    \
	} while (0)

static void test_bad_identity(void **state)
{
	(void)state;
	MUTANT(DV_ELF_BAD_MAGIC, im->b[0] = 0x7e);
	MUTANT(DV_ELF_BAD_MAGIC, im->b[3] = 'f');
	MUTANT(DV_ELF_BAD_CLASS, im->b[4] = 1);
	MUTANT(DV_ELF_BAD_CLASS, im->b[4] = 0);
	MUTANT(DV_ELF_BAD_ENDIAN, im->b[5] = 2);
	MUTANT(DV_ELF_BAD_VERSION, im->b[6] = 2);
	MUTANT(DV_ELF_BAD_VERSION, put32(im, 20, 0));
	MUTANT(DV_ELF_BAD_TYPE, put16(im, 16, 2));  /* ET_EXEC */
	MUTANT(DV_ELF_BAD_TYPE, put16(im, 16, 1));  /* ET_REL */
	MUTANT(DV_ELF_BAD_MACHINE, put16(im, 18, 3));  /* EM_386 */
	MUTANT(DV_ELF_BAD_MACHINE, put16(im, 18, 183));  /* EM_AARCH64 */
}

static void test_bad_phdr_table(void **state)
{
	(void)state;
	MUTANT(DV_ELF_BAD_PHDRS, put16(im, 54, 64));
	MUTANT(DV_ELF_BAD_PHDRS, put16(im, 54, 0));
	MUTANT(DV_ELF_BAD_PHDRS, put16(im, 56, 0));
	MUTANT(DV_ELF_BAD_PHDRS, put16(im, 56, 65));
	MUTANT(DV_ELF_BAD_PHDRS, put16(im, 56, 0xffff));
	MUTANT(DV_ELF_TRUNCATED, put64(im, 32, IMG_SIZE));
	MUTANT(DV_ELF_TRUNCATED, put64(im, 32, IMG_SIZE - 3 * PHSZ + 1));
	MUTANT(DV_ELF_TRUNCATED, put64(im, 32, UINT64_MAX - 8));
}

static void test_no_load(void **state)
{
	(void)state;
	MUTANT(DV_ELF_NO_LOAD, put32(im, ph(PH_TEXT, P_TYPE), 4);
	       put32(im, ph(PH_DATA, P_TYPE), 0x6474e551));
	MUTANT(DV_ELF_NO_LOAD, put16(im, 56, 1); put32(im, ph(PH_TEXT, P_TYPE), 6));
}

static void test_bad_segments(void **state)
{
	(void)state;
	/* Outside the file, filesz > memsz. */
	MUTANT(DV_ELF_TRUNCATED, put64(im, ph(PH_DATA, P_OFFSET), 0x10200));
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_DATA, P_OFFSET), UINT64_MAX - 0xdff));
	MUTANT(DV_ELF_TRUNCATED, put64(im, ph(PH_DATA, P_FILESZ), 0x101));
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_DATA, P_FILESZ), UINT64_MAX));
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_TEXT, P_MEMSZ), 0x1ff));
	/* vaddr + memsz wraps, or ends too near the top to round up. */
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_DATA, P_VADDR), 0xfffffffffffff200ull));
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_DATA, P_MEMSZ), UINT64_MAX - 0x11ff));
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_DATA, P_VADDR), 0xffffffffffffe200ull);
	       put64(im, ph(PH_DATA, P_MEMSZ), 0x1dff));
	/* Alignment: not a power of two, or vaddr and offset disagree. */
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_DATA, P_ALIGN), 0x1800));
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_DATA, P_VADDR), 0x1300));
	/* Larger than the 4 KiB the loader aligns the image to: refused, never
	 * silently misaligned. */
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_DATA, P_ALIGN), 0x200000));
	MUTANT(DV_ELF_OK, put64(im, ph(PH_DATA, P_ALIGN), 0));
	MUTANT(DV_ELF_OK, put64(im, ph(PH_DATA, P_ALIGN), 1));
	MUTANT(DV_ELF_OK, put64(im, ph(PH_DATA, P_ALIGN), 0x200));
	/* Overlapping, or out of order. */
	MUTANT(DV_ELF_BAD_SEGMENT, put64(im, ph(PH_TEXT, P_MEMSZ), 0x1201));
	MUTANT(DV_ELF_OK, put64(im, ph(PH_TEXT, P_MEMSZ), 0x1200));
	MUTANT(DV_ELF_BAD_SEGMENT, uint8_t t[PHSZ]; memcpy(t, im->b + ph(0, 0), PHSZ);
	       memcpy(im->b + ph(0, 0), im->b + ph(1, 0), PHSZ);
	       memcpy(im->b + ph(1, 0), t, PHSZ));
	/* Span beyond the limit. */
	MUTANT(DV_ELF_TOO_BIG, put64(im, ph(PH_DATA, P_MEMSZ), BIG_LIMIT));
}

static void test_bad_entry(void **state)
{
	(void)state;
	MUTANT(DV_ELF_BAD_ENTRY, put64(im, 24, 0x5000));        /* outside */
	MUTANT(DV_ELF_BAD_ENTRY, put64(im, 24, 0x200));         /* just past text */
	MUTANT(DV_ELF_BAD_ENTRY, put64(im, 24, DATA_VA + 0x10));  /* data: not exec */
	MUTANT(DV_ELF_BAD_ENTRY, put64(im, 24, UINT64_MAX));
	MUTANT(DV_ELF_BAD_ENTRY, put32(im, ph(PH_TEXT, P_FLAGS), 4));
	MUTANT(DV_ELF_OK, put64(im, 24, 0));
	MUTANT(DV_ELF_OK, put64(im, 24, 0x1ff));
}

static void test_bad_relocs(void **state)
{
	(void)state;
	MUTANT(DV_ELF_BAD_RELOC, put64(im, RELA_OFF + 8, 1));   /* R_X86_64_64 */
	MUTANT(DV_ELF_BAD_RELOC, put64(im, RELA_OFF + 24 + 8, 0));
	MUTANT(DV_ELF_BAD_RELOC, put64(im, RELA_OFF + 48 + 8, 37));  /* IRELATIVE */
	MUTANT(DV_ELF_BAD_RELOC, put64(im, RELA_OFF, SPAN - 7));
	MUTANT(DV_ELF_OK, put64(im, RELA_OFF, SPAN - 8));
	MUTANT(DV_ELF_BAD_RELOC, put64(im, RELA_OFF, UINT64_MAX - 3));
	/* Relocation kinds the loader cannot apply are refused, not skipped. */
	MUTANT(DV_ELF_BAD_RELOC, put_dyn(im, 3, 17, RELA_VA));  /* DT_REL */
	MUTANT(DV_ELF_BAD_RELOC, put_dyn(im, 3, 36, RELA_VA));  /* DT_RELR */
	MUTANT(DV_ELF_BAD_RELOC, put_dyn(im, 3, 23, RELA_VA));  /* DT_JMPREL */
	MUTANT(DV_ELF_BAD_RELOC, put_dyn(im, 3, 2, 24));        /* DT_PLTRELSZ */
	MUTANT(DV_ELF_OK, put_dyn(im, 3, 2, 0));
}

static void test_bad_dynamic(void **state)
{
	(void)state;
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 2, 9, 16));      /* DT_RELAENT */
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 2, 0x6ffffff9, 3));  /* RELAENT missing */
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 1, 8, 71));      /* RELASZ not n*24 */
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 1, 8, 24 * 20));  /* beyond the file bytes */
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 0, 7, 0x9000));  /* DT_RELA nowhere */
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 0, 7, 0x1800));  /* in bss: no file bytes */
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 0, 7, 0x1300 - 71));  /* runs past filesz */
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 0, 7, UINT64_MAX - 8));
	MUTANT(DV_ELF_BAD_DYNAMIC, put_dyn(im, 0, 0x6ffffff9, 0));  /* RELASZ without RELA */
	/* No DT_NULL before the end of the segment. */
	MUTANT(DV_ELF_BAD_DYNAMIC, put64(im, ph(PH_DYN, P_FILESZ), 0x40));
	MUTANT(DV_ELF_BAD_DYNAMIC, put64(im, ph(PH_DYN, P_FILESZ), 0x4f));
	MUTANT(DV_ELF_BAD_DYNAMIC, put64(im, ph(PH_DYN, P_FILESZ), 0));
	/* Outside the file. */
	MUTANT(DV_ELF_BAD_DYNAMIC, put64(im, ph(PH_DYN, P_OFFSET), IMG_SIZE - 0x40));
	MUTANT(DV_ELF_BAD_DYNAMIC, put64(im, ph(PH_DYN, P_OFFSET), UINT64_MAX - 0x10));
	/* Two of them. */
	MUTANT(DV_ELF_BAD_DYNAMIC, put16(im, 56, 4);
	       put_phdr(im, PH_SPARE, 2, 6, DYN_OFF, DATA_VA, DYN_SZ, DYN_SZ, 8));
}

static void test_optional_dynamic(void **state)
{
	struct dv_elf_info info;
	struct image im;

	(void)state;
	/* No PT_DYNAMIC at all. */
	build(&im);
	put16(&im, 56, 2);
	expect(check_n(&im, IMG_SIZE, BIG_LIMIT, &info), DV_ELF_OK, "no dynamic");
	assert_int_equal(info.rela_off, 0);
	assert_int_equal(info.rela_count, 0);
	/* A dynamic section with no relocations, or an empty table. */
	build(&im);
	put_dyn(&im, 0, 0, 0);
	expect(check_n(&im, IMG_SIZE, BIG_LIMIT, &info), DV_ELF_OK, "empty dynamic");
	assert_int_equal(info.rela_count, 0);
	build(&im);
	put_dyn(&im, 1, 8, 0);
	expect(check_n(&im, IMG_SIZE, BIG_LIMIT, &info), DV_ELF_OK, "RELASZ 0");
	assert_int_equal(info.rela_off, 0);
	assert_int_equal(info.rela_count, 0);
	/* Other segment types are ignored. */
	build(&im);
	put16(&im, 56, 4);
	put_phdr(&im, PH_SPARE, 0x6474e551, 6, 0, 0, 0, 0, 16);  /* PT_GNU_STACK */
	expect(check_n(&im, IMG_SIZE, BIG_LIMIT, &info), DV_ELF_OK, "GNU_STACK");
}

static void test_status_strings(void **state)
{
	(void)state;
	for (int s = DV_ELF_OK; s <= DV_ELF_BAD_RELOC; s++) {
		const char *t = dv_elf_status_str((enum dv_elf_status)s);

		assert_non_null(t);
		assert_true(strlen(t) > 1);
		assert_string_not_equal(t, "unknown status");
		for (int o = DV_ELF_OK; o < s; o++)
			assert_string_not_equal(t, dv_elf_status_str((enum dv_elf_status)o));
	}
	assert_string_equal(dv_elf_status_str(DV_ELF_TRUNCATED), "file is truncated");
	assert_string_equal(dv_elf_status_str((enum dv_elf_status)99), "unknown status");
	assert_string_equal(dv_elf_status_str((enum dv_elf_status)-1), "unknown status");
}

/* Tiny deterministic generator for the random test. */
static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* Random corruptions of a few bytes each: whatever check accepts must load
 * within its span without touching anything else (ASan watches). */
static void test_random_corruption(void **state)
{
	uint64_t seed = 42;
	struct dv_elf_info info;
	struct image im;
	int accepted = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		build(&im);
		for (int k = 1 + (int)(rnd(&seed) % 4); k > 0; k--) {
			size_t at = rnd(&seed) % IMG_SIZE;

			/* Aim most hits at the headers and tables. */
			if (rnd(&seed) & 1)
				at = rnd(&seed) % (RELA_OFF + NRELA * 24);
			im.b[at] = (rnd(&seed) & 1) ? (uint8_t)rnd(&seed)
						    : (uint8_t)(im.b[at] ^ (1u << (rnd(&seed) % 8)));
		}
		if (check_n(&im, IMG_SIZE, BIG_LIMIT, &info) != DV_ELF_OK)
			continue;
		accepted++;
		assert_true(info.span <= BIG_LIMIT && info.entry < info.span);
		uint8_t *dest = malloc(info.span ? info.span : 1);
		expect(dv_elf_load(im.b, IMG_SIZE, &info, dest, 0x200000), DV_ELF_OK, "random");
		free(dest);
	}
	print_message("%d of 20000 corrupted images still valid\n", accepted);
}

/* Read the whole file at path into a heap block. Returns NULL if absent. */
static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

#ifndef DV_CORE_ELF_PATH
#define DV_CORE_ELF_PATH ""
#endif

/* The real core, as ld.lld -pie links it: checks, loads, and every
 * relocation applied. Loaded at two bases, the images must differ exactly
 * in the relocated words, by the difference of the bases. The path can be
 * overridden with DRVISOR_CORE_ELF in the environment. */
static void test_real_core(void **state)
{
	const char *path = getenv("DRVISOR_CORE_ELF");
	const uint64_t base1 = 0x7d000000, base2 = 0x1234567000ull;
	struct dv_elf_info info;
	uint8_t *file, *a, *b;
	size_t size = 0;

	(void)state;
	if (!path || !*path)
		path = DV_CORE_ELF_PATH;
	file = *path ? read_file(path, &size) : NULL;
	if (!file) {
		print_message("skipping: %s not built\n", *path ? path : "core.elf");
		skip();
	}
	expect(dv_elf_check(file, size, 64u << 20, &info), DV_ELF_OK, path);
	assert_true(info.entry < info.span);
	a = malloc(info.span);
	b = malloc(info.span);
	expect(dv_elf_load(file, size, &info, a, base1), DV_ELF_OK, "load 1");
	expect(dv_elf_load(file, size, &info, b, base2), DV_ELF_OK, "load 2");
	uint8_t *marked = calloc(info.span, 1);
	for (uint64_t i = 0; i < info.rela_count; i++) {
		const uint8_t *r = file + info.rela_off + i * 24;
		uint64_t off = get64(r), addend = get64(r + 16);

		assert_int_equal(get64(a + off), base1 + addend);
		assert_int_equal(get64(b + off), base2 + addend);
		memset(marked + off, 1, 8);
	}
	for (uint64_t i = 0; i < info.span; i++)
		if (!marked[i] && a[i] != b[i])
			fail_msg("byte 0x%llx differs between bases but is not relocated",
				 (unsigned long long)i);
	print_message("%s: span 0x%llx, entry 0x%llx, %llu relocations\n", path,
		      (unsigned long long)info.span, (unsigned long long)info.entry,
		      (unsigned long long)info.rela_count);
	free(marked);
	free(a);
	free(b);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_image_checks),
		cmocka_unit_test(test_load_and_relocate),
		cmocka_unit_test(test_load_rechecks),
		cmocka_unit_test(test_every_truncation_fails),
		cmocka_unit_test(test_bad_identity),
		cmocka_unit_test(test_bad_phdr_table),
		cmocka_unit_test(test_no_load),
		cmocka_unit_test(test_bad_segments),
		cmocka_unit_test(test_bad_entry),
		cmocka_unit_test(test_bad_relocs),
		cmocka_unit_test(test_bad_dynamic),
		cmocka_unit_test(test_optional_dynamic),
		cmocka_unit_test(test_status_strings),
		cmocka_unit_test(test_random_corruption),
		cmocka_unit_test(test_real_core),
	};

	return cmocka_run_group_tests_name("elf_load", tests, NULL, NULL);
}
