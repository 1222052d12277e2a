/* SPDX-License-Identifier: MIT */
/*
 * A VM console over a WebSocket: bytes between an upgraded client socket
 * and the VMM's console.sock.  One thread per console client (the HTTP
 * connection's own thread): each pump blocks only itself, its buffers are
 * bounded, and a client that does not keep up is dropped rather than
 * slowing the VM's console.
 */
#ifndef XKVM_DAEMON_CONSOLE_H
#define XKVM_DAEMON_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Pump until either side closes, the client misbehaves, or stop_fd becomes
 * readable (the daemon is stopping).  extra is what the client sent after
 * its handshake.  The caller closes ws_fd.
 */
void console_pump(int ws_fd, const uint8_t *extra, size_t extra_len, const char *console_path,
		  int stop_fd);

#endif
