/*
 * The VMCS and the VMX constants, named once (Intel SDM vol. 3C chapters 25,
 * 28, 29 and vol. 3D appendices A, B, C, as cited).
 */
#ifndef DRVISOR_ARCH_VMX_VMCS_H
#define DRVISOR_ARCH_VMX_VMCS_H

/* IA32_VMX_BASIC (SDM vol. 3D A.1). */
#define VMX_BASIC_REVISION_MASK 0x7fffffffull
#define VMX_BASIC_TRUE_CTLS (1ull << 55)

/* VMCS field encodings (SDM vol. 3D appendix B). */
/* 16-bit control (B.1.1) */
#define VMCS_VPID 0x0000
/* 16-bit guest state (B.1.2): selector of segment i (enum guest_seg_index
 * order ES CS SS DS FS GS LDTR TR, the same order as the VMCS) */
#define VMCS_GUEST_ES_SEL 0x0800
#define VMCS_GUEST_SEL(i) (VMCS_GUEST_ES_SEL + 2 * (i))
/* 16-bit host state (B.1.3) */
#define VMCS_HOST_ES_SEL 0x0c00
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c
/* 64-bit control (B.2.1) */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EXIT_MSR_STORE_ADDR 0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR 0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200a
#define VMCS_TSC_OFFSET 0x2010
#define VMCS_EPT_POINTER 0x201a
#define VMCS_XSS_EXIT_BITMAP 0x202c
/* 64-bit read-only data (B.2.2) */
#define VMCS_GUEST_PHYSICAL_ADDR 0x2400
/* 64-bit guest state (B.2.3) */
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
/* 64-bit host state (B.2.4) */
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02
/* 32-bit control (B.3.1) */
#define VMCS_PIN_CONTROLS 0x4000
#define VMCS_PROC_CONTROLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PF_ERROR_MASK 0x4006
#define VMCS_PF_ERROR_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CONTROLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CONTROLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_PROC2_CONTROLS 0x401e
/* 32-bit read-only data (B.3.2) */
#define VMCS_INSN_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_EXIT_INSN_INFO 0x440e
/* 32-bit guest state (B.3.3): limit and access rights of segment i */
#define VMCS_GUEST_ES_LIMIT 0x4800
#define VMCS_GUEST_LIMIT(i) (VMCS_GUEST_ES_LIMIT + 2 * (i))
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814
#define VMCS_GUEST_AR(i) (VMCS_GUEST_ES_AR + 2 * (i))
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_PREEMPTION_TIMER 0x482e            /* VMX-preemption timer value (B.3.3) */
/* 32-bit host state (B.3.4) */
#define VMCS_HOST_SYSENTER_CS 0x4c00
/* Natural-width control (B.4.1) */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
/* Natural-width read-only data (B.4.2) */
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_LINEAR_ADDR 0x640a
/* Natural-width guest state (B.4.3) */
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806
#define VMCS_GUEST_BASE(i) (VMCS_GUEST_ES_BASE + 2 * (i))
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define PENDING_DBG_BS (1ull << 14)             /* single step (25.4.2, table 25-4) */
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
/* Natural-width host state (B.4.4) */
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

/* Pin-based controls (SDM vol. 3C 25.6.1, table 25-5). */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PIN_POSTED_INTERRUPTS (1u << 7)

/* Primary processor-based controls (25.6.2, table 25-6). */
#define PROC_INTERRUPT_WINDOW_EXITING (1u << 2)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_INVLPG_EXITING (1u << 9)
#define PROC_MWAIT_EXITING (1u << 10)
#define PROC_RDPMC_EXITING (1u << 11)
#define PROC_RDTSC_EXITING (1u << 12)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_CR8_LOAD_EXITING (1u << 19)
#define PROC_CR8_STORE_EXITING (1u << 20)
#define PROC_TPR_SHADOW (1u << 21)
#define PROC_NMI_WINDOW_EXITING (1u << 22)
#define PROC_MOV_DR_EXITING (1u << 23)
#define PROC_UNCONDITIONAL_IO_EXITING (1u << 24)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_MONITOR_TRAP_FLAG (1u << 27)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_PAUSE_EXITING (1u << 30)
#define PROC_SECONDARY_CONTROLS (1u << 31)

/* Secondary processor-based controls (25.6.2, table 25-7). */
#define PROC2_VIRTUALIZE_APIC (1u << 0)
#define PROC2_EPT (1u << 1)
#define PROC2_DESCRIPTOR_EXITING (1u << 2)
#define PROC2_RDTSCP (1u << 3)
#define PROC2_VPID (1u << 5)
#define PROC2_WBINVD_EXITING (1u << 6)
#define PROC2_UNRESTRICTED_GUEST (1u << 7)
#define PROC2_PAUSE_LOOP_EXITING (1u << 10)
#define PROC2_RDRAND_EXITING (1u << 11)
#define PROC2_INVPCID (1u << 12)
#define PROC2_VMFUNC (1u << 13)
#define PROC2_VMCS_SHADOWING (1u << 14)
#define PROC2_RDSEED_EXITING (1u << 16)
#define PROC2_PML (1u << 17)
#define PROC2_EPT_VE (1u << 18)
#define PROC2_XSAVES (1u << 20)
#define PROC2_USER_WAIT_PAUSE (1u << 26)

/* VM-exit controls (25.7.1, table 25-13). */
#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_LOAD_PERF_GLOBAL_CTRL (1u << 12)
#define EXIT_ACK_INTERRUPT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)

/* VM-entry controls (25.8.1, table 25-15). */
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_GUEST (1u << 9)
#define ENTRY_SMM (1u << 10)
#define ENTRY_DEACTIVATE_DUAL_MONITOR (1u << 11)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL (1u << 13)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* IA32_VMX_EPT_VPID_CAP (SDM vol. 3D A.10). */
#define EPT_CAP_WALK_4 (1ull << 6)
#define EPT_CAP_MEMTYPE_UC (1ull << 8)
#define EPT_CAP_MEMTYPE_WB (1ull << 14)
#define EPT_CAP_2M_PAGES (1ull << 16)
#define EPT_CAP_1G_PAGES (1ull << 17)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define EPT_CAP_INVEPT_ALL (1ull << 26)
#define VPID_CAP_INVVPID (1ull << 32)
#define VPID_CAP_INVVPID_SINGLE (1ull << 41)
#define VPID_CAP_INVVPID_ALL (1ull << 42)

/* EPT pointer (25.6.11) and EPT paging-structure entries (29.3.2,
 * tables 29-1 to 29-6). Memory types are those of the MTRRs (12.11). */
#define EPTP_MEMTYPE_SHIFT 0
#define EPTP_WALK_LENGTH_SHIFT 3        /* page-walk length minus one */
#define EPT_READ (1ull << 0)
#define EPT_WRITE (1ull << 1)
#define EPT_EXECUTE (1ull << 2)
#define EPT_MEMTYPE_SHIFT 3             /* bits 5:3 of a leaf */
#define EPT_IGNORE_PAT (1ull << 6)
#define EPT_LARGE_PAGE (1ull << 7)
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define INVEPT_SINGLE_CONTEXT 1         /* INVEPT/INVVPID types (31.3) */
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2

/* Exit reason field (28.2.1, table 28-1) and basic exit reasons (vol. 3D
 * appendix C). */
#define EXIT_REASON_BASIC_MASK 0xffffu
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)
#define EXIT_EXCEPTION_NMI 0
#define EXIT_EXTERNAL_INTERRUPT 1
#define EXIT_TRIPLE_FAULT 2
#define EXIT_INIT 3
#define EXIT_NMI_WINDOW 8
#define EXIT_SIPI 4
#define EXIT_CPUID 10
#define EXIT_GETSEC 11
#define EXIT_HLT 12
#define EXIT_INVD 13
#define EXIT_VMCALL 18
#define EXIT_VMCLEAR 19
#define EXIT_VMLAUNCH 20
#define EXIT_VMPTRLD 21
#define EXIT_VMPTRST 22
#define EXIT_VMREAD 23
#define EXIT_VMRESUME 24
#define EXIT_VMWRITE 25
#define EXIT_VMXOFF 26
#define EXIT_VMXON 27
#define EXIT_CR_ACCESS 28
#define EXIT_MOV_DR 29
#define EXIT_MONITOR_TRAP_FLAG 37
#define EXIT_PREEMPTION_TIMER 52
#define EXIT_IO 30
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define EXIT_INVALID_GUEST_STATE 33
#define EXIT_MSR_LOADING 34
#define EXIT_MACHINE_CHECK 41
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_INVEPT 50
#define EXIT_INVVPID 53
#define EXIT_XSETBV 55
#define EXIT_VMFUNC 59

/* Exit qualification for I/O instructions (28.2.1, table 28-5). */
#define IO_QUAL_SIZE_MASK 0x7u          /* access size minus one */
#define IO_QUAL_IN (1u << 3)
#define IO_QUAL_STRING (1u << 4)
#define IO_QUAL_REP (1u << 5)
#define IO_QUAL_PORT_SHIFT 16

/* Exit qualification for control-register accesses (table 28-3). */
#define CR_QUAL_NUMBER_MASK 0xfu
#define CR_QUAL_TYPE_SHIFT 4
#define CR_QUAL_TYPE_MASK 0x3u
#define CR_QUAL_TYPE_MOV_TO 0
#define CR_QUAL_GPR_SHIFT 8
#define CR_QUAL_GPR_MASK 0xfu

/* Exit qualification for EPT violations (table 28-7). */
#define EPT_QUAL_READ (1u << 0)
#define EPT_QUAL_WRITE (1u << 1)
#define EPT_QUAL_FETCH (1u << 2)
#define EPT_QUAL_LINEAR_VALID (1u << 7)

/* VM-entry interruption information (25.8.3, table 25-17); the IDT-vectoring
 * information field has the same layout in these bits (28.2.4). */
#define INTR_INFO_VECTOR_MASK 0xffu
#define INTR_INFO_TYPE_MASK (7u << 8)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_INFO_ERROR_VALID (1u << 11)
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_REINJECT_MASK (INTR_INFO_VALID | INTR_INFO_ERROR_VALID | \
				 INTR_INFO_TYPE_MASK | INTR_INFO_VECTOR_MASK)
#define INTR_TYPE_SOFT_INTERRUPT (4u << 8)
#define INTR_TYPE_PRIV_SOFT_EXCEPTION (5u << 8)
#define INTR_TYPE_SOFT_EXCEPTION (6u << 8)

/* Guest interruptibility state (25.4.2, table 25-3). */
#define INTERRUPTIBILITY_STI (1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)
#define INTERRUPTIBILITY_NMI (1u << 3)  /* with virtual NMIs: virtual-NMI blocking */

/* Guest activity state (25.4.2). */
#define ACTIVITY_ACTIVE 0

/* Segment access rights in the VMCS (25.4.1, table 25-2): the descriptor's
 * access byte in bits 7:0, AVL/L/D/G in bits 15:12, "unusable" in bit 16. */
#define VMX_AR_FLAGS_SHIFT 12
#define VMX_AR_UNUSABLE (1u << 16)

/* The VMCS link pointer must be all ones when not shadowing (27.3.1.5). */
#define VMCS_LINK_POINTER_NONE 0xffffffffffffffffull

/* The MSR bitmap page (25.6.9): read bitmaps for MSRs 0-0x1fff and
 * 0xc0000000-0xc0001fff, then the write bitmaps, 1 KiB each. */
#define MSR_BITMAP_READ_LOW 0x000
#define MSR_BITMAP_READ_HIGH 0x400
#define MSR_BITMAP_WRITE_LOW 0x800
#define MSR_BITMAP_WRITE_HIGH 0xc00
#define MSR_BITMAP_HIGH_BASE 0xc0000000u
#define MSR_BITMAP_RANGE 0x2000u

/* I/O bitmaps A (ports 0-0x7fff) and B (0x8000-0xffff), one page each
 * (25.6.4). */
#define IO_BITMAP_PORTS_PER_PAGE 0x8000u

#endif
