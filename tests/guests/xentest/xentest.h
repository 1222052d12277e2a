/* SPDX-License-Identifier: MIT */
/*
 * xentest: a freestanding x86-64 PVH guest that exercises the Xen hypercall
 * ABI as xkvm emulates it.  Shared declarations.
 */
#ifndef XENTEST_H
#define XENTEST_H

/* Without this the Xen headers describe the ABI of 2005 (interface version 0). */
#define __XEN_INTERFACE_VERSION__ 0x00040e00

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/event_channel.h>
#include <xen/features.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/hvm_vcpu.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#define PAGE_SHIFT    12
#define PAGE_SIZE     (1UL << PAGE_SHIFT)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The errno values Xen returns (negated), as in xen/errno.h. */
#define XEN_EPERM      1
#define XEN_ENOENT     2
#define XEN_ESRCH      3
#define XEN_EIO	       5
#define XEN_EFAULT     14
#define XEN_EEXIST     17
#define XEN_EINVAL     22
#define XEN_ENOSYS     38
#define XEN_EOPNOTSUPP 95
#define XEN_ETIMEDOUT  110

/* The per-vCPU event channel upcall vector we ask for. */
#define UPCALL_VECTOR	0xf3
#define SPURIOUS_VECTOR 0xff

/* Where xkvm puts the console and XenStore rings (its XEN_SPECIAL_PAGES_GPA). */
#define EXPECTED_CONSOLE_PFN 0xFEFF8
#define EXPECTED_STORE_PFN   0xFEFF9
#define EXPECTED_XEN_VERSION 0x00040011 /* 4.17 */

#define barrier()	 __asm__ volatile("" ::: "memory")
#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* What the boot and the checks found out; later checks build on it. */
struct guest {
	const struct hvm_start_info *start_info;
	bool debugcon;		    /* cmdline xentest.debugcon: also write to port 0xE9 */
	uint32_t cpuid_base;	    /* 0 if no Xen CPUID leaves */
	bool hypercalls;	    /* the hypercall page is filled in */
	struct shared_info *shared; /* NULL until mapped */
	bool upcall_vector_set;
	struct xencons_interface *console; /* NULL if CONSOLE_PFN unusable */
	evtchn_port_t console_port;
	struct xenstore_domain_interface *store; /* NULL if STORE_PFN unusable */
	evtchn_port_t store_port;
};
extern struct guest guest;

/* The frame entry.S's interrupt stubs build; field order is push order reversed. */
struct irq_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* entry.S */
int wrmsr_safe(uint32_t msr, uint64_t value);

/* arch.c: CPU, interrupts, time */
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
uint64_t rdmsr(uint32_t msr);
void read_control_regs(uint64_t *cr0, uint64_t *cr3, uint64_t *cr4);
void outb(uint16_t port, uint8_t v);
void outw(uint16_t port, uint16_t v);
void cpu_relax(void);
void idt_init(void);
void lapic_enable(void);
void mask_legacy_pic(void);
void consume_early_events(void);
void interrupts_on(void);
void interrupts_off(void);
void trigger_test_fault(void);
/* Upcalls and event channel ports the upcall handler has seen. */
uint32_t upcall_count(void);
uint32_t port_hits(evtchn_port_t port);
uint32_t unexpected_interrupts(void);

/*
 * Bounded waiting.  A deadline is measured in TSC cycles (the TSC rate comes
 * from the pvclock once the hypervisor provides one), so every wait ends even
 * if the hypervisor never answers or its clock is broken.
 */
struct deadline {
	uint64_t end_tsc;
};
struct deadline deadline_in_ms(uint32_t ms);
bool deadline_passed(const struct deadline *d);
/* Xen system time in ns from vcpu_info[0]'s pvclock; false if there is none yet. */
bool xen_system_time(uint64_t *ns);

/* output.c */
void out_hypercalls_ready(void);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int format(char *buf, size_t size, const char *fmt, va_list ap);
int format_str(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool console_ring_stalled(void);

/* lib.c: the C library bits we need (GCC may also call the mem* ones itself). */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
bool str_eq(const char *a, const char *b);
bool str_starts(const char *s, const char *prefix);

/* xenstore.c */
#define XS_REPLY_MAX XENSTORE_PAYLOAD_MAX
struct xs_reply {
	uint32_t type; /* XS_ERROR for an error reply; the error name is in body */
	uint32_t len;
	char body[XS_REPLY_MAX + 1]; /* NUL-terminated for convenience */
};
int xs_request(uint32_t type, const void *payload, uint32_t len, struct xs_reply *reply);
int xs_request_str(uint32_t type, const char *path, struct xs_reply *reply);
int xs_wait_watch_event(const char *path, const char *token, uint32_t timeout_ms);
bool xs_connection_lost(void);

/* xentest.c */
void power_off(unsigned reason) __attribute__((noreturn));

#endif
