/* CPUID leaves and feature bits drvisor names (SDM vol. 2A, CPUID; AMD APM
 * vol. 3, appendix E). */
#ifndef DRVISOR_ARCH_CPUID_BITS_H
#define DRVISOR_ARCH_CPUID_BITS_H

#define CPUID_FEATURES 1u
#define CPUID_1_ECX_DTES64 (1u << 2)
#define CPUID_1_ECX_DS_CPL (1u << 4)
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_PDCM (1u << 15)     /* IA32_PERF_CAPABILITIES exists */
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_DS (1u << 21)       /* debug store (BTS, PEBS) */
#define CPUID_STRUCT_FEATURES 7u
#define CPUID_7_EBX_PT (1u << 25)
#define CPUID_7_ECX_OSPKE (1u << 4)
#define CPUID_7_EDX_ARCH_LBR (1u << 19)
#define CPUID_7_EBX_RTM (1u << 11)
#define CPUID_7_ECX_BUS_LOCK_DETECT (1u << 24)
#define CPUID_PMU_LEAF 0xau
#define CPUID_A_EAX_PMU_VERSION 0xffu
#define CPUID_XSAVE_LEAF 0xdu
#define CPUID_XSAVE_XSS_SUBLEAF 1u     /* ECX: the IA32_XSS bits the CPU supports */
#define XFEATURE_PT_INDEX 8u           /* XSAVE state components (SDM vol. 1 13.1) */
#define XFEATURE_ARCH_LBR_INDEX 15u
#define XFEATURE_PT (1u << XFEATURE_PT_INDEX)
#define XFEATURE_ARCH_LBR (1u << XFEATURE_ARCH_LBR_INDEX)
#define CPUID_PT_LEAF 0x14u
#define CPUID_FREQ_LEAF 0x16u          /* EAX: base frequency, MHz (SDM vol. 2A, CPUID) */
#define CPUID_ARCH_LBR_LEAF 0x1cu
#define CPUID_HV_BASE 0x40000000u
#define CPUID_HV_RANGE_END 0x400000ffu
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_ECX_SVM (1u << 2)
#define CPUID_EXT_ECX_TCE (1u << 17)
#define CPUID_EXT_EDX_SYSCALL (1u << 11)
#define CPUID_EXT_EDX_NX (1u << 20)
#define CPUID_EXT_EDX_FFXSR (1u << 25)
#define CPUID_EXT_EDX_PDPE1GB (1u << 26)
#define CPUID_EXT_EDX_LM (1u << 29)
#define CPUID_ADDR_SIZES 0x80000008u
#define CPUID_8_EBX_MCOMMIT (1u << 8)
#define CPUID_8_EBX_INT_WBINVD (1u << 9)
#define CPUID_8_EBX_EFER_LMSLE_MBZ (1u << 20)   /* EFER.LMSLE must be zero */
#define CPUID_SVM_FEATURES 0x8000000au
#define CPUID_EXT_FEATURES2 0x80000021u
#define CPUID_21_EAX_UAI (1u << 7)             /* upper address ignore */
#define CPUID_21_EAX_AUTOIBRS (1u << 8)

#endif
