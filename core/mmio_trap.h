/*
 * Per-page write traps in the nested page tables (EPT / NPT), shared by
 * every CPU: reads of a trapped page go to the real page, a write exits,
 * the store instruction is decoded (core/insn_store.h) and handed to the
 * page's handler, which carries it out (or not); drvisor then moves the
 * guest past the instruction. And the "absent device" page: a guest page
 * backed by a host page of all ones, read-only, whose writes are dropped.
 * docs/mmio.md describes the coverage and the answers.
 */
#ifndef DRVISOR_CORE_MMIO_TRAP_H
#define DRVISOR_CORE_MMIO_TRAP_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

enum mmio_verdict {
	MMIO_DONE,      /* the write is dealt with: skip the instruction */
	MMIO_GP,        /* #GP(0) in the guest, the instruction not executed */
};

/* A decoded guest store of width bytes (1, 2, 4, 8) of value at gpa, on a
 * trapped page (gpa need not be aligned; the store may run past the page's
 * end: the handler decides). Runs on the CPU that took the exit. */
typedef enum mmio_verdict (*mmio_write_fn)(struct vcpu *v, uint64_t gpa, unsigned width,
					    uint64_t value, void *ctx);

/* Write-trap the 4 KiB page at gpa_page (aligned): EPT R=1 W=0 / NPT
 * W=0, a large page split to 4 KiB first. False when the page lies
 * outside the nested map or in drvisor's memory, is already trapped or
 * hidden, the table of traps is full (MMIO_TRAP_MAX) or the allocator runs
 * dry. Every CPU drops its cached translations at its next VM entry
 * (nested_paging.h, nested_generation): call it before the APs launch, or
 * kick them. */
bool nested_trap_writes(uint64_t gpa_page, mmio_write_fn fn, void *ctx);

/* Back the guest page gpa_page with a host page of all ones, read-only:
 * reads give 0xff bytes, writes are dropped (decoded and skipped; a store
 * the decoder does not know gets #GP like any trapped write). Same
 * conditions as nested_trap_writes. */
bool nested_hide_page(uint64_t gpa_page);

#define MMIO_TRAP_MAX 16

/* What a nested-paging write fault is, for the vendor's exit handler. */
enum mmio_exit {
	MMIO_EXIT_NOT_TRAPPED,  /* not a trapped page: the vendor's own answer */
	MMIO_EXIT_SKIP,         /* carried out: advance RIP by *len */
	MMIO_EXIT_GP,           /* inject #GP(0) (logged) */
};

/* A write fault at gpa (vendor: EPT violation with the write bit, NPF
 * with P and W): decode the store at the guest's RIP, call the page's
 * handler, and say what the vendor does. len_hint: the instruction's
 * length where the vendor knows it, else 0 (VMX reports none for EPT
 * violations; SVM's next RIP is not saved for NPF without decode
 * assists: QEMU TCG has neither). in_delivery: the fault came from an
 * event delivery (IDT-vectoring info / EXITINTINFO valid), not from the
 * instruction at RIP. */
enum mmio_exit mmio_write_exit(struct vcpu *v, uint64_t gpa, unsigned len_hint,
			       bool in_delivery, unsigned *len);

#endif
