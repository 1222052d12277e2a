/* SPDX-License-Identifier: MIT */
/*
 * The host side of a guest console: output to a file descriptor (the
 * terminal or a log), input from another, read by a thread of its own.
 * A raw terminal is restored when the console goes away.  The escape
 * character Ctrl-] asks the VM to stop, as `xl console` detaches.
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

/* Where input goes; returns how many bytes it took (the rest is retried). */
typedef size_t (*console_sink_fn)(void *opaque, const uint8_t *buf, size_t len);

struct console {
	struct vm *vm;
	int in_fd; /* -1: no input */
	int out_fd;
	bool raw; /* we switched in_fd's terminal to raw mode */
	struct termios saved;
	int wake_fd; /* eventfd that stops the input thread */
	pthread_t thread;
	bool thread_started;
	console_sink_fn sink;
	void *sink_opaque;
	bool no_escape; /* input is a byte stream, Ctrl-] included (a managed VMM) */
};

/* Set up the console; puts a terminal on in_fd into raw mode. */
int console_init(struct console *c, struct vm *vm, int in_fd, int out_fd);
/* Start delivering input to sink. */
int console_start_input(struct console *c, console_sink_fn sink, void *opaque);
void console_write(struct console *c, const uint8_t *buf, size_t len);
void console_destroy(struct console *c);

#endif
