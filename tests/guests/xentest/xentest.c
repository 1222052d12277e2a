/* SPDX-License-Identifier: MIT */
/*
 * xentest's checks of the Xen ABI, run in order; later checks build on what
 * earlier ones set up (hypercall page, shared_info, upcall vector, rings) and
 * report "skipped" failures when that is missing.  Each check prints one line,
 *   xentest: PASS <name>
 *   xentest: FAIL <name>: <detail>[; <detail>...]
 * and the run ends with "xentest: <N> passed, <M> failed" and a shutdown.
 */
#include "hypercall.h"

#define CMDLINE_MAX 2048

#define XEN_CPUID_BASE_EXPECTED 0x40000000
#define XEN_CPUID_BASE_LAST	0x40010000 /* hypervisors may move their leaves up */
#define HYPERCALL_MSR_DEFAULT	0x40000000 /* Xen's, for when CPUID does not say */

#define ACPI_PM1A_CNT_PORT 0x604
#define ACPI_PM1_SLP_S5	   ((5 << 10) | (1 << 13)) /* SLP_TYP 5 (xkvm's \_S5), SLP_EN */
#define QEMU_DEBUG_EXIT	   0xf4

#define EVENT_TIMEOUT_MS       1000
#define NO_EVENT_WINDOW_MS     50 /* how long a masked port must stay quiet */
#define TIMER_DELAY_NS	       20000000ULL
#define TIMER_EARLY_SLACK_NS   5000000ULL
#define BOGUS_PARAM_INDEX      1000
#define UNKNOWN_HYPERCALL      50
#define BAD_GUEST_POINTER      ((void *)0xdead000000000000ULL)
#define UNMAPPED_GUEST_POINTER ((void *)0x0000700000000000ULL)
#define GRANT_REF_UNDER_TEST   8
#define POLL_TIMEOUT_NS	       1000000000ULL /* absolute, as Xen reads it: 1 s from now */
#define POLL_EVENT_NS	       10000000ULL   /* the timer that should end the poll */
#define POLL_LATE_NS	       500000000ULL  /* a poll this late after its event slept through it */
#define POLL_ROUNDS	       3
#define POLL_MAX_PORTS	       128 /* Xen's limit */
#define MSR_EFER	       0xc0000080
#define AP_WAIT_MS	       2000

struct guest guest;

/* Pages we hand to the hypervisor; identity-mapped, so virtual == physical. */
#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))
uint8_t hypercall_page[PAGE_SIZE] PAGE_ALIGNED;
static uint8_t shared_info_page[PAGE_SIZE] PAGE_ALIGNED;
static uint8_t grant_table_page[PAGE_SIZE] PAGE_ALIGNED;
static uint8_t granted_page[PAGE_SIZE] PAGE_ALIGNED;
static uint8_t spare_page[PAGE_SIZE] PAGE_ALIGNED;
static uint8_t balloon_page[PAGE_SIZE] PAGE_ALIGNED; /* given back and taken again */

static struct {
	bool crash, reboot, fault;
} options;

static uint32_t hypercall_msr;
static unsigned nr_passed, nr_failed;

static uint64_t pfn_of(const void *p)
{
	return (uint64_t)p >> PAGE_SHIFT;
}

/* ---- reporting ---- */

struct check {
	const char *name;
	char detail[200];
	size_t len;
	bool failed;
};

static void check_begin(struct check *c, const char *name)
{
	*c = (struct check){.name = name};
}

/* Record a failure unless ok; returns ok so callers can stop early. */
static bool __attribute__((format(printf, 3, 4)))
expect(struct check *c, bool ok, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ok)
		return true;
	if (c->failed && c->len + 2 < sizeof(c->detail)) {
		c->detail[c->len++] = ';';
		c->detail[c->len++] = ' ';
	}
	c->failed = true;
	if (c->len + 1 < sizeof(c->detail)) {
		va_start(ap, fmt);
		n = format(c->detail + c->len, sizeof(c->detail) - c->len, fmt, ap);
		va_end(ap);
		c->len += (size_t)n;
		if (c->len >= sizeof(c->detail))
			c->len = sizeof(c->detail) - 1;
	}
	return false;
}

/* A prerequisite from an earlier check. */
static bool need(struct check *c, bool have, const char *what)
{
	return expect(c, have, "skipped: %s", what);
}

static bool check_end(struct check *c)
{
	if (c->failed) {
		nr_failed++;
		say("FAIL %s: %s", c->name, c->detail);
	} else {
		nr_passed++;
		say("PASS %s", c->name);
	}
	return !c->failed;
}

/* ---- boot ---- */

static bool cmdline_has(const char *cmdline, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cmdline; *p;) {
		size_t len = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		while (p[len] && p[len] != ' ' && p[len] != '\t')
			len++;
		if (len == n && memcmp(p, word, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static bool start_info_valid(void)
{
	return guest.start_info && guest.start_info->magic == XEN_HVM_START_MAGIC_VALUE;
}

/* A copy, so an unterminated or oversized command line cannot run us off. */
static const char *cmdline(void)
{
	static char buf[CMDLINE_MAX];
	const char *src;
	size_t i;

	if (!start_info_valid() || !guest.start_info->cmdline_paddr ||
	    guest.start_info->cmdline_paddr >= (1ULL << 32))
		return "";
	src = (const char *)guest.start_info->cmdline_paddr;
	for (i = 0; i + 1 < sizeof(buf) && src[i]; i++)
		buf[i] = src[i];
	buf[i] = '\0';
	return buf;
}

static void parse_cmdline(void)
{
	const char *cl = cmdline();

	guest.debugcon = cmdline_has(cl, "xentest.debugcon");
	options.crash = cmdline_has(cl, "xentest.crash");
	options.reboot = cmdline_has(cl, "xentest.reboot");
	options.fault = cmdline_has(cl, "xentest.fault");
}

static void check_start_info(void)
{
	struct check c;

	check_begin(&c, "start_info");
	if (expect(&c, start_info_valid(), "no hvm_start_info magic at %p", guest.start_info))
		expect(&c, guest.start_info->version >= 1, "version %u", guest.start_info->version);
	check_end(&c);
}

/* ---- 1. CPUID ---- */

static bool is_xen_signature(const uint32_t r[4])
{
	return r[1] == XEN_CPUID_SIGNATURE_EBX && r[2] == XEN_CPUID_SIGNATURE_ECX &&
	       r[3] == XEN_CPUID_SIGNATURE_EDX;
}

static uint32_t find_xen_cpuid_base(void)
{
	uint32_t r[4];

	for (uint32_t base = XEN_CPUID_BASE_EXPECTED; base < XEN_CPUID_BASE_LAST; base += 0x100) {
		cpuid(base, 0, r);
		if (is_xen_signature(r) && r[0] >= base + 2)
			return base;
	}
	return 0;
}

#define XEN_CPUID_TSC_RELIABLE	    (1U << 1) /* leaf 3, sub-leaf 0, eax */
#define CPUID_APM_EDX_INVARIANT_TSC (1U << 8)

static void check_cpuid(void)
{
	uint32_t r[4], base, max;
	char sig[13];
	struct check c;

	check_begin(&c, "cpuid");
	base = guest.cpuid_base = find_xen_cpuid_base();
	if (!base) {
		cpuid(XEN_CPUID_BASE_EXPECTED, 0, r);
		memcpy(sig, &r[1], 12);
		sig[12] = '\0';
		for (int i = 0; i < 12; i++)
			if (sig[i] < 0x20 || sig[i] > 0x7e)
				sig[i] = '.';
		expect(&c, false, "no XenVMMXenVMM signature (0x40000000: eax 0x%x \"%s\")", r[0],
		       sig);
		check_end(&c);
		return;
	}
	expect(&c, base == XEN_CPUID_BASE_EXPECTED, "Xen leaves at 0x%x, not 0x40000000", base);
	cpuid(base, 0, r);
	max = r[0];
	expect(&c, max >= base + 4, "max leaf 0x%x < 0x%x", max, base + 4);

	cpuid(base + 1, 0, r);
	expect(&c, r[0] == EXPECTED_XEN_VERSION, "version eax 0x%x, want 0x%x", r[0],
	       EXPECTED_XEN_VERSION);

	cpuid(base + 2, 0, r);
	hypercall_msr = r[1];
	expect(&c, r[0] == 1, "%u hypercall pages, want 1", r[0]);
	expect(&c, r[1] != 0, "no hypercall MSR");

	if (max >= base + 4) {
		cpuid(base + 4, 0, r);
		if (expect(&c, r[0] & XEN_HVM_CPUID_VCPU_ID_PRESENT, "leaf 4: no vcpu id"))
			expect(&c, r[1] == 0, "leaf 4: boot vcpu id %u, want 0", r[1]);
		expect(&c, r[0] & XEN_HVM_CPUID_UPCALL_VECTOR, "leaf 4: no upcall vector flag");
	}
	/* A TSC Xen calls reliable must be invariant too, or Xen as a guest writes it. */
	cpuid(base + 3, 0, r);
	if (r[0] & XEN_CPUID_TSC_RELIABLE) {
		cpuid(0x80000000, 0, r);
		max = r[0];
		if (expect(&c, max >= 0x80000007, "leaf 3: TSC reliable, but no leaf 0x80000007")) {
			cpuid(0x80000007, 0, r);
			expect(&c, r[3] & CPUID_APM_EDX_INVARIANT_TSC,
			       "leaf 3: TSC reliable, but 0x80000007 edx 0x%x: not invariant",
			       r[3]);
		}
	}
	check_end(&c);
}

/* ---- 2. hypercall page ---- */

static bool page_is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void check_hypercall_page(void)
{
	uint32_t msr = hypercall_msr ? hypercall_msr : HYPERCALL_MSR_DEFAULT;
	struct check c;

	check_begin(&c, "hypercall_page");
	/* The MSR takes the page's address; the low 12 bits pick the page (0). */
	if (expect(&c, wrmsr_safe(msr, (uint64_t)hypercall_page) == 0, "wrmsr 0x%x faulted", msr) &&
	    expect(&c, !page_is_zero(hypercall_page, HYPERCALL_STUB_SIZE),
		   "first stub is all zeros after wrmsr 0x%x", msr)) {
		guest.hypercalls = true;
		out_hypercalls_ready(); /* earlier lines go out now, before this one */
	}
	check_end(&c);
}

/* ---- 3. xen_version ---- */

static bool has_nul(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i])
			return true;
	return false;
}

static void check_xen_version(void)
{
	struct xen_feature_info fi = {.submap_idx = 0};
	xen_extraversion_t extra;
	struct check c;
	long rc;

	check_begin(&c, "xen_version");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	rc = xen_version(XENVER_version, NULL);
	expect(&c, rc == EXPECTED_XEN_VERSION, "XENVER_version 0x%lx, want 0x%x", rc,
	       EXPECTED_XEN_VERSION);

	rc = xen_version(XENVER_get_features, &fi);
	if (expect(&c, rc == 0, "XENVER_get_features: %ld", rc)) {
		expect(&c, fi.submap & (1U << XENFEAT_hvm_callback_vector),
		       "no XENFEAT_hvm_callback_vector (submap 0x%x)", fi.submap);
		expect(&c, fi.submap & (1U << XENFEAT_auto_translated_physmap),
		       "no XENFEAT_auto_translated_physmap (submap 0x%x)", fi.submap);
	}

	memset(extra, 0xff, sizeof(extra)); /* so a missing NUL shows */
	rc = xen_version(XENVER_extraversion, extra);
	if (expect(&c, rc == 0, "XENVER_extraversion: %ld", rc))
		expect(&c, has_nul(extra, sizeof(extra)), "extraversion not NUL-terminated");
	check_end(&c);
}

/* ---- 4. HVM params ---- */

static long get_param(uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
	long rc = hvm_op(HVMOP_get_param, &p);

	*value = rc == 0 ? p.value : 0;
	return rc;
}

/* A ring page we can reach through the identity map of the low 4 GiB. */
static bool ring_pfn_usable(uint64_t pfn)
{
	return pfn != 0 && pfn < (1ULL << (32 - PAGE_SHIFT));
}

static bool port_usable(uint64_t port)
{
	return port != 0 && port < EVTCHN_2L_NR_CHANNELS;
}

static void check_hvm_params(void)
{
	uint64_t store_pfn, store_port, console_pfn, console_port, junk;
	struct check c;
	long rc;

	check_begin(&c, "hvm_params");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	rc = get_param(HVM_PARAM_STORE_PFN, &store_pfn);
	expect(&c, rc == 0 && store_pfn == EXPECTED_STORE_PFN, "STORE_PFN rc %ld value 0x%lx", rc,
	       store_pfn);
	rc = get_param(HVM_PARAM_STORE_EVTCHN, &store_port);
	expect(&c, rc == 0 && port_usable(store_port), "STORE_EVTCHN rc %ld value %lu", rc,
	       store_port);
	rc = get_param(HVM_PARAM_CONSOLE_PFN, &console_pfn);
	expect(&c, rc == 0 && console_pfn == EXPECTED_CONSOLE_PFN, "CONSOLE_PFN rc %ld value 0x%lx",
	       rc, console_pfn);
	rc = get_param(HVM_PARAM_CONSOLE_EVTCHN, &console_port);
	expect(&c, rc == 0 && port_usable(console_port), "CONSOLE_EVTCHN rc %ld value %lu", rc,
	       console_port);
	expect(&c, console_port != store_port, "console and store share port %lu", store_port);
	rc = get_param(BOGUS_PARAM_INDEX, &junk);
	expect(&c, rc < 0, "param %u: rc %ld, want an error", BOGUS_PARAM_INDEX, rc);

	/* Use what looks usable even if it is not what we expected. */
	if (ring_pfn_usable(store_pfn) && port_usable(store_port)) {
		guest.store = (struct xenstore_domain_interface *)(store_pfn << PAGE_SHIFT);
		guest.store_port = (evtchn_port_t)store_port;
	}
	if (ring_pfn_usable(console_pfn) && port_usable(console_port)) {
		guest.console_port = (evtchn_port_t)console_port;
		guest.console = (struct xencons_interface *)(console_pfn << PAGE_SHIFT);
	}
	check_end(&c); /* the first line through the console ring */
}

/* ---- 5. memory map ---- */

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

#define E820_RAM 1

static void check_memory_map(void)
{
	static struct e820_entry map[32];
	struct xen_memory_map mm = {.nr_entries = ARRAY_SIZE(map)};
	bool covers_1m = false;
	struct check c;
	long rc;

	check_begin(&c, "memory_map");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	set_xen_guest_handle(mm.buffer, map);
	rc = memory_op(XENMEM_memory_map, &mm);
	if (expect(&c, rc == 0, "XENMEM_memory_map: %ld", rc) &&
	    expect(&c, mm.nr_entries >= 1 && mm.nr_entries <= ARRAY_SIZE(map),
		   "%u entries (room for %u)", mm.nr_entries, (unsigned)ARRAY_SIZE(map))) {
		for (unsigned i = 0; i < mm.nr_entries; i++)
			if (map[i].type == E820_RAM && map[i].addr <= 0x100000 &&
			    map[i].addr + map[i].size > 0x100000)
				covers_1m = true;
		expect(&c, covers_1m, "no RAM entry covers 1 MiB");
	}
	check_end(&c);
}

/* ---- 6. shared_info ---- */

static long add_to_physmap(unsigned space, uint64_t idx, uint64_t gpfn)
{
	struct xen_add_to_physmap xatp = {
	    .domid = DOMID_SELF, .space = space, .idx = idx, .gpfn = gpfn};

	return memory_op(XENMEM_add_to_physmap, &xatp);
}

static bool pvclock_ready(const struct vcpu_time_info *t)
{
	uint32_t version = READ_ONCE(t->version);

	return !(version & 1) && READ_ONCE(t->tsc_to_system_mul) != 0;
}

/* Wall clock seconds, read consistently against wc_version. */
static uint64_t wall_clock_sec(const struct shared_info *s)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t version = READ_ONCE(s->wc_version);
		uint64_t sec;

		barrier();
		sec = READ_ONCE(s->wc_sec) | ((uint64_t)READ_ONCE(s->wc_sec_hi) << 32);
		barrier();
		if (!(version & 1) && version == READ_ONCE(s->wc_version))
			return sec;
	}
	return 0;
}

static void check_shared_info(void)
{
	struct shared_info *s = (struct shared_info *)shared_info_page;
	const struct vcpu_time_info *t = &s->vcpu_info[0].time;
	struct deadline d = deadline_in_ms(EVENT_TIMEOUT_MS);
	uint64_t wc;
	struct check c;
	long rc;

	check_begin(&c, "shared_info");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	rc = add_to_physmap(XENMAPSPACE_shared_info, 0, pfn_of(s));
	if (!expect(&c, rc == 0, "add_to_physmap(shared_info): %ld", rc)) {
		check_end(&c);
		return;
	}
	guest.shared = s;
	/* KVM refreshes the pvclock on a later VM entry; a yield makes one. */
	while (!(pvclock_ready(t) && wall_clock_sec(s)) && !deadline_passed(&d))
		sched_yield();
	expect(&c, pvclock_ready(t), "vcpu_info time not filled (version %u, mul %u)",
	       READ_ONCE(t->version), READ_ONCE(t->tsc_to_system_mul));
	wc = wall_clock_sec(s);
	expect(&c, wc > 1600000000ULL, "wall clock %lu s is not plausible (wc_sec %u)", wc,
	       READ_ONCE(s->wc_sec));
	check_end(&c);
}

/* ---- 7. grant table ---- */

static void check_grant_table(void)
{
	struct gnttab_query_size q = {.dom = DOMID_SELF};
	struct gnttab_set_version v = {.version = 1};
	grant_entry_v1_t *table = (grant_entry_v1_t *)grant_table_page;
	grant_entry_v1_t *e = &table[GRANT_REF_UNDER_TEST];
	bool mapped;
	struct check c;
	long rc;

	check_begin(&c, "grant_table");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	rc = grant_table_op(GNTTABOP_query_size, &q, 1);
	if (expect(&c, rc == 0 && q.status == GNTST_okay, "query_size: rc %ld status %d", rc,
		   q.status))
		expect(&c, q.max_nr_frames >= 1, "max_nr_frames %u", q.max_nr_frames);

	rc = add_to_physmap(XENMAPSPACE_grant_table, 0, pfn_of(table));
	mapped = expect(&c, rc == 0, "add_to_physmap(grant_table): %ld", rc);

	rc = grant_table_op(GNTTABOP_set_version, &v, 1);
	expect(&c, rc == 0 && v.version == 1, "set_version(1): rc %ld version %u", rc, v.version);
	v.version = 2;
	rc = grant_table_op(GNTTABOP_set_version, &v, 1);
	if (!expect(&c, rc < 0, "set_version(2) succeeded; xkvm only does v1")) {
		v.version = 1; /* the rest of this guest speaks v1 */
		grant_table_op(GNTTABOP_set_version, &v, 1);
	}

	if (mapped) {
		/* Grant domain 0 access to a page: frame and domid before the flags. */
		WRITE_ONCE(e->domid, 0);
		WRITE_ONCE(e->frame, (uint32_t)pfn_of(granted_page));
		barrier();
		WRITE_ONCE(e->flags, GTF_permit_access);
		barrier();
		expect(&c,
		       READ_ONCE(e->flags) == GTF_permit_access && READ_ONCE(e->domid) == 0 &&
			   READ_ONCE(e->frame) == pfn_of(granted_page),
		       "grant entry %u did not read back", GRANT_REF_UNDER_TEST);
		WRITE_ONCE(e->flags, 0); /* revoke: nobody mapped it */
	}
	check_end(&c);
}

/* ---- 8. upcall vector ---- */

static void check_upcall(void)
{
	struct xen_hvm_evtchn_upcall_vector uv = {.vcpu = 0, .vector = UPCALL_VECTOR};
	struct check c;
	long rc;

	check_begin(&c, "upcall");
	lapic_enable();
	if (need(&c, guest.hypercalls, "no hypercall page")) {
		rc = hvm_op(HVMOP_set_evtchn_upcall_vector, &uv);
		guest.upcall_vector_set = expect(&c, rc == 0, "set_evtchn_upcall_vector: %ld", rc);
		consume_early_events();
	}
	interrupts_on(); /* every vector has a handler, so this is safe regardless */
	check_end(&c);
}

/* ---- 9-11. event channels ---- */

static bool events_usable(struct check *c)
{
	return need(c, guest.shared != NULL, "no shared_info") &&
	       need(c, guest.upcall_vector_set, "no upcall vector");
}

/* Wait until the upcall handler has seen port pending more than `seen` times. */
static bool wait_for_port(evtchn_port_t port, uint32_t seen, uint32_t timeout_ms)
{
	struct deadline d = deadline_in_ms(timeout_ms);

	while (port_hits(port) == seen) {
		if (deadline_passed(&d))
			return false;
		/* Give a VMM that delivers events from its vCPU thread a chance to. */
		sched_yield();
		cpu_relax();
	}
	return true;
}

static long bind_ipi(evtchn_port_t *port)
{
	struct evtchn_bind_ipi bind = {.vcpu = 0};
	long rc = evtchn_op(EVTCHNOP_bind_ipi, &bind);

	*port = rc == 0 ? bind.port : 0;
	return rc;
}

static long evtchn_state(evtchn_port_t port, struct evtchn_status *st)
{
	*st = (struct evtchn_status){.dom = DOMID_SELF, .port = port};
	return evtchn_op(EVTCHNOP_status, st);
}

static void check_evtchn_loopback(void)
{
	struct evtchn_alloc_unbound alloc = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
	struct evtchn_bind_interdomain bind = {.remote_dom = DOMID_SELF};
	struct evtchn_status st;
	evtchn_port_t a, b;
	uint32_t seen;
	struct check c;
	long rc;

	check_begin(&c, "evtchn_loopback");
	if (!events_usable(&c)) {
		check_end(&c);
		return;
	}
	rc = evtchn_op(EVTCHNOP_alloc_unbound, &alloc);
	if (!expect(&c, rc == 0, "alloc_unbound: %ld", rc)) {
		check_end(&c);
		return;
	}
	a = alloc.port;
	bind.remote_port = a;
	rc = evtchn_op(EVTCHNOP_bind_interdomain, &bind);
	if (!expect(&c, rc == 0, "bind_interdomain to port %u: %ld", a, rc)) {
		evtchn_close(a);
		check_end(&c);
		return;
	}
	b = bind.local_port;
	expect(&c, a != b, "both ends are port %u", a);

	seen = port_hits(a);
	rc = evtchn_send(b);
	if (expect(&c, rc == 0, "send on port %u: %ld", b, rc))
		expect(&c, wait_for_port(a, seen, EVENT_TIMEOUT_MS),
		       "no upcall for port %u within %u ms (%u upcalls so far)", a,
		       EVENT_TIMEOUT_MS, upcall_count());

	rc = evtchn_state(a, &st);
	if (expect(&c, rc == 0, "status of port %u: %ld", a, rc))
		expect(&c, st.status == EVTCHNSTAT_interdomain && st.u.interdomain.port == b,
		       "port %u: status %u remote port %u, want interdomain to %u", a, st.status,
		       st.u.interdomain.port, b);

	rc = evtchn_close(a);
	expect(&c, rc == 0, "close %u: %ld", a, rc);
	rc = evtchn_close(b);
	expect(&c, rc == 0, "close %u: %ld", b, rc);
	rc = evtchn_state(a, &st);
	expect(&c, rc == 0 && st.status == EVTCHNSTAT_closed,
	       "port %u after close: rc %ld status %u", a, rc, st.status);
	check_end(&c);
}

static void check_evtchn_ipi(void)
{
	evtchn_port_t port;
	uint32_t seen;
	struct check c;
	long rc;

	check_begin(&c, "evtchn_ipi");
	if (!events_usable(&c)) {
		check_end(&c);
		return;
	}
	rc = bind_ipi(&port);
	if (expect(&c, rc == 0, "bind_ipi: %ld", rc)) {
		seen = port_hits(port);
		rc = evtchn_send(port);
		if (expect(&c, rc == 0, "send on port %u: %ld", port, rc))
			expect(&c, wait_for_port(port, seen, EVENT_TIMEOUT_MS),
			       "no upcall for IPI port %u within %u ms", port, EVENT_TIMEOUT_MS);
		rc = evtchn_close(port);
		expect(&c, rc == 0, "close %u: %ld", port, rc);
	}
	check_end(&c);
}

static bool port_bit(const volatile xen_ulong_t *bitmap, evtchn_port_t port)
{
	return (bitmap[port / 64] >> (port % 64)) & 1;
}

static void set_port_bit(xen_ulong_t *bitmap, evtchn_port_t port, bool on)
{
	xen_ulong_t bit = 1UL << (port % 64);

	if (on)
		__atomic_fetch_or(&bitmap[port / 64], bit, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&bitmap[port / 64], ~bit, __ATOMIC_SEQ_CST);
}

static void check_evtchn_mask(void)
{
	struct shared_info *s = guest.shared;
	struct evtchn_unmask unmask;
	evtchn_port_t port;
	uint32_t seen;
	struct check c;
	long rc;

	check_begin(&c, "evtchn_mask");
	if (!events_usable(&c)) {
		check_end(&c);
		return;
	}
	rc = bind_ipi(&port);
	if (!expect(&c, rc == 0, "bind_ipi: %ld", rc)) {
		check_end(&c);
		return;
	}
	set_port_bit(s->evtchn_mask, port, true);
	seen = port_hits(port);
	rc = evtchn_send(port);
	if (expect(&c, rc == 0, "send on masked port %u: %ld", port, rc)) {
		expect(&c, !wait_for_port(port, seen, NO_EVENT_WINDOW_MS),
		       "upcall for masked port %u", port);
		expect(&c, port_bit(s->evtchn_pending, port), "masked port %u not pending", port);
	}

	seen = port_hits(port);
	unmask.port = port;
	rc = evtchn_op(EVTCHNOP_unmask, &unmask);
	if (expect(&c, rc == 0, "unmask %u: %ld", port, rc)) {
		expect(&c, !port_bit(s->evtchn_mask, port), "port %u still masked after unmask",
		       port);
		expect(&c, wait_for_port(port, seen, EVENT_TIMEOUT_MS),
		       "no upcall within %u ms of unmasking pending port %u", EVENT_TIMEOUT_MS,
		       port);
	}
	/* Leave nothing behind whatever happened. */
	set_port_bit(s->evtchn_mask, port, false);
	evtchn_close(port);
	set_port_bit(s->evtchn_pending, port, false);
	check_end(&c);
}

/* ---- 12. timer ---- */

static void check_timer(void)
{
	struct evtchn_bind_virq bind = {.virq = VIRQ_TIMER, .vcpu = 0};
	struct vcpu_set_singleshot_timer timer = {.flags = 0};
	uint64_t now, fired;
	evtchn_port_t port;
	uint32_t seen;
	struct check c;
	long rc;

	check_begin(&c, "timer");
	if (!events_usable(&c) || !need(&c, xen_system_time(&now), "no pvclock in vcpu_info")) {
		check_end(&c);
		return;
	}
	rc = evtchn_op(EVTCHNOP_bind_virq, &bind);
	if (!expect(&c, rc == 0, "bind_virq(VIRQ_TIMER): %ld", rc)) {
		check_end(&c);
		return;
	}
	port = bind.port;
	seen = port_hits(port);
	xen_system_time(&now);
	timer.timeout_abs_ns = now + TIMER_DELAY_NS;
	rc = vcpu_op(VCPUOP_set_singleshot_timer, 0, &timer);
	if (expect(&c, rc == 0, "set_singleshot_timer: %ld", rc) &&
	    expect(&c, wait_for_port(port, seen, EVENT_TIMEOUT_MS),
		   "VIRQ_TIMER (port %u) did not fire within %u ms", port, EVENT_TIMEOUT_MS)) {
		xen_system_time(&fired);
		expect(&c, fired + TIMER_EARLY_SLACK_NS >= timer.timeout_abs_ns,
		       "fired %lu ns before its deadline", timer.timeout_abs_ns - fired);
	}
	rc = evtchn_close(port);
	expect(&c, rc == 0, "close %u: %ld", port, rc);
	check_end(&c);
}

/* ---- 13. SCHEDOP_poll ---- */

static long poll_ports(evtchn_port_t *ports, unsigned n, uint64_t timeout_abs_ns)
{
	struct sched_poll poll = {.nr_ports = n, .timeout = timeout_abs_ns};

	set_xen_guest_handle(poll.ports, ports);
	return sched_op(SCHEDOP_poll, &poll);
}

/*
 * Poll `port` with interrupts off and vCPU 0's selector bit for it left
 * set (as XTF leaves it), until it is pending; `fired_ns` is when its event
 * was due.  Xen wakes a poller whenever a polled port becomes pending; a
 * poll that returns long after the event slept through it.
 */
static void poll_until_pending(struct check *c, const char *what, evtchn_port_t port,
			       uint64_t event_ns)
{
	struct shared_info *s = guest.shared;
	uint64_t now = 0, woke = 0;
	long rc = 0;

	for (int i = 0; i < 8 && !port_bit(s->evtchn_pending, port); i++) {
		xen_system_time(&now);
		rc = poll_ports(&port, 1, now + POLL_TIMEOUT_NS);
		if (rc != 0)
			break;
	}
	xen_system_time(&woke);
	if (!expect(c, rc == 0, "%s: poll on port %u: %ld", what, port, rc))
		return;
	if (!expect(c, port_bit(s->evtchn_pending, port), "%s: port %u never became pending", what,
		    port))
		return;
	expect(c, woke < event_ns + POLL_LATE_NS,
	       "%s: poll returned %lu ms after port %u became pending", what,
	       (unsigned long)((woke - event_ns) / 1000000), port);
}

static void selector_bit(evtchn_port_t port, bool on)
{
	xen_ulong_t bit = 1UL << (port / 64);
	xen_ulong_t *sel = &guest.shared->vcpu_info[0].evtchn_pending_sel;

	if (on)
		__atomic_fetch_or(sel, bit, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(sel, ~bit, __ATOMIC_SEQ_CST);
}

/* KVM's own timer (raised in the kernel) must end the poll. */
static void poll_on_timer(struct check *c, evtchn_port_t port)
{
	struct vcpu_set_singleshot_timer timer = {.flags = 0};
	uint64_t now;
	long rc;

	set_port_bit(guest.shared->evtchn_pending, port, false);
	xen_system_time(&now);
	timer.timeout_abs_ns = now + POLL_EVENT_NS;
	rc = vcpu_op(VCPUOP_set_singleshot_timer, 0, &timer);
	if (expect(c, rc == 0, "set_singleshot_timer: %ld", rc))
		poll_until_pending(c, "timer", port, timer.timeout_abs_ns);
	/* The selector stays set: the bookkeeping must not have cleared it for us. */
	expect(c, (READ_ONCE(guest.shared->vcpu_info[0].evtchn_pending_sel) >> (port / 64)) & 1,
	       "selector bit for port %u cleared behind our back", port);
}

/* A backend's notification (raised by the VMM): the console's, after a line is drained. */
static void poll_on_console(struct check *c)
{
	evtchn_port_t port = guest.console_port;
	uint64_t now;

	set_port_bit(guest.shared->evtchn_pending, port, false);
	selector_bit(port, true);
	say("poll probe");
	xen_system_time(&now);
	poll_until_pending(c, "console", port, now);
}

static void poll_argument_checks(struct check *c, evtchn_port_t pending_port)
{
	static evtchn_port_t many[POLL_MAX_PORTS + 1];
	evtchn_port_t bad = 5000;
	uint64_t now, back;
	long rc;

	for (unsigned i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = pending_port;
	rc = poll_ports(many, ARRAY_SIZE(many), 0);
	expect(c, rc == -XEN_EINVAL, "poll on %u ports: %ld, want %d", (unsigned)ARRAY_SIZE(many),
	       rc, -XEN_EINVAL);
	rc = poll_ports(&bad, 1, 0);
	expect(c, rc == -XEN_EINVAL, "poll on port %u: %ld, want %d", bad, rc, -XEN_EINVAL);
	/* Canonical but unmapped: KVM's own page walk would alias a non-canonical one. */
	rc = poll_ports(UNMAPPED_GUEST_POINTER, 1, 0);
	expect(c, rc == -XEN_EFAULT, "poll on ports at %p: %ld, want %d", UNMAPPED_GUEST_POINTER,
	       rc, -XEN_EFAULT);
	/* A port already pending: back at once. */
	xen_system_time(&now);
	rc = poll_ports(many, 2, now + POLL_TIMEOUT_NS);
	xen_system_time(&back);
	expect(c, rc == 0 && back < now + POLL_LATE_NS, "poll on pending port %u: %ld after %lu ms",
	       pending_port, rc, (unsigned long)((back - now) / 1000000));
}

static void check_poll(void)
{
	struct evtchn_bind_virq bind = {.virq = VIRQ_TIMER, .vcpu = 0};
	struct shared_info *s = guest.shared;
	struct check c;
	long rc;

	check_begin(&c, "poll");
	if (!events_usable(&c) || !need(&c, xen_system_time(&(uint64_t){0}), "no pvclock") ||
	    !need(&c, guest.console != NULL, "no console ring")) {
		check_end(&c);
		return;
	}
	rc = evtchn_op(EVTCHNOP_bind_virq, &bind);
	if (!expect(&c, rc == 0, "bind_virq(VIRQ_TIMER): %ld", rc)) {
		check_end(&c);
		return;
	}
	interrupts_off();
	selector_bit(bind.port, true);
	for (int i = 0; i < POLL_ROUNDS && !c.failed; i++)
		poll_on_timer(&c, bind.port);
	poll_argument_checks(&c, bind.port);
	poll_on_console(&c);
	evtchn_close(bind.port);
	set_port_bit(s->evtchn_pending, bind.port, false);
	/*
	 * Events that came while the selector bits were set raised no upcall:
	 * take them now as the upcall would, so none stays pending unseen.
	 */
	selector_bit(guest.console_port, true);
	WRITE_ONCE(s->vcpu_info[0].evtchn_upcall_pending, 1);
	consume_early_events();
	interrupts_on();
	check_end(&c);
}

/* ---- 14. FIFO event channels (not offered: 2-level only) ---- */

static long init_control(uint32_t vcpu, uint64_t gfn, uint32_t offset)
{
	struct evtchn_init_control ic = {.control_gfn = gfn, .offset = offset, .vcpu = vcpu};

	return evtchn_op(EVTCHNOP_init_control, &ic);
}

static void check_fifo(void)
{
	struct evtchn_expand_array ea = {.array_gfn = pfn_of(spare_page)};
	struct check c;
	long rc;

	check_begin(&c, "fifo_init_control");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	/* Xen's checks, in its order; a good block would switch ABI, so none is sent. */
	rc = init_control(1000, pfn_of(spare_page), 0);
	expect(&c, rc == -XEN_ENOENT, "vcpu 1000: %ld, want %d", rc, -XEN_ENOENT);
	rc = init_control(0, pfn_of(spare_page), PAGE_SIZE - 8);
	expect(&c, rc == -XEN_EINVAL, "block across the page end: %ld, want %d", rc, -XEN_EINVAL);
	rc = init_control(0, pfn_of(spare_page), 4);
	expect(&c, rc == -XEN_EINVAL, "unaligned block: %ld, want %d", rc, -XEN_EINVAL);
	rc = init_control(0, 1ULL << 40, 0);
	expect(&c, rc == -XEN_EINVAL, "block in no RAM: %ld, want %d", rc, -XEN_EINVAL);
	rc = evtchn_op(EVTCHNOP_init_control, BAD_GUEST_POINTER);
	expect(&c, rc == -XEN_EFAULT, "argument at %p: %ld, want %d", BAD_GUEST_POINTER, rc,
	       -XEN_EFAULT);
	rc = evtchn_op(EVTCHNOP_expand_array, &ea);
	expect(&c, rc == -XEN_EOPNOTSUPP, "expand_array before init_control: %ld, want %d", rc,
	       -XEN_EOPNOTSUPP);
	check_end(&c);
}

/* ---- 15. reservation ---- */

static long reservation_op(int cmd, xen_pfn_t *gfn, uint64_t n)
{
	struct xen_memory_reservation r = {.nr_extents = n, .extent_order = 0, .domid = DOMID_SELF};

	set_xen_guest_handle(r.extent_start, gfn);
	return memory_op(cmd, &r);
}

static long current_pages(void)
{
	domid_t self = DOMID_SELF;

	return memory_op(XENMEM_current_reservation, &self);
}

/* Giving a page back twice frees it once; taking it back needs the room it left. */
static void check_reservation(void)
{
	xen_pfn_t gfn = pfn_of(balloon_page), outside = 1ULL << 40;
	long before, rc;
	struct check c;

	check_begin(&c, "reservation");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	before = current_pages();
	expect(&c, before > 0, "current_reservation: %ld", before);
	rc = reservation_op(XENMEM_decrease_reservation, &gfn, 1);
	expect(&c, rc == 1, "decrease_reservation: %ld extents, want 1", rc);
	rc = reservation_op(XENMEM_decrease_reservation, &gfn, 1);
	expect(&c, rc == 0, "second decrease_reservation of the page: %ld extents, want 0", rc);
	rc = current_pages();
	expect(&c, rc == before - 1, "current_reservation after: %ld, want %ld", rc, before - 1);
	rc = reservation_op(XENMEM_decrease_reservation, &outside, 1);
	expect(&c, rc == 0, "decrease_reservation of frame 2^40: %ld extents, want 0", rc);
	rc = reservation_op(XENMEM_populate_physmap, &gfn, 1);
	expect(&c, rc == 1, "populate_physmap: %ld extents, want 1", rc);
	rc = current_pages();
	expect(&c, rc == before, "current_reservation at the end: %ld, want %ld", rc, before);
	balloon_page[0] = 1; /* the page is usable again */
	expect(&c, balloon_page[0] == 1, "repopulated page does not hold a write");
	check_end(&c);
}

/* ---- 16. secondary vCPU (VCPUOP_initialise / up / down / is_up) ---- */

/* vCPU 1's side: report in, go down when asked, report again once brought back up. */
enum ap_state { AP_NOT_STARTED, AP_RUNNING, AP_ASKED_DOWN, AP_RESUMED };
static volatile uint32_t ap_state;
static volatile long ap_down_rc = 1;
static uint8_t ap_stack[PAGE_SIZE] __attribute__((aligned(16)));

static void __attribute__((noreturn, used)) ap_main(void)
{
	WRITE_ONCE(ap_state, AP_RUNNING);
	while (READ_ONCE(ap_state) != AP_ASKED_DOWN)
		cpu_relax();
	ap_down_rc = vcpu_op(VCPUOP_down, 1, NULL);
	WRITE_ONCE(ap_state, AP_RESUMED);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Long mode on our page tables and a stack of its own; interrupts off (no IDT use). */
static struct vcpu_hvm_context ap_context(void)
{
	struct vcpu_hvm_context ctx = {.mode = VCPU_HVM_MODE_64B};
	struct vcpu_hvm_x86_64 *r = &ctx.cpu_regs.x86_64;

	read_control_regs(&r->cr0, &r->cr3, &r->cr4);
	r->efer = rdmsr(MSR_EFER);
	r->rip = (uint64_t)ap_main;
	r->rsp = (uint64_t)(ap_stack + sizeof(ap_stack) - 8); /* as if called */
	r->rflags = 2;
	return ctx;
}

static bool wait_ap(uint32_t want)
{
	struct deadline d = deadline_in_ms(AP_WAIT_MS);

	while (READ_ONCE(ap_state) != want)
		if (deadline_passed(&d))
			return false;
	return true;
}

static bool wait_is_up(long want)
{
	struct deadline d = deadline_in_ms(AP_WAIT_MS);

	while (vcpu_op(VCPUOP_is_up, 1, NULL) != want)
		if (deadline_passed(&d))
			return false;
	return true;
}

static void check_vcpu_up(void)
{
	struct vcpu_hvm_context ctx = ap_context(), bad = {.mode = 9};
	struct check c;
	long rc;

	check_begin(&c, "vcpu_up");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	rc = vcpu_op(VCPUOP_is_up, 1, NULL);
	if (!need(&c, rc != -XEN_ENOENT, "booted with one vCPU") ||
	    !expect(&c, rc == 0, "is_up(1) before it was started: %ld", rc)) {
		check_end(&c);
		return;
	}
	rc = vcpu_op(VCPUOP_up, 1, NULL);
	expect(&c, rc == -XEN_EINVAL, "up(1) before initialise: %ld, want %d", rc, -XEN_EINVAL);
	rc = vcpu_op(VCPUOP_initialise, 1, &bad);
	expect(&c, rc == -XEN_EINVAL, "initialise(1) in mode 9: %ld, want %d", rc, -XEN_EINVAL);
	rc = vcpu_op(VCPUOP_initialise, 0, &ctx);
	expect(&c, rc == -XEN_EEXIST, "initialise(0): %ld, want %d", rc, -XEN_EEXIST);
	rc = vcpu_op(VCPUOP_initialise, 1, &ctx);
	if (!expect(&c, rc == 0, "initialise(1): %ld", rc)) {
		check_end(&c);
		return;
	}
	rc = vcpu_op(VCPUOP_initialise, 1, &ctx);
	expect(&c, rc == -XEN_EEXIST, "initialise(1) again: %ld, want %d", rc, -XEN_EEXIST);
	rc = vcpu_op(VCPUOP_is_up, 1, NULL);
	expect(&c, rc == 0, "is_up(1) after initialise: %ld, want 0", rc);
	expect(&c, READ_ONCE(ap_state) == AP_NOT_STARTED, "vCPU 1 runs before up");

	rc = vcpu_op(VCPUOP_up, 1, NULL);
	if (!expect(&c, rc == 0, "up(1): %ld", rc) ||
	    !expect(&c, wait_ap(AP_RUNNING), "vCPU 1 did not start within %u ms", AP_WAIT_MS)) {
		check_end(&c);
		return;
	}
	rc = vcpu_op(VCPUOP_is_up, 1, NULL);
	expect(&c, rc == 1, "is_up(1) while it runs: %ld", rc);

	WRITE_ONCE(ap_state, AP_ASKED_DOWN);
	expect(&c, wait_is_up(0), "vCPU 1 never went down");
	expect(&c, READ_ONCE(ap_state) == AP_ASKED_DOWN, "vCPU 1 ran on after VCPUOP_down");
	rc = vcpu_op(VCPUOP_up, 1, NULL);
	if (expect(&c, rc == 0, "up(1) again: %ld", rc) &&
	    expect(&c, wait_ap(AP_RESUMED), "vCPU 1 did not resume within %u ms", AP_WAIT_MS))
		expect(&c, ap_down_rc == 0, "vCPU 1's VCPUOP_down: %ld", ap_down_rc);
	rc = vcpu_op(VCPUOP_is_up, 1, NULL);
	expect(&c, rc == 1, "is_up(1) at the end: %ld", rc);
	rc = vcpu_op(VCPUOP_up, 2, NULL);
	expect(&c, rc == -XEN_ENOENT, "up(2): %ld, want %d", rc, -XEN_ENOENT);
	check_end(&c);
}

/* ---- 17. console ---- */

static void check_console(void)
{
	static const char probe[] = "xentest: console_io probe\n";
	struct check c;
	long rc;

	check_begin(&c, "console");
	if (need(&c, guest.console != NULL, "no usable CONSOLE_PFN/CONSOLE_EVTCHN")) {
		/* say() writes synchronously and gives up on a ring that stops draining. */
		say("console ring line (synchronous)");
		expect(&c, !console_ring_stalled(), "console stalled");
	}
	if (need(&c, guest.hypercalls, "no hypercall page")) {
		/* A count far beyond the buffer must fail or clamp, never hang the VM. */
		rc = console_io(CONSOLEIO_write, 0x7fffffff, probe);
		(void)rc; /* any result is fine: we are still running */
	}
	check_end(&c);
}

/* ---- 18. XenStore ---- */

static struct xs_reply reply;

static const char *xs_type_name(uint32_t type)
{
	switch (type) {
	case XS_READ:
		return "READ";
	case XS_WRITE:
		return "WRITE";
	case XS_DIRECTORY:
		return "DIRECTORY";
	case XS_WATCH:
		return "WATCH";
	case XS_UNWATCH:
		return "UNWATCH";
	case XS_ERROR:
		return "ERROR";
	case XS_WATCH_EVENT:
		return "WATCH_EVENT";
	default:
		return "?";
	}
}

/* Check that a request got a reply of the expected type (XS_ERROR: see the body). */
static bool xs_ok(struct check *c, int rc, const char *what, uint32_t want_type)
{
	if (!expect(c, rc == 0, "%s: no reply (%d)", what, rc))
		return false;
	return expect(c, reply.type == want_type, "%s: reply %s \"%s\"", what,
		      xs_type_name(reply.type), reply.type == XS_ERROR ? reply.body : "");
}

static void xs_expect_read(struct check *c, const char *path, const char *want)
{
	if (xs_ok(c, xs_request_str(XS_READ, path, &reply), path, XS_READ))
		expect(c, str_eq(reply.body, want) && reply.len == strlen(want),
		       "read %s = \"%s\", want \"%s\"", path, reply.body, want);
}

static bool dir_contains(const struct xs_reply *r, const char *name)
{
	for (uint32_t off = 0; off < r->len; off += (uint32_t)strlen(r->body + off) + 1)
		if (str_eq(r->body + off, name))
			return true;
	return false;
}

static void xs_step_domid(struct check *c)
{
	xs_expect_read(c, "domid", "1");
}

static void xs_step_name(struct check *c)
{
	if (xs_ok(c, xs_request_str(XS_READ, "name", &reply), "name", XS_READ))
		expect(c, reply.len > 0, "name is empty");
}

static void xs_step_write(struct check *c)
{
	static const char req[] = "data/xentest\0ok"; /* the value has no NUL */

	if (xs_ok(c, xs_request(XS_WRITE, req, sizeof(req) - 1, &reply), "write data/xentest",
		  XS_WRITE))
		xs_expect_read(c, "data/xentest", "ok");
}

static void xs_step_directory(struct check *c)
{
	if (xs_ok(c, xs_request_str(XS_DIRECTORY, "control", &reply), "directory control",
		  XS_DIRECTORY))
		expect(c, dir_contains(&reply, "shutdown"), "control/ has no shutdown");
}

static void xs_step_enoent(struct check *c)
{
	if (xs_ok(c, xs_request_str(XS_READ, "data/no-such-node", &reply), "read of a missing node",
		  XS_ERROR))
		expect(c, str_eq(reply.body, "ENOENT"), "missing node: error %s, want ENOENT",
		       reply.body);
}

/* A new watch fires once at registration, with its path and token. */
static void xs_step_watch(struct check *c)
{
	static const char req[] = "data/watched\0tok"; /* path and token, both NUL-terminated */
	int rc;

	if (!xs_ok(c, xs_request(XS_WATCH, req, sizeof(req), &reply), "watch data/watched",
		   XS_WATCH))
		return;
	rc = xs_wait_watch_event("data/watched", "tok", EVENT_TIMEOUT_MS);
	expect(c, rc == 0, "no watch event for data/watched with token tok (%d)", rc);
	xs_ok(c, xs_request(XS_UNWATCH, req, sizeof(req), &reply), "unwatch data/watched",
	      XS_UNWATCH);
}

/* A path without its NUL is malformed; the server must say so and carry on. */
static void xs_step_malformed(struct check *c)
{
	xs_ok(c, xs_request(XS_READ, "domid", 5, &reply), "unterminated read", XS_ERROR);
	xs_expect_read(c, "domid", "1");
}

static void check_xenstore(void)
{
	static void (*const steps[])(struct check *) = {
	    xs_step_domid,  xs_step_name,  xs_step_write,     xs_step_directory,
	    xs_step_enoent, xs_step_watch, xs_step_malformed,
	};
	struct check c;
	unsigned i;

	check_begin(&c, "xenstore");
	if (!need(&c, guest.store != NULL, "no usable STORE_PFN/STORE_EVTCHN")) {
		check_end(&c);
		return;
	}
	/* Once the connection is gone, later steps would only repeat the timeout. */
	for (i = 0; i < ARRAY_SIZE(steps) && !xs_connection_lost(); i++)
		steps[i](&c);
	expect(&c, i == ARRAY_SIZE(steps), "connection lost, %u of %u steps not run",
	       (unsigned)ARRAY_SIZE(steps) - i, (unsigned)ARRAY_SIZE(steps));
	check_end(&c);
}

/* ---- 19. hostile calls ---- */

static void check_hostile(void)
{
	struct evtchn_bind_virq bind = {.virq = VIRQ_TIMER, .vcpu = 1000};
	struct xen_hvm_param set = {
	    .domid = DOMID_SELF, .index = HVM_PARAM_STORE_PFN, .value = EXPECTED_STORE_PFN};
	struct vcpu_register_vcpu_info vi = {.mfn = pfn_of(spare_page), .offset = 4090};
	struct check c;
	long rc;

	check_begin(&c, "hostile");
	if (!need(&c, guest.hypercalls, "no hypercall page")) {
		check_end(&c);
		return;
	}
	rc = evtchn_send(EVTCHN_2L_NR_CHANNELS - 1);
	expect(&c, rc < 0, "send to port 4095: %ld", rc);
	rc = evtchn_send(0);
	expect(&c, rc < 0, "send to port 0: %ld", rc);

	rc = evtchn_op(EVTCHNOP_bind_virq, &bind);
	if (!expect(&c, rc < 0, "bind_virq to vcpu 1000: %ld (port %u)", rc, bind.port))
		evtchn_close(bind.port);

	/* Writing the value it already has, so wrongly accepting it changes nothing. */
	rc = hvm_op(HVMOP_set_param, &set);
	expect(&c, rc < 0, "set_param(STORE_PFN): %ld", rc);

	rc = add_to_physmap(99, 0, pfn_of(spare_page));
	expect(&c, rc < 0, "add_to_physmap(space 99): %ld", rc);

	rc = xen_version(XENVER_extraversion, BAD_GUEST_POINTER);
	expect(&c, rc == -XEN_EFAULT, "extraversion to %p: %ld, want %d", BAD_GUEST_POINTER, rc,
	       -XEN_EFAULT);

	rc = hypercall5(UNKNOWN_HYPERCALL, 0, 0, 0, 0, 0);
	expect(&c, rc == -XEN_ENOSYS, "hypercall %u: %ld, want %d", UNKNOWN_HYPERCALL, rc,
	       -XEN_ENOSYS);

	/* Last: if wrongly accepted, vcpu_info moves and the event checks would break. */
	rc = vcpu_op(VCPUOP_register_vcpu_info, 0, &vi);
	expect(&c, rc < 0, "register_vcpu_info at offset 4090: %ld", rc);
	check_end(&c);
}

/* ---- the end ---- */

void power_off(unsigned reason)
{
	struct sched_shutdown shutdown = {.reason = reason};
	long rc = sched_op(SCHEDOP_shutdown, &shutdown);

	interrupts_off();
	if (rc != 0) {
		/* No working hypercall: try the machine's own ways to stop. */
		say("SCHEDOP_shutdown: %ld; trying ACPI S5", rc);
		outw(ACPI_PM1A_CNT_PORT, ACPI_PM1_SLP_S5);
		if (guest.debugcon)
			outb(QEMU_DEBUG_EXIT, reason == SHUTDOWN_poweroff ? 0 : 1);
	}
	/* The VMM is stopping us (or cannot): wait quietly. */
	for (;;)
		__asm__ volatile("hlt");
}

static unsigned shutdown_reason(void)
{
	if (options.crash)
		return SHUTDOWN_crash;
	if (options.reboot)
		return SHUTDOWN_reboot;
	return SHUTDOWN_poweroff;
}

void xentest_main(const struct hvm_start_info *si);
void xentest_main(const struct hvm_start_info *si)
{
	guest.start_info = si;
	parse_cmdline();
	idt_init();
	mask_legacy_pic();
	say("starting: x86-64 PVH guest, command line \"%s\"", cmdline());
	check_start_info();
	check_cpuid();
	check_hypercall_page();
	if (options.fault)
		trigger_test_fault(); /* xentest.fault: the exception path, crash shutdown */
	check_xen_version();
	check_hvm_params();
	check_memory_map();
	check_shared_info();
	check_grant_table();
	check_upcall();
	check_evtchn_loopback();
	check_evtchn_ipi();
	check_evtchn_mask();
	check_timer();
	check_poll();
	check_fifo();
	check_reservation();
	check_vcpu_up();
	check_console();
	check_xenstore();
	check_hostile();

	if (unexpected_interrupts())
		say("note: %u unexpected interrupts", unexpected_interrupts());
	say("%u passed, %u failed", nr_passed, nr_failed);
	power_off(shutdown_reason());
}
