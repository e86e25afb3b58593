/*
 * The debuggee of the Linux guest demonstration (issue 8): gdb inside the
 * guest sets hardware watchpoints and breakpoints on it (wptest.gdb), and the
 * init script checks every hit against what this program does.
 *
 * Each watched variable has one kind of access, so every check has exactly
 * one right answer: `counter` is only written (10, 20, 30: `watch`), `source`
 * only read (twice: `rwatch`), `shared` written once then read once
 * (`awatch`), and checkpoint() called once (`hbreak`). Before each write of
 * `counter` the program spins for HOLD seconds without touching any watched
 * variable, so that the host's drvctl loop can sample DR0-3/DR7 while the
 * watchpoint is live in the CPU (Linux arms a task's debug registers only
 * while that task runs, arch/x86/kernel/hw_breakpoint.c).
 *
 * usage: wptest [HOLD]   run the accesses (HOLD: seconds, default 0)
 *        wptest hv       print the hypervisor CPUID signature, or "none"
 */
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile int counter;    /* written 3 times: watch */
volatile int source = 7; /* read twice: rwatch */
volatile int shared;     /* written, then read: awatch */

#define CPUID_FEATURES 1u
#define CPUID_ECX_HYPERVISOR (1u << 31) /* SDM Vol. 2A CPUID: reserved for hypervisors */
#define CPUID_HV_BASE 0x40000000u

static int print_hypervisor(void)
{
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(CPUID_FEATURES, a, b, c, d);
	if (!(c & CPUID_ECX_HYPERVISOR)) {
		puts("none");
		return 0;
	}
	__cpuid(CPUID_HV_BASE, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	printf("%s\n", sig);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spin(double seconds)
{
	double end = now() + seconds;

	while (now() < end)
		;
}

__attribute__((noinline)) int checkpoint(int v)
{
	return v * 2;
}

int main(int argc, char **argv)
{
	double hold = argc > 1 ? atof(argv[1]) : 0.0;
	int sum = 0;

	if (argc > 1 && strcmp(argv[1], "hv") == 0)
		return print_hypervisor();
	printf("wptest: counter at %p\n", (void *)&counter);
	fflush(stdout);
	for (int i = 1; i <= 3; i++) {
		spin(hold);
		counter = i * 10;
	}
	for (int i = 0; i < 2; i++)
		sum += source;
	shared = sum;
	sum += shared;
	return checkpoint(sum) == 56 ? 0 : 1;
}
