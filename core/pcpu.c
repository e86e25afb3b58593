/* Per-CPU state, the vCPU table and cross-CPU requests (pcpu.h). */
#include "pcpu.h"
#include "arch-x86/apic.h"
#include "arch-x86/cpu.h"
#include "arch-x86/cpuid_bits.h"
#include "arch-x86/msr.h"

/* Where the TSC rate is not enumerated (CPUID 0x15/0x16), a timeout in
 * microseconds is counted at this rate: on a faster TSC it is shorter, on
 * the emulators' slower ones (Bochs: about 200 ticks per us) longer. */
#define TSC_PER_US_DEFAULT 2000ull

static struct pcpu pcpus[DV_MAX_CPUS];
static unsigned cpu_count = 1;
static uint64_t tsc_per_us = TSC_PER_US_DEFAULT;

struct pcpu *pcpu_from_gdt(void)
{
	uint64_t gdt = gdt_base(), first = (uint64_t)&pcpus[0].host.gdt;
	uint64_t i = (gdt - first) / sizeof(struct pcpu);

	if (gdt < first || i >= DV_MAX_CPUS || (uint64_t)&pcpus[i].host.gdt != gdt)
		return NULL;
	return &pcpus[i];
}

bool pcpu_enter(uint32_t id)
{
	struct pcpu *p;

	if (id >= DV_MAX_CPUS)
		return false;
	p = &pcpus[id];
	p->self = p;
	p->id = id;
	p->vcpu.id = id;
	p->apic_id = cpuid(CPUID_FEATURES, 0).ebx >> 24;
	gdt_init(&p->host);             /* reloads GS: its base goes to 0 */
	wrmsr(MSR_IA32_GS_BASE, (uint64_t)p);
	return true;
}

void pcpu_set_count(unsigned n)
{
	uint32_t max = cpuid(0, 0).eax;

	cpu_count = n < 1 ? 1 : n > DV_MAX_CPUS ? DV_MAX_CPUS : n;
	/* CPUID 0x16 EAX: the processor base frequency in MHz, where the TSC
	 * runs at it (SDM vol. 3B 18.17, 18.18); not on the emulators here. */
	if (max >= CPUID_FREQ_LEAF && (cpuid(CPUID_FREQ_LEAF, 0).eax & 0xffff))
		tsc_per_us = cpuid(CPUID_FREQ_LEAF, 0).eax & 0xffff;
}

uint64_t pcpu_tsc_per_us(void)
{
	return tsc_per_us;
}

struct pcpu *pcpu_at(unsigned id)
{
	return id < cpu_count ? &pcpus[id] : NULL;
}

unsigned vcpu_count(void)
{
	return cpu_count;
}

struct vcpu *vcpu_at(unsigned id)
{
	return id < cpu_count && pcpus[id].vcpu.ops ? &pcpus[id].vcpu : NULL;
}

void pcpu_kick(struct pcpu *p)
{
	p->kick = true;
	apic_send_nmi(p->apic_id);
}

void pcpu_serve_calls(struct pcpu *p)
{
	struct pcpu_call_slot *c = &p->call;
	uint32_t posted = PCPU_CALL_POSTED;

	if (c->state != PCPU_CALL_POSTED)
		return;
	if (!__atomic_compare_exchange_n(&c->state, &posted, PCPU_CALL_RUNNING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;   /* withdrawn by its requester meanwhile */
	c->fn(&p->vcpu, c->arg);
	__atomic_store_n(&c->state, PCPU_CALL_DONE, __ATOMIC_RELEASE);
}

static bool take_slot(struct pcpu_call_slot *c, uint64_t start, uint64_t ticks)
{
	uint32_t free_state;

	for (;;) {
		free_state = PCPU_CALL_FREE;
		if (__atomic_compare_exchange_n(&c->state, &free_state, PCPU_CALL_RUNNING, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		if (rdtsc() - start >= ticks)
			return false;
		cpu_pause();
	}
}

bool pcpu_call(unsigned id, void (*fn)(struct vcpu *v, void *arg), void *arg,
	       uint64_t timeout_us)
{
	struct pcpu *me = this_pcpu(), *p = pcpu_at(id);
	struct pcpu_call_slot *c;
	uint64_t start = rdtsc(), ticks = timeout_us * tsc_per_us;
	uint32_t posted = PCPU_CALL_POSTED;

	if (!p || !p->launched)
		return false;
	if (p == me) {
		fn(&p->vcpu, arg);
		return true;
	}
	c = &p->call;
	/* RUNNING while the requester fills the slot: the target ignores it. */
	if (!take_slot(c, start, ticks))
		return false;
	c->fn = fn;
	c->arg = arg;
	c->seq++;
	__atomic_store_n(&c->state, PCPU_CALL_POSTED, __ATOMIC_RELEASE);
	pcpu_kick(p);
	while (c->state != PCPU_CALL_DONE) {
		if (rdtsc() - start >= ticks &&
		    __atomic_compare_exchange_n(&c->state, &posted, PCPU_CALL_FREE, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			log_warn("cpu %u: request %u to cpu %u not taken in %llu us; withdrawn",
				 me->id, c->seq, id, (unsigned long long)timeout_us);
			return false;
		}
		posted = PCPU_CALL_POSTED;
		cpu_pause();
	}
	/* Taken: the target ran fn outside guest mode and is done with arg. */
	__atomic_store_n(&c->state, PCPU_CALL_FREE, __ATOMIC_RELEASE);
	return true;
}
