/*
 * Per-CPU state (docs/architecture.md, "Every CPU"): one struct pcpu per
 * physical CPU that runs the core, found from the CPU itself: its host GS
 * base holds the structure's address, whose first field points to itself
 * (gs:0). VMX reloads the host GS base from the VMCS at every exit; the SVM
 * loop VMLOADs the host's after every #VMEXIT before any C code of the
 * common path runs. Between VMRUN and that VMLOAD (svm_entry.asm: the fast
 * exit path, with the vCPU at hand as an argument) GS base is the guest's:
 * code there uses pcpu_of(v), and the host IDT's handlers find their CPU
 * from the host GDT (pcpu_from_gdt), which #VMEXIT and VM exit always load.
 *
 * Ids are dense: 0 is the boot CPU, the application processors follow in
 * the loader's order (boot/ap_launch.c).
 */
#ifndef DRVISOR_CORE_PCPU_H
#define DRVISOR_CORE_PCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drvisor/bootinfo.h>
#include "debugreg.h"
#include "irq_forward.h"
#include "log.h"
#include "vcpu.h"
#include "arch-x86/cpu_features.h"
#include "arch-x86/gdt.h"

/* A request another CPU posted (pcpu_call). */
enum pcpu_call_state {
	PCPU_CALL_FREE = 0,
	PCPU_CALL_POSTED = 1,       /* fn/arg written, not yet taken */
	PCPU_CALL_RUNNING = 2,      /* the target runs fn now */
	PCPU_CALL_DONE = 3,         /* the requester may read the result */
};

struct pcpu_call_slot {
	volatile uint32_t state;    /* enum pcpu_call_state */
	uint32_t seq;               /* the request's sequence number, for the log */
	void (*fn)(struct vcpu *v, void *arg);
	void *arg;
};

struct pcpu {
	struct pcpu *self;          /* first: gs:0 */
	uint32_t id;                /* dense, 0 = boot CPU */
	uint32_t apic_id;
	volatile bool launched;     /* runs its guest under drvisor */
	const char *refused;        /* why it could not be launched, or NULL */
	struct vcpu vcpu;
	struct host_tables host;    /* GDT, TSS, IST stacks (arch-x86/gdt.h) */
	struct cpu_features features;
	struct debugreg_cpu dbg;
	struct irq_forward irq;
	volatile bool mc_pending;   /* core/machine_check.h */
	volatile bool kick;         /* an NMI from pcpu_kick is due or taken */
	struct pcpu_call_slot call;
	/* INIT and startup IPIs carried out in software (core/init_sipi.c). */
	volatile bool init_pending;     /* an INIT arrived: take the INIT state */
	volatile bool wait_sipi;        /* in the INIT state, waiting in the host */
	volatile uint32_t sipi_vector;  /* INIT_SIPI_VALID | vector, 0 = none */
	struct log_line log;        /* the line this CPU is writing (core/log.c) */
};

#define DV_MAX_CPUS DV_CORE_MAX_CPUS

static inline struct pcpu *this_pcpu(void)
{
	struct pcpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline struct vcpu *this_vcpu(void)
{
	return &this_pcpu()->vcpu;
}

static inline struct pcpu *pcpu_of(struct vcpu *v)
{
	return (struct pcpu *)((char *)v - offsetof(struct pcpu, vcpu));
}

/* The CPU's pcpu from its host GDT (SGDT): right in any host context,
 * also where GS base is the guest's (the SVM fast exit window). */
struct pcpu *pcpu_from_gdt(void);

/* Make pcpu id this CPU's: the self pointer and GS base. First thing the
 * core does on every entry; false if id is out of range. */
bool pcpu_enter(uint32_t id);

/* The CPUs the loader told the core about (boot_info.cpu_count), and the
 * highest id + 1 that has a vCPU. */
void pcpu_set_count(unsigned n);

/* The pcpu with that id, or NULL. */
struct pcpu *pcpu_at(unsigned id);

/* vCPUs (one per CPU the loader announced; a vCPU whose CPU could not be
 * launched reports stopped). vcpu_at(id) is NULL past the count. */
unsigned vcpu_count(void);
struct vcpu *vcpu_at(unsigned id);

/* Run fn(v, arg) on vCPU id's own CPU while it is outside guest mode:
 * inline when id is this CPU, otherwise posted in the target's pcpu, the
 * target kicked out of guest mode (pcpu_kick) and waited for, bounded by
 * timeout_us of TSC time. False when the target is not under drvisor or
 * did not take the request in time (it is then withdrawn: fn never runs
 * late). fn must be short and must not itself wait for another CPU. */
bool pcpu_call(unsigned id, void (*fn)(struct vcpu *v, void *arg), void *arg,
	       uint64_t timeout_us);

/* On the target, outside guest mode (vcpu_service, a parked or paused
 * vCPU): run the request posted for it, if any. */
void pcpu_serve_calls(struct pcpu *p);

/* Whether anything waits for this CPU in the host (a request, a kick):
 * the fast exit path gives way. */
static inline bool pcpu_attention(const struct pcpu *p)
{
	return p->call.state == PCPU_CALL_POSTED || p->kick;
}

/* Make p's CPU leave guest mode soon: drvisor's own NMI with p->kick set,
 * which the exit path takes as the kick and never hands to the guest
 * (docs/architecture.md, "The kick"). */
void pcpu_kick(struct pcpu *p);

/* The TSC ticks of one microsecond, measured at setup (pcpu_calibrate). */
void pcpu_calibrate(void);
uint64_t pcpu_tsc_per_us(void);

#endif
