/* SPDX-License-Identifier: MIT */
/*
 * The host side of a guest console: output to a file descriptor (the
 * terminal, a pipe to xkvmd or a log), input from another, both served
 * by a thread of its own.  Whoever produces output never waits on the
 * reader of out_fd: output goes into a bounded buffer that the thread
 * writes out when out_fd can take it (console.c says how).  A raw
 * terminal is restored when the console goes away.  The escape character
 * Ctrl-] asks the VM to stop, as `xl console` detaches.
 */
#ifndef XKVM_DEVICES_CONSOLE_H
#define XKVM_DEVICES_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

struct vm;

#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */
/* Output the reader has not taken yet, beyond what out_fd itself holds. */
#define CONSOLE_OUT_BUF 65536U
/* How long console_write waits for a reader that takes nothing before it drops output. */
#define CONSOLE_STALL_MS  1000
#define CONSOLE_INPUT_BUF 256

/* Where input goes; returns how many bytes it took (the rest is retried). */
typedef size_t (*console_sink_fn)(void *opaque, const uint8_t *buf, size_t len);
/* There is room for output again, after console_offer took less than it was offered. */
typedef void (*console_room_fn)(void *opaque);

struct console {
	struct vm *vm;
	int in_fd; /* -1: no input */
	int out_fd;
	bool raw; /* we switched in_fd's terminal to raw mode */
	struct termios saved;
	int wake_fd; /* eventfd: output queued, or the thread is to stop */
	pthread_t thread;
	bool thread_started;
	console_sink_fn sink;
	void *sink_opaque;
	bool no_escape; /* input is a byte stream, Ctrl-] included (a managed VMM) */
	/* Input read from in_fd that the guest has not taken yet (the thread's own). */
	uint8_t in_buf[CONSOLE_INPUT_BUF];
	size_t in_off, in_len;
	bool in_closed;

	/* Output: write_fd is out_fd, or a description of our own of it (console.c). */
	int write_fd;
	bool write_fd_owned, write_is_socket;
	unsigned stall_ms;	  /* CONSOLE_STALL_MS; tests shorten it */
	pthread_mutex_t out_lock; /* guards the fields below */
	pthread_cond_t out_progress;
	uint8_t out_buf[CONSOLE_OUT_BUF]; /* a ring: out_len bytes from out_head */
	size_t out_head, out_len;
	uint64_t out_written; /* bytes written out so far: waiters see progress */
	uint64_t dropped;     /* bytes given up on: a stalled reader, or out_fd failed */
	bool stalled;	      /* console_write gave up; drop until the reader takes some */
	bool out_failed;      /* out_fd failed for good: output is discarded (and counted) */
	bool stopping;
	bool want_room; /* an offer fell short: call room once some is written */
	console_room_fn room;
	void *room_opaque;
};

/* Set up the console; puts a terminal on in_fd into raw mode. */
int console_init(struct console *c, struct vm *vm, int in_fd, int out_fd);
/* Start the console's thread: output, and input (if any) delivered to sink. */
int console_start(struct console *c, console_sink_fn sink, void *opaque);
/*
 * Queue what fits of buf without waiting; returns how much that is.  When
 * it is less than len, room(room_opaque) is called from the console's
 * thread once some output has been written out.
 */
size_t console_offer(struct console *c, const uint8_t *buf, size_t len);
/*
 * Queue buf, waiting for room while the reader takes output: a UART or a
 * console_io hypercall on the vCPU that wrote, which has nowhere to keep
 * the rest.  Output is dropped (and counted) once the reader has taken
 * nothing for stall_ms, and from then on at once until it takes some.
 */
void console_write(struct console *c, const uint8_t *buf, size_t len);
/* Who console_offer's room call goes to (fn NULL: nobody). */
void console_set_room(struct console *c, console_room_fn fn, void *opaque);
/* Stop the thread, after it wrote what the reader takes within stall_ms. */
void console_destroy(struct console *c);

#endif
