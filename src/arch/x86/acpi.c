/* SPDX-License-Identifier: MIT */
#include "arch/x86/acpi.h"
#include "arch/x86/acpi_internal.h"
#include "arch/x86/aml.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The tables are filled in host byte order; ACPI's is little endian. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "acpi.c assumes a little-endian host"
#endif

#define ACPI_OEM_ID	      "XKVM  "
#define ACPI_OEM_TABLE_ID     "XKVMVM  "
#define ACPI_CREATOR_ID	      "XKVM"
#define ACPI_OEM_REVISION     1
#define ACPI_CREATOR_REVISION 1

#define ACPI_TABLE_ALIGN 16
#define ACPI_FACS_ALIGN	 64 /* required by the spec */

/* Table revisions: the ACPI 6.0 ones; the DSDT's 2 makes AML integers 64-bit. */
#define RSDP_REVISION 2
#define SDT_REVISION  1 /* the RSDT and the XSDT are both at revision 1 */
#define FADT_REVISION 6
#define FADT_MINOR    0
#define MADT_REVISION 4
#define DSDT_REVISION 2
#define FACS_VERSION  2

/* xAPIC id 0xFF is the broadcast id, so at most 255 local APICs. */
#define ACPI_MAX_VCPUS 255

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI table header");

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum; /* of the ACPI 1.0 part, the first 20 bytes */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t ext_checksum; /* of the whole structure */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
#define RSDP_V1_LEN offsetof(struct acpi_rsdp, length)

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");

#define GAS_SYSTEM_IO	 1
#define GAS_ACCESS_BYTE	 1
#define GAS_ACCESS_WORD	 2
#define GAS_ACCESS_DWORD 3

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

/* ACPI 6.0 FADT, table 5-34 */
struct acpi_fadt {
	struct acpi_header hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century; /* CMOS index of the century byte (devices/rtc.c) */
	uint16_t iapc_boot_arch;
	uint8_t reserved2;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");

#define FADT_WBINVD	   (1U << 0)
#define FADT_PROC_C1	   (1U << 2)
#define FADT_SLP_BUTTON	   (1U << 5) /* set: no fixed-hardware sleep button */
#define FADT_RESET_REG_SUP (1U << 10)

#define IAPC_BOOT_8042		  (1U << 1)
#define IAPC_BOOT_VGA_NOT_PRESENT (1U << 2)

/* Above 100 and 1000 us respectively: C2 and C3 are not supported. */
#define FADT_C2_LATENCY_NONE 101
#define FADT_C3_LATENCY_NONE 1001

#define PM1_EVT_LEN    4 /* PM1_STS + PM1_EN, 16 bits each */
#define PM1_CNT_LEN    2
#define PM1_CNT_OFFSET 4 /* the control block follows the event block */
#define PM_TMR_LEN     4

struct acpi_madt {
	struct acpi_header hdr;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");

#define MADT_PCAT_COMPAT 1U /* dual 8259s present too */

enum madt_type { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2 };

struct madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT local APIC");

#define MADT_LAPIC_ENABLED 1U

struct madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT I/O APIC");

/* Interrupt Source Override */
struct madt_iso {
	uint8_t type;
	uint8_t length;
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_iso) == 10, "MADT interrupt source override");

#define MADT_ISO_BUS_ISA     0
#define MPS_INTI_ACTIVE_HIGH 0x1
#define MPS_INTI_LEVEL	     (0x3 << 2)

/* xAPIC id 0xFF is the broadcast id; tables live below 4 GiB (32-bit fields). */
#define ACPI_MAX_GPA (1ULL << 32)
/* Room for the RSDP at the start of a fixed-address buffer, 16-byte aligned. */
#define RSDP_SLOT ALIGN_UP(ACPI_RSDP_SIZE, ACPI_TABLE_ALIGN)

/*
 * Tables are laid out one after the other in buf, which the guest sees at
 * gpa; every address written into a table is recorded in the layout, so
 * firmware that places the tables itself can fix it up (acpi_loader.c).
 */
struct builder {
	uint8_t *buf;
	size_t size;
	size_t used;
	uint64_t gpa;
	bool nospace;  /* sticky: every later allocation fails too */
	bool overflow; /* more pointers or tables than the layout records */
	struct acpi_layout *layout;
};

uint8_t acpi_checksum(const uint8_t *data, size_t len)
{
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += data[i];
	return (uint8_t)-sum;
}

/* Zeroed room for len bytes at the next align boundary, or NULL. */
static void *alloc_table(struct builder *b, size_t len, size_t align)
{
	/* Aligned in the guest's address space, whatever buf's own alignment. */
	size_t off = (size_t)(ALIGN_UP(b->gpa + b->used, align) - b->gpa);

	if (b->nospace || !range_ok(off, len, b->size)) {
		b->nospace = true;
		return NULL;
	}
	/* The padding too, so the output never depends on what buf held. */
	memset(b->buf + b->used, 0, off + len - b->used);
	b->used = off + len;
	return b->buf + off;
}

static uint64_t gpa_of(const struct builder *b, const void *p)
{
	return b->gpa + (uint64_t)((const uint8_t *)p - b->buf);
}

/* Write the address target into a size-byte field (unaligned: memcpy) and record it. */
static void put_pointer(struct builder *b, void *field, uint8_t size, uint64_t target)
{
	struct acpi_layout *l = b->layout;

	memcpy(field, &target, size);
	if (l->nr_pointers == ACPI_MAX_POINTERS) {
		b->overflow = true;
		return;
	}
	l->pointers[l->nr_pointers].offset = (uint32_t)((uint8_t *)field - b->buf);
	l->pointers[l->nr_pointers].size = size;
	l->nr_pointers++;
}

static void header_init(struct acpi_header *h, const char *sig, size_t len, uint8_t revision)
{
	memcpy(h->signature, sig, sizeof(h->signature));
	h->length = (uint32_t)len;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = ACPI_CREATOR_REVISION;
}

/* Last step for a table: nothing may change after it.  Returns its address. */
static uint64_t finish_table(struct builder *b, struct acpi_header *h)
{
	struct acpi_layout *l = b->layout;

	h->checksum = 0;
	h->checksum = acpi_checksum((const uint8_t *)h, h->length);
	if (l->nr_tables == ACPI_MAX_TABLES) {
		b->overflow = true;
	} else {
		l->tables[l->nr_tables].start = (uint32_t)((uint8_t *)h - b->buf);
		l->tables[l->nr_tables].len = h->length;
		l->nr_tables++;
	}
	return gpa_of(b, h);
}

/*
 * A FACS is mandatory unless the platform is hardware-reduced.  All zero:
 * no S4BIOS, no waking vector (only S5 is offered), global lock free.
 */
static uint64_t build_facs(struct builder *b)
{
	struct acpi_facs *facs = alloc_table(b, sizeof(*facs), ACPI_FACS_ALIGN);

	if (!facs)
		return 0;
	memcpy(facs->signature, "FACS", sizeof(facs->signature));
	facs->length = sizeof(*facs);
	facs->version = FACS_VERSION;
	return gpa_of(b, facs);
}

static uint64_t build_dsdt(struct builder *b, const struct acpi_config *cfg)
{
	struct acpi_header *h = alloc_table(b, sizeof(*h), ACPI_TABLE_ALIGN);
	struct aml a;

	if (!h)
		return 0;
	/*
	 * The AML goes straight after the header.  Closing a construct
	 * shrinks it, so the AML briefly needs a few bytes more than its
	 * final size: tables built after the DSDT provide that slack.
	 */
	aml_init(&a, b->buf + b->used, b->size - b->used);
	dsdt_build_aml(&a, cfg);
	if (aml_error(&a)) {
		b->nospace = true;
		return 0;
	}
	b->used += a.len;
	header_init(h, "DSDT", sizeof(*h) + a.len, DSDT_REVISION);
	return finish_table(b, h);
}

static void gas_io(struct acpi_gas *g, uint64_t port, unsigned bytes, uint8_t access_size)
{
	g->space_id = GAS_SYSTEM_IO;
	g->bit_width = (uint8_t)(bytes * 8);
	g->access_size = access_size;
	g->address = port;
}

/* The board's PM1a event and control blocks, and its PM timer if it has one. */
static void fadt_pm_blocks(struct acpi_fadt *f, const struct board_desc *board)
{
	const struct board_device *pm1 = board_find(board, BOARD_DEV_ACPI_PM1, 0);
	const struct board_device *tmr = board_find(board, BOARD_DEV_ACPI_TIMER, 0);
	uint32_t evt = (uint32_t)pm1->ranges[0].base, cnt = evt + PM1_CNT_OFFSET;

	f->sci_int = (uint16_t)pm1->irq;
	f->pm1a_evt_blk = evt;
	f->pm1_evt_len = PM1_EVT_LEN;
	gas_io(&f->x_pm1a_evt_blk, evt, PM1_EVT_LEN, GAS_ACCESS_WORD);
	f->pm1a_cnt_blk = cnt;
	f->pm1_cnt_len = PM1_CNT_LEN;
	gas_io(&f->x_pm1a_cnt_blk, cnt, PM1_CNT_LEN, GAS_ACCESS_WORD);
	if (tmr) {
		f->pm_tmr_blk = (uint32_t)tmr->ranges[0].base;
		f->pm_tmr_len = PM_TMR_LEN;
		gas_io(&f->x_pm_tmr_blk, tmr->ranges[0].base, PM_TMR_LEN, GAS_ACCESS_DWORD);
	}
}

/* Full (not hardware-reduced) ACPI: no GPE block, no SMM, the board's fixed hardware. */
static uint64_t build_fadt(struct builder *b, const struct board_desc *board, uint64_t facs,
			   uint64_t dsdt)
{
	struct acpi_fadt *f = alloc_table(b, sizeof(*f), ACPI_TABLE_ALIGN);
	const struct board_device *reset = board_find(board, BOARD_DEV_ACPI_RESET, 0);

	if (!f)
		return 0;
	header_init(&f->hdr, "FACP", sizeof(*f), FADT_REVISION);
	f->minor_version = FADT_MINOR;
	/* The spec wants X_FIRMWARE_CTRL zero when FIRMWARE_CTRL is set. */
	put_pointer(b, &f->firmware_ctrl, sizeof(f->firmware_ctrl), facs);
	put_pointer(b, &f->dsdt, sizeof(f->dsdt), dsdt);
	put_pointer(b, &f->x_dsdt, sizeof(f->x_dsdt), dsdt);
	/* SMI_CMD stays 0: no SMM, so the OS finds ACPI mode already enabled. */
	fadt_pm_blocks(f, board);
	f->p_lvl2_lat = FADT_C2_LATENCY_NONE;
	f->p_lvl3_lat = FADT_C3_LATENCY_NONE;
	if (board_find(board, BOARD_DEV_RTC, 0))
		f->century = RTC_CENTURY_INDEX;
	/* No VGA; Linux skips the i8042 unless this says there is one. */
	f->iapc_boot_arch = IAPC_BOOT_VGA_NOT_PRESENT;
	if (board_find(board, BOARD_DEV_I8042, 0))
		f->iapc_boot_arch |= IAPC_BOOT_8042;
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON;
	if (reset) {
		f->flags |= FADT_RESET_REG_SUP;
		gas_io(&f->reset_reg, reset->ranges[0].base, 1, GAS_ACCESS_BYTE);
		f->reset_value = ACPI_RESET_VALUE;
	}
	return finish_table(b, &f->hdr);
}

static void iso_init(struct madt_iso *iso, unsigned source, unsigned gsi, uint16_t flags)
{
	iso->type = MADT_ISO;
	iso->length = sizeof(*iso);
	iso->bus = MADT_ISO_BUS_ISA;
	iso->source = (uint8_t)source;
	iso->gsi = gsi;
	iso->flags = flags;
}

/*
 * The board's interrupt source overrides: the timer's pin when it is not
 * GSI 0, then the level-triggered ISA IRQs (unlike the ISA default): the
 * SCI and each IRQ a PIRQ line is routed to.  Returns how many; iso may be
 * NULL to count them.
 */
static unsigned madt_isos(const struct board_desc *board, struct madt_iso *iso)
{
	const struct board_device *pm1 = board_find(board, BOARD_DEV_ACPI_PM1, 0);
	unsigned n = 0, level[1 + BOARD_NR_PIRQS], nr_level = 0;

	if (board->timer_gsi) {
		if (iso)
			iso_init(&iso[n], 0, board->timer_gsi, 0);
		n++;
	}
	level[nr_level++] = (unsigned)pm1->irq;
	for (unsigned i = 0; board->has_pci && i < BOARD_NR_PIRQS; i++) {
		unsigned irq = board->pirq_irqs[i], j;

		for (j = 0; j < nr_level && level[j] != irq; j++)
			;
		if (j == nr_level)
			level[nr_level++] = irq;
	}
	for (unsigned i = 0; i < nr_level; i++, n++)
		if (iso)
			iso_init(&iso[n], level[i], level[i],
				 MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL);
	return n;
}

/* Local APIC ids and processor UIDs are the vCPU indexes. */
static uint64_t build_madt(struct builder *b, const struct acpi_config *cfg)
{
	unsigned nr_isos = madt_isos(cfg->board, NULL);
	size_t len = sizeof(struct acpi_madt) + cfg->nr_vcpus * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) + nr_isos * sizeof(struct madt_iso);
	struct acpi_madt *m = alloc_table(b, len, ACPI_TABLE_ALIGN);
	struct madt_lapic *lapic;
	struct madt_ioapic *ioapic;
	unsigned i;

	if (!m)
		return 0;
	header_init(&m->hdr, "APIC", len, MADT_REVISION);
	m->lapic_address = (uint32_t)LAPIC_GPA;
	m->flags = MADT_PCAT_COMPAT;

	lapic = (struct madt_lapic *)(m + 1);
	for (i = 0; i < cfg->nr_vcpus; i++) {
		lapic[i].type = MADT_LAPIC;
		lapic[i].length = sizeof(*lapic);
		lapic[i].processor_uid = (uint8_t)i;
		lapic[i].apic_id = (uint8_t)i;
		lapic[i].flags = MADT_LAPIC_ENABLED;
	}

	ioapic = (struct madt_ioapic *)(lapic + cfg->nr_vcpus);
	ioapic->type = MADT_IOAPIC;
	ioapic->length = sizeof(*ioapic);
	ioapic->ioapic_id = (uint8_t)cfg->ioapic_id;
	ioapic->address = (uint32_t)IOAPIC_GPA;
	ioapic->gsi_base = 0;

	madt_isos(cfg->board, (struct madt_iso *)(ioapic + 1));
	return finish_table(b, &m->hdr);
}

/* The RSDT (32-bit entries) or the XSDT (64-bit) listing the given tables. */
static uint64_t build_sdt(struct builder *b, const char *sig, uint8_t entry_size,
			  const uint64_t *entries, size_t nr_entries)
{
	size_t len = sizeof(struct acpi_header) + nr_entries * entry_size;
	struct acpi_header *h = alloc_table(b, len, ACPI_TABLE_ALIGN);
	uint8_t *e;

	if (!h)
		return 0;
	header_init(h, sig, len, SDT_REVISION);
	e = (uint8_t *)(h + 1);
	for (size_t i = 0; i < nr_entries; i++)
		put_pointer(b, e + i * entry_size, entry_size, entries[i]);
	return finish_table(b, h);
}

void acpi_build_rsdp(uint8_t *out, uint64_t rsdt, uint64_t xsdt)
{
	struct acpi_rsdp r;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", sizeof(r.signature));
	memcpy(r.oem_id, ACPI_OEM_ID, sizeof(r.oem_id));
	r.revision = RSDP_REVISION;
	r.rsdt_address = (uint32_t)rsdt;
	r.length = sizeof(r);
	r.xsdt_address = xsdt;
	r.checksum = acpi_checksum((const uint8_t *)&r, RSDP_V1_LEN);
	r.ext_checksum = acpi_checksum((const uint8_t *)&r, sizeof(r));
	memcpy(out, &r, sizeof(r));
}
_Static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_SIZE, "RSDP size in acpi_internal.h");

static int check_config(const struct acpi_config *cfg, uint64_t gpa, size_t size)
{
	const char *why = NULL;

	if (cfg->nr_vcpus == 0 || cfg->nr_vcpus > ACPI_MAX_VCPUS) {
		pr_err("ACPI: %u vCPUs, the MADT can describe 1 to %u", cfg->nr_vcpus,
		       ACPI_MAX_VCPUS);
		return -EINVAL;
	}
	if (cfg->ioapic_id > UINT8_MAX) {
		pr_err("ACPI: I/O APIC id %u does not fit in 8 bits", cfg->ioapic_id);
		return -EINVAL;
	}
	if (!range_ok(gpa, size, ACPI_MAX_GPA)) {
		pr_err("ACPI: tables at 0x%llx would reach past 4 GiB", (unsigned long long)gpa);
		return -EINVAL;
	}
	if (!cfg->board || board_desc_check(cfg->board, &why)) {
		pr_err("ACPI: bad board table (%s)", why ? why : "none");
		return -EINVAL;
	}
	if (!board_find(cfg->board, BOARD_DEV_ACPI_PM1, 0) ||
	    board_find(cfg->board, BOARD_DEV_ACPI_PM1, 0)->irq == BOARD_NO_IRQ) {
		pr_err("ACPI: board '%s' has no PM1 block with an SCI", cfg->board->name);
		return -EINVAL;
	}
	if (cfg->board->has_pci && (cfg->pci_mem_start == 0 || cfg->pci_mem_start >= IOAPIC_GPA)) {
		pr_err("ACPI: the PCI window cannot start at 0x%llx",
		       (unsigned long long)cfg->pci_mem_start);
		return -EINVAL;
	}
	return 0;
}

/* Each table is built after those it points to, so it is final when written. */
static void build_all(struct builder *b, const struct acpi_config *cfg)
{
	uint64_t facs, dsdt, entries[2];

	facs = build_facs(b);
	dsdt = build_dsdt(b, cfg);
	entries[0] = build_fadt(b, cfg->board, facs, dsdt);
	entries[1] = build_madt(b, cfg);
	b->layout->rsdt = build_sdt(b, "RSDT", 4, entries, ARRAY_SIZE(entries));
	b->layout->xsdt = build_sdt(b, "XSDT", 8, entries, ARRAY_SIZE(entries));
}

long acpi_build_without_rsdp(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg,
			     struct acpi_layout *layout)
{
	struct builder b = {.buf = buf, .size = size, .gpa = gpa, .layout = layout};
	int r = check_config(cfg, gpa, size);

	memset(layout, 0, sizeof(*layout));
	if (r)
		return r;
	build_all(&b, cfg);
	if (b.nospace)
		return -ENOSPC;
	return b.overflow ? -EOVERFLOW : (long)b.used;
}

long acpi_build_tables(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg)
{
	struct acpi_layout layout;
	long used;

	if (size < RSDP_SLOT) {
		/* A bad config is reported as such, whatever the room. */
		used = acpi_build_without_rsdp(buf, 0, gpa, cfg, &layout);
		return used == -ENOSPC || used >= 0 ? -ENOSPC : used;
	}
	/* The RSDP at offset 0, the other tables after it. */
	used = acpi_build_without_rsdp(buf + RSDP_SLOT, size - RSDP_SLOT, gpa + RSDP_SLOT, cfg,
				       &layout);
	if (used < 0)
		return used;
	memset(buf + ACPI_RSDP_SIZE, 0, RSDP_SLOT - ACPI_RSDP_SIZE);
	acpi_build_rsdp(buf, layout.rsdt, layout.xsdt);
	return used + RSDP_SLOT;
}
