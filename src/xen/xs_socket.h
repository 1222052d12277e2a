/* SPDX-License-Identifier: MIT */
/*
 * A unix socket speaking xenstored's wire protocol, so that Debian's
 * xenstore-utils work against a VM: XENSTORED_PATH=<path> xenstore-ls.
 * Clients act as domain 0.  The socket is served by its own thread.
 */
#ifndef XKVM_XEN_XS_SOCKET_H
#define XKVM_XEN_XS_SOCKET_H

#include "xen/xenstore.h"

struct xs_socket;

/* Create (mode 0600, replacing a stale socket file) and start serving.  NULL on error (logged). */
struct xs_socket *xs_socket_open(struct xs_store *s, const char *path);
/* Stop the thread, close clients, unlink the socket file. */
void xs_socket_close(struct xs_socket *sock);

#endif
