/* Debug-register and IA32_DEBUGCTL bits, named once (SDM vol. 3B 18.2,
 * 18.4.1; AMD APM vol. 2 13.1). */
#ifndef DRVISOR_ARCH_DR_H
#define DRVISOR_ARCH_DR_H

/* DR6 */
#define DR6_B0 (1ull << 0)              /* B0-B3: breakpoint n matched */
#define DR6_B0_3 0xfull
#define DR6_BD (1ull << 13)             /* general-detect condition */
#define DR6_BS (1ull << 14)             /* single step */
#define DR6_BT (1ull << 15)             /* task switch */
#define DR6_RTM (1ull << 16)            /* 0 = #DB inside an RTM region */
#define DR6_BLD (1ull << 11)            /* 0 = bus-lock #DB (with bus-lock detect) */
#define DR6_B0_3 0xfull                 /* B0-B3 */
/* The status bits a #DB reports: B0-B3, BD, BS, BT. */
#define DR6_STATUS (DR6_B0_3 | DR6_BD | DR6_BS | DR6_BT)
/* Bits that read as 1 (4-11, 16-31; RTM is active-low) and the power-on value. */
#define DR6_FIXED_1 0xffff0ff0ull
#define DR6_RESET 0xffff0ff0ull
#define DR6_HIGH_MASK 0xffffffff00000000ull /* must be 0: #GP on MOV */
#define DR6_RESERVED_0 (DR6_HIGH_MASK | (1ull << 12)) /* read as 0 */

/* DR7 */
#define DR7_L0 (1ull << 0)              /* local enable of breakpoint 0; G0 is bit 1 */
#define DR7_ENABLES 0xffull             /* L0-L3 and G0-G3 */
#define DR7_GE (1ull << 9)
#define DR7_FIXED_1 (1ull << 10)        /* reads as 1 */
#define DR7_GD (1ull << 13)             /* general detect */
#define DR7_RW_SHIFT(n) (16 + 4 * (n))  /* R/Wn: 00 exec, 01 write, 10 I/O, 11 r/w */
#define DR7_LEN_SHIFT(n) (18 + 4 * (n)) /* LENn: 00 1, 01 2, 11 4, 10 8 bytes */
#define DR7_RESET 0x400ull
#define DR7_HIGH_MASK 0xffffffff00000000ull /* must be 0: #GP on MOV */
/* Bits that must be 0 (11, 12, 14, 15): reads as 0, MOV ignores them. */
#define DR7_RESERVED_0 ((1ull << 11) | (1ull << 12) | (1ull << 14) | (1ull << 15))

#define DR7_RW_WRITE 0x1ull
#define DR7_LEN_8 0x2ull

/* IA32_DEBUGCTL (SDM vol. 4 table 2-2, vol. 3B 18.4.1; APM vol. 2 13.1.1.6).
 * Which of them the guest's virtual CPU has: core/debugctl.c. */
#define DEBUGCTL_LBR (1ull << 0)
#define DEBUGCTL_BTF (1ull << 1)
#define DEBUGCTL_BUS_LOCK_DETECT (1ull << 2)  /* with CPUID.7.0:ECX[24], both vendors */
#define DEBUGCTL_TR (1ull << 6)               /* Intel: branch trace messages */
#define DEBUGCTL_BTS (1ull << 7)              /* Intel: branch trace store (DS area) */
#define DEBUGCTL_BTINT (1ull << 8)
#define DEBUGCTL_BTS_OFF_OS (1ull << 9)
#define DEBUGCTL_BTS_OFF_USR (1ull << 10)
#define DEBUGCTL_FREEZE_LBRS_ON_PMI (1ull << 11)
#define DEBUGCTL_FREEZE_PERFMON_ON_PMI (1ull << 12)
#define DEBUGCTL_ENABLE_UNCORE_PMI (1ull << 13)
#define DEBUGCTL_FREEZE_WHILE_SMM (1ull << 14)
#define DEBUGCTL_RTM_DEBUG (1ull << 15)
/* What the CPU clears by itself when it delivers a #DB (SDM vol. 3B 18.4.1,
 * 18.4.3; APM vol. 2 13.1.3.4). */
#define DEBUGCTL_CLEARED_BY_DB (DEBUGCTL_LBR | DEBUGCTL_BTF)

#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_RF (1ull << 16)

#endif
