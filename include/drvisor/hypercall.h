/*
 * drvisor's hypercall interface, shared by the core and the guest tests.
 *
 * Discovery: CPUID.1:ECX[31] (hypervisor present) is set; CPUID leaf
 * 0x40000000 returns EAX = the highest drvisor leaf and EBX:ECX:EDX = the
 * signature "drvisor\0\0\0\0\0"; leaf 0x40000001 returns EAX = version
 * (major << 16 | minor) and EBX = DV_CPUID_VENDOR_* for the vendor half.
 *
 * Calling convention: VMMCALL (AMD) or VMCALL (Intel) at CPL 0 with
 *   RAX = function number, RBX, RCX, RDX = arguments;
 * on return RAX = DV_HC_OK or an error below, RBX/RCX/RDX = results.
 * Every other guest register is preserved. A hypercall from CPL > 0 returns
 * DV_HC_ERR_PERM; an unknown number returns DV_HC_ERR_UNKNOWN (and does
 * nothing else: unknown hypercalls are not faults, so a guest may probe).
 */
#ifndef DRVISOR_HYPERCALL_H
#define DRVISOR_HYPERCALL_H

#define DV_CPUID_LEAF_BASE 0x40000000u
#define DV_CPUID_LEAF_VERSION 0x40000001u
#define DV_CPUID_LEAF_MAX DV_CPUID_LEAF_VERSION
/* "drvisor" packed as CPUID returns it: EBX, ECX, EDX. */
#define DV_CPUID_SIG_EBX 0x69767264u /* "drvi" */
#define DV_CPUID_SIG_ECX 0x00726f73u /* "sor\0" */
#define DV_CPUID_SIG_EDX 0x00000000u
#define DV_CPUID_VENDOR_SVM 1u
#define DV_CPUID_VENDOR_VMX 2u

/* Function numbers (RAX). */
#define DV_HC_PING 0x0          /* -> RBX = DV_HC_PING_MAGIC, RCX = version */
#define DV_HC_GET_LAYOUT 0x1    /* -> RBX = base, RCX = size of drvisor's reservation */
#define DV_HC_REPORT_STATS 0x2  /* print this vCPU's exit statistics on the monitor port */
#define DV_HC_GET_EXIT_COUNT 0x3 /* RBX = dv_exit_reason -> RBX = exits of that reason so far */
#define DV_HC_LOG 0x4           /* RBX = DV_HC_LOG_* tag, RCX = value: logged on the monitor port */

/* Test hooks: only in builds with DRVISOR_TEST_HOOKS and with test_hooks=on
 * in the config; otherwise they return DV_HC_ERR_PERM. */
#define DV_HC_HOST_WATCH 0x10   /* RBX = DV_HOST_WATCH_*, RCX = count ->
				 * RBX = times the host's own watchpoint fired,
				 * RCX = the host's DR7 as the host sees it,
				 * RDX = the watched host address */
#define DV_HC_READ_GUEST 0x11   /* RBX = guest-physical address (8-aligned) ->
				 * RBX = the 8 bytes there, read by the host */

#define DV_HOST_WATCH_QUERY 0    /* just report */
#define DV_HOST_WATCH_TOUCH 1    /* the host writes its watched variable RCX times first,
				  * RCX <= DV_HOST_WATCH_TOUCH_MAX (else DV_HC_ERR_INVALID,
				  * nothing written): each write is a #DB in the host, and
				  * the guest's CPU waits meanwhile */
#define DV_HOST_WATCH_TOUCH_MAX 1024u

#define DV_HC_PING_MAGIC 0x72646976u /* "vidr" */

/* Status codes (RAX on return). */
#define DV_HC_OK 0x0ull
#define DV_HC_ERR_UNKNOWN 0xffffffffffffffffull
#define DV_HC_ERR_PERM 0xfffffffffffffffeull
#define DV_HC_ERR_INVALID 0xfffffffffffffffdull

/* Vendor-neutral exit reasons, the indices of the exit statistics. */
enum dv_exit_reason {
	DV_EXIT_CPUID = 0,
	DV_EXIT_HYPERCALL,
	DV_EXIT_MSR_READ,
	DV_EXIT_MSR_WRITE,
	DV_EXIT_IO,
	DV_EXIT_NESTED_PAGE_FAULT,  /* #NPF or EPT violation */
	DV_EXIT_NESTED_PAGE_MISCONFIG,
	DV_EXIT_VIRT_INSTRUCTION,   /* VMRUN, VMXON, STGI, ...: answered with #UD */
	DV_EXIT_XSETBV,
	DV_EXIT_INVD,
	DV_EXIT_DR_ACCESS,
	DV_EXIT_EXCEPTION,
	DV_EXIT_INTERRUPT,
	DV_EXIT_NMI,
	DV_EXIT_INIT,
	DV_EXIT_SHUTDOWN,           /* triple fault */
	DV_EXIT_PREEMPTION_TIMER,
	DV_EXIT_MONITOR_TRAP,
	DV_EXIT_OTHER,
	DV_EXIT_REASON_COUNT
};

#endif
