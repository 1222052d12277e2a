/* SPDX-License-Identifier: MIT */
#include "xen/hypercall.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/log.h"
#include "xen/domain.h"
#include "xen/guest_access.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/sched.h>
#include <xen/version.h>

/* grant_table_op's command bits; the rest carries a continuation's argument. */
#define GNTTABOP_CMD_MASK ((1U << 12) - 1)
/* console_io takes at most this much per call (a hostile guest may pass 2 GiB), in chunks. */
#define CONSOLE_IO_MAX	 65536U
#define CONSOLE_IO_CHUNK 4096

/*
 * A 64-bit guest's pointer must be canonical (48-bit): KVM's page walk
 * ignores the upper bits, so 0xdead000000000000 would otherwise alias 0.
 */
static bool gva_ok(const struct hcall *h, uint64_t gva, size_t len)
{
	uint64_t last = gva + (len ? len - 1 : 0);

	if (last < gva)
		return false;
	if (!h->long_mode)
		return last <= UINT32_MAX;
	return (uint64_t)((int64_t)(gva << 16) >> 16) == gva &&
	       (uint64_t)((int64_t)(last << 16) >> 16) == last && (gva >> 47) == (last >> 47);
}

int hcall_read(struct hcall *h, uint64_t gva, void *dst, size_t len)
{
	if (!gva_ok(h, gva, len))
		return -EFAULT;
	return guest_virt_read(h->vcpu, gva, dst, len);
}

int hcall_write(struct hcall *h, uint64_t gva, const void *src, size_t len)
{
	if (!gva_ok(h, gva, len))
		return -EFAULT;
	return guest_virt_write(h->vcpu, gva, src, len);
}

static unsigned ulong_size(const struct hcall *h)
{
	return h->long_mode ? 8 : 4;
}

int hcall_read_ulong(struct hcall *h, uint64_t gva, uint64_t i, uint64_t *out)
{
	unsigned w = ulong_size(h);
	uint64_t v = 0;
	int r;

	if (i > UINT64_MAX / w || gva + i * w < gva)
		return -EFAULT;
	r = hcall_read(h, gva + i * w, &v, w);
	*out = v;
	return r;
}

int hcall_write_ulong(struct hcall *h, uint64_t gva, uint64_t i, uint64_t val)
{
	unsigned w = ulong_size(h);

	if (i > UINT64_MAX / w || gva + i * w < gva)
		return -EFAULT;
	return hcall_write(h, gva + i * w, &val, w);
}

void hcall_warn_once(struct hcall *h, unsigned nr, unsigned cmd, const char *what)
{
	unsigned bit = (nr * 8 + cmd) % 256;
	uint64_t mask = 1ULL << (bit % 64);

	if (__atomic_fetch_or(&h->xd->warned[bit / 64], mask, __ATOMIC_RELAXED) & mask)
		return;
	pr_warn("xen: %s (hypercall %u, command %u): refused", what, nr, cmd);
}

/* ---- xen_version ---- */

/* What Xen 4.17 tells an HVM/PVH domU (no PIRQs, translated, not direct-mapped). */
static uint32_t feature_submap0(void)
{
	return 1U << XENFEAT_memory_op_vnode_supported | 1U << XENFEAT_writable_page_tables |
	       1U << XENFEAT_auto_translated_physmap | 1U << XENFEAT_hvm_safe_pvclock |
	       1U << XENFEAT_hvm_callback_vector | 1U << XENFEAT_not_direct_mapped;
}

/* Xen 4.17 reports its own start even to HVM guests (0 for 32-bit HVM ones). */
#define HYPERVISOR_VIRT_START_64 0xFFFF800000000000ULL
/* What Xen gives an unprivileged guest in place of what XSM denies it. */
#define XEN_DENIED "<denied>"

static int64_t write_string(struct hcall *h, uint64_t gva, size_t size, const char *s)
{
	char buf[1024] = {0};

	if (size > sizeof(buf))
		return -EINVAL;
	strncpy(buf, s, size - 1);
	return hcall_write(h, gva, buf, size);
}

static int64_t hcall_xen_version(struct hcall *h)
{
	uint64_t arg = h->arg[1];

	switch (h->arg[0]) {
	case XENVER_version:
		return (XEN_EMU_MAJOR << 16) | XEN_EMU_MINOR;
	case XENVER_extraversion:
		return write_string(h, arg, sizeof(xen_extraversion_t), ".0-xkvm");
	case XENVER_changeset:
		return write_string(h, arg, sizeof(xen_changeset_info_t), "xkvm " XKVM_VERSION);
	case XENVER_capabilities:
		return write_string(h, arg, sizeof(xen_capabilities_info_t),
				    "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64");
	case XENVER_commandline:
		return hcall_write(h, arg, XEN_DENIED, sizeof(XEN_DENIED)) ? -EFAULT : 0;
	case XENVER_compile_info: {
		struct xen_compile_info ci = {0};

		strcpy(ci.compiler, "xkvm");
		strcpy(ci.compile_by, "xkvm");
		return hcall_write(h, arg, &ci, sizeof(ci));
	}
	case XENVER_platform_parameters:
		return hcall_write_ulong(h, arg, 0, h->long_mode ? HYPERVISOR_VIRT_START_64 : 0);
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (hcall_read(h, arg, &fi, sizeof(fi)))
			return -EFAULT;
		if (fi.submap_idx != 0)
			return -EINVAL;
		fi.submap = feature_submap0();
		return hcall_write(h, arg, &fi, sizeof(fi));
	}
	case XENVER_pagesize:
		return arg ? -EINVAL : 4096;
	case XENVER_guest_handle: {
		xen_domain_handle_t handle = {0};

		return hcall_write(h, arg, handle, sizeof(handle));
	}
	case XENVER_build_id:
		return -EPERM; /* Xen's policy refuses it to unprivileged guests */
	default:
		hcall_warn_once(h, __HYPERVISOR_xen_version, (unsigned)h->arg[0], "xen_version");
		return -ENOSYS;
	}
}

/* ---- sched_op ---- */

static int64_t sched_shutdown(struct hcall *h, uint64_t arg)
{
	struct sched_shutdown s;
	struct vm *vm = h->xd->vm;

	if (hcall_read(h, arg, &s, sizeof(s)))
		return -EFAULT;
	switch (s.reason) {
	case SHUTDOWN_poweroff:
		vm_request_stop(vm, VM_STOP_POWEROFF,
				"guest shut down (SCHEDOP_shutdown poweroff)");
		return 0;
	case SHUTDOWN_reboot:
		vm_request_stop(vm, VM_STOP_REBOOT, "guest rebooted (SCHEDOP_shutdown reboot)");
		return 0;
	case SHUTDOWN_crash:
	case SHUTDOWN_watchdog:
		vm_request_stop(vm, VM_STOP_CRASH, "guest crashed (SCHEDOP_shutdown %s)",
				s.reason == SHUTDOWN_crash ? "crash" : "watchdog");
		return 0;
	default:
		/* suspend and soft_reset need a toolstack that can restore/reset a domain. */
		hcall_warn_once(h, __HYPERVISOR_sched_op, 2 + s.reason, "SCHEDOP_shutdown reason");
		return -ENOSYS;
	}
}

/*
 * Only a device model may shut a domain down this way (XSM_DM_PRIV): domain
 * 0 and the guest itself exist and are refused, any other id does not exist.
 */
static int64_t remote_shutdown(struct hcall *h, uint64_t arg)
{
	struct sched_remote_shutdown r;

	if (hcall_read(h, arg, &r, sizeof(r)))
		return -EFAULT;
	return r.domain_id == 0 || r.domain_id == h->xd->domid ? -EPERM : -ESRCH;
}

static int64_t hcall_sched_op(struct hcall *h)
{
	switch (h->arg[0]) {
	case SCHEDOP_yield:
	case SCHEDOP_block:
	case SCHEDOP_poll:
		/* KVM polls in the kernel; a poll handed to us may wake spuriously. */
		sched_yield();
		return 0;
	case SCHEDOP_shutdown:
		return sched_shutdown(h, h->arg[1]);
	case SCHEDOP_shutdown_code: {
		struct sched_shutdown code;

		/* Xen records the code for the toolstack; ours reads the reason from the call. */
		return hcall_read(h, h->arg[1], &code, sizeof(code)) ? -EFAULT : 0;
	}
	case SCHEDOP_remote_shutdown:
		return remote_shutdown(h, h->arg[1]);
	case SCHEDOP_pin_override:
		return -EPERM; /* the hardware domain's only */
	default:
		hcall_warn_once(h, __HYPERVISOR_sched_op, (unsigned)h->arg[0], "sched_op");
		return -ENOSYS;
	}
}

/* ---- console_io ---- */

static int64_t hcall_console_io(struct hcall *h)
{
	uint8_t buf[CONSOLE_IO_CHUNK];
	uint64_t count = h->arg[1], gva = h->arg[2];

	/*
	 * XSM lets an unprivileged guest write (as a debug Xen does, and any Xen
	 * for a console domain: it helps debug guests) and nothing else.
	 */
	if (h->arg[0] != CONSOLEIO_write)
		return -EPERM;
	if (count > CONSOLE_IO_MAX) {
		hcall_warn_once(h, __HYPERVISOR_console_io, 0, "console_io write over 64 KiB");
		return -EINVAL;
	}
	while (count) {
		size_t n = count < sizeof(buf) ? count : sizeof(buf);

		if (hcall_read(h, gva, buf, n))
			return -EFAULT;
		if (h->xd->console_out)
			h->xd->console_out(h->xd->console_opaque, buf, n);
		gva += n;
		count -= n;
	}
	return 0;
}

/* ---- event_channel_op ---- */

static int64_t hcall_event_channel_op(struct hcall *h)
{
	union {
		struct evtchn_alloc_unbound alloc_unbound;
		struct evtchn_status status;
		uint8_t bytes[64];
	} arg;
	unsigned cmd = (unsigned)h->arg[0];
	size_t size = evtchn_op_arg_size(cmd);
	int r;

	if (!size) {
		hcall_warn_once(h, __HYPERVISOR_event_channel_op, cmd, "event_channel_op");
		return -ENOSYS;
	}
	if (hcall_read(h, h->arg[1], &arg, size))
		return -EFAULT;
	r = evtchn_op(&h->xd->evtchn, cmd, &arg, h->vcpu->index);
	if (!r && hcall_write(h, h->arg[1], &arg, size))
		return -EFAULT;
	return r;
}

/* ---- grant_table_op ---- */

/* A domain other than the guest: domain 0 exists but is not the guest's to ask about. */
static bool is_guest(const struct hcall *h, domid_t dom)
{
	return dom == DOMID_SELF || dom == h->xd->domid;
}

static int64_t gnttab_query_size(struct hcall *h, uint64_t gva)
{
	struct gnttab_query_size q;

	if (hcall_read(h, gva, &q, sizeof(q)))
		return -EFAULT;
	if (!is_guest(h, q.dom)) {
		q.status = q.dom == 0 ? GNTST_permission_denied : GNTST_bad_domain;
	} else {
		pthread_mutex_lock(&h->xd->gnttab.lock);
		q.nr_frames = h->xd->gnttab.nr_frames;
		pthread_mutex_unlock(&h->xd->gnttab.lock);
		q.max_nr_frames = GNTTAB_MAX_FRAMES;
		q.status = GNTST_okay;
	}
	return hcall_write(h, gva, &q, sizeof(q));
}

/*
 * Only version 1 tables are served: as a Xen domain created with
 * max_grant_version = 1.  Xen writes the version in force back whatever
 * the outcome.
 */
static int64_t gnttab_set_version(struct hcall *h, uint64_t gva)
{
	struct gnttab_set_version v;
	int64_t r = 0;

	if (hcall_read(h, gva, &v, sizeof(v)))
		return -EFAULT;
	if (v.version != 1 && v.version != 2)
		r = -EINVAL;
	else if (v.version == 2)
		r = -ENOSYS;
	v.version = 1;
	return hcall_write(h, gva, &v, sizeof(v)) ? -EFAULT : r;
}

static int64_t gnttab_get_version(struct hcall *h, uint64_t gva)
{
	struct gnttab_get_version v;

	if (hcall_read(h, gva, &v, sizeof(v)))
		return -EFAULT;
	if (!is_guest(h, v.dom))
		return v.dom == 0 ? -EPERM : -ESRCH;
	v.version = 1;
	return hcall_write(h, gva, &v, sizeof(v));
}

static int64_t hcall_grant_table_op(struct hcall *h)
{
	unsigned cmd = (unsigned)(h->arg[0] & GNTTABOP_CMD_MASK);
	uint32_t count = (uint32_t)h->arg[2];

	/* Above the command Xen keeps a continuation's argument, for cache_flush only. */
	if ((int32_t)count < 0 ||
	    ((h->arg[0] & ~(uint64_t)GNTTABOP_CMD_MASK) && cmd != GNTTABOP_cache_flush))
		return -EINVAL;
	switch (cmd) {
	case GNTTABOP_query_size:
		return count == 1 ? gnttab_query_size(h, h->arg[1]) : -EINVAL;
	case GNTTABOP_set_version:
		return gnttab_set_version(h, h->arg[1]);
	case GNTTABOP_get_version:
		return gnttab_get_version(h, h->arg[1]);
	default:
		/* map/copy/transfer are for privileged domains; setup_table for PV ones. */
		hcall_warn_once(h, __HYPERVISOR_grant_table_op, cmd, "grant_table_op");
		return -ENOSYS;
	}
}

/* ---- dispatch ---- */

int64_t xen_hypercall(struct hcall *h, unsigned nr)
{
	switch (nr) {
	case __HYPERVISOR_xen_version:
		return hcall_xen_version(h);
	case __HYPERVISOR_memory_op:
		return hcall_memory_op(h);
	case __HYPERVISOR_hvm_op:
		return hcall_hvm_op(h);
	case __HYPERVISOR_vcpu_op:
		return hcall_vcpu_op(h);
	case __HYPERVISOR_event_channel_op:
		return hcall_event_channel_op(h);
	case __HYPERVISOR_grant_table_op:
		return hcall_grant_table_op(h);
	case __HYPERVISOR_sched_op:
		return hcall_sched_op(h);
	case __HYPERVISOR_console_io:
		return hcall_console_io(h);
	case __HYPERVISOR_vm_assist:
		/* No assists (e.g. the runstate update flag) are offered; Linux copes. */
		return -EINVAL;
	default:
		hcall_warn_once(h, nr, 0, "unknown hypercall");
		return -ENOSYS;
	}
}

/* KVM tracks the guest's ABI width for shared_info; follow the mode it calls us in. */
static void follow_long_mode(struct xen_domain *xd, bool long_mode)
{
	struct kvm_xen_hvm_attr a = {.type = KVM_XEN_ATTR_TYPE_LONG_MODE};

	/* Every hypercall passes here: the mode almost never changes, so look before locking. */
	if (__atomic_load_n(&xd->long_mode, __ATOMIC_ACQUIRE) == long_mode)
		return;
	pthread_mutex_lock(&xd->lock);
	if (xd->long_mode != long_mode) {
		a.u.long_mode = long_mode;
		if (ioctl(xd->vm->vm_fd, KVM_XEN_HVM_SET_ATTR, &a) == 0)
			__atomic_store_n(&xd->long_mode, long_mode, __ATOMIC_RELEASE);
		evtchn_set_long_mode(&xd->evtchn, long_mode);
	}
	pthread_mutex_unlock(&xd->lock);
}

bool xen_handle_exit(struct vcpu *vcpu)
{
	struct kvm_xen_exit *x = &vcpu->run->xen;
	struct hcall h = {.xd = vm_personality_opaque(vcpu->vm, &xen_personality), .vcpu = vcpu};

	if (x->type != KVM_EXIT_XEN_HCALL || !h.xd) {
		vm_request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: unexpected Xen exit type %u",
				vcpu->index, x->type);
		return false;
	}
	h.long_mode = x->u.hcall.longmode;
	for (int i = 0; i < 6; i++)
		h.arg[i] = h.long_mode ? x->u.hcall.params[i] : (uint32_t)x->u.hcall.params[i];
	/* Hypercalls are for the guest kernel only, as on Xen. */
	if (x->u.hcall.cpl != 0) {
		x->u.hcall.result = (uint64_t)-EPERM;
	} else {
		follow_long_mode(h.xd, h.long_mode);
		xen_vcpu_seen_running(h.xd, vcpu->index);
		x->u.hcall.result = (uint64_t)xen_hypercall(&h, (unsigned)x->u.hcall.input);
	}
	/* A 32-bit guest's result is its eax, refusals included. */
	if (!h.long_mode)
		x->u.hcall.result = (uint32_t)x->u.hcall.result;
	return true;
}

/* Core hands over every exit it does not know; only KVM_EXIT_XEN is ours. */
static bool xen_exit(void *opaque, struct vcpu *vcpu)
{
	(void)opaque; /* xen_handle_exit finds it again, as tests call it directly */
	if (vcpu->run->exit_reason == KVM_EXIT_XEN)
		return xen_handle_exit(vcpu);
	vm_request_stop(vcpu->vm, VM_STOP_ERROR, "vCPU %u: unexpected KVM exit reason %u",
			vcpu->index, vcpu->run->exit_reason);
	return false;
}

const struct vm_personality xen_personality = {
    .name = "xen",
    .handle_exit = xen_exit,
};
