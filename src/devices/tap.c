/* SPDX-License-Identifier: MIT */
#include "devices/tap.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define TUN_DEV "/dev/net/tun"

static int tun_open_dev(void)
{
	int fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int err;

	if (fd >= 0)
		return fd;
	err = errno;
	if (err == ENOENT || err == ENODEV || err == ENXIO)
		pr_err("%s: %s (load the tun module: modprobe tun)", TUN_DEV, strerror(err));
	else if (err == EPERM || err == EACCES)
		pr_err("%s: %s (creating TAP interfaces needs CAP_NET_ADMIN)", TUN_DEV,
		       strerror(err));
	else
		pr_err("%s: %s", TUN_DEV, strerror(err));
	return -err;
}

static void tun_iff_error(const char *name, int err)
{
	if (err == EPERM)
		pr_err("TAP '%s': %s (needs CAP_NET_ADMIN)", name, strerror(err));
	else if (err == EBUSY)
		pr_err("TAP '%s': %s (the name is taken by an interface in use or of "
		       "another type)",
		       name, strerror(err));
	else
		pr_err("TAP '%s': TUNSETIFF: %s", name, strerror(err));
}

/*
 * TUNSETIFF: create the interface, or attach to an existing one of that
 * name; with mq, as one more queue of a multi-queue interface.  -errno
 * unlogged: a multi-queue attempt may fail and fall back.
 */
static int tun_set_iff(int fd, const char *name, bool vnet_hdr, bool mq, char name_out[IFNAMSIZ])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) |
				(mq ? IFF_MULTI_QUEUE : 0));
	memcpy(ifr.ifr_name, name, strlen(name)); /* length checked by the caller */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
	name_out[IFNAMSIZ - 1] = '\0';
	return 0;
}

/*
 * Host-side MAC fe:ff:ff:ff:ff:ff: a bridge takes the lowest port MAC as its
 * own, and this one never is the lowest.  Failure only costs that nicety.
 */
static void tap_set_host_mac(int sock, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, IFNAMSIZ);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memset(ifr.ifr_hwaddr.sa_data, 0xff, 6);
	ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
	if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
		pr_warn("TAP '%s': cannot set the host-side MAC: %s", name, strerror(errno));
}

static int tap_set_up(int sock, const char *name)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, IFNAMSIZ);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	return 0;
fail:
	err = errno;
	pr_err("TAP '%s': cannot bring the interface up: %s", name, strerror(err));
	return -err;
}

static int tap_add_to_bridge(int sock, const char *name, const char *bridge)
{
	struct ifreq ifr;
	unsigned ifindex = if_nametoindex(name);
	int err;

	if (strlen(bridge) >= IFNAMSIZ) {
		pr_err("bridge '%s': name longer than %d characters", bridge, IFNAMSIZ - 1);
		return -ENAMETOOLONG;
	}
	if (!if_nametoindex(bridge)) {
		pr_err("bridge '%s' does not exist (create it, e.g. ip link add %s type bridge)",
		       bridge, bridge);
		return -ENODEV;
	}
	if (!ifindex) {
		err = errno;
		pr_err("TAP '%s': %s", name, strerror(err));
		return -err;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, bridge, strlen(bridge));
	ifr.ifr_ifindex = (int)ifindex;
	if (ioctl(sock, SIOCBRADDIF, &ifr) < 0) {
		err = errno;
		if (err == EOPNOTSUPP || err == EINVAL)
			pr_err("cannot add TAP '%s' to '%s': '%s' is not a bridge", name, bridge,
			       bridge);
		else
			pr_err("cannot add TAP '%s' to bridge '%s': %s", name, bridge,
			       strerror(err));
		return -err;
	}
	return 0;
}

/* The header size the offload code writes; the kernel's default, but say so. */
static int tun_set_vnet_hdr_size(int fd)
{
	int sz = (int)sizeof(struct virtio_net_hdr);

	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
		return -errno;
	return 0;
}

/* Bring the interface up, with its host-side MAC, and on the bridge if asked.  0 or -errno. */
static int tap_configure(const char *name, const char *bridge)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (sock < 0) {
		r = -errno;
		pr_err("TAP '%s': control socket: %s", name, strerror(errno));
		return r;
	}
	tap_set_host_mac(sock, name);
	r = tap_set_up(sock, name);
	if (!r && bridge && *bridge)
		r = tap_add_to_bridge(sock, name, bridge);
	close(sock);
	return r;
}

/*
 * The first (or only) queue.  *mq: multi-queue asked for, cleared when the
 * interface cannot be: an existing single-queue TAP of that name refuses
 * IFF_MULTI_QUEUE (EINVAL), and is then taken as it is.  fd or -errno.
 */
static int tap_open_first(const char *name, bool vnet_hdr, bool *mq, char name_out[IFNAMSIZ])
{
	int fd = tun_open_dev();
	int r;

	if (fd < 0)
		return fd;
	r = *mq ? tun_set_iff(fd, name, vnet_hdr, true, name_out) : -EINVAL;
	if (r == -EINVAL) {
		*mq = false;
		r = tun_set_iff(fd, name, vnet_hdr, false, name_out);
	}
	if (r) {
		tun_iff_error(name, -r);
	} else if (vnet_hdr) {
		/* The header size is the interface's, not the queue's: once is enough. */
		r = tun_set_vnet_hdr_size(fd);
		if (r)
			pr_err("TAP '%s': TUNSETVNETHDRSZ: %s", name_out, strerror(-r));
	}
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

/* Queues 1.. of a multi-queue interface; fewer than want (warned) when the kernel refuses more. */
static unsigned tap_open_more(const char *name, bool vnet_hdr, unsigned want, int fds[])
{
	char got[IFNAMSIZ];
	unsigned n;
	int r;

	for (n = 1; n < want; n++) {
		fds[n] = tun_open_dev();
		if (fds[n] < 0)
			break;
		r = tun_set_iff(fds[n], name, vnet_hdr, true, got);
		if (r) {
			pr_warn("TAP '%s': queue %u: TUNSETIFF: %s; %u queues", name, n,
				strerror(-r), n);
			close(fds[n]);
			break;
		}
	}
	return n;
}

int tap_open_queues(const char *name, const char *bridge, bool vnet_hdr, unsigned want, int fds[],
		    char name_out[IFNAMSIZ])
{
	bool mq = want > 1;
	unsigned n = 1;
	int r;

	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		pr_err("TAP name '%s': must be 1 to %d characters", name ? name : "", IFNAMSIZ - 1);
		return -EINVAL;
	}
	fds[0] = tap_open_first(name, vnet_hdr, &mq, name_out);
	if (fds[0] < 0)
		return fds[0];
	if (mq)
		n = tap_open_more(name_out, vnet_hdr, want, fds);
	r = tap_configure(name_out, bridge);
	if (r < 0) {
		for (unsigned i = 0; i < n; i++)
			close(fds[i]);
		return r;
	}
	return (int)n;
}

int tap_open(const char *name, const char *bridge, bool vnet_hdr, char name_out[IFNAMSIZ])
{
	int fd;
	int r = tap_open_queues(name, bridge, vnet_hdr, 1, &fd, name_out);

	return r < 0 ? r : fd;
}

int tap_set_queue(int fd, bool attach)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE);
	if (ioctl(fd, TUNSETQUEUE, &ifr) < 0)
		return -errno;
	return 0;
}

int tap_vnet_hdr(int fd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	/* Not a TAP (a socket in the tests) or not ours to query: plain frames. */
	if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_VNET_HDR))
		return 0;
	return tun_set_vnet_hdr_size(fd) ? 0 : 1;
}

int tap_set_offload(int fd, unsigned tun_flags)
{
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags) < 0)
		return -errno;
	return 0;
}

ssize_t tap_write_frame(int fd, bool vnet_hdr, const void *frame, size_t len)
{
	struct virtio_net_hdr hdr = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)frame, len}};
	ssize_t n;

	if (!vnet_hdr)
		return write(fd, frame, len);
	n = writev(fd, iov, 2);
	return n < 0 ? n : n - (ssize_t)sizeof(hdr);
}

ssize_t tap_read_frame(int fd, bool vnet_hdr, void *buf, size_t cap)
{
	struct virtio_net_hdr hdr;
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {buf, cap}};
	ssize_t n;

	if (!vnet_hdr)
		return read(fd, buf, cap);
	n = readv(fd, iov, 2);
	if (n >= 0 && n < (ssize_t)sizeof(hdr)) {
		errno = EPROTO;
		return -1;
	}
	return n < 0 ? n : n - (ssize_t)sizeof(hdr);
}

void tap_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
