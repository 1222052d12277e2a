/* SPDX-License-Identifier: MIT */
/*
 * Unix stream sockets, as the XenStore socket, xkvmd's API and a managed
 * VMM's console and controls use them.
 */
#ifndef XKVM_LIB_UNIX_SOCKET_H
#define XKVM_LIB_UNIX_SOCKET_H

#include <sys/types.h>

/*
 * Listen at path with the given mode.  A socket left there by an earlier
 * run is replaced; any other kind of file is not (-EEXIST).  sock_flags
 * are added to socket()'s type (SOCK_NONBLOCK).  Returns the fd or -errno;
 * the caller names the socket in its message.
 */
int unix_socket_listen(const char *path, mode_t mode, int backlog, int sock_flags);

/* Connect a non-blocking stream socket to path.  Returns the fd or -errno. */
int unix_socket_connect(const char *path);

#endif
