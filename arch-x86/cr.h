/* Control-register bits drvisor names (SDM vol. 3A 2.5, figures 2-7). */
#ifndef DRVISOR_ARCH_CR_H
#define DRVISOR_ARCH_CR_H

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_DE (1ull << 3)            /* debugging extensions: DR4/DR5 raise #UD */
#define CR4_LA57 (1ull << 12)         /* 5-level paging */
#define CR4_MCE (1ull << 6)            /* machine-check enable (SDM vol. 3A 2.5) */
#define CR4_VMXE (1ull << 13)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_PKE (1ull << 22)

#endif
