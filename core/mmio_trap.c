/* Nested-paging write traps and the absent-device page (core/mmio_trap.h):
 * the table of trapped pages, and the decode-and-dispatch of a write fault
 * on one. docs/mmio.md. */
#include "mmio_trap.h"
#include "guest_mem.h"
#include "insn_store.h"
#include "log.h"
#include "memory.h"
#include "string.h"
#include "vcpu.h"
#include "arch-x86/cr.h"
#include "arch-x86/msr.h"
#include "arch-x86/nested_paging.h"

struct mmio_trap {
	uint64_t gpa_page;
	uint64_t host_pa;       /* what reads of the page see (XCHG's old value) */
	mmio_write_fn fn;
	void *ctx;
};

/* Written under trap_lock; read without it by the exit path of any CPU:
 * an entry is complete before trap_count (release) makes it visible. */
static struct mmio_trap traps[MMIO_TRAP_MAX];
static unsigned trap_count;
static volatile int trap_lock;
static uint64_t ones_page;

static const struct mmio_trap *find_trap(uint64_t gpa)
{
	unsigned n = __atomic_load_n(&trap_count, __ATOMIC_ACQUIRE), i;

	for (i = 0; i < n; i++)
		if (traps[i].gpa_page == (gpa & ~(PAGE_SIZE - 1)))
			return &traps[i];
	return 0;
}

static bool add_trap(uint64_t gpa_page, uint64_t host_pa, mmio_write_fn fn, void *ctx)
{
	bool ok = false;

	while (__atomic_test_and_set(&trap_lock, __ATOMIC_ACQUIRE))
		;
	if (trap_count < MMIO_TRAP_MAX && !find_trap(gpa_page) && !hv_owns(gpa_page, PAGE_SIZE) &&
	    nested_protect_page(gpa_page, host_pa, true)) {
		traps[trap_count] = (struct mmio_trap){ gpa_page, host_pa, fn, ctx };
		__atomic_store_n(&trap_count, trap_count + 1, __ATOMIC_RELEASE);
		ok = true;
	}
	__atomic_clear(&trap_lock, __ATOMIC_RELEASE);
	return ok;
}

bool nested_trap_writes(uint64_t gpa_page, mmio_write_fn fn, void *ctx)
{
	return fn && add_trap(gpa_page, gpa_page, fn, ctx);
}

static enum mmio_verdict drop_write(struct vcpu *v, uint64_t gpa, unsigned width,
				    uint64_t value, void *ctx)
{
	(void)v, (void)gpa, (void)width, (void)value, (void)ctx;
	return MMIO_DONE;
}

bool nested_hide_page(uint64_t gpa_page)
{
	if (!ones_page) {
		uint64_t p = page_alloc();

		if (!p)
			return false;
		memset((void *)p, 0xff, PAGE_SIZE);
		ones_page = p;
	}
	return add_trap(gpa_page, ones_page, drop_write, 0);
}

/* The code segment's mode as far as the decoder needs it: long mode is
 * taken as 64-bit code (compatibility-mode code is not told apart, and a
 * 32-bit program does not write MMIO), protected mode as 32-bit, else
 * real mode. docs/mmio.md. */
static enum insn_mode guest_mode(struct vcpu *v)
{
	if (v->ops->read_reg(v, VCPU_REG_EFER) & EFER_LMA)
		return INSN_MODE_64;
	return v->ops->read_reg(v, VCPU_REG_CR0) & CR0_PE ? INSN_MODE_32 : INSN_MODE_16;
}

/* The linear address of RIP: CS's base is 0 in 64-bit mode, taken as 0 in
 * protected mode (flat code, as every firmware and OS runs) and selector
 * * 16 in real mode. */
static uint64_t guest_rip_linear(struct vcpu *v, enum insn_mode mode)
{
	uint64_t rip = v->ops->read_reg(v, VCPU_REG_RIP);

	if (mode == INSN_MODE_16)
		return (v->ops->read_reg(v, VCPU_REG_SEL + SEG_CS) << 4) + (rip & 0xffff);
	return mode == INSN_MODE_32 ? (uint32_t)rip : rip;
}

static bool read_guest(void *ctx, uint64_t la, void *buf, unsigned len)
{
	return guest_read_linear(ctx, la, buf, len);
}

static uint64_t width_mask(unsigned width)
{
	return width == 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

static uint64_t source_value(struct vcpu *v, const struct store_insn *s)
{
	if (s->imm)
		return s->imm_value;
	return (vcpu_read_gpr(v, s->gpr) >> (s->high_byte ? 8 : 0)) & width_mask(s->width);
}

/* XCHG's register gets the old value: as a MOV to it would (a 32-bit
 * destination is zero-extended, 8 and 16 bits merge, SDM vol. 1 3.4.1.1). */
static void xchg_result(struct vcpu *v, const struct store_insn *s, uint64_t old)
{
	unsigned shift = s->high_byte ? 8 : 0;
	uint64_t reg = vcpu_read_gpr(v, s->gpr), mask = width_mask(s->width) << shift;

	reg = s->width >= 4 ? old : (reg & ~mask) | ((old << shift) & mask);
	if (s->gpr == 4)
		v->ops->write_reg(v, VCPU_REG_RSP, reg);
	else
		(&v->gprs.rax)[s->gpr < 4 ? s->gpr : s->gpr - 1] = reg;
}

static uint64_t read_host(uint64_t pa, unsigned width)
{
	switch (width) {
	case 1: return *(volatile const uint8_t *)pa;
	case 2: return *(volatile const uint16_t *)pa;
	case 4: return *(volatile const uint32_t *)pa;
	default: return *(volatile const uint64_t *)pa;
	}
}

static void log_refused(struct vcpu *v, uint64_t gpa, const uint8_t *b, unsigned n,
			const char *why)
{
	char hex[3 * INSN_STORE_MAX_LEN + 1];
	unsigned i;

	for (i = 0; i < n; i++) {
		hex[3 * i] = "0123456789abcdef"[b[i] >> 4];
		hex[3 * i + 1] = "0123456789abcdef"[b[i] & 15];
		hex[3 * i + 2] = i + 1 < n ? ' ' : 0;
	}
	hex[n ? 3 * n - 1 : 0] = 0;
	log_warn("vcpu%u: write to trapped gpa 0x%llx at rip 0x%llx, bytes [%s]: %s; #GP(0)",
		 v->id, (unsigned long long)gpa,
		 (unsigned long long)v->ops->read_reg(v, VCPU_REG_RIP), hex, why);
}

enum mmio_exit mmio_write_exit(struct vcpu *v, uint64_t gpa, unsigned len_hint,
			       bool in_delivery, unsigned *len)
{
	const struct mmio_trap *t = find_trap(gpa);
	enum insn_mode mode;
	uint8_t b[INSN_STORE_MAX_LEN];
	struct store_insn s;
	unsigned n;
	uint64_t old = 0, value;

	if (!t)
		return MMIO_EXIT_NOT_TRAPPED;
	if (in_delivery) {
		log_refused(v, gpa, b, 0, "an event delivery wrote it");
		return MMIO_EXIT_GP;
	}
	mode = guest_mode(v);
	n = insn_fetch(read_guest, v, guest_rip_linear(v, mode), b);
	switch (decode_store(b, n, mode, &s)) {
	case STORE_OK:
		break;
	case STORE_SHORT:
		log_refused(v, gpa, b, n, "the instruction could not be read");
		return MMIO_EXIT_GP;
	default:
		log_refused(v, gpa, b, n, "not a store drvisor decodes (docs/mmio.md)");
		return MMIO_EXIT_GP;
	}
	if (len_hint && len_hint != s.len) {
		log_refused(v, gpa, b, n, "the CPU reports another length");
		return MMIO_EXIT_GP;
	}
	value = source_value(v, &s);
	if (s.xchg && (gpa & (PAGE_SIZE - 1)) + s.width <= PAGE_SIZE)
		old = read_host(t->host_pa + (gpa & (PAGE_SIZE - 1)), s.width);
	if (t->fn(v, gpa, s.width, value, t->ctx) != MMIO_DONE)
		return MMIO_EXIT_GP;
	if (s.xchg)
		xchg_result(v, &s, old);
	*len = s.len;
	return MMIO_EXIT_SKIP;
}
