/* SPDX-License-Identifier: MIT */
/*
 * The backend half of XenBus: a device's backend and frontend directories
 * in XenStore and the state handshake between them (xen/io/xenbus.h).
 * A backend type (vbd, vif) supplies ops; this file drives the states:
 *
 *   add:        backend dir written (ops->init adds its own keys), frontend
 *               dir created for the guest, backend → InitWait.
 *   frontend Initialised or Connected: ops->connect (map rings, bind the
 *               event channel, start I/O); backend → Connected, or Closing
 *               with error/<node> on failure.
 *   frontend Closing/Closed, or VM teardown: ops->disconnect; backend →
 *               Closed, then InitWait again so the frontend can reconnect.
 */
#ifndef XKVM_XEN_XENBUS_H
#define XKVM_XEN_XENBUS_H

#include <pthread.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/io/xenbus.h>

struct xen_domain;
struct xenbus_device;

struct xenbus_backend_ops {
	const char *type; /* "vbd", "vif" */
	/* Write backend keys (features, sizes) while the backend is Initialising. */
	int (*init)(struct xenbus_device *dev);
	/* Read the frontend's keys, map rings, bind the event channel, start I/O. 0 or -errno. */
	int (*connect)(struct xenbus_device *dev);
	/* Stop I/O and release grants and event channels.  Must be idempotent. */
	void (*disconnect)(struct xenbus_device *dev);
};

struct xenbus_device {
	const struct xenbus_backend_ops *ops;
	struct xen_domain *xd;
	unsigned devid;
	char backend_path[96];	/* /local/domain/0/backend/<type>/<domid>/<devid> */
	char frontend_path[96]; /* /local/domain/<domid>/device/<type>/<devid> */
	void *opaque;		/* the backend's own state */

	pthread_mutex_t lock; /* serialises state changes */
	enum xenbus_state state;
	int watch;
};

/*
 * Create the device's XenStore directories and start watching the
 * frontend.  front_keys: extra "key=value" strings for the frontend dir
 * (e.g. the MAC of a vif), NULL-terminated, may be NULL.
 */
struct xenbus_device *xenbus_device_add(struct xen_domain *xd, const struct xenbus_backend_ops *ops,
					unsigned devid, void *opaque,
					const char *const *front_keys);
/* Disconnect, remove the directories, free. */
void xenbus_device_remove(struct xenbus_device *dev);

/* Frontend/backend key helpers; paths are relative to the device's directory. */
char *xenbus_read_frontend(struct xenbus_device *dev, const char *key); /* caller frees; NULL */
int xenbus_read_frontend_u64(struct xenbus_device *dev, const char *key, uint64_t *out);
int xenbus_write_backend(struct xenbus_device *dev, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record why connecting failed, as Xen's backends do (error/<backend path>/error). */
void xenbus_dev_error(struct xenbus_device *dev, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
