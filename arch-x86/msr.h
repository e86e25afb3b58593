/* Model-specific register numbers, named once (Intel SDM vol. 4, AMD APM
 * vol. 2 appendix A). */
#ifndef DRVISOR_ARCH_MSR_H
#define DRVISOR_ARCH_MSR_H

#define MSR_IA32_TSC                    0x00000010
#define MSR_IA32_FEATURE_CONTROL        0x0000003a
#define MSR_IA32_TSC_ADJUST             0x0000003b
#define MSR_IA32_APIC_BASE              0x0000001b  /* SDM vol. 3A 10.4.4 */
#define MSR_IA32_MTRRCAP                0x000000fe
#define MSR_IA32_SYSENTER_CS            0x00000174
#define MSR_IA32_SYSENTER_ESP           0x00000175
#define MSR_IA32_SYSENTER_EIP           0x00000176
#define MSR_IA32_MCG_STATUS             0x0000017a  /* SDM vol. 3B 15.3.1.2 */
#define MSR_IA32_DEBUGCTL               0x000001d9
#define MSR_IA32_MTRR_PHYSBASE0         0x00000200
#define MSR_IA32_MTRR_PHYSMASK0         0x00000201
#define MSR_IA32_MTRR_FIX64K_00000      0x00000250
#define MSR_IA32_MTRR_FIX16K_80000      0x00000258
#define MSR_IA32_MTRR_FIX16K_A0000      0x00000259
#define MSR_IA32_MTRR_FIX4K_C0000       0x00000268
#define MSR_IA32_PAT                    0x00000277
#define MSR_X2APIC_ICR                  0x00000830  /* SDM vol. 3A 10.12.1.2, table 10-6 */
#define MSR_IA32_PERF_CAPABILITIES      0x00000345 /* with CPUID.1:ECX.PDCM */
#define PERF_CAP_FREEZE_WHILE_SMM       (1ull << 12)
#define MSR_IA32_MTRR_DEF_TYPE          0x000002ff
#define MSR_IA32_PEBS_ENABLE            0x000003f1
#define MSR_IA32_VMX_BASIC              0x00000480
#define MSR_IA32_VMX_PINBASED_CTLS      0x00000481
#define MSR_IA32_VMX_PROCBASED_CTLS     0x00000482
#define MSR_IA32_VMX_EXIT_CTLS          0x00000483
#define MSR_IA32_VMX_ENTRY_CTLS         0x00000484
#define MSR_IA32_VMX_MISC               0x00000485
#define MSR_IA32_VMX_CR0_FIXED0         0x00000486
#define MSR_IA32_VMX_CR0_FIXED1         0x00000487
#define MSR_IA32_VMX_CR4_FIXED0         0x00000488
#define MSR_IA32_VMX_CR4_FIXED1         0x00000489
#define MSR_IA32_VMX_VMCS_ENUM          0x0000048a
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x0000048b
#define MSR_IA32_VMX_EPT_VPID_CAP       0x0000048c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x0000048d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x0000048e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x0000048f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x00000490
#define MSR_IA32_VMX_VMFUNC             0x00000491
#define MSR_IA32_VMX_PROCBASED_CTLS3    0x00000492
#define MSR_IA32_VMX_EXIT_CTLS2         0x00000493
#define MSR_IA32_RTIT_OUTPUT_BASE       0x00000560   /* Intel PT (SDM vol. 3C 33.2.8) */
#define MSR_IA32_RTIT_OUTPUT_MASK_PTRS  0x00000561
#define MSR_IA32_RTIT_CTL               0x00000570
#define MSR_IA32_RTIT_STATUS            0x00000571
#define MSR_IA32_RTIT_CR3_MATCH         0x00000572
#define MSR_IA32_RTIT_ADDR0_A           0x00000580
#define MSR_IA32_RTIT_ADDR3_B           0x00000587
#define MSR_IA32_DS_AREA                0x00000600
#define MSR_IA32_XSS                    0x00000da0
#define MSR_IA32_LBR_INFO_0             0x00001200   /* architectural LBR (SDM vol. 3B 18.1) */
#define MSR_IA32_LBR_INFO_31            0x0000121f
#define MSR_IA32_LBR_CTL                0x000014ce
#define MSR_IA32_LBR_DEPTH              0x000014cf
#define MSR_IA32_LBR_FROM_IP_0          0x00001500
#define MSR_IA32_LBR_FROM_IP_31         0x0000151f
#define MSR_IA32_LBR_TO_IP_0            0x00001600
#define MSR_IA32_LBR_TO_IP_31           0x0000161f
#define MSR_IA32_EFER                   0xc0000080
#define MSR_IA32_STAR                   0xc0000081
#define MSR_IA32_LSTAR                  0xc0000082
#define MSR_IA32_CSTAR                  0xc0000083
#define MSR_IA32_FMASK                  0xc0000084
#define MSR_IA32_FS_BASE                0xc0000100
#define MSR_IA32_GS_BASE                0xc0000101
#define MSR_IA32_KERNEL_GS_BASE         0xc0000102
#define MSR_AMD_VM_CR                   0xc0010114
#define MSR_AMD_VM_HSAVE_PA             0xc0010117

/* IA32_FEATURE_CONTROL (SDM vol. 3C 23.7) */
#define FEATURE_CONTROL_LOCK            (1ull << 0)
#define FEATURE_CONTROL_VMX_INSIDE_SMX  (1ull << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)
#define FEATURE_CONTROL_SENTER_MASK     (0x7full << 8)   /* SENTER local functions and enable */

/* VM_CR (APM vol. 2 15.30.1) */
#define VM_CR_SVMDIS                    (1ull << 4)

/* EFER (APM vol. 2 3.1.7) */
#define EFER_SCE                        (1ull << 0)
#define EFER_LME                        (1ull << 8)
#define EFER_LMA                        (1ull << 10)
#define EFER_NXE                        (1ull << 11)
#define EFER_SVME                       (1ull << 12)
#define EFER_LMSLE                      (1ull << 13)
#define EFER_FFXSR                      (1ull << 14)
#define EFER_TCE                        (1ull << 15)
#define EFER_MCOMMIT                    (1ull << 17)
#define EFER_INTWB                      (1ull << 18)
#define EFER_UAIE                       (1ull << 20)
#define EFER_AIBRSE                     (1ull << 21)

#endif
