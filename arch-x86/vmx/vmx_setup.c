/*
 * The VMCS of a late-launched guest (SDM vol. 3C chapter 25): controls
 * chosen by vmx_controls.c, the bitmaps, the host state (drvisor's own GDT,
 * TSS, IDT and page tables) and the guest state from struct guest_state.
 */
#include "vmx.h"
#include "vmx_insn.h"
#include "arch-x86/cpu.h"
#include "arch-x86/cpuid_bits.h"
#include "arch-x86/exception.h"
#include "arch-x86/gdt.h"
#include "arch-x86/msr.h"
#include "arch-x86/paging.h"
#include "core/hv_config.h"
#include "core/msr_policy.h"
#include "core/io_policy.h"
#include "core/log.h"
#include "core/memory.h"

#define SEG_ATTR_ACCESS_BYTE 0xffu
#define SEG_ATTR_FLAGS_SHIFT 8

static unsigned write_failures;

void vmcs_write(uint32_t field, uint64_t v)
{
	if (vmwrite(field, v))
		return;
	write_failures++;
	log_error("vmx: VMWRITE of field 0x%04x = 0x%llx failed (VM-instruction error %llu)",
		  field, (unsigned long long)v, (unsigned long long)vmread(VMCS_INSN_ERROR));
}

unsigned vmcs_write_failures(void)
{
	unsigned n = write_failures;

	write_failures = 0;
	return n;
}

/* Exit on reads and writes of msr (25.6.9). */
static void msr_bitmap_intercept(uint8_t *bm, uint32_t msr)
{
	uint32_t idx = msr, rd = MSR_BITMAP_READ_LOW, wr = MSR_BITMAP_WRITE_LOW;

	if (msr >= MSR_BITMAP_HIGH_BASE) {
		idx = msr - MSR_BITMAP_HIGH_BASE;
		rd = MSR_BITMAP_READ_HIGH;
		wr = MSR_BITMAP_WRITE_HIGH;
	}
	bm[rd + idx / 8] |= (uint8_t)(1u << (idx % 8));
	bm[wr + idx / 8] |= (uint8_t)(1u << (idx % 8));
}

/* Exit on writes of msr, in 0-0x1fff; reads pass. */
static void msr_bitmap_intercept_write(uint8_t *bm, uint32_t msr)
{
	bm[MSR_BITMAP_WRITE_LOW + msr / 8] |= (uint8_t)(1u << (msr % 8));
}

/* The guest sees a CPU without VMX (vcpu_emulate_cpuid), where the VMX
 * MSRs do not exist, nor those core/msr_policy.h hides: vmx_exit.c answers
 * every read and write with #GP; IA32_FEATURE_CONTROL reads locked with VMX
 * off, IA32_XSS is checked (where XSAVES runs in the guest). Every other
 * MSR in the bitmap's ranges passes through (MSRs outside them always
 * exit, 26.1.3). */
static void setup_msr_bitmap(uint8_t *bm, bool xsaves)
{
	uint32_t msr;
	unsigned i;

	msr_bitmap_intercept(bm, MSR_IA32_FEATURE_CONTROL);
	msr_bitmap_intercept(bm, MSR_IA32_DEBUGCTL); /* virtualized: core/debugreg.c */
	/* The local APIC's (core/apic_trap.h): writes only. */
	msr_bitmap_intercept_write(bm, MSR_X2APIC_ICR);
	msr_bitmap_intercept_write(bm, MSR_IA32_APIC_BASE);
	for (msr = MSR_IA32_VMX_BASIC; msr <= MSR_IA32_VMX_EXIT_CTLS2; msr++)
		msr_bitmap_intercept(bm, msr);
	for (i = 0; i < msr_hidden_range_count; i++)
		for (msr = msr_hidden_ranges[i].first; msr <= msr_hidden_ranges[i].last; msr++)
			msr_bitmap_intercept(bm, msr);
	if (xsaves)
		msr_bitmap_intercept(bm, MSR_IA32_XSS);
}

/* The monitor's UART ports exit (25.6.4); see core/io_policy.h. */
static void setup_io_bitmaps(uint8_t *io)
{
	uint16_t first, count;
	unsigned i, r, port;

	for (r = 0; r < io_intercept_count(); r++) {
		io_intercept_range(r, &first, &count);
		for (i = 0; i < count; i++) {
			port = first + i;
			io[port / 8] |= (uint8_t)(1u << (port % 8));
		}
	}
}

static void setup_controls(struct vmx_vcpu *x)
{
	const struct vmx_controls *c = &x->ctl;

	vmcs_write(VMCS_PIN_CONTROLS, c->pin);
	vmcs_write(VMCS_PROC_CONTROLS, c->proc);
	vmcs_write(VMCS_PROC2_CONTROLS, c->proc2);
	vmcs_write(VMCS_EXIT_CONTROLS, c->exit);
	vmcs_write(VMCS_ENTRY_CONTROLS, c->entry);
	vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
	vmcs_write(VMCS_PF_ERROR_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_TSC_OFFSET, 0);
	vmcs_write(VMCS_MSR_BITMAP, (uint64_t)x->msr_bitmap);
	vmcs_write(VMCS_IO_BITMAP_A, (uint64_t)x->io_bitmaps);
	vmcs_write(VMCS_IO_BITMAP_B, (uint64_t)x->io_bitmaps + PAGE_SIZE);
	vmcs_write(VMCS_EPT_POINTER, x->eptp);
	if (c->proc2 & PROC2_VPID)
		vmcs_write(VMCS_VPID, GUEST_VPID);
	if (c->proc2 & PROC2_XSAVES)
		vmcs_write(VMCS_XSS_EXIT_BITMAP, 0);   /* XSAVES/XRSTORS never exit */
	/* The guest owns every CR0/CR4 bit except those VMX forces (masked:
	 * it reads the shadow, and a write that changes one exits). So it never
	 * sees CR4.VMXE, which VMX operation keeps set (25.6.6). */
	vmcs_write(VMCS_CR0_MASK, x->cr0_fixed0 | ~x->cr0_fixed1);
	vmcs_write(VMCS_CR4_MASK, x->cr4_fixed0 | ~x->cr4_fixed1);
}

/* Where the exit path lands (28.5): drvisor's own descriptor tables and
 * page tables. HOST_RSP and HOST_RIP are written by vmx_entry.asm. The
 * host uses no SYSENTER MSRs or FS/GS bases of its own: it keeps the live
 * values, so that a failed first entry hands them back to the loader
 * unchanged. CR4.OSXSAVE is set where the CPU has XSAVE, so that the host
 * can execute a guest's XSETBV. */
static void setup_host(void)
{
	uint64_t cr4 = read_cr4();

	if (cpuid(CPUID_FEATURES, 0).ecx & CPUID_1_ECX_XSAVE)
		cr4 |= CR4_OSXSAVE;
	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, paging_cr3());
	vmcs_write(VMCS_HOST_CR4, cr4);
	vmcs_write(VMCS_HOST_CS_SEL, HOST_CS_SEL);
	vmcs_write(VMCS_HOST_SS_SEL, HOST_DS_SEL);
	vmcs_write(VMCS_HOST_DS_SEL, HOST_DS_SEL);
	vmcs_write(VMCS_HOST_ES_SEL, HOST_DS_SEL);
	vmcs_write(VMCS_HOST_FS_SEL, HOST_DS_SEL);
	vmcs_write(VMCS_HOST_GS_SEL, HOST_DS_SEL);
	vmcs_write(VMCS_HOST_TR_SEL, HOST_TR_SEL);
	vmcs_write(VMCS_HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
	vmcs_write(VMCS_HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
	vmcs_write(VMCS_HOST_TR_BASE, tss_base());
	vmcs_write(VMCS_HOST_GDTR_BASE, gdt_base());
	vmcs_write(VMCS_HOST_IDTR_BASE, idt_base());
	vmcs_write(VMCS_HOST_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
	vmcs_write(VMCS_HOST_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
	vmcs_write(VMCS_HOST_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
	vmcs_write(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));
}

/* guest_state keeps the VMCB's 12-bit attributes; VMX wants AVL/L/D/G in
 * bits 15:12 and an "unusable" bit (25.4.1). VM entry requires the accessed
 * bit in usable code and data segments and a busy TSS in TR (27.3.1.2);
 * both only change the hidden part, which the guest cannot read back (the
 * CPU sets the accessed bit itself on a load, and LTR marks the TSS busy). */
static uint32_t access_rights(const struct guest_segment *s, int i)
{
	uint32_t ar;

	if (s->unusable)
		return VMX_AR_UNUSABLE;
	ar = (s->attr & SEG_ATTR_ACCESS_BYTE) |
	     ((uint32_t)(s->attr >> SEG_ATTR_FLAGS_SHIFT) << VMX_AR_FLAGS_SHIFT);
	if (s->attr & SEG_ATTR_S)
		ar |= SEG_TYPE_ACCESSED;
	if (i == SEG_TR)
		ar = (ar & ~(uint32_t)SEG_ATTR_TYPE_MASK) | SEG_TYPE_TSS64_BUSY;
	return ar;
}

static void setup_guest_segments(const struct guest_state *gs)
{
	int i;

	for (i = 0; i < SEG_COUNT; i++) {
		const struct guest_segment *s = &gs->seg[i];

		vmcs_write(VMCS_GUEST_SEL(i), s->selector);
		vmcs_write(VMCS_GUEST_LIMIT(i), s->limit);
		vmcs_write(VMCS_GUEST_AR(i), access_rights(s, i));
		vmcs_write(VMCS_GUEST_BASE(i), s->base);
	}
	vmcs_write(VMCS_GUEST_GDTR_BASE, gs->gdtr_base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, gs->gdtr_limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, gs->idtr_base);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, gs->idtr_limit);
}

/* The guest's CR0/CR4 with VMX's fixed bits forced; the read shadows keep
 * the values it had, so what it reads back is unchanged. */
/* The VMX-preemption timer counts down once every 2^IA32_VMX_MISC[4:0]
 * TSC ticks (SDM vol. 3C 26.5.1) from this value, reloaded at every entry:
 * a guest that causes no exit still leaves the host every ~2M TSC ticks
 * (under a millisecond at real clock rates), so the monitor answers in
 * time. */
#define PREEMPTION_PERIOD_TSC (1ull << 21)
#define VMX_MISC_TIMER_RATE_MASK 0x1f

static uint64_t preemption_timer_value(void)
{
	return PREEMPTION_PERIOD_TSC >> (rdmsr(MSR_IA32_VMX_MISC) & VMX_MISC_TIMER_RATE_MASK);
}

static void setup_guest_registers(const struct vmx_vcpu *x, const struct guest_state *gs)
{
	vmcs_write(VMCS_GUEST_CR0, (gs->cr0 | x->cr0_fixed0) & x->cr0_fixed1);
	vmcs_write(VMCS_CR0_SHADOW, gs->cr0);
	vmcs_write(VMCS_GUEST_CR3, gs->cr3);
	vmcs_write(VMCS_GUEST_CR4, (gs->cr4 | x->cr4_fixed0) & x->cr4_fixed1);
	vmcs_write(VMCS_CR4_SHADOW, gs->cr4);
	vmcs_write(VMCS_GUEST_EFER, gs->efer);
	vmcs_write(VMCS_GUEST_PAT, gs->pat);
	vmcs_write(VMCS_GUEST_RIP, gs->rip);
	vmcs_write(VMCS_GUEST_RSP, gs->rsp);
	vmcs_write(VMCS_GUEST_RFLAGS, gs->rflags);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, gs->sysenter_cs);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, gs->sysenter_esp);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, gs->sysenter_eip);
	/* VM entry loads DR7 and IA32_DEBUGCTL from here and VM exit saves
	 * them (the debug controls, 25.4.1); the guest keeps the DR7 it had
	 * before the late launch. IA32_DEBUGCTL is virtualized and rewritten
	 * before every entry (vmx_prepare_entry). */
	vmcs_write(VMCS_GUEST_DR7, gs->dr7);
	if (x->ctl.pin & PIN_PREEMPTION_TIMER)
		vmcs_write(VMCS_PREEMPTION_TIMER, preemption_timer_value());
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);
}

void vmx_setup_vmcs(struct vmx_vcpu *x, const struct guest_state *gs)
{
	/* An unrestricted guest may run with paging or protection off
	 * (25.6.2): those CR0 bits are then the guest's own. */
	if (x->ctl.proc2 & PROC2_UNRESTRICTED_GUEST)
		x->cr0_fixed0 &= ~(CR0_PE | CR0_PG);
	setup_msr_bitmap(x->msr_bitmap, x->ctl.proc2 & PROC2_XSAVES);
	setup_io_bitmaps(x->io_bitmaps);
	setup_controls(x);
	setup_host();
	setup_guest_segments(gs);
	setup_guest_registers(x, gs);
}
