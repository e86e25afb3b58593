/*
 * The guest's local APIC writes, caught where the IPIs are sent: xAPIC
 * (the APIC page from IA32_APIC_BASE write-trapped, core/mmio_trap.h;
 * every trapped write carried out on the real APIC of the CPU that took
 * the exit) and x2APIC (WRMSR to the ICR, MSR 0x830, intercepted). A write
 * of ICR low (xAPIC offset 0x300) or of the x2APIC ICR goes to the ICR
 * hook first; ICR high (0x310) and every other register are written
 * through. docs/mmio.md.
 */
#ifndef DRVISOR_CORE_APIC_TRAP_H
#define DRVISOR_CORE_APIC_TRAP_H

#include <stdbool.h>
#include <stdint.h>
#include "mmio_trap.h"

struct vcpu;

enum icr_verdict {
	ICR_PASS,       /* write it to the real APIC */
	ICR_HANDLED,    /* the hook carried it out: nothing written */
	ICR_GP,         /* #GP(0) in the guest */
};

/* icr_low: the ICR's low 32 bits; dest: the xAPIC ICR high's bits 31:24
 * (8-bit), or bits 63:32 of the x2APIC WRMSR value. Runs on the CPU that
 * took the exit, for each ICR write. */
typedef enum icr_verdict (*icr_hook_fn)(struct vcpu *v, uint32_t icr_low, uint32_t dest,
					bool x2apic);

/* Install the ICR hook (NULL: the default, every write passes). */
void apic_set_icr_hook(icr_hook_fn fn);

/* Write-trap the APIC page named by this CPU's IA32_APIC_BASE in the
 * shared nested tables and map it uncached in the host's own tables.
 * Once, on the boot CPU, after the nested map is built and before any
 * other CPU enters the guest. False (logged) when it cannot. */
bool apic_trap_init(void);

/* The guest's WRMSR of the x2APIC ICR (MSR 0x830) with value; the vendor
 * intercepts the write (reads pass through) and skips the instruction on
 * MMIO_DONE. */
enum mmio_verdict apic_x2apic_icr_write(struct vcpu *v, uint64_t value);

/* The guest's WRMSR of IA32_APIC_BASE (writes intercepted, reads pass):
 * a write that keeps the trapped base is carried out (mode changes,
 * xAPIC/x2APIC enable; the CPU's own checks give #GP); one that moves the
 * base is refused with #GP (docs/mmio.md). */
enum mmio_verdict apic_base_write(struct vcpu *v, uint64_t value);

#endif
