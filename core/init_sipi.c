/* INIT and startup IPIs carried out in software (init_sipi.h). */
#include "init_sipi.h"
#include "apic_trap.h"
#include "ipi_route.h"
#include "log.h"
#include "pcpu.h"
#include "arch-x86/apic.h"

/* How long a sender waits for a target under drvisor to take the IPI (it
 * leaves guest mode at the kick): the target answers in microseconds;
 * this bounds a sender's stall when a target cannot (a stopped vCPU does,
 * parked; one spinning in the host with interrupts off would not). */
#define INIT_SIPI_TIMEOUT_US 100000u

static void post_init(struct vcpu *v, void *arg)
{
	struct pcpu *p = pcpu_of(v);

	(void)arg;
	p->sipi_vector = 0;     /* a SIPI from before this INIT is void */
	p->init_pending = true;
}

/* A SIPI reaches only a CPU in the INIT state (or about to take it); any
 * other ignores it, as the hardware does (SDM vol. 3A 9.4.4). */
static void post_sipi(struct vcpu *v, void *arg)
{
	struct pcpu *p = pcpu_of(v);

	if (p->init_pending || p->wait_sipi)
		p->sipi_vector = INIT_SIPI_VALID | (uint32_t)(uintptr_t)arg;
	else
		log_debug("vcpu%u: startup IPI while not waiting for one: ignored", v->id);
}

/* The real APIC sends it to a CPU drvisor does not run: directed, so
 * that a shorthand cannot reach the CPUs that are under drvisor. */
static void pass_to(const struct pcpu *p, uint32_t low)
{
	apic_send_ipi(low & ~(APIC_ICR_SHORTHAND_MASK | APIC_ICR_DEST_LOGICAL), p->apic_id);
}

static void deliver(struct vcpu *v, unsigned i, enum ipi_kind k, uint32_t low)
{
	struct pcpu *p = pcpu_at(i);
	void (*fn)(struct vcpu *, void *) = k == IPI_INIT ? post_init : post_sipi;

	if (!p->launched) {
		pass_to(p, low);
		return;
	}
	/* The boot CPU's INIT would restart the firmware drvisor runs under
	 * from its reset vector (natively: OVMF boots again); drvisor cannot
	 * hand the machine back to it. Refused, the sender goes on. */
	if (i == 0 && k == IPI_INIT) {
		log_warn("vcpu%u: INIT to the boot CPU refused", v->id);
		return;
	}
	if (!pcpu_call(i, fn, (void *)(uintptr_t)(low & APIC_ICR_VECTOR_MASK),
		       INIT_SIPI_TIMEOUT_US))
		log_warn("vcpu%u: %s to cpu %u not taken in time: dropped", v->id,
			 k == IPI_INIT ? "INIT" : "startup IPI", i);
}

static enum icr_verdict icr_hook(struct vcpu *v, uint32_t low, uint32_t dest, bool x2apic)
{
	enum ipi_kind k = ipi_kind(low);
	uint32_t ids[DV_MAX_CPUS];
	struct ipi_cpus cpus = { vcpu_count(), ids };
	struct ipi_targets t;
	unsigned i;

	if (k == IPI_OTHER)
		return ICR_PASS;
	if (k == IPI_INIT_DEASSERT)
		return ICR_HANDLED;
	for (i = 0; i < cpus.n; i++)
		ids[i] = pcpu_at(i)->apic_id;
	t = ipi_route(low, dest, x2apic, v->id, &cpus);
	if (t.logical) {
		log_warn("vcpu%u: %s in logical destination mode (ICR 0x%x, destination 0x%x) is "
			 "not carried out", v->id, k == IPI_INIT ? "INIT" : "startup IPI", low, dest);
		return ICR_HANDLED;
	}
	/* No CPU of drvisor's has that APIC ID: the real APIC sends it to
	 * whoever has (nobody, where it does not exist). */
	if (t.unknown)
		return ICR_PASS;
	for (i = 0; i < cpus.n; i++)
		if (t.cpus & (1u << i))
			deliver(v, i, k, low);
	return ICR_HANDLED;
}

void init_sipi_setup(void)
{
	apic_set_icr_hook(icr_hook);
}

void init_sipi_take(struct vcpu *v)
{
	struct pcpu *p = pcpu_of(v);
	uint32_t vec;

	p->init_pending = false;
	if (!vcpu_reset_to_init(v)) {
		log_warn("vcpu%u: INIT: this CPU cannot run its guest in real mode; the vCPU stops",
			 v->id);
		v->state = VCPU_STOPPED;
		return;
	}
	p->wait_sipi = true;
	log_info("vcpu%u: INIT: power-on state, waiting for a startup IPI", v->id);
	while (!(p->sipi_vector & INIT_SIPI_VALID)) {
		vcpu_host_poll(v);
		p->init_pending = false;   /* another INIT: still waiting */
	}
	vec = p->sipi_vector & APIC_ICR_VECTOR_MASK;
	p->sipi_vector = 0;
	p->wait_sipi = false;
	v->ops->sipi_start(v, (uint8_t)vec);
	log_info("vcpu%u: startup IPI, vector 0x%x: real mode at 0x%x", v->id, vec, vec << 12);
}
