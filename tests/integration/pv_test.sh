#!/bin/sh
# Xen PV guests: Debian's stock vmlinuz (the file as it ships) run by Xen's
# own PV shim, itself booted by xkvm as a PVH guest.  The guest must see a
# PV kernel on Xen with hvc0, xen-blkfront and xen-netfront.  Runs where
# /dev/kvm runs stock guests (natively, or in the KVM test host); needs root
# for the network namespace and TAP device.
. "$(dirname "$0")/lib.sh"

# pv_cfg <file> [key = value lines...]: a PV config for the shipped vmlinuz.
pv_cfg() {
	file=$1
	shift
	{
		echo "name = \"it-$(basename "$file" .cfg)\""
		echo 'type = "pv"'
		echo "kernel = \"$ASSETS/vmlinuz\""
		echo "pvshim_path = \"$ASSETS/xen-shim\""
		for line in "$@"; do echo "$line"; done
	} >"$file"
}

# 1. Boot facts, a disk written and synced, a NIC that reaches the host.
mkdir -p "$WORK/rootdir" "$WORK/script"
echo "made on the host" >"$WORK/rootdir/hello.txt"
rm -f "$WORK/pv-disk.img"
mke2fs -q -t ext4 -d "$WORK/rootdir" "$WORK/pv-disk.img" 64M
cat >"$WORK/script/xkvm-script" <<'SCRIPT'
say() { echo "xkvm-guest: $*"; }
say "guest_type: $(cat /sys/hypervisor/guest_type 2>/dev/null)"
# PVH and HVM guests say "on Xen PVH" / "on Xen HVM".
dmesg | grep -q 'Booting kernel on Xen$' && say "dmesg: pv on xen"
for i in $(seq 60); do [ -b /dev/xvda ] && break; sleep 1; done
mkdir -p /mnt
if mount -t ext4 /dev/xvda /mnt; then
	say "hello: $(cat /mnt/hello.txt)"
	echo "written by the PV guest" >/mnt/written.txt
	sync
	umount /mnt && say "disk: unmounted"
fi
for i in $(seq 60); do [ -d /sys/class/net/eth0 ] && break; sleep 1; done
say "eth0-driver: $(basename "$(readlink /sys/class/net/eth0/device/driver 2>/dev/null)")"
ip addr add 10.98.0.2/24 dev eth0
ip link set eth0 up
for i in $(seq 60); do
	if ping -c 1 -W 2 10.98.0.1 >/dev/null 2>&1; then say "ping: ok"; break; fi
done
SCRIPT
initrd_with_script "$WORK/pv-initrd.gz"

pv_cfg "$WORK/pv.cfg" 'memory = 512' 'vcpus = 1' "ramdisk = \"$WORK/pv-initrd.gz\"" \
	"disk = [ 'format=raw, vdev=xvda, access=rw, target=$WORK/pv-disk.img' ]" \
	"vif = [ 'mac=00:16:3e:00:00:43,vifname=xkvmpv0' ]" \
	'cmdline = "console=hvc0 xkvm.action=script xkvm.modules=xen-blkfront,xen-netfront,ext4"'
run_guest_on_tap pv "$WORK/pv.cfg" xkvmpv0 10.98.0.1/24
check pv-poweroff-exit-0 [ "$rc" = 0 ]
check pv-shim-runs-the-guest grep -q 'Xen version 4.17' "$WORK/pv.out"
check pv-guest-type-is-pv [ "$(guest_value pv guest_type)" = PV ]
check pv-dmesg-paravirtualized guest_said pv 'dmesg: pv on xen'
check pv-console-hvc0 [ "$(guest_value pv console)" = "tty0 hvc0" ] || [ "$(guest_value pv console)" = hvc0 ]
check pv-memory-512m in_range "$(guest_value pv mem_total_kib)" $((512 * 1024 * 7 / 10)) $((512 * 1024))
check pv-blkfront-reads-host-file [ "$(guest_value pv hello)" = "made on the host" ]
check pv-blk-written-file-on-host sh -c \
	"debugfs -R 'cat /written.txt' '$WORK/pv-disk.img' 2>/dev/null | grep -qx 'written by the PV guest'"
check pv-blk-e2fsck-clean e2fsck -fn "$WORK/pv-disk.img"
check pv-netfront-driver [ "$(guest_value pv eth0-driver)" = vif ]
check pv-netfront-pings-host guest_said pv 'ping: ok'
guest_said pv 'ping: ok' || show pv

# 2. A panic in the PV kernel reaches xkvm through the shim: on_crash = "destroy" exits 3.
pv_cfg "$WORK/pv-panic.cfg" 'memory = 512' "ramdisk = \"$ASSETS/guest-initrd.cpio.gz\"" \
	'on_crash = "destroy"' 'cmdline = "console=hvc0 quiet xkvm.action=panic"'
run_guest pv-panic "$WORK/pv-panic.cfg"
check pv-panic-destroy-exit-3 [ "$rc" = 3 ]
check pv-panic-is-the-guests grep -q 'Kernel panic - not syncing' "$WORK/pv-panic.out"
[ "$rc" = 3 ] || show pv-panic

# 3. A reboot with on_reboot = "destroy" exits 4.
pv_cfg "$WORK/pv-reboot.cfg" 'memory = 512' "ramdisk = \"$ASSETS/guest-initrd.cpio.gz\"" \
	'on_reboot = "destroy"' 'cmdline = "console=hvc0 quiet xkvm.action=reboot"'
run_guest pv-reboot "$WORK/pv-reboot.cfg"
check pv-reboot-destroy-exit-4 [ "$rc" = 4 ]
[ "$rc" = 4 ] || show pv-reboot
echo "DONE pv_test"
