/* Unit tests of the write-fault dispatch (core/mmio_trap.c) against a fake
 * vCPU: the instruction bytes come from a buffer, the trapped page is a
 * host buffer, the nested map and the allocator are fakes. What is
 * checked: the value each form stores (registers, high bytes, RSP,
 * immediates), XCHG's register result, the refusals (unknown form, bytes
 * cut short, another length, an event delivery) and the table's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "core/guest_mem.h"
#include "core/memory.h"
#include "core/mmio_trap.h"
#include "core/vcpu.h"
#include "arch-x86/cr.h"
#include "arch-x86/msr.h"
#include "arch-x86/nested_paging.h"

struct hv_memory hv_mem;
static uint8_t page[2][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t ones[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define CODE_PAGE 0x1000ull   /* the guest's one readable linear page */
static uint8_t code[PAGE_SIZE];
static uint64_t rsp, rip = CODE_PAGE;
static int protects, log_lines;

bool hv_owns(uint64_t addr, uint64_t len)
{
	(void)addr, (void)len;
	return false;
}

uint64_t page_alloc(void)
{
	return (uint64_t)(uintptr_t)ones;
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

bool nested_protect_page(uint64_t gpa_page, uint64_t host_pa, bool read_only)
{
	(void)gpa_page, (void)host_pa;
	assert_true(read_only);
	protects++;
	return true;
}

void log_msg(uint32_t level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	log_lines++;
}

/* The guest's linear page CODE_PAGE is code[]; nothing else reads. */
bool guest_read_linear(struct vcpu *v, uint64_t la, void *buf, unsigned len)
{
	(void)v;
	if (la < CODE_PAGE || la + len > CODE_PAGE + PAGE_SIZE)
		return false;
	memcpy(buf, code + (la - CODE_PAGE), len);
	return true;
}

uint64_t vcpu_read_gpr(struct vcpu *v, unsigned n)
{
	return n == 4 ? rsp : (&v->gprs.rax)[n < 4 ? n : n - 1];
}

static uint64_t fake_read_reg(struct vcpu *v, enum vcpu_reg r)
{
	(void)v;
	switch (r) {
	case VCPU_REG_RIP: return rip;
	case VCPU_REG_RSP: return rsp;
	case VCPU_REG_EFER: return EFER_LMA;
	case VCPU_REG_CR0: return CR0_PE | CR0_PG;
	default: return 0;
	}
}

static void fake_write_reg(struct vcpu *v, enum vcpu_reg r, uint64_t val)
{
	(void)v;
	assert_int_equal(r, VCPU_REG_RSP);
	rsp = val;
}

static const struct vendor_ops ops = { .read_reg = fake_read_reg, .write_reg = fake_write_reg };

/* The handler: records the store, writes it into page[] as a device would. */
static struct { uint64_t gpa, value; unsigned width, calls; enum mmio_verdict answer; } seen;

static enum mmio_verdict record(struct vcpu *v, uint64_t gpa, unsigned width, uint64_t value,
				void *ctx)
{
	(void)v;
	assert_ptr_equal(ctx, &seen);
	seen.gpa = gpa, seen.width = width, seen.value = value, seen.calls++;
	return seen.answer;
}

static uint64_t base(unsigned i)
{
	return (uint64_t)(uintptr_t)page[i];
}

static int setup(void **state)
{
	static int once;

	(void)state;
	if (!once) {
		assert_true(nested_trap_writes(base(0), record, &seen));
		once = 1;
	}
	memset(&seen, 0, sizeof(seen));
	log_lines = 0;
	return 0;
}

/* The instruction at RIP = CODE_PAGE, NOPs after it; CODE_AT_END puts it
 * at the page's end, the next page unreadable. */
#define CODE(...) code_at(0, (const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }))
#define CODE_AT_END(...)                                                           \
	code_at(1, (const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }))

static void code_at(int at_end, const uint8_t *b, size_t n)
{
	memset(code, 0x90, sizeof(code));
	rip = at_end ? CODE_PAGE + PAGE_SIZE - n : CODE_PAGE;
	memcpy(code + (rip - CODE_PAGE), b, n);
}

static enum mmio_exit fault(struct vcpu *v, uint64_t off, unsigned *len)
{
	return mmio_write_exit(v, base(0) + off, 0, false, len);
}

static void values(void **state)
{
	struct vcpu v = { .ops = &ops };
	unsigned len = 0;

	(void)state;
	v.gprs.rdx = 0x1122334455667788ull;
	CODE(0x89, 0x10);                                      /* mov [rax], edx */
	assert_int_equal(fault(&v, 0x80, &len), MMIO_EXIT_SKIP);
	assert_int_equal(len, 2);
	assert_int_equal(seen.value, 0x55667788);
	assert_int_equal(seen.width, 4);
	assert_int_equal(seen.gpa, base(0) + 0x80);
	CODE(0x88, 0x34, 0x25, 0, 0, 0, 0);                    /* mov [abs], dh */
	assert_int_equal(fault(&v, 0x80, &len), MMIO_EXIT_SKIP);
	assert_int_equal(len, 7);
	assert_int_equal(seen.value, 0x77);
	assert_int_equal(seen.width, 1);
	rsp = 0xfffffffffffff123ull;
	CODE(0x48, 0x89, 0x20);                                /* mov [rax], rsp */
	assert_int_equal(fault(&v, 8, &len), MMIO_EXIT_SKIP);
	assert_int_equal(seen.value, rsp);
	assert_int_equal(seen.width, 8);
	v.gprs.r15 = 0xabcd;
	CODE(0x66, 0x44, 0x89, 0x38);                          /* mov [rax], r15w */
	assert_int_equal(fault(&v, 0, &len), MMIO_EXIT_SKIP);
	assert_int_equal(seen.value, 0xabcd);
	assert_int_equal(seen.width, 2);
	CODE(0x48, 0xc7, 0x40, 0x10, 0xfe, 0xff, 0xff, 0xff);  /* mov qword [rax+16], -2 */
	assert_int_equal(fault(&v, 0x10, &len), MMIO_EXIT_SKIP);
	assert_int_equal(len, 8);
	assert_int_equal(seen.value, 0xfffffffffffffffeull);
	assert_int_equal(seen.calls, 5);
	assert_int_equal(log_lines, 0);
}

static void xchg(void **state)
{
	struct vcpu v = { .ops = &ops };
	unsigned len = 0;

	(void)state;
	memcpy(page[0] + 0x300, (uint32_t[]){ 0xcafef00d }, 4);
	v.gprs.rcx = 0xffffffff00000041ull;
	CODE(0x87, 0x88, 0x00, 0x03, 0, 0);                    /* xchg [rax+0x300], ecx */
	seen.answer = MMIO_DONE;
	assert_int_equal(fault(&v, 0x300, &len), MMIO_EXIT_SKIP);
	assert_int_equal(seen.value, 0x41);
	assert_int_equal(v.gprs.rcx, 0xcafef00d);               /* zero-extended */
	v.gprs.rbx = 0x1111;
	CODE(0x86, 0x38);                                      /* xchg [rax], bh */
	page[0][0] = 0x99;
	assert_int_equal(fault(&v, 0, &len), MMIO_EXIT_SKIP);
	assert_int_equal(seen.value, 0x11);
	assert_int_equal(v.gprs.rbx, 0x9911);                   /* bits 15:8 only */
	v.gprs.rdx = 0xaaaaaaaaaaaaaaaaull;
	CODE(0x66, 0x87, 0x10);                                /* xchg [rax], dx */
	memcpy(page[0], (uint16_t[]){ 0x1234 }, 2);
	assert_int_equal(fault(&v, 0, &len), MMIO_EXIT_SKIP);
	assert_int_equal(v.gprs.rdx, 0xaaaaaaaaaaaa1234ull);
	/* Refused by the handler: the register keeps its value. */
	seen.answer = MMIO_GP;
	v.gprs.rcx = 7;
	CODE(0x87, 0x08);
	assert_int_equal(fault(&v, 0, &len), MMIO_EXIT_GP);
	assert_int_equal(v.gprs.rcx, 7);
}

static void refusals(void **state)
{
	struct vcpu v = { .ops = &ops };
	unsigned len = 0;

	(void)state;
	CODE(0x83, 0x00, 0x00);                                /* add dword [rax], 0 */
	assert_int_equal(fault(&v, 0, &len), MMIO_EXIT_GP);
	CODE_AT_END(0xc7, 0x80, 0x00, 0x03);                   /* cut by an unreadable page */
	assert_int_equal(fault(&v, 0x300, &len), MMIO_EXIT_GP);
	CODE(0x89, 0x10);
	assert_int_equal(mmio_write_exit(&v, base(0), 3, false, &len), MMIO_EXIT_GP);
	assert_int_equal(mmio_write_exit(&v, base(0), 0, true, &len), MMIO_EXIT_GP);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(log_lines, 4);
	/* Another page: not trapped; no log. */
	assert_int_equal(mmio_write_exit(&v, base(1), 0, false, &len), MMIO_EXIT_NOT_TRAPPED);
	assert_int_equal(log_lines, 4);
	/* The length the CPU reports, when it matches, is fine. */
	assert_int_equal(mmio_write_exit(&v, base(0), 2, false, &len), MMIO_EXIT_SKIP);
}

static void table_rules(void **state)
{
	struct vcpu v = { .ops = &ops };
	unsigned len = 0;
	uint32_t old = 0;

	(void)state;
	assert_false(nested_trap_writes(base(0), record, &seen));  /* already trapped */
	assert_false(nested_hide_page(base(0)));
	assert_false(nested_trap_writes(base(1), NULL, NULL));     /* no handler */
	assert_true(nested_hide_page(base(1)));
	assert_int_equal(ones[0], 0xff);
	/* A write to the hidden page is dropped; XCHG reads all ones. */
	v.gprs.rsi = 5;
	CODE(0x87, 0x30);                                      /* xchg [rax], esi */
	assert_int_equal(mmio_write_exit(&v, base(1) + 4, 0, false, &len), MMIO_EXIT_SKIP);
	assert_int_equal(v.gprs.rsi, 0xffffffff);
	memcpy(&old, ones + 4, 4);
	assert_int_equal(old, 0xffffffff);
	assert_int_equal(seen.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(values, setup),
		cmocka_unit_test_setup(xchg, setup),
		cmocka_unit_test_setup(refusals, setup),
		cmocka_unit_test_setup(table_rules, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
