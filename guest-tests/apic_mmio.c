/*
 * apic_mmio: stores to the local APIC page in the forms drvisor's decoder
 * knows (issue 14; core/insn_store.h, docs/mmio.md), natively and under
 * drvisor, which write-traps the page and carries out every store on the
 * real APIC. Each known form writes the task-priority register (TPR,
 * offset 0x80) and reads it back; self-IPIs with a fixed vector sent
 * through the ICR (MOV and XCHG, Linux's two forms) arrive once each, and
 * their handler's EOI (MOV imm) lets the next one in; an IPI below TPR is
 * held until TPR drops. 8/16/64-bit stores are not tried: their effect is
 * the APIC model's (SDM vol. 3A 10.4.1 asks for 32-bit accesses) and
 * Bochs 2.7 panics natively on them ("APIC write with len=2 (should be
 * 4)", docs/emulator-quirks.md); the decoder's unit test covers their
 * decoding. Forms the decoder does not know (ADD to memory, REP STOSD)
 * get #GP(0) at the instruction under drvisor, the documented answer;
 * natively they execute (both said in the test's name, checked per run).
 */
#include <efi.h>
#include <drvisor/hypercall.h>
#include "lib/guest.h"

#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull
#define APIC_DEFAULT_BASE 0xfee00000ull
#define APIC_ID 0x20
#define APIC_TPR 0x80
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_BUSY (1u << 12)
#define ICR_ASSERT (1u << 14)
#define IPI_VECTOR 0xe0
#define IPIS 10
#define GATE_INTERRUPT_64 0x8e
#define WAIT_LOOPS 2000000u
#define PLAN 14

void apic_st_mov_disp32(volatile uint8_t *apic, uint32_t v);
void apic_st_mov_imm(volatile uint8_t *apic, uint32_t v);
void apic_st_mov_sib(volatile uint8_t *apic, uint32_t v);
void apic_st_mov_rex_sib8(volatile uint8_t *apic, uint32_t v);
uint32_t apic_st_xchg(volatile uint8_t *apic, uint32_t v);
void apic_st_movnti(volatile uint8_t *apic, uint32_t v);
void apic_st_moffs(volatile uint8_t *apic, uint32_t v);
void apic_st_add(volatile uint8_t *apic, uint32_t v);
void apic_st_rep_stos(volatile uint8_t *apic, uint32_t v);
void apic_st_eoi(volatile uint8_t *apic, uint32_t v);
void apic_st_icr_mov(volatile uint8_t *apic, uint32_t v);
void apic_st_icr_xchg(volatile uint8_t *apic, uint32_t v);
extern char apic_st_add_insn[], apic_st_rep_stos_insn[], apic_irq_entry[];
void apic_mmio_irq(void);

static volatile uint8_t *apic;
static int under;
static volatile unsigned irq_count;

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static uint32_t apic_read(unsigned reg)
{
	return *(volatile uint32_t *)(apic + reg);
}

static uint64_t nested_exits(void)
{
	struct hv_regs out;

	if (!under)
		return 0;
	hv_call(DV_HC_GET_EXIT_COUNT, DV_EXIT_NESTED_PAGE_FAULT, 0, 0, &out);
	return out.rbx;
}

static void tpr_form(void (*store)(volatile uint8_t *, uint32_t), uint32_t v, uint32_t expect,
		     const char *what)
{
	store(apic, v);
	tap_eq(apic_read(APIC_TPR), expect, "%s writes TPR", what);
}

static void check_known_forms(void)
{
	uint64_t n0 = nested_exits();
	uint32_t old;

	tpr_form(apic_st_mov_disp32, 0x10, 0x10, "mov [rdi+0x80], esi (89 disp32)");
	tpr_form(apic_st_mov_imm, 0, 0x20, "mov dword [rdi+0x80], 0x20 (c7 imm32)");
	tpr_form(apic_st_mov_sib, 0x30, 0x30, "mov [rax+rcx], edx (89 SIB)");
	tpr_form(apic_st_mov_rex_sib8, 0x40, 0x40, "mov [r8+r9*2+0x40], r10d (REX SIB disp8)");
	tpr_form(apic_st_movnti, 0x60, 0x60, "movnti [rdi+0x80], esi (0f c3)");
	old = apic_st_xchg(apic, 0x50);
	tap_eq(apic_read(APIC_TPR), 0x50, "xchg [rdi+0x80], esi (87) writes TPR");
	tap_eq(old, 0x60, "and gives the register TPR's old value");
	if ((uintptr_t)apic == APIC_DEFAULT_BASE)
		tpr_form(apic_st_moffs, 0x70, 0x70, "movabs [0xfee00080], eax (a3 moffs64)");
	else
		tap_skip("platform lacks the APIC at 0xfee00000", "movabs moffs64 writes TPR");
	if (under)
		tap_ok(nested_exits() - n0 >= 7, "under drvisor each store exited (%llu)",
		       (unsigned long long)(nested_exits() - n0));
	else
		tap_skip("running natively", "under drvisor each store exited");
}

struct store_args {
	void (*store)(volatile uint8_t *, uint32_t);
	uint32_t v;
};

static void run_store(void *p)
{
	struct store_args *a = p;

	a->store(apic, a->v);
}

/* Under drvisor: #GP(0) at the instruction, TPR untouched; natively the
 * instruction runs. */
static void unknown_form(void (*store)(volatile uint8_t *, uint32_t), const char *insn,
			 uint32_t v, uint32_t native_tpr, const char *what)
{
	struct store_args a = { store, v };
	struct trap_info t = { 0 };
	int trapped;

	apic_st_mov_disp32(apic, 0x30);
	trapped = guest_try(run_store, &a, &t);
	if (under)
		tap_ok(trapped && t.vector == TRAP_GP && t.error_code == 0 &&
			       t.rip == (uint64_t)(uintptr_t)insn && apic_read(APIC_TPR) == 0x30,
		       "%s: #GP(0) at it under drvisor, runs natively", what);
	else
		tap_ok(!trapped && apic_read(APIC_TPR) == native_tpr,
		       "%s: #GP(0) at it under drvisor, runs natively", what);
	if (trapped)
		guest_printf("# %s: %s at %#llx (insn at %#llx)\n", what, trap_name(t.vector),
			     (unsigned long long)t.rip, (unsigned long long)(uintptr_t)insn);
}

void apic_mmio_irq(void)
{
	irq_count++;
	apic_st_eoi(apic, 0);
}

static void install_gate(void)
{
	struct idt_ptr idtr = guest_sidt();
	struct idt_gate *g = (struct idt_gate *)(uintptr_t)idtr.base + IPI_VECTOR;
	uint64_t h = (uint64_t)(uintptr_t)apic_irq_entry;

	*g = (struct idt_gate){
		.offset_lo = (uint16_t)h,
		.selector = guest_read_cs(),
		.type_attr = GATE_INTERRUPT_64,
		.offset_mid = (uint16_t)(h >> 16),
		.offset_hi = (uint32_t)(h >> 32),
	};
}

/* With interrupts on, until n were counted (bounded). */
static void wait_irqs(unsigned n)
{
	unsigned i;

	__asm__ volatile("sti");
	for (i = 0; i < WAIT_LOOPS && irq_count < n; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
}

static void self_ipi(void (*icr_store)(volatile uint8_t *, uint32_t), uint32_t apic_id)
{
	while (apic_read(APIC_ICR_LO) & ICR_BUSY)
		__asm__ volatile("pause");
	*(volatile uint32_t *)(apic + APIC_ICR_HI) = apic_id << 24;
	icr_store(apic, IPI_VECTOR | ICR_ASSERT);
}

static void check_ipis(void)
{
	uint32_t id = apic_read(APIC_ID) >> 24;
	unsigned i;

	apic_st_mov_disp32(apic, 0);
	install_gate();
	irq_count = 0;
	for (i = 1; i <= IPIS; i++) {
		self_ipi(i % 2 ? apic_st_icr_mov : apic_st_icr_xchg, id);
		wait_irqs(i);
	}
	tap_eq(irq_count, IPIS, "%u self-IPIs (vector %#x, ICR by MOV and XCHG) each arrive, "
	       "EOI by MOV imm", IPIS, IPI_VECTOR);
	/* Sent with the vector masked by TPR: held until TPR drops. */
	irq_count = 0;
	apic_st_mov_disp32(apic, 0xf0);
	self_ipi(apic_st_icr_mov, id);
	wait_irqs(1);
	tap_eq(irq_count, 0, "an IPI below TPR 0xf0 is held");
	apic_st_mov_imm(apic, 0);      /* TPR 0x20: vector 0xe0 is above it */
	wait_irqs(1);
	tap_eq(irq_count, 1, "and arrives once TPR is lowered");
}

/* Not EFIAPI: gnu-efi's crt0 calls efi_main with the SysV ABI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct hv_info hv;
	uint64_t base;
	uint32_t tpr0;

	(void)image;
	(void)st;
	serial_init();
	trap_install();
	under = hv_detect(&hv);
	if (under)
		guest_printf("apic_mmio: running under drvisor %u.%u on %s\n", hv.version >> 16,
			     hv.version & 0xffff, hv_vendor_name(hv.vendor));
	else
		guest_printf("apic_mmio: running natively on %s\n", hv_vendor_name(hv.vendor));
	base = rdmsr(MSR_IA32_APIC_BASE);
	tap_plan(PLAN);
	if (!(base & APIC_BASE_ENABLE) || (base & APIC_BASE_X2APIC)) {
		guest_printf("# IA32_APIC_BASE = %#llx\n", (unsigned long long)base);
		for (int i = 0; i < PLAN; i++)
			tap_skip("platform lacks an enabled xAPIC", "apic_mmio case %d", i + 1);
		guest_exit(tap_failures() ? 1 : 0);
	}
	apic = (volatile uint8_t *)(uintptr_t)(base & APIC_BASE_ADDR_MASK);
	__asm__ volatile("cli");
	tpr0 = apic_read(APIC_TPR);
	guest_printf("# xAPIC at %#llx, TPR %#x\n", (unsigned long long)(uintptr_t)apic, tpr0);
	check_known_forms();
	unknown_form(apic_st_add, apic_st_add_insn, 0, 0x30, "add dword [rdi+0x80], 0 (83 /0)");
	unknown_form(apic_st_rep_stos, apic_st_rep_stos_insn, 0x40, 0x40,
		     "rep stosd into TPR (f3 ab)");
	check_ipis();
	apic_st_mov_disp32(apic, tpr0);
	__asm__ volatile("sti");
	guest_printf("apic_mmio: done\n");
	guest_exit(tap_failures() ? 1 : 0);
}
