/* Reporting an exception taken in the host, then stopping the CPU. */
#include "exception.h"
#include "cpu.h"
#include "core/debugreg.h"
#include "core/irq_forward.h"
#include "msr.h"
#include "core/log.h"
#include "core/machine_check.h"
#include "core/memory.h"

#define STACK_TRACE_MAX 12
#define VEC_FIRST_INTERRUPT 32

/* SDM vol. 3A 6.3.1, table 6-1. */
static const char *const exception_names[VEC_FIRST_INTERRUPT] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved (15)", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD exception", "#VE virtualization exception",
	"#CP control protection", "reserved (22)", "reserved (23)", "reserved (24)",
	"reserved (25)", "reserved (26)", "reserved (27)", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security exception", "reserved (31)",
};

static void report_registers(const struct exception_frame *f)
{
	static const char *const names[] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
		"r8 ", "r9 ", "r10", "r11", "r12", "r13", "r14", "r15",
		"cr0", "cr2", "cr3", "cr4",
	};
	const uint64_t values[] = {
		f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->rsp,
		f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15,
		read_cr0(), read_cr2(), read_cr3(), read_cr4(),
	};

	log_regs(names, values, sizeof(values) / sizeof(values[0]));
	log_raw("  rip=%016llx (core+0x%llx) cs=%04llx rflags=%016llx ss=%04llx\n",
		(unsigned long long)f->rip, (unsigned long long)(f->rip - hv_mem.core_base),
		(unsigned long long)f->cs, (unsigned long long)f->rflags,
		(unsigned long long)f->ss);
}

/* Walk the frame-pointer chain (the core is built with frame pointers),
 * trusting only frames inside the hypervisor's own memory. Addresses are
 * printed relative to the core so that addr2line -e core.elf can read them. */
static void report_stack_trace(uint64_t rbp)
{
	int i;

	log_raw("  stack trace (core offsets):");
	for (i = 0; i < STACK_TRACE_MAX && rbp && !(rbp & 7) && hv_owns(rbp, 16); i++) {
		const uint64_t *frame = (const uint64_t *)rbp;

		log_raw(" 0x%llx", (unsigned long long)(frame[1] - hv_mem.core_base));
		rbp = frame[0];
	}
	log_raw("\n");
}

static exception_db_filter_fn db_filter;
extern const char wrmsr_safe_insn[], wrmsr_safe_fault[];  /* msr_safe.asm */
extern uint8_t exception_keep_nmi_blocking;  /* exception_entry.asm */

void exception_set_keep_nmi_blocking(bool keep)
{
	exception_keep_nmi_blocking = keep;
}

void exception_set_db_filter(exception_db_filter_fn filter)
{
	db_filter = filter;
}

void exception_dispatch(struct exception_frame *f)
{
	if (f->vector == VEC_DB && debugreg_host_db())
		return; /* the host's own watchpoint: a trap, execution goes on */
	if (f->vector == VEC_DB && db_filter && db_filter(f->rip))
		return; /* an emulator's leak (exception_set_db_filter) */
	/* A guest's value refused by WRMSR (wrmsr_safe): it returns false. */
	if (f->vector == VEC_GP && f->rip == (uint64_t)wrmsr_safe_insn) {
		f->rip = (uint64_t)wrmsr_safe_fault;
		return;
	}
	/* Interrupts reach the host only in the window the SVM exit path
	 * opens to accept them for the guest (core/irq_forward.h). */
	if (f->vector >= VEC_FIRST_INTERRUPT) {
		irq_forward_record((unsigned)f->vector);
		return;
	}
	if (f->vector == VEC_NMI) {
		irq_forward_record_nmi();
		return;
	}
	/* The machine's error is the guest's to handle; the host goes on when
	 * the CPU says its interrupted code can (core/machine_check.h). */
	if (f->vector == VEC_MC && machine_check_host_action(rdmsr(MSR_IA32_MCG_STATUS)) ==
					   MC_HOST_REFLECT) {
		machine_check_record();
		return;
	}

	const char *name = f->vector < VEC_FIRST_INTERRUPT ? exception_names[f->vector]
							   : "unexpected interrupt";

	log_raw("\ndrvisor: HOST EXCEPTION %llu: %s, error code 0x%llx\n",
		(unsigned long long)f->vector, name, (unsigned long long)f->error_code);
	if (f->vector == VEC_MC)
		log_raw("  IA32_MCG_STATUS=0x%llx: RIPV clear, the host cannot go on\n",
			(unsigned long long)rdmsr(MSR_IA32_MCG_STATUS));
	report_registers(f);
	log_raw("  rip in core: %s\n", hv_owns(f->rip, 1) ? "yes" : "no");
	report_stack_trace(f->rbp);
	log_raw("drvisor: this CPU is stopped\n");
	log_flush();
	cpu_halt_forever();
}
