/* SPDX-License-Identifier: MIT */
#include "devices/acpi_pm.h"
#include "arch/x86/acpi.h"
#include "core/vm.h"
#include "lib/log.h"

#include <string.h>
#include <time.h>

#define PM1_CNT_SCI_EN	      0x0001
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK  0x7
#define PM1_CNT_SLP_EN	      0x2000

/* Offsets inside the 6-byte PM1a window (the board table places it). */
enum { PM1_STS = 0, PM1_EN = 2, PM1_CNT = 4 };

void acpi_pm_init(struct acpi_pm *pm, struct vm *vm)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->vm = vm;
	/* No SMI command port: the machine is in ACPI mode from power-on. */
	pm->pm1_control = PM1_CNT_SCI_EN;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

static uint16_t *pm1_reg(struct acpi_pm *pm, uint64_t offset)
{
	switch (offset) {
	case PM1_STS:
		return &pm->pm1_status;
	case PM1_EN:
		return &pm->pm1_enable;
	case PM1_CNT:
		return &pm->pm1_control;
	default:
		return NULL;
	}
}

static void write_control(struct acpi_pm *pm, uint16_t v)
{
	unsigned slp_typ = (v >> PM1_CNT_SLP_TYP_SHIFT) & PM1_CNT_SLP_TYP_MASK;

	pm->pm1_control = (uint16_t)((v & ~PM1_CNT_SLP_EN) | PM1_CNT_SCI_EN);
	if (!(v & PM1_CNT_SLP_EN))
		return;
	if (slp_typ == ACPI_S5_SLP_TYP)
		vm_request_stop(pm->vm, VM_STOP_POWEROFF, "guest powered off (ACPI S5)");
	else
		pr_warn_once("guest asked for unsupported ACPI sleep type %u", slp_typ);
}

void acpi_pm1_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *pm = opaque;
	uint64_t reg_off = offset & ~1ULL;
	uint16_t *reg, v;

	pthread_mutex_lock(&pm->lock);
	reg = pm1_reg(pm, reg_off);
	if (!reg || len > 2 || (offset & 1 && len > 1)) {
		/* Registers are 16 bits; anything wider or misaligned is ignored. */
		pthread_mutex_unlock(&pm->lock);
		return;
	}
	if (!is_write) {
		v = (uint16_t)(*reg >> ((offset & 1) * 8));
		memcpy(data, &v, len);
	} else {
		v = len == 2 ? (uint16_t)(data[0] | data[1] << 8) : data[0];
		if (offset & 1)
			v = (uint16_t)((*reg & 0x00ff) | v << 8);
		else if (len == 1)
			v = (uint16_t)((*reg & 0xff00) | v);
		if (reg_off == PM1_STS)
			pm->pm1_status &= (uint16_t)~v; /* status bits are write-one-to-clear */
		else if (reg_off == PM1_CNT)
			write_control(pm, v);
		else
			*reg = v;
	}
	pthread_mutex_unlock(&pm->lock);
}

void acpi_reset_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct acpi_pm *pm = opaque;

	(void)offset;
	(void)len;
	if (!is_write) {
		data[0] = 0;
		return;
	}
	if (data[0] == ACPI_RESET_VALUE)
		vm_request_stop(pm->vm, VM_STOP_REBOOT, "guest reset (ACPI reset register)");
}

/* The PM timer counts at 3.579545 MHz and wraps at 24 bits (the FADT has no TMR_VAL_EXT). */
#define PM_TIMER_HZ   3579545ULL
#define PM_TIMER_MASK 0xFFFFFFU
#define NS_PER_SEC    1000000000ULL

uint32_t acpi_pm_timer_ticks(uint64_t ns)
{
	/* Seconds and the rest apart: ns * PM_TIMER_HZ overflows after 85 minutes. */
	uint64_t ticks = ns / NS_PER_SEC * PM_TIMER_HZ + ns % NS_PER_SEC * PM_TIMER_HZ / NS_PER_SEC;

	return (uint32_t)(ticks & PM_TIMER_MASK);
}

void acpi_pm_timer_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct timespec ts;
	uint32_t v;

	(void)opaque;
	/* Read-only; a read of its 4 bytes may be split. */
	if (is_write || offset >= 4 || len > 4 - offset)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v = acpi_pm_timer_ticks((uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec);
	v >>= 8 * offset;
	memcpy(data, &v, len);
}
