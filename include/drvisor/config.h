/*
 * drvisor configuration: the keys the loader reads from DRVISOR.CFG and from
 * its EFI load options, after parsing. Shared by the loader (which parses)
 * and the core (which only reads the result through struct boot_info).
 * Plain C with fixed-size types only: no pointers, so the layout is the same
 * on both sides of the hand-off.
 */
#ifndef DRVISOR_CONFIG_H
#define DRVISOR_CONFIG_H

#include <stdint.h>

#define DV_CONFIG_NEXT_MAX 256   /* bytes of next= incl. NUL */
#define DV_CONFIG_ARGS_MAX 512   /* bytes of next_args= incl. NUL */
#define DV_CONFIG_LINE_MAX 512   /* longest accepted config line */

enum dv_dr_switch {
	DV_DR_SWITCH_EAGER = 0, /* swap guest/host debug registers on every transition */
	DV_DR_SWITCH_LAZY = 1,  /* swap only after the guest touches them (MOV-DR exits) */
};

enum dv_log_level {
	DV_LOG_ERROR = 0,
	DV_LOG_WARN = 1,
	DV_LOG_INFO = 2,
	DV_LOG_DEBUG = 3,
};

/* What to do when the CPU cannot host drvisor (no VMX/SVM, disabled, ...). */
enum dv_on_unsupported {
	DV_UNSUPPORTED_CONTINUE = 0, /* say why, then chain-load next= unvirtualized */
	DV_UNSUPPORTED_REFUSE = 1,   /* say why, then return to the firmware */
};

/* What a guest shutdown (triple fault, SHUTDOWN intercept) does. */
enum dv_on_guest_shutdown {
	DV_GUEST_SHUTDOWN_RESET = 0, /* report it, then reset the platform as the CPU would */
	DV_GUEST_SHUTDOWN_STOP = 1,  /* report it, park the vCPU, keep the monitor */
};

/* Host self-tests for the test suite: fault on purpose after the banner to
 * prove the host exception handler reports and stops cleanly. */
enum dv_selftest {
	DV_SELFTEST_NONE = 0,
	DV_SELFTEST_UD = 1,     /* ud2: #UD */
	DV_SELFTEST_GP = 2,     /* load from a non-canonical address: #GP */
	DV_SELFTEST_PF = 3,     /* load from an address the host does not map: #PF */
	DV_SELFTEST_DE = 4,     /* divide by zero: #DE */
};

/* How monitor= names the monitor's UART; the loader resolves it into a
 * struct dv_monitor_uart (drvisor/monitor_uart.h) before entering the core. */
enum dv_monitor_kind {
	DV_MONITOR_PORT = 0,        /* an I/O port: com1..com4 or 0xPORT (monitor_port) */
	DV_MONITOR_AUTO = 1,        /* SPCR, DBG2, a legacy port, a PCI 16550 */
	DV_MONITOR_PCI = 2,         /* pci:BB:DD.F[,bar=N] */
	DV_MONITOR_MMIO = 3,        /* mmio:0xADDR[,width=4][,shift=2][,clock=HZ] */
};

#define DV_MONITOR_BAR_FIRST 0xff   /* pci: without bar=: its first I/O or memory BAR */
#define DV_UART_DEFAULT_CLOCK 1843200u /* 16 x 115200: the PC's 1.8432 MHz crystal */

struct dv_config {
	uint16_t monitor_port;      /* I/O port of the monitor's 16550 UART (DV_MONITOR_PORT) */
	uint16_t reserved0;
	uint32_t baud;              /* 50..115200, must divide 115200 */
	uint32_t dr_switch;         /* enum dv_dr_switch */
	uint32_t log_level;         /* enum dv_log_level */
	uint32_t on_unsupported;    /* enum dv_on_unsupported */
	uint32_t selftest;          /* enum dv_selftest */
	uint32_t test_hooks;        /* 1: enable the test-suite hooks (host watchpoint, ...) */
	uint32_t monitor_share;     /* 1: the guest shares the monitor's port (escape: Ctrl-]) */
	uint32_t on_guest_shutdown; /* enum dv_on_guest_shutdown */
	char next[DV_CONFIG_NEXT_MAX];      /* EFI path of the image to chain-load, "" for none */
	char next_args[DV_CONFIG_ARGS_MAX]; /* load options passed to next=, "" for none */
	uint32_t monitor_kind;      /* enum dv_monitor_kind */
	uint8_t monitor_pci_bus, monitor_pci_dev, monitor_pci_fn;
	uint8_t monitor_pci_bar;    /* 0..5, or DV_MONITOR_BAR_FIRST */
	uint64_t monitor_mmio;      /* DV_MONITOR_MMIO: physical address of register 0 */
	uint32_t monitor_width;     /* bytes per register access: 1 or 4 */
	uint32_t monitor_shift;     /* register i at base + (i << shift): 0..4 */
	uint32_t monitor_clock;     /* the UART's input clock in Hz */
	uint32_t reserved1;
};

#define DV_COM1_PORT 0x3f8
#define DV_COM2_PORT 0x2f8
#define DV_COM3_PORT 0x3e8
#define DV_COM4_PORT 0x2e8

#define DV_DEFAULT_MONITOR_PORT DV_COM1_PORT
#define DV_DEFAULT_BAUD 115200u
#define DV_DEFAULT_DR_SWITCH DV_DR_SWITCH_EAGER
#define DV_DEFAULT_LOG_LEVEL DV_LOG_INFO

#endif
