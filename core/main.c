/*
 * core_main: the vendor-neutral start of the hypervisor, called by
 * core_entry (arch-x86/entry.asm) on CPU cpu's own core stack with
 * interrupts off, once per dv_core_op (include/drvisor/bootinfo.h): on the
 * boot CPU DV_CORE_SETUP takes over the serial port and builds what the
 * machine shares; DV_CORE_LAUNCH, on each application processor and then
 * the boot CPU, takes over that CPU's host state and launches its guest.
 * Each returns a dv_core_status to the loader (as a guest once launched).
 */
#include <stddef.h>
#include <drvisor/bootinfo.h>
#include "hv_config.h"
#include "launch.h"
#include "log.h"
#include "memory.h"
#include "pcpu.h"
#include "monitor_port.h"
#include "pci_hide.h"
#include "selftest.h"
#include "arch-x86/cpu.h"
#include "arch-x86/cpu_compat.h"
#include "arch-x86/cpu_features.h"
#include "arch-x86/exception.h"
#include "arch-x86/gdt.h"
#include "arch-x86/launch_context.h"
#include "arch-x86/paging.h"
#include "drivers/uart16550.h"

uint64_t core_main(struct boot_info *bi, uint32_t cpu, uint32_t op);

struct dv_config hv_config;

static struct uart monitor_uart;
/* The boot CPU's TR as the loader had it at setup: the setup entry leaves
 * TR on the core's TSS (entry.asm cannot load a null selector back), so
 * the launch entry captures ours and the guest gets this one instead. */
static uint16_t loader_tr;
/* The vendor half the boot CPU chose at setup; every CPU takes the same. */
static const struct vendor_ops *machine_ops;

static bool bootinfo_usable(const struct boot_info *bi)
{
	return bi && bi->magic == DV_BOOTINFO_MAGIC &&
	       bi->version_major == DV_BOOTINFO_VERSION_MAJOR && bi->size >= sizeof(*bi);
}

/* Where the monitor is and why, and what the guest does not see of it. */
static void monitor_banner(void)
{
	char text[DV_UART_WHY_MAX + 96];
	const struct dv_monitor_uart *m = &monitor_port;

	monitor_port_describe(text, sizeof(text));
	log_info("monitor: %s", text);
	if (m->is_pci)
		log_info("monitor: pci %02x:%02x.%x hidden from the guest: config ports 0xcf8-0xcff "
			 "%s, BAR%u 0x%llx+0x%llx %s%s", m->pci_bus, m->pci_dev, m->pci_fn,
			 pci_hide_active() ? "intercepted" : "NOT intercepted", m->pci_bar,
			 (unsigned long long)m->bar_base, (unsigned long long)m->bar_size,
			 m->space == UART_SPACE_IO ? "intercepted" : "unmapped",
			 m->ecam_page ? ", ECAM page unmapped" : ", no ECAM");
	if (m->acpi_hidden)
		log_info("monitor: ACPI %s taken out of the XSDT/RSDT: the OS is not to use this port",
			 m->acpi_hidden == DV_ACPI_HID_SPCR ? "SPCR"
			 : m->acpi_hidden == DV_ACPI_HID_DBG2 ? "DBG2" : "SPCR and DBG2");
}

static void banner(const struct boot_info *bi)
{
	log_info("drvisor %s (%s), core at 0x%llx", DRVISOR_VERSION, DRVISOR_COMMIT,
		 (unsigned long long)bi->core_base);
	cpu_features_print(&boot_cpu_features);
	log_info("memory: reserved 0x%llx-0x%llx (%llu KiB), %llu pages free, map top 0x%llx",
		 (unsigned long long)bi->hv_base, (unsigned long long)(bi->hv_base + bi->hv_size),
		 (unsigned long long)(bi->hv_size >> 10), (unsigned long long)pages_free(),
		 (unsigned long long)bi->mem_max_addr);
	log_info("acpi: rsdp 0x%llx (revision %u), %u memory ranges",
		 (unsigned long long)bi->acpi_rsdp, bi->acpi_revision, bi->mem_count);
	monitor_banner();
}

/* The vendor half for this CPU: VMX on Intel, SVM on AMD, and otherwise
 * whichever the CPU offers; none if neither. */
static const struct vendor_ops *pick_vendor(const struct cpu_features *f)
{
	if (f->vmx && (f->intel || !f->svm))
		return &vmx_ops;
	if (f->svm)
		return &svm_ops;
	return NULL;
}

/* The boot CPU: the port, the log, memory, the host page tables (shared),
 * the CPU features every CPU must match, the self-tests, and whether the
 * boot CPU can be virtualized at all. Nothing is launched. */
static uint64_t core_setup(struct boot_info *bi)
{
	struct pcpu *p = this_pcpu();
	const char *why = "";

	loader_tr = launch_ctx[0].tr;
	hv_config = bi->config;
	monitor_port_init(bi, &monitor_uart);
	log_init(&monitor_uart, bi->config.log_level);
	if (bi->config.monitor_share && !hv_config.monitor_share)
		log_warn("monitor_share=on refused: the guest cannot share a %s UART (%s); "
			 "the port is drvisor's alone", monitor_port.is_pci ? "PCI" : "memory-mapped",
			 monitor_port.is_pci ? "its function is hidden from the guest"
					     : "its page reads as an absent device");
	/* The firmware may share this port and leave a line unfinished: start
	 * our output on a line of its own. */
	log_raw("\n");
	memory_init(bi->hv_base, bi->hv_size, bi->core_base, bi->heap_base, bi->heap_size);
	/* A memory-mapped monitor UART may lie above every RAM range. */
	if (!paging_init(bi->mem_max_addr > monitor_port_map_top() ? bi->mem_max_addr
								    : monitor_port_map_top())) {
		log_error("out of memory building the host page tables");
		return DV_CORE_FAILED;
	}
	cpu_features_detect(&boot_cpu_features);
	p->features = boot_cpu_features;
	pcpu_set_count(bi->cpu_count);
	pci_hide_init();
	banner(bi);
	selftest_run(bi->config.selftest);
	machine_ops = pick_vendor(&boot_cpu_features);
	if (!machine_ops) {
		log_error("cannot virtualize: the CPU has neither VMX nor SVM");
	} else if (!machine_ops->supported(&p->vcpu, &why)) {
		log_error("cannot virtualize this CPU with %s: %s", machine_ops->name, why);
		machine_ops = NULL;
	}
	if (machine_ops)
		return DV_CORE_OK;
	log_info("returning to the loader unvirtualized (status %llu)",
		 (unsigned long long)DV_CORE_UNSUPPORTED);
	log_flush();
	return DV_CORE_UNSUPPORTED;
}

/* The banner's CPU lines, printed by the boot CPU just before its own
 * launch, when every application processor has had its turn. */
static void cpu_summary(void)
{
	unsigned n = vcpu_count(), i, under = 1, left = 0;

	for (i = 1; i < n; i++) {
		if (pcpu_at(i)->launched)
			under++;
		else
			left++;
	}
	if (left)
		log_warn("cpus: %u under drvisor, %u NOT: this machine is only partly virtualized "
			 "(the CPUs below marked \"not under drvisor\" run the guest natively)",
			 under, left);
	log_info("cpus: %u under drvisor (%u announced by the firmware)", under, n);
	for (i = 0; i < n; i++) {
		struct pcpu *p = pcpu_at(i);

		if (i == 0 || p->launched)
			log_info("cpu %u: apic id %u, %s", i, p->apic_id, machine_ops->name);
		else
			log_warn("cpu %u: apic id %u, not under drvisor: %s", i, p->apic_id,
				 p->refused ? p->refused : "the loader did not start it");
	}
}

static uint64_t core_launch(uint32_t cpu)
{
	struct pcpu *p = this_pcpu();
	uint64_t st;

	if (!machine_ops)
		return DV_CORE_UNSUPPORTED;   /* setup refused (and said why) */
	write_cr3(paging_cr3());
	if (cpu != 0) {
		cpu_features_detect(&p->features);
		p->refused = cpu_features_mismatch(&boot_cpu_features, &p->features);
		if (p->refused) {
			log_error("cpu %u (apic id %u) cannot be virtualized: %s", cpu, p->apic_id,
				  p->refused);
			return DV_CORE_UNSUPPORTED;
		}
	} else {
		launch_ctx[0].tr = loader_tr;
		cpu_summary();
	}
	st = late_launch(machine_ops, &monitor_uart);
	log_info("cpu %u returning to the loader unvirtualized (status %llu)", cpu,
		 (unsigned long long)st);
	log_flush();
	return st;
}

uint64_t core_main(struct boot_info *bi, uint32_t cpu, uint32_t op)
{
	if (!bootinfo_usable(bi) || !pcpu_enter(cpu))
		return DV_CORE_BAD_BOOTINFO;
	/* From here on this CPU runs on its own GDT, TSS and IDT. */
	idt_init();
	if (op == DV_CORE_SETUP && cpu == 0)
		return core_setup(bi);
	if (op == DV_CORE_LAUNCH)
		return core_launch(cpu);
	return DV_CORE_BAD_BOOTINFO;
}
