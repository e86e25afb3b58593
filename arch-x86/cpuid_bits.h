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
#define CPUID_7_EBX_RTM (1u << 11)
#define CPUID_7_ECX_OSPKE (1u << 4)
#define CPUID_7_ECX_BUS_LOCK_DETECT (1u << 24)
#define CPUID_PMU_LEAF 0xau
#define CPUID_A_EAX_PMU_VERSION 0xffu
#define CPUID_XSAVE_LEAF 0xdu
#define CPUID_HV_BASE 0x40000000u
#define CPUID_HV_RANGE_END 0x400000ffu
#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_ECX_SVM (1u << 2)
#define CPUID_EXT_EDX_PDPE1GB (1u << 26)
#define CPUID_ADDR_SIZES 0x80000008u
#define CPUID_SVM_FEATURES 0x8000000au

#endif
