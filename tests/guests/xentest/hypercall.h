/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls through the hypercall page: hypercall nr is the 32-byte stub at
 * hypercall_page + nr * 32, called with the 64-bit ABI (arguments in rdi,
 * rsi, rdx, r10, r8; result in rax).
 */
#ifndef XENTEST_HYPERCALL_H
#define XENTEST_HYPERCALL_H

#include "xentest.h"

#define HYPERCALL_STUB_SIZE 32
#define HYPERCALL_NR_STUBS  (PAGE_SIZE / HYPERCALL_STUB_SIZE)

extern uint8_t hypercall_page[PAGE_SIZE];

/*
 * Calling a stub the hypervisor never wrote would run zeros as code; refuse
 * instead, as if the hypervisor did not know the call.
 */
static inline bool hypercall_stub_present(unsigned nr)
{
	const uint8_t *stub = hypercall_page + nr * HYPERCALL_STUB_SIZE;

	if (!guest.hypercalls || nr >= HYPERCALL_NR_STUBS)
		return false;
	for (unsigned i = 0; i < HYPERCALL_STUB_SIZE; i++)
		if (stub[i])
			return true;
	return false;
}

static inline long hypercall5(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			      uint64_t a5)
{
	register uint64_t rdi __asm__("rdi") = a1;
	register uint64_t rsi __asm__("rsi") = a2;
	register uint64_t rdx __asm__("rdx") = a3;
	register uint64_t r10 __asm__("r10") = a4;
	register uint64_t r8 __asm__("r8") = a5;
	uint64_t rax = (uint64_t)(hypercall_page + nr * HYPERCALL_STUB_SIZE);

	if (!hypercall_stub_present(nr))
		return -XEN_ENOSYS;
	/*
	 * Xen may clobber the argument registers (debug builds do), so they
	 * are outputs too.  No red zone (-mno-red-zone), so the call's push
	 * cannot overwrite the compiler's locals.
	 */
	__asm__ volatile("call *%%rax"
			 : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
			 :
			 : "rcx", "r9", "r11", "memory", "cc");
	return (long)rax;
}

static inline long hypercall2(unsigned nr, uint64_t a1, uint64_t a2)
{
	return hypercall5(nr, a1, a2, 0, 0, 0);
}

static inline long hypercall3(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return hypercall5(nr, a1, a2, a3, 0, 0);
}

static inline long xen_version(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_xen_version, (uint64_t)cmd, (uint64_t)arg);
}

static inline long sched_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_sched_op, (uint64_t)cmd, (uint64_t)arg);
}

static inline long memory_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_memory_op, (uint64_t)cmd, (uint64_t)arg);
}

static inline long hvm_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_hvm_op, (uint64_t)cmd, (uint64_t)arg);
}

static inline long evtchn_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_event_channel_op, (uint64_t)cmd, (uint64_t)arg);
}

static inline long grant_table_op(int cmd, void *arg, unsigned count)
{
	return hypercall3(__HYPERVISOR_grant_table_op, (uint64_t)cmd, (uint64_t)arg, count);
}

static inline long vcpu_op(int cmd, unsigned vcpu, void *arg)
{
	return hypercall3(__HYPERVISOR_vcpu_op, (uint64_t)cmd, vcpu, (uint64_t)arg);
}

static inline long console_io(int cmd, uint64_t count, const void *buf)
{
	return hypercall3(__HYPERVISOR_console_io, (uint64_t)cmd, count, (uint64_t)buf);
}

static inline long evtchn_send(evtchn_port_t port)
{
	struct evtchn_send send = {.port = port};

	return evtchn_op(EVTCHNOP_send, &send);
}

static inline long evtchn_close(evtchn_port_t port)
{
	struct evtchn_close close = {.port = port};

	return evtchn_op(EVTCHNOP_close, &close);
}

static inline void sched_yield(void)
{
	sched_op(SCHEDOP_yield, NULL);
}

#endif
