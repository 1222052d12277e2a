/* SPDX-License-Identifier: MIT */
/*
 * Setting up a VM's Xen personality: KVM's Xen support, the special pages,
 * the guest's XenStore tree, and a thread that serves the store and
 * console rings when the guest signals them.
 */
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/xen_console.h"
#include "lib/log.h"
#include "lib/util.h"
#include "xen/domain.h"
#include "xen/hypercall.h"
#include "xen/xs_ring.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

/* What we need from KVM's Xen support; the rest is optional. */
#define KVM_XEN_REQUIRED                                                                           \
	(KVM_XEN_HVM_CONFIG_HYPERCALL_MSR | KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL |                   \
	 KVM_XEN_HVM_CONFIG_SHARED_INFO | KVM_XEN_HVM_CONFIG_EVTCHN_SEND)
#define XEN_HYPERCALL_MSR 0x40000000U
/*
 * How often the service thread looks for vCPUs that KVM left asleep in
 * SCHEDOP_poll with an event pending (see watch_pollers): the longest a
 * poller waits for an event KVM raised in the kernel.
 */
#define POLL_WATCH_MS 10

static const struct xs_quota guest_quota = {
    .max_nodes = 1000,
    .max_watches = 128,
    .max_transactions = 10,
    .max_value_len = 2048,
    .max_output_msgs = 1024,
};

static int configure_kvm(struct vm *vm)
{
	int caps = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM);
	struct kvm_xen_hvm_config cfg = {
	    .flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL | KVM_XEN_HVM_CONFIG_EVTCHN_SEND,
	    .msr = XEN_HYPERCALL_MSR,
	};
	struct kvm_xen_hvm_attr version = {.type = KVM_XEN_ATTR_TYPE_XEN_VERSION};

	if (caps < 0 || (caps & KVM_XEN_REQUIRED) != KVM_XEN_REQUIRED) {
		pr_err(
		    "this host's KVM lacks Xen guest support (KVM_CAP_XEN_HVM = %d; Linux 5.19 or "
		    "later with CONFIG_KVM_XEN is needed)",
		    caps);
		return -ENOTSUP;
	}
	if (ioctl(vm->vm_fd, KVM_XEN_HVM_CONFIG, &cfg) < 0) {
		pr_err("KVM_XEN_HVM_CONFIG: %s", strerror(errno));
		return -errno;
	}
	version.u.xen_version = (XEN_EMU_MAJOR << 16) | XEN_EMU_MINOR;
	if (ioctl(vm->vm_fd, KVM_XEN_HVM_SET_ATTR, &version) < 0) {
		pr_err("KVM_XEN_ATTR_TYPE_XEN_VERSION: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int node(struct xen_domain *xd, const char *rel, const char *value, bool guest_writes)
{
	char path[128], owner[16], reader[16];
	const char *perms[2] = {owner, reader};
	int r;

	snprintf(path, sizeof(path), "/local/domain/%u%s%s", xd->domid, *rel ? "/" : "", rel);
	/* Owner first; the owner's entry also says what others may do (nothing). */
	snprintf(owner, sizeof(owner), "n%u", guest_writes ? (unsigned)xd->domid : 0U);
	snprintf(reader, sizeof(reader), "r%u", xd->domid);
	r = value ? xs_write(xd->xs, path, value) : xs_mkdir(xd->xs, path);
	if (!r)
		r = xs_set_perms(xd->xs, path, perms, guest_writes ? 1 : 2);
	return r;
}

/* The nodes a Xen toolstack creates for a new domain. */
static int write_initial_nodes(struct xen_domain *xd, const struct xen_domain_params *p)
{
	char buf[32];
	int r = 0;

	r |= xs_write(xd->xs, "/local/domain/0/name", "Domain-0");
	r |= xs_write(xd->xs, "/local/domain/0/domid", "0");
	r |= node(xd, "", NULL, false);
	snprintf(buf, sizeof(buf), "%u", xd->domid);
	r |= node(xd, "domid", buf, false);
	r |= node(xd, "name", p->name, false);
	r |= node(xd, "control", NULL, false);
	r |= node(xd, "control/shutdown", "", true);
	r |= node(xd, "control/feature-poweroff", "", true);
	r |= node(xd, "control/feature-reboot", "", true);
	r |= node(xd, "control/feature-suspend", "", true);
	r |= node(xd, "control/sysrq", "", true);
	r |= node(xd, "control/platform-feature-multiprocessor-suspend", "1", false);
	r |= node(xd, "control/platform-feature-xs_reset_watches", "1", false);
	r |= node(xd, "device", NULL, true);
	r |= node(xd, "data", NULL, true);
	r |= node(xd, "drivers", NULL, true);
	r |= node(xd, "attr", NULL, true);
	r |= node(xd, "error", NULL, true);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)p->memory_kib);
	r |= node(xd, "memory/static-max", buf, false);
	r |= node(xd, "memory/target", buf, false);
	snprintf(buf, sizeof(buf), "%d", xd->store_port);
	r |= node(xd, "store/port", buf, false);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)XEN_STORE_PFN);
	r |= node(xd, "store/ring-ref", buf, false);
	snprintf(buf, sizeof(buf), "%d", xd->console_port);
	r |= node(xd, "console/port", buf, false);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)XEN_CONSOLE_PFN);
	r |= node(xd, "console/ring-ref", buf, false);
	r |= node(xd, "console/type", "xenconsoled", false);
	r |= node(xd, "console/output", "pty", false);
	r |= node(xd, "console/limit", "1048576", false);
	for (unsigned i = 0; i < p->nr_vcpus; i++) {
		char rel[48];

		snprintf(rel, sizeof(rel), "cpu/%u/availability", i);
		r |= node(xd, rel, "online", false);
	}
	return r ? -EIO : 0;
}

static void notify_store(void *opaque)
{
	struct xen_domain *xd = opaque;

	evtchn_notify_guest(&xd->evtchn, (evtchn_port_t)xd->store_port);
}

static int make_rings(struct xen_domain *xd)
{
	int err = 0;

	xd->special_pages =
	    vm_map_overlay(xd->vm, XEN_SPECIAL_PAGES_GPA, XEN_NR_SPECIAL_PAGES * 4096ULL, &err);
	if (!xd->special_pages) {
		pr_err("cannot place Xen's console and XenStore pages: %s", strerror(-err));
		return err;
	}
	/* Reported reserved in the e820 map, as hvmloader does. */
	xd->vm->mem.reserved_gpa = XEN_SPECIAL_PAGES_GPA;
	xd->vm->mem.reserved_size = XEN_NR_SPECIAL_PAGES * 4096ULL;
	xd->console_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	xd->store_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	xd->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (xd->console_efd < 0 || xd->store_efd < 0 || xd->stop_efd < 0)
		return -errno;
	xd->console_port = evtchn_alloc_backend_port(&xd->evtchn, xd->console_efd);
	xd->store_port = evtchn_alloc_backend_port(&xd->evtchn, xd->store_efd);
	if (xd->console_port < 0 || xd->store_port < 0)
		return -ENOSPC;
	/* What a Xen toolstack leaves in the guest's HVM parameters. */
	xd->hvm_params[HVM_PARAM_STORE_PFN] = XEN_STORE_PFN;
	xd->hvm_params[HVM_PARAM_STORE_EVTCHN] = (uint64_t)xd->store_port;
	xd->hvm_params[HVM_PARAM_CONSOLE_PFN] = XEN_CONSOLE_PFN;
	xd->hvm_params[HVM_PARAM_CONSOLE_EVTCHN] = (uint64_t)xd->console_port;
	xd->console = calloc(1, sizeof(*xd->console));
	if (!xd->console)
		return -ENOMEM;
	xen_console_init(xd->console, xd,
			 xd->special_pages + (XEN_CONSOLE_PFN << 12) - XEN_SPECIAL_PAGES_GPA);
	xd->xs_ring =
	    xs_ring_new(xd->xs, xd->domid,
			(void *)(xd->special_pages + (XEN_STORE_PFN << 12) - XEN_SPECIAL_PAGES_GPA),
			notify_store, xd);
	return xd->xs_ring ? 0 : -ENOMEM;
}

void xen_callback_update(struct xen_domain *xd)
{
	bool level;

	if (!xen_callback_line_chosen(&xd->callback))
		return;
	/* As on Xen: a vCPU 0 with its own upcall vector takes its events there. */
	level = xd->nr_vcpus && !xd->vcpus[0].upcall_vector && xen_vcpu0_upcall_pending(xd);
	xen_callback_line_sync(&xd->callback, level);
}

static void callback_raised(void *opaque)
{
	xen_callback_update(opaque);
}

struct xen_domain *xen_domain_create(struct vm *vm, const struct xen_domain_params *p)
{
	struct xen_domain *xd = calloc(1, sizeof(*xd));

	if (!xd)
		return NULL;
	xd->vm = vm;
	xd->domid = p->domid;
	xd->name = p->name;
	xd->shared_info_gfn = UINT64_MAX;
	xd->long_mode = false; /* KVM's default until the guest's first hypercall says otherwise */
	xd->console_efd = xd->store_efd = xd->stop_efd = -1;
	pthread_mutex_init(&xd->lock, NULL);
	evtchn_init(&xd->evtchn, vm, p->domid);
	xd->evtchn.long_mode = true;
	xen_callback_line_init(&xd->callback);
	xd->evtchn.raised = callback_raised;
	xd->evtchn.raised_opaque = xd;
	gnttab_init(&xd->gnttab, &vm->mem);
	xd->gnttab.place_outside_ram = xen_place_page;
	xd->gnttab.place_opaque = xd;
	xd->nr_vcpus = p->nr_vcpus;
	xd->vcpus = calloc(p->nr_vcpus, sizeof(*xd->vcpus));
	xd->xs = xs_store_new(&guest_quota);
	vm_set_personality(vm, &xen_personality, xd);
	if (!xd->vcpus || !xd->xs || configure_kvm(vm) || make_rings(xd) ||
	    write_initial_nodes(xd, p)) {
		xen_domain_destroy(xd);
		return NULL;
	}
	return xd;
}

int xen_vcpu_setup(struct xen_domain *xd, struct vcpu *vcpu)
{
	struct kvm_xen_vcpu_attr a = {.type = KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID};

	/* Xen numbers vCPUs 0..n-1, which is also their APIC id here. */
	a.u.vcpu_id = vcpu->index;
	if (vcpu->index < xd->nr_vcpus) {
		xd->vcpus[vcpu->index].initialised = vcpu->index == 0;
		xd->vcpus[vcpu->index].down = vcpu->index != 0;
	}
	if (ioctl(vcpu->fd, KVM_XEN_VCPU_SET_ATTR, &a) < 0) {
		pr_err("KVM_XEN_VCPU_ATTR_TYPE_VCPU_ID: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static bool drain(int efd)
{
	uint64_t count;

	return read(efd, &count, sizeof(count)) == sizeof(count);
}

/*
 * KVM runs SCHEDOP_poll in the kernel, and events it raises there itself
 * (a guest's send on an IPI or loopback port, its Xen timer) do not wake a
 * poller whose selector bit is already set, or that has a per-vCPU upcall
 * vector and interrupts off.  The VMM cannot see those events as they
 * happen (its own deliveries kick at once: evtchn.c raise_port), so it
 * looks: a vCPU that had an unmasked event pending at the last look and
 * still has one, without having left KVM_RUN in between, is kicked.  A
 * poller then returns 0 and finds its port pending; a vCPU that was not
 * polling just re-enters.  The only cost is a scan of the pending bitmap
 * every POLL_WATCH_MS while shared_info is mapped.
 */
static void watch_pollers(struct xen_domain *xd)
{
	uint64_t with_events = evtchn_vcpus_with_events(&xd->evtchn);

	for (unsigned i = 0; i < xd->nr_vcpus && i < 64; i++) {
		struct xen_vcpu_state *s = &xd->vcpus[i];
		struct vcpu *v = xd->vm->vcpus[i];
		bool has_event = (with_events >> i) & 1;
		uint64_t runs;

		if (!v)
			continue;
		runs = __atomic_load_n(&v->runs, __ATOMIC_RELAXED);
		if (has_event && s->event_seen && runs == s->runs_seen)
			vcpu_kick(v);
		s->event_seen = has_event;
		s->runs_seen = runs;
	}
}

/*
 * How long the service may sleep: a callback line that is high is looked
 * at every millisecond (the guest clears upcall_pending in its handler and
 * the line must follow, or its EOI finds it still high), one that is low
 * or the poll watch every POLL_WATCH_MS; nothing to watch, for ever.
 */
static int service_timeout(struct xen_domain *xd, bool events_mapped)
{
	if (xen_callback_line_chosen(&xd->callback))
		return xen_callback_line_high(&xd->callback) ? 1 : POLL_WATCH_MS;
	return events_mapped ? POLL_WATCH_MS : -1;
}

static void *service_thread(void *arg)
{
	struct xen_domain *xd = arg;
	long long last_watch = 0;

	for (;;) {
		struct pollfd fds[3] = {{.fd = xd->stop_efd, .events = POLLIN},
					{.fd = xd->store_efd, .events = POLLIN},
					{.fd = xd->console_efd, .events = POLLIN}};
		bool events_mapped = __atomic_load_n(&xd->evtchn.shared_info, __ATOMIC_RELAXED);
		int n = poll(fds, 3, service_timeout(xd, events_mapped));

		if (n < 0 && errno != EINTR)
			break;
		xen_callback_update(xd);
		if (events_mapped && monotonic_ms() - last_watch >= POLL_WATCH_MS) {
			watch_pollers(xd);
			last_watch = monotonic_ms();
		}
		if (fds[0].revents)
			break;
		if (fds[1].revents && drain(xd->store_efd))
			xs_ring_kick(xd->xs_ring);
		if (fds[2].revents && drain(xd->console_efd))
			xen_console_kick(xd->console);
	}
	return NULL;
}

int xen_domain_start(struct xen_domain *xd)
{
	int r = pthread_create(&xd->service_thread, NULL, service_thread, xd);

	if (r) {
		pr_err("cannot start the Xen service thread: %s", strerror(r));
		return -r;
	}
	xd->service_started = true;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void xen_domain_stop(struct xen_domain *xd)
{
	uint64_t one = 1;

	if (!xd || !xd->service_started)
		return;
	if (write(xd->stop_efd, &one, sizeof(one)) != sizeof(one))
		pr_warn("xen: cannot stop the service thread");
	pthread_join(xd->service_thread, NULL);
	xd->service_started = false;
}

void xen_domain_destroy(struct xen_domain *xd)
{
	if (!xd)
		return;
	xen_domain_stop(xd);
	if (xd->xs_ring)
		xs_ring_free(xd->xs_ring);
	if (xd->console) {
		xen_console_destroy(xd->console);
		free(xd->console);
	}
	if (xd->xs)
		xs_store_free(xd->xs);
	close_fd(&xd->console_efd);
	close_fd(&xd->store_efd);
	close_fd(&xd->stop_efd);
	gnttab_destroy(&xd->gnttab);
	evtchn_destroy(&xd->evtchn);
	xen_callback_line_destroy(&xd->callback);
	if (vm_personality_opaque(xd->vm, &xen_personality) == xd)
		vm_set_personality(xd->vm, NULL, NULL);
	free(xd->vcpus);
	free(xd->unpopulated);
	pthread_mutex_destroy(&xd->lock);
	free(xd);
}

bool xen_request_shutdown(struct xen_domain *xd, const char *how)
{
	char path[64];
	char *feature;
	bool supported;

	snprintf(path, sizeof(path), "/local/domain/%u/control/feature-%s", xd->domid, how);
	feature = xs_read(xd->xs, path);
	supported = feature && strcmp(feature, "1") == 0;
	free(feature);
	if (!supported)
		return false;
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", xd->domid);
	return xs_write(xd->xs, path, how) == 0;
}
