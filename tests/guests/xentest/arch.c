/* SPDX-License-Identifier: MIT */
/*
 * The x86 side of xentest: CPU instructions, the IDT and what arrives
 * through it (exceptions, the event channel upcall), the local APIC, and
 * TSC-based time for bounded waits.
 */
#include "xentest.h"

#define MSR_APIC_BASE	    0x1b
#define APIC_BASE_ADDR_MASK 0xfffff000ULL
#define APIC_REG_EOI	    0xb0
#define APIC_REG_SVR	    0xf0
#define APIC_SVR_ENABLE	    0x100

#define IRQ_STUB_SIZE 16 /* as in entry.S */
#define SEL_CODE64    0x08
#define GATE_INTR64   0x8e /* present, DPL 0, 64-bit interrupt gate */

/* A TSC rate to assume before the pvclock tells us; high, so waits err long. */
#define FALLBACK_TSC_KHZ 4000000ULL

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

static struct idt_gate idt[256] __attribute__((aligned(16)));
static uintptr_t lapic_base;

static volatile uint32_t nr_upcalls;
static volatile uint32_t nr_unexpected;
static volatile uint32_t hits[EVTCHN_2L_NR_CHANNELS];

extern const char irq_stubs[];
extern const char wrmsr_safe_insn[], wrmsr_safe_fixup[];

void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
			 : "a"(leaf), "c"(subleaf));
}

uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

/* The control registers a secondary vCPU starts with (VCPUOP_initialise): ours. */
void read_control_regs(uint64_t *cr0, uint64_t *cr3, uint64_t *cr4)
{
	__asm__ volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2"
			 : "=r"(*cr0), "=r"(*cr3), "=r"(*cr4));
}

void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

void interrupts_on(void)
{
	__asm__ volatile("sti" ::: "memory");
}

void interrupts_off(void)
{
	__asm__ volatile("cli" ::: "memory");
}

void trigger_test_fault(void)
{
	__asm__ volatile("ud2");
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint64_t)idt};

	for (unsigned v = 0; v < ARRAY_SIZE(idt); v++) {
		uint64_t handler = (uint64_t)(irq_stubs + v * IRQ_STUB_SIZE);

		idt[v] = (struct idt_gate){
		    .offset_low = (uint16_t)handler,
		    .selector = SEL_CODE64,
		    .type = GATE_INTR64,
		    .offset_mid = (uint16_t)(handler >> 16),
		    .offset_high = (uint32_t)(handler >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/*
 * The legacy PIC could deliver its interrupts on vectors 0-15 (it has not
 * been programmed), which would look like exceptions.  Mask all its lines.
 */
void mask_legacy_pic(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static volatile uint32_t *lapic_reg(unsigned reg)
{
	return (volatile uint32_t *)(lapic_base + reg);
}

/*
 * KVM delivers the per-vCPU upcall vector as a fixed interrupt through the
 * local APIC, which accepts none while software-disabled (its reset state).
 */
void lapic_enable(void)
{
	lapic_base = (uintptr_t)(rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK);
	*lapic_reg(APIC_REG_SVR) = APIC_SVR_ENABLE | SPURIOUS_VECTOR;
}

static void lapic_eoi(void)
{
	if (lapic_base)
		*lapic_reg(APIC_REG_EOI) = 0;
}

/*
 * Consume what an upcall announces: clear the vCPU's pending flag, take
 * the selector word, and clear (and count) each pending, unmasked port.
 * Masked ports stay pending, which is what the mask check looks for.
 */
static void consume_events(void)
{
	struct shared_info *s = guest.shared;
	struct vcpu_info *vi;

	if (!s)
		return;
	vi = &s->vcpu_info[0];
	/* Bounded: a hypervisor that keeps the flag set must not wedge us here. */
	for (int round = 0; round < 8 && READ_ONCE(vi->evtchn_upcall_pending); round++) {
		xen_ulong_t sel;

		WRITE_ONCE(vi->evtchn_upcall_pending, 0);
		sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
		while (sel) {
			unsigned word = (unsigned)__builtin_ctzl(sel);
			xen_ulong_t ready =
			    READ_ONCE(s->evtchn_pending[word]) & ~READ_ONCE(s->evtchn_mask[word]);

			sel &= sel - 1;
			while (ready) {
				unsigned bit = (unsigned)__builtin_ctzl(ready);

				ready &= ready - 1;
				__atomic_fetch_and(&s->evtchn_pending[word], ~(1UL << bit),
						   __ATOMIC_SEQ_CST);
				hits[word * 64 + bit]++;
			}
		}
	}
}

static void handle_upcall(void)
{
	nr_upcalls++;
	consume_events();
}

/*
 * Events raised before the upcall vector was set (the console backend's
 * notifications, say) left evtchn_upcall_pending set, and the hypervisor
 * only interrupts when that flag goes from 0 to 1: consume them by hand.
 * Called with interrupts off.
 */
void consume_early_events(void)
{
	consume_events();
}

static void __attribute__((noreturn)) handle_exception(const struct irq_frame *f)
{
	static bool in_exception;

	if (in_exception) {
		/* Faulted while reporting a fault: nothing left that we trust. */
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	in_exception = true;
	say("FAIL exception %lu at 0x%lx (error code 0x%lx)", (unsigned long)f->vector,
	    (unsigned long)f->rip, (unsigned long)f->error_code);
	power_off(SHUTDOWN_crash);
}

void interrupt_dispatch(struct irq_frame *f);
void interrupt_dispatch(struct irq_frame *f)
{
	if (f->vector == 13 && f->rip == (uint64_t)wrmsr_safe_insn) {
		f->rip = (uint64_t)wrmsr_safe_fixup; /* see wrmsr_safe in entry.S */
		return;
	}
	if (f->vector < 32)
		handle_exception(f);
	if (f->vector == SPURIOUS_VECTOR)
		return; /* no EOI for the spurious vector */
	if (f->vector == UPCALL_VECTOR)
		handle_upcall();
	else
		nr_unexpected++;
	lapic_eoi();
}

uint32_t upcall_count(void)
{
	return nr_upcalls;
}

uint32_t port_hits(evtchn_port_t port)
{
	return port < ARRAY_SIZE(hits) ? hits[port] : 0;
}

uint32_t unexpected_interrupts(void)
{
	return nr_unexpected;
}

/* A consistent copy of vcpu_info[0].time (the hypervisor updates it seqlock-style). */
static bool read_pvclock(struct vcpu_time_info *out)
{
	const struct vcpu_time_info *t;

	if (!guest.shared)
		return false;
	t = &guest.shared->vcpu_info[0].time;
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t version = READ_ONCE(t->version);

		barrier();
		out->tsc_timestamp = READ_ONCE(t->tsc_timestamp);
		out->system_time = READ_ONCE(t->system_time);
		out->tsc_to_system_mul = READ_ONCE(t->tsc_to_system_mul);
		out->tsc_shift = READ_ONCE(t->tsc_shift);
		barrier();
		if (!(version & 1) && version == READ_ONCE(t->version))
			return out->tsc_to_system_mul != 0;
	}
	return false;
}

static uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
	__extension__ typedef unsigned __int128 u128;

	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((u128)delta * mul) >> 32);
}

bool xen_system_time(uint64_t *ns)
{
	struct vcpu_time_info t;

	if (!read_pvclock(&t))
		return false;
	*ns = t.system_time +
	      scale_delta(rdtsc() - t.tsc_timestamp, t.tsc_to_system_mul, t.tsc_shift);
	return true;
}

/* The TSC rate the pvclock implies, or the fallback if it has none or an absurd one. */
static uint64_t tsc_khz(void)
{
	struct vcpu_time_info t;
	uint64_t khz;

	if (!read_pvclock(&t))
		return FALLBACK_TSC_KHZ;
	/* ns = ((tsc << shift) * mul) >> 32, so tsc/ms = (10^6 << 32) / mul, unshifted. */
	khz = (1000000ULL << 32) / t.tsc_to_system_mul;
	if (t.tsc_shift < 0)
		khz <<= -t.tsc_shift;
	else
		khz >>= t.tsc_shift;
	if (khz < 100000 || khz > 20000000)
		return FALLBACK_TSC_KHZ;
	return khz;
}

struct deadline deadline_in_ms(uint32_t ms)
{
	return (struct deadline){.end_tsc = rdtsc() + (uint64_t)ms * tsc_khz()};
}

bool deadline_passed(const struct deadline *d)
{
	return (int64_t)(rdtsc() - d->end_tsc) >= 0;
}
