/*
 * libFuzzer target for the monitor's interpreter (core/monitor.c): arbitrary
 * bytes typed at it, with the fake target in strict mode, so that any call
 * breaking the monitor_target contract (an unvalidated value written, a vCPU
 * out of range, a step of a running vCPU, ...) aborts like a sanitizer
 * report does.
 *
 * Input: byte 0 configures the fake (bits 0-1: 1-4 vCPUs; 2: every
 * IA32_DEBUGCTL bit supported; 3: set_dbg refuses; 4: pause/cont/step
 * refuse; 5-6: step mode; 7: pause ends a step). The rest is typed, except
 * bytes 0xf0-0xf4, which the monitor would ignore anyway and which stand for
 * events of the target: a pending step ends (fully or short), the selected
 * vCPU starts running or stops, a vCPU goes away.
 */
#include <stdint.h>
#include <stdlib.h>
#include "core/monitor.h"
#include "fake_target.h"

/* The monitor writes printable ASCII, newlines and backspaces, nothing else. */
static void sink(const char *text, size_t len)
{
	size_t i;

	if (!len || len > 8192)
		abort();
	for (i = 0; i < len; i++)
		if (text[i] != '\n' && text[i] != '\b' && (text[i] < 0x20 || text[i] > 0x7e))
			abort();
}

/* Apply configuration byte cfg to the fake. */
static void configure(uint8_t cfg)
{
	fake.nvcpu = 1 + (cfg & 3);
	if (cfg & 4)
		fake.debugctl_mask = ~0ull;
	fake.refuse_set = cfg & 8 ? "refused" : NULL;
	fake.refuse_run = cfg & 16 ? "refused" : NULL;
	fake.step_mode = (enum fake_step_mode)((cfg >> 5) & 3) % 3;
	fake.step_short = 1;
	fake.pause_ends_step = cfg & 0x80;
	fake.info_n = 3;
	fake.info[2] = "odd \"line\"\x01\x7f\xff: with: colons";
	fake.stat_name[3] = "name with spaces and a very long tail beyond thirty-two bytes";
	fake.v[0].stat[3] = 1;
}

/* A target event instead of a typed byte. */
static void event(uint8_t e)
{
	switch (e) {
	case 0xf0: fake_finish_step(fake.step_pending); break;
	case 0xf1: fake_finish_step(fake.step_pending / 2); break;
	case 0xf2: fake.v[0].state = MON_RUNNING; break;
	case 0xf3: fake.v[0].state = MON_STOPPED; break;
	case 0xf4: if (fake.nvcpu > 1) fake.nvcpu--; break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;

	fake_reset();
	fake.strict = true;
	if (size)
		configure(data[0]);
	monitor_init(&fake_target, sink);
	for (i = 1; i < size; i++) {
		if (data[i] >= 0xf0 && data[i] <= 0xf4)
			event(data[i]);
		else
			monitor_input(data[i]);
	}
	return 0;
}
