/*
 * Finding drvisor and talking to it (include/drvisor/hypercall.h).
 *
 * The CPU vendor comes from the CPUID 0 vendor string, not from drvisor's
 * version leaf: the test must pick the hypercall instruction (and which
 * forbidden instructions to try) from what the CPU is, so that a drvisor that
 * reported the wrong vendor half would be caught rather than believed.
 */
#include "guest.h"

#include "drvisor/hypercall.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)

static struct hv_counts counts[GUEST_MAX_CPUS]; /* per CPU: mp_current() */
static enum hv_vendor vendor;
static int vendor_known;

struct hv_cpuid_regs hv_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct hv_cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf)
			 : "memory");
	counts[mp_current()].cpuid++;
	return r;
}

static int regs_are(const struct hv_cpuid_regs *r, uint32_t b, uint32_t c, uint32_t d)
{
	return r->ebx == b && r->ecx == c && r->edx == d;
}

/* CPUID 0 vendor strings, packed as EBX, EDX, ECX hold them (EBX:EDX:ECX
 * reads "GenuineIntel" / "AuthenticAMD"); SDM vol. 2A CPUID, APM vol. 3. */
enum hv_vendor hv_vendor(void)
{
	if (!vendor_known) {
		struct hv_cpuid_regs r = hv_cpuid(0, 0);

		if (regs_are(&r, 0x756e6547, 0x6c65746e, 0x49656e69)) /* Genu ntel ineI */
			vendor = HV_VENDOR_INTEL;
		else if (regs_are(&r, 0x68747541, 0x444d4163, 0x69746e65)) /* Auth cAMD enti */
			vendor = HV_VENDOR_AMD;
		else
			vendor = HV_VENDOR_OTHER;
		vendor_known = 1;
	}
	return vendor;
}

const char *hv_vendor_name(enum hv_vendor v)
{
	return v == HV_VENDOR_INTEL ? "Intel" : v == HV_VENDOR_AMD ? "AMD" : "unknown";
}

int hv_detect(struct hv_info *info)
{
	struct hv_cpuid_regs r;

	*info = (struct hv_info){ 0 };
	info->vendor = hv_vendor();
	r = hv_cpuid(1, 0);
	info->hypervisor_bit = (r.ecx & CPUID_1_ECX_HYPERVISOR) != 0;
	if (!info->hypervisor_bit)
		return 0; /* leaves 0x4000xxxx mean nothing without the bit */
	r = hv_cpuid(DV_CPUID_LEAF_BASE, 0);
	if (!regs_are(&r, DV_CPUID_SIG_EBX, DV_CPUID_SIG_ECX, DV_CPUID_SIG_EDX))
		return 0;
	info->max_leaf = r.eax;
	if (info->max_leaf >= DV_CPUID_LEAF_VERSION) {
		r = hv_cpuid(DV_CPUID_LEAF_VERSION, 0);
		info->version = r.eax;
		info->vendor_half = r.ebx;
	}
	info->drvisor = 1;
	return 1;
}

uint64_t hv_call(uint64_t nr, uint64_t rbx, uint64_t rcx, uint64_t rdx, struct hv_regs *out)
{
	uint64_t rax = nr;

	/* Counted before the instruction: if it faults (no hypervisor), the
	 * exit still happened as far as a hypervisor underneath is concerned. */
	counts[mp_current()].hypercall++;
	if (hv_vendor() == HV_VENDOR_AMD)
		__asm__ volatile("vmmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx) : : "memory");
	else
		__asm__ volatile("vmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx) : : "memory");
	if (out)
		*out = (struct hv_regs){ rbx, rcx, rdx };
	return rax;
}

void hv_call_try(void *args)
{
	struct hv_call_args *c = args;

	c->rax = hv_call(c->nr, c->rbx, c->rcx, c->rdx, &c->out);
}

const struct hv_counts *hv_counts(void)
{
	return &counts[mp_current()];
}
