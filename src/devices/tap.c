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

/* TUNSETIFF: create the interface, or attach to an existing one of that name. */
static int tun_set_iff(int fd, const char *name, bool vnet_hdr, char name_out[IFNAMSIZ])
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0));
	memcpy(ifr.ifr_name, name, strlen(name)); /* length checked by the caller */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		if (err == EPERM)
			pr_err("TAP '%s': %s (needs CAP_NET_ADMIN)", name, strerror(err));
		else if (err == EBUSY)
			pr_err("TAP '%s': %s (the name is taken by an interface in use or of "
			       "another type)",
			       name, strerror(err));
		else
			pr_err("TAP '%s': TUNSETIFF: %s", name, strerror(err));
		return -err;
	}
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

int tap_open(const char *name, const char *bridge, bool vnet_hdr, char name_out[IFNAMSIZ])
{
	int fd, sock, r;

	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		pr_err("TAP name '%s': must be 1 to %d characters", name ? name : "", IFNAMSIZ - 1);
		return -EINVAL;
	}
	fd = tun_open_dev();
	if (fd < 0)
		return fd;
	r = tun_set_iff(fd, name, vnet_hdr, name_out);
	if (!r && vnet_hdr) {
		r = tun_set_vnet_hdr_size(fd);
		if (r)
			pr_err("TAP '%s': TUNSETVNETHDRSZ: %s", name_out, strerror(-r));
	}
	if (r < 0)
		goto out_fd;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		r = -errno;
		pr_err("TAP '%s': control socket: %s", name_out, strerror(errno));
		goto out_fd;
	}
	tap_set_host_mac(sock, name_out);
	r = tap_set_up(sock, name_out);
	if (!r && bridge && *bridge)
		r = tap_add_to_bridge(sock, name_out, bridge);
	close(sock);
	if (r < 0)
		goto out_fd;
	return fd;
out_fd:
	close(fd);
	return r;
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
