/* Printing a VMCB, for failed VMRUNs and unexpected exits. */
#include "svm.h"
#include "core/log.h"

static void seg(const char *name, const struct vmcb_segment *s)
{
	log_raw("  %-4s sel=%04x attr=%03x limit=%08x base=%016llx\n", name, s->selector,
		s->attrib, s->limit, (unsigned long long)s->base);
}

#define U(x) ((unsigned long long)(x))

void svm_dump_vmcb(const struct vmcb *vm)
{
	const struct vmcb_control *c = &vm->control;
	const struct vmcb_save *g = &vm->save;

	log_raw("  vmcb exit_code=%llx info1=%llx info2=%llx exit_int_info=%llx\n",
		U(c->exit_code), U(c->exit_info1), U(c->exit_info2), U(c->exit_int_info));
	log_raw("  intercepts cr=%08x dr=%08x exc=%08x misc1=%08x misc2=%08x\n",
		c->intercept_cr, c->intercept_dr, c->intercept_exceptions, c->intercept_misc1,
		c->intercept_misc2);
	log_raw("  asid=%u tlb=%u np=%llx n_cr3=%llx iopm=%llx msrpm=%llx inject=%llx\n",
		c->guest_asid, c->tlb_control, U(c->np_enable), U(c->n_cr3), U(c->iopm_base_pa),
		U(c->msrpm_base_pa), U(c->event_inject));
	seg("cs", &g->cs);
	seg("ss", &g->ss);
	seg("ds", &g->ds);
	seg("es", &g->es);
	seg("fs", &g->fs);
	seg("gs", &g->gs);
	seg("tr", &g->tr);
	seg("ldtr", &g->ldtr);
	seg("gdtr", &g->gdtr);
	seg("idtr", &g->idtr);
	log_raw("  cpl=%u efer=%llx cr0=%llx cr2=%llx cr3=%llx cr4=%llx\n", g->cpl, U(g->efer),
		U(g->cr0), U(g->cr2), U(g->cr3), U(g->cr4));
	log_raw("  rip=%llx rsp=%llx rflags=%llx rax=%llx dr6=%llx dr7=%llx pat=%llx\n",
		U(g->rip), U(g->rsp), U(g->rflags), U(g->rax), U(g->dr6), U(g->dr7), U(g->g_pat));
}
