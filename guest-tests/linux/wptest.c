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
 * Each write of `counter` also records the CPU it ran on (sched_getcpu), and
 * the program prints them at the end ("wptest: counter written on cpus A B
 * C"): init runs one gdb session per CPU, pinned with taskset, and checks
 * that every watched write happened on that CPU (issue 14), so that each
 * CPU's debug registers, not one CPU's, carried the watchpoint.
 *
 * usage: wptest [HOLD]   run the accesses (HOLD: seconds, default 0)
 *        wptest hv [CPU] print the hypervisor CPUID signature, or "none";
 *                        with CPU, first move to that CPU
 *                        (sched_setaffinity) and check it runs there
 *        wptest tsc      print the time-stamp counter (tools/bench --linux:
 *                        on Bochs with clock: sync=none, emulated
 *                        instructions since power-on)
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <sched.h>
#include <x86intrin.h>
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

/* hv CPU: pin this process to CPU and print the signature seen there; a
 * CPU that cannot be reached prints why instead ("offline", "elsewhere"). */
static int print_hypervisor_on(const char *arg)
{
	int cpu = atoi(arg);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		puts("offline");
		return 1;
	}
	if (sched_getcpu() != cpu) {
		printf("elsewhere-%d\n", sched_getcpu());
		return 1;
	}
	return print_hypervisor();
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
	int sum = 0, cpu[3];

	if (argc > 1 && strcmp(argv[1], "tsc") == 0)
		return printf("%llu\n", (unsigned long long)__rdtsc()) < 0;
	if (argc > 1 && strcmp(argv[1], "hv") == 0)
		return argc > 2 ? print_hypervisor_on(argv[2]) : print_hypervisor();
	printf("wptest: counter at %p\n", (void *)&counter);
	fflush(stdout);
	for (int i = 1; i <= 3; i++) {
		spin(hold);
		cpu[i - 1] = sched_getcpu();
		counter = i * 10;
	}
	printf("wptest: counter written on cpus %d %d %d\n", cpu[0], cpu[1], cpu[2]);
	fflush(stdout);
	for (int i = 0; i < 2; i++)
		sum += source;
	shared = sum;
	sum += shared;
	return checkpoint(sum) == 56 ? 0 : 1;
}
