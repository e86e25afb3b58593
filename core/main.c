/*
 * core_main: the vendor-neutral start of the hypervisor on the boot CPU,
 * called by core_entry (arch-x86/entry.asm) on the core's own stack with
 * interrupts off. It takes over the serial port and the host CPU state,
 * reports what the machine offers, and returns a dv_core_status to the
 * loader.
 */
#include <stddef.h>
#include <drvisor/bootinfo.h>
#include "hv_config.h"
#include "launch.h"
#include "log.h"
#include "memory.h"
#include "monitor_port.h"
#include "pci_hide.h"
#include "selftest.h"
#include "arch-x86/cpu_features.h"
#include "arch-x86/exception.h"
#include "arch-x86/gdt.h"
#include "arch-x86/paging.h"
#include "drivers/uart16550.h"

uint64_t core_main(struct boot_info *bi);

struct dv_config hv_config;

static struct uart monitor_uart;

static bool bootinfo_usable(const struct boot_info *bi)
{
	return bi && bi->magic == DV_BOOTINFO_MAGIC &&
	       bi->version_major == DV_BOOTINFO_VERSION_MAJOR && bi->size >= sizeof(*bi);
}

/* Our own GDT/TSS, IDT and page tables: nothing of the firmware's, which the
 * OS may overwrite later, stays in use by the host. */
static bool host_cpu_setup(const struct boot_info *bi)
{
	gdt_init();
	idt_init();
	uint64_t top = bi->mem_max_addr;

	/* A memory-mapped monitor UART may lie above every RAM range. */
	if (monitor_port_map_top() > top)
		top = monitor_port_map_top();
	if (!paging_init(top)) {
		log_error("out of memory building the host page tables");
		return false;
	}
	return true;
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
	log_info("cpus: %u (drvisor uses the boot CPU only for now)", bi->cpu_count);
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

static uint64_t launch_on_this_cpu(const struct boot_info *bi)
{
	const struct vendor_ops *ops = pick_vendor(&boot_cpu_features);
	uint64_t st;

	if (!ops) {
		log_error("cannot virtualize: the CPU has neither VMX nor SVM");
		st = DV_CORE_UNSUPPORTED;
	} else {
		if (bi->cpu_count > 1)
			log_warn("%u CPUs: only the boot CPU runs under drvisor; the others stay "
				 "as the firmware left them", bi->cpu_count);
		st = late_launch(ops, &monitor_uart);
	}
	log_info("returning to the loader unvirtualized (status %llu)", (unsigned long long)st);
	log_flush();
	return st;
}

uint64_t core_main(struct boot_info *bi)
{
	if (!bootinfo_usable(bi))
		return DV_CORE_BAD_BOOTINFO;
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
	if (!host_cpu_setup(bi))
		return DV_CORE_FAILED;
	cpu_features_detect(&boot_cpu_features);
	pci_hide_init();
	banner(bi);
	selftest_run(bi->config.selftest);
	return launch_on_this_cpu(bi);
}
