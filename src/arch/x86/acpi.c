/* SPDX-License-Identifier: MIT */
#include "arch/x86/acpi.h"
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
#define XSDT_REVISION 1
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

#define GAS_SYSTEM_IO	1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2

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

#define IAPC_BOOT_VGA_NOT_PRESENT (1U << 2)

/* Above 100 and 1000 us respectively: C2 and C3 are not supported. */
#define FADT_C2_LATENCY_NONE 101
#define FADT_C3_LATENCY_NONE 1001

#define PM1_EVT_LEN 4 /* PM1_STS + PM1_EN, 16 bits each */
#define PM1_CNT_LEN 2

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

/* Legacy ISA devices the DSDT describes: a fixed port range and one edge IRQ. */
struct isa_device {
	const char *name;
	const char *eisa_id;
	unsigned uid;
	uint16_t port;
	uint8_t port_len;
	uint8_t irq;
};

static const struct isa_device isa_devices[] = {
    {.name = "COM1", .eisa_id = "PNP0501", .uid = 1, .port = 0x3F8, .port_len = 8, .irq = 4},
    {.name = "RTC", .eisa_id = "PNP0B00", .uid = 0, .port = 0x70, .port_len = 2, .irq = 8},
};

/* Tables are laid out one after the other in buf, which the guest sees at gpa. */
struct builder {
	uint8_t *buf;
	size_t size;
	size_t used;
	uint64_t gpa;
	bool nospace; /* sticky: every later allocation fails too */
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
	size_t off = (size_t)ALIGN_UP(b->used, align);

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

/* A 32-bit address field can only say "none" (0) for a table above 4 GiB. */
static uint32_t addr32(uint64_t gpa)
{
	return gpa <= UINT32_MAX ? (uint32_t)gpa : 0;
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

/* Last step for a table: nothing may change after it. */
static void header_checksum(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum((const uint8_t *)h, h->length);
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

/* \_S5: the SLP_TYP values for PM1a and PM1b that mean soft-off, and two reserved. */
static void dsdt_s5(struct aml *a)
{
	size_t pkg;

	aml_name(a, "_S5");
	pkg = aml_package_open(a, 4);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_close(a, pkg);
}

/* The pvpanic port: the guest writes a panic event to it. */
static void dsdt_pvpanic(struct aml *a)
{
	size_t dev, crs;

	dev = aml_device_open(a, "PEVT");
	/* The ID Linux's pvpanic-mmio driver (despite the name, it takes I/O ports) binds to. */
	aml_name(a, "_HID");
	aml_string(a, "QEMU0001");
	aml_name(a, "_STA");
	aml_integer(a, 0x0F); /* present, enabled, shown in UI, functioning */
	aml_name(a, "_CRS");
	crs = aml_resource_template_open(a);
	aml_io(a, PVPANIC_PORT, PVPANIC_PORT, 1, 1);
	aml_resource_template_close(a, crs);
	aml_close(a, dev);
}

static void dsdt_isa_device(struct aml *a, const struct isa_device *d)
{
	size_t dev, crs;

	dev = aml_device_open(a, d->name);
	aml_name(a, "_HID");
	aml_eisa_id(a, d->eisa_id);
	aml_name(a, "_UID");
	aml_integer(a, d->uid);
	aml_name(a, "_CRS");
	crs = aml_resource_template_open(a);
	aml_io(a, d->port, d->port, 1, d->port_len);
	aml_irq_no_flags(a, d->irq);
	aml_resource_template_close(a, crs);
	aml_close(a, dev);
}

static uint64_t build_dsdt(struct builder *b)
{
	struct acpi_header *h = alloc_table(b, sizeof(*h), ACPI_TABLE_ALIGN);
	struct aml a;
	size_t sb, i;

	if (!h)
		return 0;
	/*
	 * The AML goes straight after the header.  Closing a construct
	 * shrinks it, so the AML briefly needs a few bytes more than its
	 * final size: tables built after the DSDT provide that slack.
	 */
	aml_init(&a, b->buf + b->used, b->size - b->used);
	dsdt_s5(&a);
	sb = aml_scope_open(&a, "\\_SB");
	dsdt_pvpanic(&a);
	for (i = 0; i < ARRAY_SIZE(isa_devices); i++)
		dsdt_isa_device(&a, &isa_devices[i]);
	aml_close(&a, sb);
	if (aml_error(&a)) {
		b->nospace = true;
		return 0;
	}
	b->used += a.len;
	header_init(h, "DSDT", sizeof(*h) + a.len, DSDT_REVISION);
	header_checksum(h);
	return gpa_of(b, h);
}

static void gas_io(struct acpi_gas *g, uint16_t port, unsigned bytes, uint8_t access_size)
{
	g->space_id = GAS_SYSTEM_IO;
	g->bit_width = (uint8_t)(bytes * 8);
	g->access_size = access_size;
	g->address = port;
}

/*
 * Full (not hardware-reduced) ACPI with only the PM1a event and control
 * blocks of devices/acpi_pm: no PM timer, no GPE block, no SMM.
 */
static uint64_t build_fadt(struct builder *b, uint64_t facs, uint64_t dsdt)
{
	struct acpi_fadt *f = alloc_table(b, sizeof(*f), ACPI_TABLE_ALIGN);

	if (!f)
		return 0;
	header_init(&f->hdr, "FACP", sizeof(*f), FADT_REVISION);
	f->minor_version = FADT_MINOR;
	/* The spec wants X_FIRMWARE_CTRL zero when FIRMWARE_CTRL is set. */
	f->firmware_ctrl = addr32(facs);
	if (!f->firmware_ctrl)
		f->x_firmware_ctrl = facs;
	f->dsdt = addr32(dsdt);
	f->x_dsdt = dsdt;
	f->sci_int = ACPI_SCI_IRQ;
	/* SMI_CMD stays 0: no SMM, so the OS finds ACPI mode already enabled. */
	f->pm1a_evt_blk = ACPI_PM1A_EVT_PORT;
	f->pm1_evt_len = PM1_EVT_LEN;
	gas_io(&f->x_pm1a_evt_blk, ACPI_PM1A_EVT_PORT, PM1_EVT_LEN, GAS_ACCESS_WORD);
	f->pm1a_cnt_blk = ACPI_PM1A_CNT_PORT;
	f->pm1_cnt_len = PM1_CNT_LEN;
	gas_io(&f->x_pm1a_cnt_blk, ACPI_PM1A_CNT_PORT, PM1_CNT_LEN, GAS_ACCESS_WORD);
	f->p_lvl2_lat = FADT_C2_LATENCY_NONE;
	f->p_lvl3_lat = FADT_C3_LATENCY_NONE;
	/* No 8042 and no VGA; the CMOS RTC is there (devices/rtc). */
	f->century = RTC_CENTURY_INDEX;
	f->iapc_boot_arch = IAPC_BOOT_VGA_NOT_PRESENT;
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_RESET_REG_SUP;
	gas_io(&f->reset_reg, ACPI_RESET_PORT, 1, GAS_ACCESS_BYTE);
	f->reset_value = ACPI_RESET_VALUE;
	header_checksum(&f->hdr);
	return gpa_of(b, f);
}

/*
 * Local APIC ids and processor UIDs are the vCPU indexes.  The only
 * override is the SCI's: level-triggered, unlike the ISA default.  IRQ 0
 * needs none, as KVM's default routing already puts the PIT on GSI 0.
 */
static uint64_t build_madt(struct builder *b, const struct acpi_config *cfg)
{
	size_t len = sizeof(struct acpi_madt) + cfg->nr_vcpus * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) + sizeof(struct madt_iso);
	struct acpi_madt *m = alloc_table(b, len, ACPI_TABLE_ALIGN);
	struct madt_lapic *lapic;
	struct madt_ioapic *ioapic;
	struct madt_iso *iso;
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

	iso = (struct madt_iso *)(ioapic + 1);
	iso->type = MADT_ISO;
	iso->length = sizeof(*iso);
	iso->bus = MADT_ISO_BUS_ISA;
	iso->source = ACPI_SCI_IRQ;
	iso->gsi = ACPI_SCI_IRQ;
	iso->flags = MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL;

	header_checksum(&m->hdr);
	return gpa_of(b, m);
}

static uint64_t build_xsdt(struct builder *b, const uint64_t *entries, size_t nr_entries)
{
	size_t len = sizeof(struct acpi_header) + nr_entries * sizeof(*entries);
	struct acpi_header *h = alloc_table(b, len, ACPI_TABLE_ALIGN);

	if (!h)
		return 0;
	header_init(h, "XSDT", len, XSDT_REVISION);
	/* The 64-bit entries sit at offset 36: unaligned, hence memcpy. */
	memcpy(h + 1, entries, nr_entries * sizeof(*entries));
	header_checksum(h);
	return gpa_of(b, h);
}

/* No RSDT: every OS that wants ACPI 2.0 tables uses the XSDT. */
static void build_rsdp(struct acpi_rsdp *r, uint64_t xsdt)
{
	memcpy(r->signature, "RSD PTR ", sizeof(r->signature));
	memcpy(r->oem_id, ACPI_OEM_ID, sizeof(r->oem_id));
	r->revision = RSDP_REVISION;
	r->length = sizeof(*r);
	r->xsdt_address = xsdt;
	r->checksum = acpi_checksum((const uint8_t *)r, RSDP_V1_LEN);
	r->ext_checksum = acpi_checksum((const uint8_t *)r, sizeof(*r));
}

long acpi_build_tables(uint8_t *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg)
{
	struct builder b = {.buf = buf, .size = size, .gpa = gpa};
	uint64_t facs, dsdt, xsdt, xsdt_entries[2];
	struct acpi_rsdp *rsdp;

	if (cfg->nr_vcpus == 0 || cfg->nr_vcpus > ACPI_MAX_VCPUS) {
		pr_err("ACPI: %u vCPUs, the MADT can describe 1 to %u", cfg->nr_vcpus,
		       ACPI_MAX_VCPUS);
		return -EINVAL;
	}
	if (cfg->ioapic_id > UINT8_MAX) {
		pr_err("ACPI: I/O APIC id %u does not fit in 8 bits", cfg->ioapic_id);
		return -EINVAL;
	}

	/* Each table is built after those it points to, so it is final when written. */
	rsdp = alloc_table(&b, sizeof(*rsdp), ACPI_TABLE_ALIGN);
	facs = build_facs(&b);
	dsdt = build_dsdt(&b);
	xsdt_entries[0] = build_fadt(&b, facs, dsdt);
	xsdt_entries[1] = build_madt(&b, cfg);
	xsdt = build_xsdt(&b, xsdt_entries, ARRAY_SIZE(xsdt_entries));
	if (b.nospace)
		return -ENOSPC;
	build_rsdp(rsdp, xsdt);
	return (long)b.used;
}
