/* SPDX-License-Identifier: MIT */
/*
 * Which system calls each thread kind makes at run time, found with
 * `strace -f` of Linux guests with a disk, a NIC and hvc0 (managed and in
 * the foreground) and kept minimal: a call belongs here only with the
 * code path that needs it.  Everything a VMM opens (KVM, images, TAP,
 * sockets) it opens before it is confined, so no thread opens files but
 * the main one, for its exit file.
 */
#include "core/seccomp_policy.h"
#include "lib/util.h"

#define MAIN	(1u << SANDBOX_MAIN)
#define VCPU	(1u << SANDBOX_VCPU)
#define IO	(1u << SANDBOX_IO)
#define CONTROL (1u << SANDBOX_CONTROL)
#define XEN	(1u << SANDBOX_XEN)
#define SETUP	SANDBOX_SETUP

const struct seccomp_rule seccomp_rules[] = {
    /* Every thread: memory (malloc), locks, its end, the SIGSYS report. */
    {"read", SANDBOX_ALL, false},
    {"write", SANDBOX_ALL, false},
    {"futex", SANDBOX_ALL, false},
    {"mmap", SANDBOX_ALL, false},
    {"munmap", SANDBOX_ALL, false},
    {"mprotect", SANDBOX_ALL, false},
    {"madvise", SANDBOX_ALL, false},
    {"brk", SANDBOX_ALL, false},
    {"rt_sigprocmask", SANDBOX_ALL, false},
    {"exit", SANDBOX_ALL, false},
    {"exit_group", SANDBOX_ALL, false},
    {"restart_syscall", SANDBOX_ALL, false},
    {"clock_gettime", SANDBOX_ALL, false}, /* where the vDSO falls back to the kernel */
    {"clock_nanosleep", SANDBOX_ALL, false},
    {"nanosleep", SANDBOX_ALL, false},
    {"sched_yield", SANDBOX_ALL, false},
    {"gettid", SANDBOX_ALL, false},
    {"getpid", SANDBOX_ALL, false},
    /* Waiting on descriptors (eventfds, sockets, pipes, signalfd). */
    {"poll", MAIN | IO | CONTROL | XEN, false},
    {"ppoll", MAIN | IO | CONTROL | XEN, false},
    /* vCPU: Xen's unplug protocol (a port write) closes the emulated disk's image. */
    {"close", MAIN | VCPU | CONTROL | XEN, false},
    /*
     * KVM: KVM_RUN and vCPU state; event channels and IRQs (backends, console
     * input).  Xen service: a vif's TAP offloads and queues when its frontend
     * connects (TUNSETOFFLOAD, TUNSETQUEUE).  A multi-queue vif's I/O
     * threads, one per queue, make the calls a single queue's thread does.
     */
    {"ioctl", SANDBOX_ALL, false},
    /* Kicking a vCPU out of KVM_RUN (SIGUSR1), and returning from the kick. */
    {"tgkill", SANDBOX_ALL, true},
    {"rt_sigreturn", SANDBOX_ALL, false},
    /*
     * Disk images and TAP devices.  An emulated disk (IDE) reads and writes
     * its image on the vCPU thread that issued the command; an emulated NIC
     * sends a frame, after its virtio_net_hdr, from the vCPU thread that
     * handed it over.
     */
    {"pread64", IO, false},
    {"pwrite64", IO, false},
    {"preadv", IO | VCPU, false},
    {"pwritev", IO | VCPU, false},
    {"readv", IO, false},
    {"writev", IO | VCPU, false},
    {"fsync", MAIN | IO, false},
    {"fdatasync", IO | VCPU, false},
    {"fallocate", IO | VCPU, false}, /* discard: punching holes */
    /*
     * blkback's io_uring (block/disk_aio.c): the ring is set up, restricted
     * to READV/WRITEV/FSYNC/FALLOCATE and enabled before confinement, so
     * the I/O thread only submits and waits.  Those operations are the
     * file reads and writes above, on descriptors the VMM already holds.
     * io_uring_setup and io_uring_register stay forbidden.
     */
    {"io_uring_enter", IO, false},
    /*
     * Sockets: XenStore clients, the console and control clients; the
     * console's thread sends guest output with MSG_DONTWAIT when out_fd is
     * a socket (devices/console.c: it never waits on the reader).
     */
    {"accept4", CONTROL | XEN, false},
    {"recvfrom", CONTROL | XEN, false},
    {"sendto", CONTROL | XEN, false},
    /* The Xen service starts a backend's thread when its frontend connects. */
    {"eventfd2", XEN, false},
    {"clone3", XEN, false},
    {"clone", XEN, false},
    {"set_robust_list", XEN | SETUP, false},
    {"rseq", XEN | SETUP, false},
    /* The exit file (written then renamed) and the sockets' removal at the end. */
    {"openat", MAIN, false},
    {"renameat", MAIN, false},
    {"renameat2", MAIN, false},
    {"unlinkat", MAIN, false},
    {"unlink", MAIN, false}, /* the XenStore socket's path (refused: not our directory) */
    /* A thread narrowing itself to its own list (libseccomp's seccomp_load). */
    {"seccomp", SETUP, false},
    {"prctl", SETUP, false},
};

const size_t seccomp_nr_rules = ARRAY_SIZE(seccomp_rules);

const char *sandbox_thread_name(enum sandbox_thread kind)
{
	static const char *const names[] = {[SANDBOX_MAIN] = "main",
					    [SANDBOX_VCPU] = "vcpu",
					    [SANDBOX_IO] = "io",
					    [SANDBOX_CONTROL] = "control",
					    [SANDBOX_XEN] = "xen"};

	return (unsigned)kind < ARRAY_SIZE(names) ? names[kind] : "other";
}
