/* SPDX-License-Identifier: MIT */
/*
 * The HVM machine: an emulated PC that runs an unmodified OS from its own
 * disk.  SeaBIOS is mapped read-only just below 4 GiB with its last 128
 * KiB copied to 0xE0000, and the vCPUs start from KVM's reset state at the
 * reset vector.  The board: COM1 (the console: SeaBIOS runs headless),
 * the CMOS RTC, the i8042 and port 0x92 (A20, reset), QEMU's fw_cfg
 * (SeaBIOS's configuration: CPU count, memory map, no graphics) and ACPI
 * PM, the i440FX host bridge and PIIX3 ISA bridge on PCI; PIC, I/O APIC
 * and PIT are KVM's.  Fixed devices sit where the board table (board_pc.c)
 * says.  Every reboot recreates the VM, so each boot starts from a fresh
 * copy of the firmware.
 */
#include "machine/hvm.h"
#include "arch/x86/acpi_loader.h"
#include "arch/x86/board_desc.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/msr.h"
#include "core/kvm.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/acpi_pm.h"
#include "devices/console.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/i8042.h"
#include "devices/piix3.h"
#include "devices/piix_ide.h"
#include "devices/port92.h"
#include "devices/pvpanic.h"
#include "devices/rtl8139.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "lib/log.h"
#include "lib/util.h"

#include <endian.h>
#include <net/if.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The BIOS area below 1 MiB that holds the firmware's last 128 KiB. */
#define BIOS_LOW_GPA  0xE0000ULL
#define BIOS_LOW_SIZE (128 * KIB)
/* Below the ROM sit KVM's real-mode TSS and identity map (core/vm.c): 256 KiB is the room left. */
#define FIRMWARE_MAX_SIZE (256 * KIB)
#define KVM_PRIVATE_GPA	  0xFFFBC000ULL
#define KVM_PRIVATE_SIZE  0x4000ULL
/* QEMU's debug console (board table DBGC): SeaBIOS logs there once a read returns 0xE9. */
#define DEBUGCON_READBACK 0xe9
/* The domain id in TAP names: one guest per VMM, numbered as the Xen machines number theirs. */
#define HVM_DOMID 1U
/* What a machine built on this one may add (machine/hvm.h). */
#define HVM_MAX_EXTRA_FNS 2
/* KVM's in-kernel IOAPIC has 24 inputs; GSI 0 is the PIT's and never shared. */
#define HVM_NR_GSIS	 24
#define HVM_MAX_RESERVED 2

struct hvm {
	struct vm *vm;
	const struct board_desc *desc;
	struct console console;
	bool console_ready, devices_ready, pci_ready;
	unsigned com1_irq, kbd_irq;
	bool com1_wired; /* serial = "pty"; "none" leaves COM1 out */
	struct serial com1;
	struct rtc rtc;
	struct i8042 kbc;
	struct port92 port92;
	struct pvpanic pvpanic;
	struct fw_cfg fw_cfg;
	struct acpi_pm acpi_pm;
	struct pci_bus pci;
	struct i440fx host_bridge;
	struct piix3 isa_bridge;
	struct piix_ide *ide;
	unsigned ide_irq[PIIX_IDE_CHANNELS];
	struct rtl8139 **nics; /* cfg->nr_nics of them */
	bool nics_unplugged;
	/* Added by a machine built on this one, before build. */
	struct pci_function *extra_fns[HVM_MAX_EXTRA_FNS];
	unsigned nr_extra_fns;
	io_handler_fn platform_io;
	void *platform_opaque;
	struct {
		uint64_t gpa, size;
	} reserved[HVM_MAX_RESERVED];
	unsigned nr_reserved;
	pthread_mutex_t debug_lock;
	char debug_line[160];
	size_t debug_len;
};

static struct hvm *state(struct machine *m)
{
	return m->priv;
}

static int hvm_create(struct machine *m)
{
	struct hvm *h = calloc(1, sizeof(struct hvm));

	if (!h)
		return -ENOMEM;
	h->vm = m->vm;
	h->desc = &board_pc;
	pthread_mutex_init(&h->debug_lock, NULL);
	m->priv = h;
	return 0;
}

static void com1_set_irq(void *opaque, bool level)
{
	struct hvm *h = opaque;

	vm_set_irq_line(h->vm, h->com1_irq, level);
}

static void console_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct hvm *h = opaque;

	console_write(&h->console, buf, len);
}

static const struct serial_ops com1_ops = {.set_irq = com1_set_irq, .transmit = console_out};

static void kbc_set_irq(void *opaque, bool level)
{
	struct hvm *h = opaque;

	vm_set_irq_line(h->vm, h->kbd_irq, level);
}

/* A reset line (i8042, port 0x92, 0xCF9): a reboot; the VM is recreated. */
static void reset_line(void *opaque)
{
	struct hvm *h = opaque;

	vm_request_stop(h->vm, VM_STOP_REBOOT, "the guest reset the machine");
}

static const struct i8042_ops kbc_ops = {.set_irq = kbc_set_irq, .reset = reset_line};

static void isa_set_irq(void *opaque, unsigned irq, bool level)
{
	struct hvm *h = opaque;

	vm_set_irq_line(h->vm, irq, level);
}

static void isa_reset(void *opaque, bool hard)
{
	reset_line(opaque);
}

static const struct piix3_ops isa_ops = {.set_irq = isa_set_irq, .reset = isa_reset};

/* A BAR the guest placed: its handler answers on the I/O or memory bus at base. */
static int map_bar(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	struct hvm *h = host;
	const struct pci_bar *b = &fn->bars[bar];
	struct io_bus *bus = b->type == PCI_BAR_IO ? &h->vm->pio : &h->vm->mmio;

	return io_bus_register(bus, base, b->size, b->handler, b->opaque, fn->name);
}

static void unmap_bar(void *host, struct pci_function *fn, unsigned bar, uint64_t base)
{
	struct hvm *h = host;
	const struct pci_bar *b = &fn->bars[bar];

	io_bus_unregister(b->type == PCI_BAR_IO ? &h->vm->pio : &h->vm->mmio, base, b->opaque);
}

static void set_intx(void *host, uint8_t devfn, unsigned pin, bool level)
{
	struct hvm *h = host;

	piix3_set_intx(&h->isa_bridge, devfn, pin, level);
}

static void ide_set_irq(void *opaque, unsigned channel, bool level)
{
	struct hvm *h = opaque;

	if (channel < PIIX_IDE_CHANNELS)
		vm_set_irq_line(h->vm, h->ide_irq[channel], level);
}

static const struct pci_host_ops pci_ops = {
    .map_bar = map_bar, .unmap_bar = unmap_bar, .set_intx = set_intx};

static time_t host_time(void)
{
	return time(NULL);
}

/* Firmware log lines on port 0x402, shown at debug level (xkvm -vv). */
static void debugcon_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct hvm *h = opaque;

	if (!is_write) {
		data[0] = DEBUGCON_READBACK;
		return;
	}
	pthread_mutex_lock(&h->debug_lock);
	if (data[0] != '\n' && data[0] != '\r' && h->debug_len < sizeof(h->debug_line) - 1)
		h->debug_line[h->debug_len++] =
		    (char)(data[0] >= 0x20 && data[0] < 0x7f ? data[0] : '.');
	if (data[0] == '\n' || h->debug_len == sizeof(h->debug_line) - 1) {
		h->debug_line[h->debug_len] = 0;
		pr_debug("firmware: %s", h->debug_line);
		h->debug_len = 0;
	}
	pthread_mutex_unlock(&h->debug_lock);
}

static size_t console_to_guest(void *opaque, const uint8_t *buf, size_t len)
{
	struct hvm *h = opaque;

	return serial_receive(&h->com1, buf, len);
}

/* NIC i's slot: after the free slot's added functions. */
static unsigned nic_slot(const struct hvm *h, unsigned i)
{
	return h->desc->first_free_pci_slot + h->nr_extra_fns + i;
}

/* The i440FX at 00:00.0 and the PIIX3 at the table's devfn. */
static int init_pci(struct hvm *h)
{
	int r = pci_bus_init(&h->pci, &pci_ops, h);

	if (r)
		return r;
	r = piix3_init(&h->isa_bridge, &isa_ops, h);
	if (r) {
		pci_bus_destroy(&h->pci);
		return r;
	}
	h->pci_ready = true;
	i440fx_init(&h->host_bridge);
	r = pci_bus_add(&h->pci, &h->host_bridge.fn, 0, 0);
	if (!r)
		r = pci_bus_add(&h->pci, &h->isa_bridge.fn, h->desc->isa_bridge_devfn >> 3,
				h->desc->isa_bridge_devfn & 7);
	/* The IDE controller is function 1 of the PIIX3's slot, as on a real PIIX3. */
	if (!r)
		r = pci_bus_add(&h->pci, &h->ide->pci, h->desc->isa_bridge_devfn >> 3, 1);
	for (unsigned i = 0; !r && i < h->nr_extra_fns; i++)
		r = pci_bus_add(&h->pci, h->extra_fns[i], h->desc->first_free_pci_slot + i, 0);
	for (unsigned i = 0; !r && h->nics && h->nics[i]; i++)
		r = pci_bus_add(&h->pci, rtl8139_pci(h->nics[i]), nic_slot(h, i), 0);
	return r;
}

/*
 * The config's vifs as emulated RTL8139s, each on its own TAP named as
 * xl names an HVM guest's emulated NIC (vif<domid>.<devid>-emu) unless
 * the vif says otherwise.
 */
static int create_nics(struct hvm *h, const struct domain_config *cfg)
{
	h->nics = calloc(cfg->nr_nics + 1, sizeof(struct rtl8139 *));
	if (!h->nics)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->nr_nics; i++) {
		const struct nic_config *nc = &cfg->nics[i];
		char name[IFNAMSIZ];
		struct rtl8139_spec spec = {.fd = -1, .ifname = nc->ifname, .bridge = nc->bridge};

		if (!nc->ifname) {
			snprintf(name, sizeof(name), "vif%u.%u-emu", HVM_DOMID, nc->devid);
			spec.ifname = name;
		}
		memcpy(spec.mac, nc->mac, sizeof(spec.mac));
		h->nics[i] = rtl8139_create(&h->vm->mem, &spec);
		if (!h->nics[i])
			return -EIO;
		pr_info("domain '%s': vif %u is %s (rtl8139)", cfg->name, i,
			rtl8139_ifname(h->nics[i]));
	}
	return 0;
}

/*
 * The config's disks on the IDE channels at the slots the config resolved
 * (hda..hdd, or their xvd/sd names): slot / 2 is the channel, slot % 2 the
 * unit.
 */
static int attach_disks(struct hvm *h, const struct domain_config *cfg)
{
	h->ide = piix_ide_create(&h->vm->mem, ide_set_irq, h);
	if (!h->ide)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *dc = &cfg->disks[i];
		int r;

		if (dc->ide_slot < 0 || dc->ide_slot >= 2 * PIIX_IDE_CHANNELS)
			return -EINVAL; /* the config checked it: not an HVM disk */
		if (!dc->target) {
			pr_err("disk '%s': an empty CD-ROM drive is not emulated yet; give it a "
			       "target",
			       dc->vdev);
			return -EINVAL;
		}
		r = piix_ide_attach(h->ide, (unsigned)dc->ide_slot / 2, (unsigned)dc->ide_slot % 2,
				    dc->cdrom ? IDE_CDROM : IDE_DISK, dc->target, dc->readonly);
		if (r)
			return r;
	}
	return 0;
}

static int init_devices(struct hvm *h, const struct domain_config *cfg,
			const struct machine_console *console)
{
	struct vm *vm = h->vm;
	int r = console_init(&h->console, vm, console->in_fd, console->out_fd);

	if (r)
		return r;
	h->console_ready = true;
	h->console.no_escape = console->no_escape;
	r = fw_cfg_init(&h->fw_cfg);
	if (r)
		return r;
	serial_init(&h->com1, &com1_ops, h);
	h->com1_wired = cfg->serial != SERIAL_NONE;
	rtc_init(&h->rtc, host_time);
	rtc_set_memory_size(&h->rtc, guest_low_ram_end(&vm->mem), guest_high_ram_size(&vm->mem));
	i8042_init(&h->kbc, &kbc_ops, h);
	port92_init(&h->port92, reset_line, h);
	h->pvpanic.vm = vm;
	acpi_pm_init(&h->acpi_pm, vm);
	h->devices_ready = true;
	r = attach_disks(h, cfg);
	if (!r)
		r = create_nics(h, cfg);
	return r ? r : init_pci(h);
}

/*
 * The model answering range `range` of a table entry, and the interrupt
 * line it gets.  false for what this machine does not model (yet).
 */
static bool bind_device(struct hvm *h, const struct board_device *d, unsigned range,
			io_handler_fn *fn, void **opaque)
{
	switch (d->kind) {
	case BOARD_DEV_SERIAL:
		h->com1_irq = (unsigned)d->irq;
		*fn = serial_io;
		*opaque = &h->com1;
		return d->instance == 0 && d->irq != BOARD_NO_IRQ && h->com1_wired;
	case BOARD_DEV_RTC:
		*fn = rtc_io;
		*opaque = &h->rtc;
		return true;
	case BOARD_DEV_I8042:
		/* Range 0 is the data port, range 1 the command/status port. */
		h->kbd_irq = (unsigned)d->irq;
		*fn = range == 0 ? i8042_data_io : i8042_command_io;
		*opaque = &h->kbc;
		return d->irq != BOARD_NO_IRQ;
	case BOARD_DEV_PORT92:
		*fn = port92_io;
		*opaque = &h->port92;
		return true;
	case BOARD_DEV_PVPANIC:
		*fn = pvpanic_io;
		*opaque = &h->pvpanic;
		return true;
	case BOARD_DEV_FW_CFG:
		*fn = fw_cfg_io;
		*opaque = &h->fw_cfg;
		return true;
	case BOARD_DEV_ACPI_PM1:
		*fn = acpi_pm1_io;
		*opaque = &h->acpi_pm;
		return true;
	case BOARD_DEV_ACPI_TIMER:
		*fn = acpi_pm_timer_io;
		*opaque = &h->acpi_pm;
		return true;
	case BOARD_DEV_DEBUGCON:
		*fn = debugcon_io;
		*opaque = h;
		return true;
	case BOARD_DEV_ELCR:
		*fn = piix3_elcr_io;
		*opaque = &h->isa_bridge;
		return true;
	case BOARD_DEV_IDE:
		/* Legacy mode: the channel's command block, then its control block. */
		if (d->instance >= PIIX_IDE_CHANNELS || d->irq == BOARD_NO_IRQ)
			return false;
		h->ide_irq[d->instance] = (unsigned)d->irq;
		*fn = range == 0 ? ide_cmd_io : ide_ctl_io;
		*opaque = &h->ide->ch[d->instance];
		return true;
	case BOARD_DEV_XEN_PLATFORM:
		*fn = h->platform_io;
		*opaque = h->platform_opaque;
		return h->platform_io != NULL;
	case BOARD_DEV_PCI_CONFIG:
		/* The PIIX3 decodes 0xCF9 (reset) inside the configuration ports. */
		*fn = piix3_cf8_io;
		*opaque = &h->isa_bridge;
		return true;
	default:
		return false;
	}
}

/* Every table entry with a model on the I/O bus at the table's ports; PCI BARs come later. */
static int place_devices(struct hvm *h)
{
	const struct board_desc *desc = h->desc;

	for (size_t i = 0; i < desc->nr_devices; i++) {
		const struct board_device *d = &desc->devices[i];

		for (unsigned j = 0; j < BOARD_MAX_RANGES && d->space == BOARD_IO && !d->nested;
		     j++) {
			const struct board_range *r = &d->ranges[j];
			io_handler_fn fn = NULL;
			void *opaque = NULL;

			if (!r->len)
				continue;
			if (!bind_device(h, d, j, &fn, &opaque)) {
				pr_debug("board '%s': device '%s' has no model yet", desc->name,
					 d->name);
				break;
			}
			if (io_bus_register(&h->vm->pio, r->base, r->len, fn, opaque, d->name)) {
				pr_err("board '%s': device '%s' overlaps another", desc->name,
				       d->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* One etc/e820 entry as QEMU writes it: packed little-endian address, length, type. */
static size_t put_e820(uint8_t *out, size_t n, uint64_t addr, uint64_t len, uint32_t type)
{
	uint64_t a = htole64(addr), l = htole64(len);
	uint32_t t = htole32(type);

	memcpy(out + n * 20, &a, 8);
	memcpy(out + n * 20 + 8, &l, 8);
	memcpy(out + n * 20 + 16, &t, 4);
	return n + 1;
}

/*
 * The memory map SeaBIOS starts from: RAM below the hole, RAM above 4
 * GiB, and KVM's private pages.  SeaBIOS adds its own legacy reservations
 * (EBDA, the BIOS area, the ROM below 4 GiB).
 */
static int add_e820(struct hvm *h)
{
	const struct guest_memory *mem = &h->vm->mem;
	uint8_t table[(3 + HVM_MAX_RESERVED) * 20];
	size_t n = 0;

	n = put_e820(table, n, 0, guest_low_ram_end(mem), 1);
	if (guest_high_ram_size(mem))
		n = put_e820(table, n, HIGH_RAM_START, guest_high_ram_size(mem), 1);
	n = put_e820(table, n, KVM_PRIVATE_GPA, KVM_PRIVATE_SIZE, 2);
	for (unsigned i = 0; i < h->nr_reserved; i++)
		n = put_e820(table, n, h->reserved[i].gpa, h->reserved[i].size, 2);
	return fw_cfg_add_file(&h->fw_cfg, "etc/e820", table, (uint32_t)(n * 20));
}

/*
 * xkvm's ACPI tables for the PC board, as the linker/loader files SeaBIOS
 * executes.  The I/O APIC keeps id 0, KVM's reset value (QEMU's tables say
 * the same).
 */
static int add_acpi(struct hvm *h, const struct domain_config *cfg)
{
	struct acpi_config acfg = {.board = h->desc,
				   .nr_vcpus = cfg->vcpus,
				   .ioapic_id = 0,
				   .pci_mem_start = guest_low_ram_end(&h->vm->mem)};
	struct acpi_loader_blobs blobs = {0};
	int r = acpi_loader_build(&acfg, &blobs);

	if (!r)
		r = fw_cfg_add_file(&h->fw_cfg, ACPI_LOADER_TABLES_FILE, blobs.tables.data,
				    (uint32_t)blobs.tables.len);
	if (!r)
		r = fw_cfg_add_file(&h->fw_cfg, ACPI_LOADER_RSDP_FILE, blobs.rsdp.data,
				    (uint32_t)blobs.rsdp.len);
	if (!r)
		r = fw_cfg_add_file(&h->fw_cfg, ACPI_LOADER_SCRIPT_FILE, blobs.script.data,
				    (uint32_t)blobs.script.len);
	acpi_loader_free(&blobs);
	if (r)
		pr_err("the HVM board's ACPI tables: %s", strerror(-r));
	return r;
}

/* The disk in the lowest IDE slot that is (or is not) a CD-ROM; -1 for none. */
static int lowest_ide_slot(const struct domain_config *cfg, bool cdrom)
{
	int best = -1;

	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *dc = &cfg->disks[i];

		if (dc->cdrom == cdrom && dc->target && (best < 0 || dc->ide_slot < best))
			best = dc->ide_slot;
	}
	return best;
}

/*
 * boot = "cdn" as SeaBIOS's "bootorder" file: one Open Firmware device
 * path per line, in the order SeaBIOS should try them (it matches the
 * paths it builds for the devices it finds: the PIIX IDE as ide@<slot>,1,
 * a drive as drive@<channel>/disk@<unit>).
 */
static int add_bootorder(struct hvm *h, const struct domain_config *cfg)
{
	unsigned ide_slot = h->desc->isa_bridge_devfn >> 3;
	char text[256];
	size_t n = 0;

	for (const char *c = cfg->boot_order; *c && n < sizeof(text); c++) {
		int slot = *c == 'n' ? -1 : lowest_ide_slot(cfg, *c == 'd');

		if (*c == 'n' && cfg->nr_nics)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "/pci@i0cf8/ethernet@%x/ethernet-phy@0\n",
					      nic_slot(h, 0));
		else if (slot >= 0)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "/pci@i0cf8/ide@%x,1/drive@%x/disk@%x\n", ide_slot,
					      slot / 2, slot % 2);
	}
	if (n >= sizeof(text))
		return -E2BIG;
	return n ? fw_cfg_add_file(&h->fw_cfg, "bootorder", text, (uint32_t)n) : 0;
}

static int fill_fw_cfg(struct hvm *h, const struct domain_config *cfg)
{
	int r = fw_cfg_add_u16(&h->fw_cfg, FW_CFG_NB_CPUS, (uint16_t)cfg->vcpus);

	if (!r)
		r = fw_cfg_add_u16(&h->fw_cfg, FW_CFG_MAX_CPUS, (uint16_t)cfg->vcpus);
	/* Headless: SeaBIOS puts its screen on COM1 (etc/sercon-port). */
	if (!r)
		r = fw_cfg_add_u16(&h->fw_cfg, FW_CFG_NOGRAPHIC, 1);
	if (!r)
		r = add_e820(h);
	if (!r && cfg->acpi)
		r = add_acpi(h, cfg);
	if (!r)
		r = add_bootorder(h, cfg);
	return r;
}

/* The firmware image: read-only at 4 GiB - size, its last 128 KiB at 0xE0000 in RAM. */
static int load_firmware(struct hvm *h, const char *path)
{
	struct file_buf fb;
	int r = file_buf_open(&fb, path, FIRMWARE_MAX_SIZE, "firmware");

	if (r)
		return r;
	if (fb.size < BIOS_LOW_SIZE || fb.size % (4 * KIB)) {
		pr_err("firmware '%s': %zu bytes, not a BIOS image (128 to 256 KiB in pages)", path,
		       fb.size);
		r = -EINVAL;
	}
	/* RAM, not ROM: SeaBIOS unlocks this "shadow" copy through the PAM registers and writes it.
	 */
	if (!r && guest_write(&h->vm->mem, BIOS_LOW_GPA, fb.data + fb.size - BIOS_LOW_SIZE,
			      BIOS_LOW_SIZE)) {
		pr_err("guest RAM does not reach the BIOS area at 0xE0000");
		r = -EFAULT;
	}
	if (!r && !vm_map_rom(h->vm, HIGH_RAM_START - fb.size, fb.data, fb.size, &r))
		pr_err("firmware '%s': cannot map it below 4 GiB: %s", path, strerror(-r));
	file_buf_close(&fb);
	return r;
}

/*
 * The PCI BARs the firmware will place, for -v and bench/hvm; the buses'
 * ranges are logged for every machine once it is built (vm/domain.c).
 */
static void log_pci_bars(struct hvm *h)
{
	unsigned bars[2] = {0};
	uint64_t bar_span[2] = {0};

	for (unsigned i = 0; i < PCI_NR_SLOTS * PCI_NR_FUNCS; i++)
		for (unsigned b = 0; h->pci.fns[i] && b < PCI_NR_BARS; b++) {
			const struct pci_bar *bar = &h->pci.fns[i]->bars[b];

			if (bar->type == PCI_BAR_UNUSED)
				continue;
			bars[bar->type == PCI_BAR_MEM32]++;
			bar_span[bar->type == PCI_BAR_MEM32] += bar->size;
		}
	pr_info(
	    "hvm: PCI BARs: pci_io_bars=%u pci_io_ports=%llu pci_mem_bars=%u pci_mem_bytes=%llu",
	    bars[0], (unsigned long long)bar_span[0], bars[1], (unsigned long long)bar_span[1]);
}

static int hvm_build(struct machine *m, const struct machine_console *console)
{
	struct hvm *h = state(m);
	int r = init_devices(h, m->cfg, console);

	if (!r)
		r = fill_fw_cfg(h, m->cfg);
	if (!r)
		r = place_devices(h);
	if (!r)
		r = load_firmware(h, m->cfg->firmware ? m->cfg->firmware : CONFIG_SEABIOS_PATH);
	if (!r)
		log_pci_bars(h);
	return r;
}

/* CPUID without Xen's leaves, power-on MSRs; registers stay at KVM's reset state. */
static int hvm_setup_vcpu(struct machine *m, struct vcpu *vcpu)
{
	return machine_setup_vcpu_cpu(m->vm, vcpu, false);
}

static void *no_work(void *arg)
{
	return arg;
}

/*
 * Nothing of this machine runs on a thread of its own before the VMM is
 * confined, but glibc installs its SIGCANCEL/SIGSETXID handlers
 * (rt_sigaction) on a process's first pthread_create, which the seccomp
 * list forbids afterwards.  One throwaway thread now gets that done.
 * (Shim: this belongs in sandbox_enter, core/'s lane.)
 */
static int hvm_start(struct machine *m)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, no_work, NULL);

	if (r)
		return -r;
	pthread_join(t, NULL);
	return 0;
}

static int hvm_start_io(struct machine *m)
{
	struct hvm *h = state(m);
	int r = 0;

	for (unsigned i = 0; !r && h->nics[i] && !h->nics_unplugged; i++)
		r = rtl8139_start(h->nics[i]);
	return r ? r : console_start(&h->console, console_to_guest, h);
}

static void hvm_destroy(struct machine *m)
{
	struct hvm *h = state(m);

	if (!h)
		return;
	if (h->console_ready)
		console_destroy(&h->console);
	if (h->devices_ready) {
		serial_destroy(&h->com1);
		rtc_destroy(&h->rtc);
		i8042_destroy(&h->kbc);
		port92_destroy(&h->port92);
		acpi_pm_destroy(&h->acpi_pm);
		fw_cfg_destroy(&h->fw_cfg);
	}
	if (h->pci_ready) {
		pci_bus_destroy(&h->pci);
		piix3_destroy(&h->isa_bridge);
	}
	piix_ide_destroy(h->ide);
	/* After the bus that held them. */
	for (unsigned i = 0; h->nics && h->nics[i]; i++)
		rtl8139_destroy(h->nics[i]);
	free(h->nics);
	pthread_mutex_destroy(&h->debug_lock);
	free(h);
	m->priv = NULL;
}

int hvm_add_pci_function(struct machine *m, struct pci_function *fn)
{
	struct hvm *h = state(m);

	if (h->nr_extra_fns == HVM_MAX_EXTRA_FNS)
		return -ENOSPC;
	h->extra_fns[h->nr_extra_fns++] = fn;
	return 0;
}

void hvm_set_platform_ports(struct machine *m, io_handler_fn fn, void *opaque)
{
	state(m)->platform_io = fn;
	state(m)->platform_opaque = opaque;
}

int hvm_reserve_range(struct machine *m, uint64_t gpa, uint64_t size)
{
	struct hvm *h = state(m);

	if (h->nr_reserved == HVM_MAX_RESERVED)
		return -ENOSPC;
	h->reserved[h->nr_reserved].gpa = gpa;
	h->reserved[h->nr_reserved++].size = size;
	return 0;
}

int hvm_unplug_disks(struct machine *m, bool keep_primary_master)
{
	struct hvm *h = state(m);

	return h->ide ? piix_ide_unplug_disks(h->ide, keep_primary_master) : 0;
}

/*
 * Off the bus first, so no vCPU reaches the registers any more, then the
 * receive thread stops.  The model stays allocated until destroy.
 */
void hvm_unplug_nics(struct machine *m)
{
	struct hvm *h = state(m);

	if (h->nics_unplugged)
		return;
	h->nics_unplugged = true;
	for (unsigned i = 0; h->nics && h->nics[i]; i++) {
		pci_bus_remove(&h->pci, rtl8139_pci(h->nics[i]));
		rtl8139_stop(h->nics[i]);
	}
}

const struct disk_image *hvm_disk_image(struct machine *m, unsigned i)
{
	struct hvm *h = state(m);
	int slot = i < m->cfg->nr_disks ? m->cfg->disks[i].ide_slot : -1;

	if (!h->ide || slot < 0 || slot >= 2 * PIIX_IDE_CHANNELS)
		return NULL;
	return &h->ide->ch[slot / 2].drive[slot % 2].img;
}

int hvm_nic_fd(struct machine *m, unsigned i)
{
	struct hvm *h = state(m);

	return i < m->cfg->nr_nics && h->nics && h->nics[i] ? rtl8139_fd(h->nics[i]) : -1;
}

const struct machine_ops machine_hvm_ops = {
    .name = "hvm",
    .create = hvm_create,
    .build = hvm_build,
    .setup_vcpu = hvm_setup_vcpu,
    .start = hvm_start,
    .start_io = hvm_start_io,
    .destroy = hvm_destroy,
};

bool hvm_gsi_exists(struct machine *m, unsigned gsi)
{
	(void)m;
	return gsi >= 1 && gsi < HVM_NR_GSIS;
}

void hvm_set_gsi(struct machine *m, unsigned gsi, bool level)
{
	if (hvm_gsi_exists(m, gsi))
		vm_set_irq_line(state(m)->vm, gsi, level);
}

/* Function 7 of the slot: its own bit in the PIIX3's INTx state, apart from the slot's devices. */
void hvm_set_pci_intx(struct machine *m, uint8_t slot, unsigned pin, bool level)
{
	if (slot < 32)
		piix3_set_intx(&state(m)->isa_bridge, (uint8_t)(slot << 3 | 7), pin, level);
}

int hvm_pci_intx_irq(struct machine *m, uint8_t slot, unsigned pin)
{
	int pirq = slot < 32 ? piix3_pirq_of((uint8_t)(slot << 3), pin) : -1;

	return pirq < 0 ? -1 : piix3_pirq_irq(&state(m)->isa_bridge, (unsigned)pirq);
}
