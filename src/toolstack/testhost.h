/* SPDX-License-Identifier: MIT */
/*
 * The KVM test host: Debian's QEMU (TCG) emulating an AMD CPU with SVM
 * and nested paging, booting Debian's kernel with kvm-amd, the host's
 * root shared read-only over 9p.  A command given here runs inside it,
 * in the same directory, with the console on our terminal, and its exit
 * status comes back.  Files tools/guest-assets prepared are its kernel
 * and initramfs; tools/testhost/init and testhost_agent.c run inside.
 */
#ifndef XKVM_TOOLSTACK_TESTHOST_H
#define XKVM_TOOLSTACK_TESTHOST_H

#include <stddef.h>
#include <stdint.h>

struct testhost_opts {
	unsigned cpus;		    /* vCPUs of the test host */
	uint64_t memory_mib;	    /* its RAM: the nested guests' RAM plus overhead */
	const char *const *rw_dirs; /* host directories the command may write */
	unsigned nr_rw_dirs;
	/* Forward 127.0.0.1:forward_port here to the same port inside (0: no network). */
	uint16_t forward_port;
};

/* The test host's address on its private network (QEMU's user network). */
#define TESTHOST_NET_ADDR "10.0.2.15/24"

/*
 * One vCPU: with two, QEMU's multi-threaded TCG races with the test host
 * kernel's live code patching (KVM flips static keys as VMs come and go),
 * seen as an int3 Oops in kvm_arch_vcpu_ioctl_run.  Nested guests may still
 * have several vCPUs; KVM time-slices them.
 */
#define TESTHOST_DEFAULT_CPUS 1

/*
 * The agent inside touches <job>/heartbeat every TESTHOST_HEARTBEAT_SECONDS;
 * a test host silent for TESTHOST_WEDGE_SECONDS (or the number in the
 * environment variable XKVM_TESTHOST_WEDGE_SECONDS) is declared wedged and
 * stopped.  Generous: a loaded 2-core machine slows TCG down a lot.  The
 * beat is short because a late one is nudged after three (testhost.c): a
 * test host that lost its timer interrupt then stalls for less than the
 * 20 s after which its nested guests report a soft lockup.
 */
#define TESTHOST_HEARTBEAT_SECONDS 2
#define TESTHOST_WEDGE_SECONDS	   300

/* RAM the test host itself needs beside its guests. */
#define TESTHOST_OVERHEAD_MIB 768
#define TESTHOST_MIN_MIB      1024

/*
 * Run argv (argv[0] is looked up in PATH inside) in the test host.
 * Returns the command's exit status (0-255, 128+N for signal N), or -1
 * when the test host could not run it (the reason has been logged).
 */
int testhost_run(char *const argv[], const struct testhost_opts *opts);

/* Directory holding the test host's kernel and initramfs (for messages and tools). */
int testhost_assets_dir(char *buf, size_t len);

/* Inside the test host: the agent that init executes (see testhost_agent.c). */
int testhost_agent_main(const char *job_dir);

#endif
