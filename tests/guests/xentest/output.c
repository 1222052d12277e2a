/* SPDX-License-Identifier: MIT */
/*
 * Where xentest's report lines go, in order of preference:
 *   - the Xen console ring (CONSOLE_PFN), written synchronously, once the
 *     HVM params have told us where it is and as long as it keeps draining;
 *   - HYPERVISOR_console_io(CONSOLEIO_write) once the hypercall page works;
 *   - before that, a small buffer that is flushed through console_io.
 * With xentest.debugcon every line also goes to I/O port 0xE9 (QEMU's
 * -debugcon), which lets the boot path be checked without any Xen at all.
 */
#include "hypercall.h"

#define DEBUGCON_PORT 0xe9
#define LINE_MAX      256
#define EARLY_BUF_MAX 2048
/* How long the console backend may take to drain one line. */
#define CONSOLE_DRAIN_MS 2000

static char early_buf[EARLY_BUF_MAX];
static size_t early_len;
static bool console_stalled;

bool console_ring_stalled(void)
{
	return console_stalled;
}

/* ---- formatting: %s %c %d %u %x %p, with l/ll/z sizes and 0-padded widths ---- */

struct fmt_out {
	char *buf;
	size_t size, len;
};

static void put_char(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_str(struct fmt_out *o, const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put_char(o, *s++);
}

static void put_uint(struct fmt_out *o, uint64_t v, unsigned base, unsigned width, char pad)
{
	char digits[24];
	unsigned n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width > n) {
		put_char(o, pad);
		width--;
	}
	while (n)
		put_char(o, digits[--n]);
}

int format(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = {buf, size, 0};

	for (; *fmt; fmt++) {
		unsigned width = 0, longs = 0;
		char pad = ' ';
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			put_char(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			longs = *fmt == 'z' ? 2 : longs + 1;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			put_str(&o, va_arg(ap, const char *));
			break;
		case 'c':
			put_char(&o, (char)va_arg(ap, int));
			break;
		case 'd':
			s = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (s < 0)
				put_char(&o, '-');
			put_uint(&o, s < 0 ? -(uint64_t)s : (uint64_t)s, 10, width, pad);
			break;
		case 'u':
		case 'x':
			u = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_uint(&o, u, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case 'p':
			put_str(&o, "0x");
			put_uint(&o, (uint64_t)va_arg(ap, void *), 16, 0, ' ');
			break;
		case '%':
			put_char(&o, '%');
			break;
		default: /* unknown conversion or a trailing '%': show it, stop */
			put_char(&o, '%');
			if (!*fmt)
				goto out;
			put_char(&o, *fmt);
		}
	}
out:
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int format_str(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = format(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* ---- sinks ---- */

static void debugcon_write(const char *s, size_t n)
{
	while (n--)
		outb(DEBUGCON_PORT, (uint8_t)*s++);
}

static void early_append(const char *s, size_t n)
{
	while (n-- && early_len < sizeof(early_buf))
		early_buf[early_len++] = *s++;
}

static void console_io_write(const char *s, size_t n)
{
	console_io(CONSOLEIO_write, n, s);
}

static void console_notify(void)
{
	evtchn_send(guest.console_port);
}

/*
 * Append to the output ring, waiting for room if needed, then wait until
 * the backend has consumed everything: a line reported here has really
 * left the guest.  Any stall marks the ring unusable (console_stalled).
 */
static bool ring_write(const char *s, size_t n)
{
	struct xencons_interface *c = guest.console;
	struct deadline d = deadline_in_ms(CONSOLE_DRAIN_MS);
	XENCONS_RING_IDX prod = READ_ONCE(c->out_prod);

	while (n) {
		XENCONS_RING_IDX cons = READ_ONCE(c->out_cons);

		if (prod - cons > sizeof(c->out))
			goto stalled; /* indexes make no sense: never trust the ring again */
		if (prod - cons == sizeof(c->out)) {
			console_notify();
			if (deadline_passed(&d))
				goto stalled;
			sched_yield();
			continue;
		}
		c->out[MASK_XENCONS_IDX(prod, c->out)] = *s++;
		prod++;
		n--;
		if (n == 0 || prod - cons == sizeof(c->out)) {
			barrier(); /* data before index; x86 keeps stores in order */
			WRITE_ONCE(c->out_prod, prod);
			console_notify();
		}
	}
	while (READ_ONCE(c->out_cons) != prod) {
		if (deadline_passed(&d))
			goto stalled;
		sched_yield();
		cpu_relax();
	}
	return true;
stalled:
	console_stalled = true;
	return false;
}

static void out_write(const char *s, size_t n)
{
	if (guest.debugcon)
		debugcon_write(s, n);
	if (guest.console && !console_stalled && ring_write(s, n))
		return;
	if (guest.hypercalls)
		console_io_write(s, n);
	else
		early_append(s, n);
}

void out_hypercalls_ready(void)
{
	if (early_len)
		console_io_write(early_buf, early_len);
	early_len = 0;
}

void say(const char *fmt, ...)
{
	static const char prefix[] = "xentest: ";
	char line[LINE_MAX];
	size_t n = sizeof(prefix) - 1;
	va_list ap;
	int len;

	memcpy(line, prefix, n);
	va_start(ap, fmt);
	len = format(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n += (size_t)len < sizeof(line) - n - 1 ? (size_t)len : sizeof(line) - n - 2;
	line[n++] = '\n';
	out_write(line, n);
}
