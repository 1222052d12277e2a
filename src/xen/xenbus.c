/* SPDX-License-Identifier: MIT */
#include "xen/xenbus.h"
#include "lib/log.h"
#include "xen/domain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_key(struct xen_domain *xd, const char *dir, const char *key, const char *value)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_write(xd->xs, path, value);
}

static void set_backend_state(struct xenbus_device *dev, enum xenbus_state state)
{
	char value[4];

	dev->state = state;
	snprintf(value, sizeof(value), "%d", (int)state);
	write_key(dev->xd, dev->backend_path, "state", value);
}

char *xenbus_read_frontend(struct xenbus_device *dev, const char *key)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dev->frontend_path, key);
	return xs_read(dev->xd->xs, path);
}

int xenbus_read_frontend_u64(struct xenbus_device *dev, const char *key, uint64_t *out)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dev->frontend_path, key);
	return xs_read_u64(dev->xd->xs, path, out);
}

int xenbus_write_backend(struct xenbus_device *dev, const char *key, const char *fmt, ...)
{
	char value[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return write_key(dev->xd, dev->backend_path, key, value);
}

void xenbus_dev_error(struct xenbus_device *dev, int err, const char *fmt, ...)
{
	char msg[200], path[200], value[220];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("%s: %s", dev->backend_path, msg);
	/* Where Xen's backends report it, for `xenstore-ls` readers and the frontend. */
	snprintf(path, sizeof(path), "/local/domain/0/error%s/error", dev->backend_path);
	snprintf(value, sizeof(value), "%d %s", err < 0 ? -err : err, msg);
	xs_write(dev->xd->xs, path, value);
}

static int frontend_state(struct xenbus_device *dev)
{
	uint64_t state;

	if (xenbus_read_frontend_u64(dev, "state", &state) || state > XenbusStateReconfigured)
		return -1;
	return (int)state;
}

static void connect_backend(struct xenbus_device *dev)
{
	int r;

	if (dev->state == XenbusStateConnected)
		return;
	r = dev->ops->connect(dev);
	if (r) {
		/* The backend recorded its own reason with xenbus_dev_error; keep that one. */
		pr_err("%s: connecting %s %u failed", dev->backend_path, dev->ops->type,
		       dev->devid);
		dev->ops->disconnect(dev);
		set_backend_state(dev, XenbusStateClosing);
		return;
	}
	set_backend_state(dev, XenbusStateConnected);
}

/*
 * The frontend is closing: stop serving it and answer Closing, as Xen's
 * backends do.  Linux waits for exactly that answer when it shuts down
 * (xenbus_frontend_dev_shutdown), for 5 s per device if it never comes.
 */
static void frontend_closing(struct xenbus_device *dev)
{
	if (dev->state == XenbusStateConnected)
		dev->ops->disconnect(dev);
	if (dev->state != XenbusStateClosing)
		set_backend_state(dev, XenbusStateClosing);
}

/*
 * The frontend closed: release everything and answer Closed, as Xen's
 * backends do.  A frontend that hands the device over waits for exactly
 * that (PV GRUB before it boots the kernel, Linux's xenbus_reset_state
 * after a kexec); going on to InitWait at once would leave it waiting.
 */
static void frontend_closed(struct xenbus_device *dev)
{
	if (dev->state == XenbusStateConnected)
		dev->ops->disconnect(dev);
	if (dev->state != XenbusStateClosed)
		set_backend_state(dev, XenbusStateClosed);
}

/* A frontend starting over after Closed (the next owner of the device): be ready again. */
static void frontend_initialising(struct xenbus_device *dev)
{
	if (dev->state == XenbusStateClosed)
		set_backend_state(dev, XenbusStateInitWait);
}

static void frontend_changed(void *opaque, const char *path)
{
	struct xenbus_device *dev = opaque;

	(void)path;
	pthread_mutex_lock(&dev->lock);
	switch (frontend_state(dev)) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		connect_backend(dev);
		break;
	case XenbusStateClosing:
		frontend_closing(dev);
		break;
	case XenbusStateClosed:
		frontend_closed(dev);
		break;
	case XenbusStateInitialising:
		frontend_initialising(dev);
		break;
	default:
		break; /* a value we do not understand: wait */
	}
	pthread_mutex_unlock(&dev->lock);
}

/* Backend directory: ours, readable by the guest. Frontend directory: the guest's. */
static int create_directories(struct xenbus_device *dev, const char *const *front_keys)
{
	struct xen_domain *xd = dev->xd;
	char guest[16], reader[16], id[16];
	const char *back_perms[] = {"n0", reader};
	const char *front_perms[] = {guest, "r0"};
	int r = 0;

	snprintf(guest, sizeof(guest), "n%u", xd->domid);
	snprintf(reader, sizeof(reader), "r%u", xd->domid);
	snprintf(id, sizeof(id), "%u", xd->domid);
	r |= xs_mkdir(xd->xs, dev->backend_path);
	r |= xs_set_perms(xd->xs, dev->backend_path, back_perms, 2);
	r |= write_key(xd, dev->backend_path, "frontend", dev->frontend_path);
	r |= write_key(xd, dev->backend_path, "frontend-id", id);
	r |= write_key(xd, dev->backend_path, "online", "1");
	r |= write_key(xd, dev->backend_path, "state", "1");
	if (!r && dev->ops->init)
		r = dev->ops->init(dev);
	r |= xs_mkdir(xd->xs, dev->frontend_path);
	r |= xs_set_perms(xd->xs, dev->frontend_path, front_perms, 2);
	r |= write_key(xd, dev->frontend_path, "backend", dev->backend_path);
	r |= write_key(xd, dev->frontend_path, "backend-id", "0");
	r |= write_key(xd, dev->frontend_path, "state", "1");
	for (unsigned i = 0; !r && front_keys && front_keys[i]; i++) {
		const char *eq = strchr(front_keys[i], '=');
		char key[64];

		if (!eq || (size_t)(eq - front_keys[i]) >= sizeof(key))
			return -EINVAL;
		memcpy(key, front_keys[i], (size_t)(eq - front_keys[i]));
		key[eq - front_keys[i]] = '\0';
		r = write_key(xd, dev->frontend_path, key, eq + 1);
	}
	return r ? -EIO : 0;
}

struct xenbus_device *xenbus_device_add(struct xen_domain *xd, const struct xenbus_backend_ops *ops,
					unsigned devid, void *opaque, const char *const *front_keys)
{
	struct xenbus_device *dev = calloc(1, sizeof(*dev));
	char state_path[128];

	if (!dev)
		return NULL;
	dev->ops = ops;
	dev->xd = xd;
	dev->devid = devid;
	dev->opaque = opaque;
	dev->state = XenbusStateInitialising;
	dev->watch = -1;
	pthread_mutex_init(&dev->lock, NULL);
	snprintf(dev->backend_path, sizeof(dev->backend_path), "/local/domain/0/backend/%s/%u/%u",
		 ops->type, xd->domid, devid);
	snprintf(dev->frontend_path, sizeof(dev->frontend_path), "/local/domain/%u/device/%s/%u",
		 xd->domid, ops->type, devid);
	if (create_directories(dev, front_keys)) {
		pr_err("cannot create the XenStore directories of %s %u", ops->type, devid);
		xenbus_device_remove(dev);
		return NULL;
	}
	set_backend_state(dev, XenbusStateInitWait);
	snprintf(state_path, sizeof(state_path), "%s/state", dev->frontend_path);
	dev->watch = xs_watch_add(xd->xs, state_path, frontend_changed, dev);
	if (dev->watch < 0) {
		xenbus_device_remove(dev);
		return NULL;
	}
	return dev;
}

void xenbus_device_remove(struct xenbus_device *dev)
{
	if (!dev)
		return;
	if (dev->watch > 0)
		xs_watch_remove(dev->xd->xs, dev->watch);
	pthread_mutex_lock(&dev->lock);
	dev->ops->disconnect(dev);
	pthread_mutex_unlock(&dev->lock);
	xs_rm(dev->xd->xs, dev->backend_path);
	xs_rm(dev->xd->xs, dev->frontend_path);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}
