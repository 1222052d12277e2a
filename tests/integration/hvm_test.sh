#!/bin/sh
# HVM guests: SeaBIOS, then the guest's own bootloader (GRUB from the disk's
# MBR, isolinux from the CD), then Debian's kernel on the emulated i440FX
# machine's devices (PIIX IDE, rtl8139), using the images tools/guest-assets
# builds (hvm-disk.img, hvm-cd.iso).  The guest's init
# (tools/guest/hvm-init) takes its action from the disk's action sector
# (LBA 2047), which each case writes into its own copy of the image.
#
# HVM_VMM=xkvm (the default) runs xkvm with type = "hvm" configs; HVM_VMM=qemu
# runs the same cases with qemu-system-x86_64 -M pc (TCG unless
# HVM_QEMU_ACCEL says otherwise), which checks the images and this script
# against a known machine:
#   HVM_VMM=qemu ASSETS=$(tools/guest-assets --print-dir) sh tests/integration/hvm_test.sh
# The pvhvm cases boot the same disk with Xen's platform device (xkvm only);
# tests/integration/pvhvm_test.sh runs them as a group of their own
# (HVM_GROUP=pvhvm_test), so each group keeps within its time limit.
# HVM_CASES picks cases (default: the group's).  Needs root
# for the network namespace and TAP device of the boot case's ping.
HVM_VMM=${HVM_VMM:-xkvm}
if [ "$HVM_VMM" = qemu ]; then
	XKVM=${XKVM:-unused}
fi
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

QEMU=${QEMU:-qemu-system-x86_64}
KVER=$(basename "$(readlink -f "$ASSETS")")
# The kernel version as an extended regex ("6.12.118+deb12-amd64" has '.' and '+').
KVER_RE=$(printf '%s\n' "$KVER" | sed 's/[.+]/\\&/g')
TAP=xkvmhvm0
MAC=00:16:3e:00:00:48
ACTION_LBA=2047

# partition_out <disk> <file>, partition_in <file> <disk>: the root file
# system (sector 2048, 1 MiB in, to the end) copied out of and back into a
# disk image, a MiB a call: 512-byte calls over the test host's 9p took
# five minutes an image.
partition_out() { dd if="$1" of="$2" bs=1M skip=1 conv=sparse status=none; }
partition_in() { dd if="$1" of="$2" bs=1M seek=1 conv=notrunc status=none; }

# disk_for <name> <action>: a sparse copy of hvm-disk.img whose action sector
# says <action>; sets $disk.
disk_for() {
	disk=$WORK/$1.img
	cp --sparse=always "$ASSETS/hvm-disk.img" "$disk"
	printf 'xkvm-hvm-action=%s\n' "$2" |
		dd of="$disk" bs=512 seek=$ACTION_LBA conv=notrunc,sync status=none
}

# run_hvm <name> <disk> <cdrom or -> <boot order> <tap or -> [key = value...]:
# boots the machine (xkvm or QEMU) with no console input; output to
# $WORK/<name>.out (carriage returns dropped), exit code to $rc.  With a TAP,
# the VMM runs in a network namespace of its own and the host side of the
# TAP gets 10.0.2.2/24, the address the guest pings; HVM_PEER, a shell
# command, then runs in that namespace beside the guest (output to
# $WORK/<name>.peer) until the VMM exits.
run_hvm() {
	name=$1 hd=$2 cd=$3 order=$4 tap=$5
	shift 5
	if [ "$HVM_VMM" = qemu ]; then
		set -- "$QEMU" -M pc,accel="${HVM_QEMU_ACCEL:-tcg}" -m 512 -smp 2 \
			-nographic -serial stdio -monitor none -no-user-config \
			-drive "file=$hd,format=raw,if=ide,index=0,media=disk" \
			-device pvpanic -action panic=exit-failure -boot "order=$order"
		[ "$cd" = - ] || set -- "$@" -drive "file=$cd,format=raw,if=ide,index=2,media=cdrom,readonly=on"
		if [ "$tap" = - ]; then
			set -- "$@" -nic none
		else
			set -- "$@" -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
				-device "rtl8139,netdev=n0,mac=$MAC"
		fi
	else
		cfg=$WORK/$name.cfg
		{
			echo "name = \"it-hvm-$name\""
			echo 'type = "hvm"'
			echo 'memory = 512'
			echo 'vcpus = 2'
			echo "boot = \"$order\""
			if [ "$cd" = - ]; then
				echo "disk = [ 'format=raw, vdev=hda, access=rw, target=$hd' ]"
			else
				echo "disk = [ 'format=raw, vdev=hda, access=rw, target=$hd'," \
					"'format=raw, vdev=hdc, access=ro, devtype=cdrom, target=$cd' ]"
			fi
			[ "$tap" = - ] || echo "vif = [ 'model=rtl8139, mac=$MAC, vifname=$tap' ]"
			# A plain PC unless the case asks for PVHVM (xl's default platform device).
			[ -n "${PVHVM:-}" ] || echo 'xen_platform_pci = 0'
			for line in "$@"; do echo "$line"; done
		} >"$cfg"
		# shellcheck disable=SC2086 # XKVM_FLAGS: words, e.g. -v
		set -- "$XKVM" ${XKVM_FLAGS:-} --accel="${XKVM_ACCEL_INNER:-native}" create -F "$cfg"
	fi
	if [ "$tap" = - ]; then
		timeout -k 10 "${GUEST_TIMEOUT:-600}" "$@" </dev/null >"$WORK/$name.raw" 2>&1
		rc=$?
	else
		ns=xkvm-it-hvm-$name-$$
		ip netns add "$ns"
		timeout -k 10 "${GUEST_TIMEOUT:-600}" ip netns exec "$ns" "$@" \
			</dev/null >"$WORK/$name.raw" 2>&1 &
		vmm=$!
		for _ in $(seq 120); do ip netns exec "$ns" ip link show "$tap" >/dev/null 2>&1 && break; sleep 1; done
		ip netns exec "$ns" ip addr add 10.0.2.2/24 dev "$tap"
		ip netns exec "$ns" ip link set "$tap" up
		peer=
		if [ -n "${HVM_PEER:-}" ]; then
			ip netns exec "$ns" sh -c "$HVM_PEER" >"$WORK/$name.peer" 2>&1 &
			peer=$!
		fi
		wait "$vmm"
		rc=$?
		if [ -n "$peer" ]; then
			kill "$peer" 2>/dev/null
			wait "$peer" 2>/dev/null
		fi
		ip netns del "$ns"
	fi
	tr -d '\r' <"$WORK/$name.raw" >"$WORK/$name.out"
}

# plain <name>: the run's output without ANSI escapes.  SeaBIOS and ISOLINUX
# draw on the serial line with cursor moves, which land anywhere in a line.
plain() {
	sed -E 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[c]//g' "$WORK/$1.out"
}

# said <name> <extended regex>: a line of the run's output matches.
said() {
	plain "$1" | grep -aqE -- "$2"
}

# count <name> <extended regex>: how many lines of the run's output match.
count() {
	plain "$1" | grep -acE -- "$2"
}

no_oops() {
	! said "$1" 'Oops|BUG:|Kernel panic'
}

# show_oops <name>: the guest kernel's first Oops, BUG or panic and what
# follows it, for a failed no_oops.
show_oops() {
	grep -n -m1 -E 'Oops|BUG:|Kernel panic' "$WORK/$1.out" | cut -d: -f1 |
		while read -r at; do
			sed -n "$((at > 10 ? at - 10 : 1)),$((at + 40))p" "$WORK/$1.out"
		done | sed 's/^/SHOW /'
}

# The exit codes of a guest panic with on_crash = "destroy": xkvm's crash
# status, QEMU's -action panic=exit-failure.
if [ "$HVM_VMM" = qemu ]; then crash_rc=1; else crash_rc=3; fi

marker="^XKVM-HVM: kernel $KVER_RE cpus 2 mem [0-9]+ root /dev/sda1\$"

# 1. Boot from the disk: firmware, GRUB, the kernel on /dev/sda through
# ata_piix, 2 CPUs and 512 MiB; eth0 (rtl8139) pings the host side of its
# TAP; the guest powers off (exit 0).
case_boot() {
	disk_for boot poweroff
	run_hvm boot "$disk" - c "$TAP"
	check hvm-boot-seabios said boot 'SeaBIOS \(version '
	check hvm-boot-grub said boot 'XKVM-HVM-GRUB: grub\.cfg loaded'
	check hvm-boot-grub-loads-kernel said boot '^XKVM-HVM-GRUB: loading /boot/vmlinuz'
	check hvm-boot-kernel-cmdline said boot 'Kernel command line: BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1'
	check hvm-boot-ata-piix said boot 'scsi host[0-9]+: ata_piix'
	check hvm-boot-sda said boot '\[sda\] 524288 512-byte logical blocks'
	# Bus-master DMA: BAR4 placed by the firmware (a non-zero bmdma), the
	# disk in a DMA mode (a PIIX3 tops out at MWDMA2), and libata never
	# fell back towards PIO or hit a DMA error.
	check hvm-boot-bmdma said boot \
		'ata1: PATA max (MWDMA[0-4]|UDMA/[0-9]+) cmd 0x1f0 ctl 0x3f6 bmdma 0x0*[1-9a-f][0-9a-f]*( |$)'
	check hvm-boot-disk-dma said boot '^XKVM-HVM: sda xfer mode XFER_(MW_DMA|UDMA)_[0-9]$'
	check hvm-boot-no-pio-fallback sh -c "! grep -aqE \
		'DMA disabled|limiting speed to|BAR4 is zero|failed to set xfermode|ata1(\\.00)?: exception Emask' \
		'$WORK/boot.out'"
	check hvm-boot-root-mounted said boot 'EXT4-fs \(sda1\): mounted filesystem'
	check hvm-boot-marker said boot "$marker"
	mem=$(sed -n 's/^XKVM-HVM: kernel .* mem \([0-9]*\) root .*/\1/p' "$WORK/boot.out" | head -n1)
	# MemTotal is RAM less what the firmware and kernel keep: 80% to 100%.
	check hvm-boot-memory-512m in_range "$mem" $((512 * 1024 * 8 / 10)) $((512 * 1024))
	check hvm-boot-rtl8139-eth0 said boot "^XKVM-HVM: eth0 $MAC driver 8139(cp|too)\$"
	check hvm-boot-ping-host said boot '^XKVM-HVM: ping 10\.0\.2\.2 ok$'
	check hvm-boot-root-unmounted said boot '^XKVM-HVM: root unmounted$'
	check hvm-poweroff-exit-0 [ "$rc" = 0 ]
	check hvm-boot-no-oops no_oops boot || show_oops boot
	if ! said boot '^XKVM-HVM: ping 10\.0\.2\.2 ok$' || [ "$rc" != 0 ]; then show boot; fi
}

# 2. A file written and synced by the guest is on the host's image after
# power-off, and the file system is clean.
case_write() {
	disk_for write write
	run_hvm write "$disk" - c -
	partition_out "$disk" "$WORK/write-part.ext4"
	check hvm-write-exit-0 [ "$rc" = 0 ]
	check hvm-write-guest-wrote said write '^XKVM-HVM: wrote /hvm-proof$'
	check hvm-write-e2fsck-clean sh -c "e2fsck -fn '$WORK/write-part.ext4' >'$WORK/write-e2fsck.log' 2>&1"
	check hvm-write-file-on-host sh -c \
		"debugfs -R 'cat /hvm-proof' '$WORK/write-part.ext4' 2>/dev/null | grep -qx 'written by the HVM guest'"
	[ "$rc" = 0 ] || show write
}

# 3. A reboot goes back through the firmware and the bootloader; the guest
# set its action sector to poweroff first, so the second boot ends the run.
case_reboot() {
	disk_for reboot reboot
	run_hvm reboot "$disk" - c -
	check hvm-reboot-guest-rebooted said reboot '^XKVM-HVM: rebooting$'
	check hvm-reboot-bios-twice [ "$(count reboot 'SeaBIOS \(version ')" = 2 ]
	check hvm-reboot-grub-twice [ "$(count reboot '^XKVM-HVM-GRUB: loading /boot/vmlinuz')" = 2 ]
	check hvm-reboot-kernel-twice [ "$(count reboot "$marker")" = 2 ]
	check hvm-reboot-then-poweroff-exit-0 [ "$rc" = 0 ]
	[ "$rc" = 0 ] || show reboot
}

# 4. A guest panic with on_crash = "destroy" gives the crash status.
case_panic() {
	disk_for panic panic
	# Bounded more tightly: a VMM that misses the panic waits for ever.
	saved_timeout=${GUEST_TIMEOUT:-600}
	GUEST_TIMEOUT=${HVM_PANIC_TIMEOUT:-300}
	run_hvm panic "$disk" - c - 'on_crash = "destroy"'
	GUEST_TIMEOUT=$saved_timeout
	check hvm-panic-guest-panicked said panic 'Kernel panic - not syncing: sysrq triggered crash'
	check hvm-panic-destroy-crash-status [ "$rc" = "$crash_rc" ]
	[ "$rc" = "$crash_rc" ] || show panic
}

# 5. boot = "d": the ISO on the ATAPI CD-ROM (hdc) boots, although hda is
# bootable too.
case_cd() {
	disk_for cd poweroff
	run_hvm cd "$disk" "$ASSETS/hvm-cd.iso" d -
	check hvm-cd-seabios said cd 'SeaBIOS \(version '
	check hvm-cd-isolinux said cd '^XKVM-HVM-ISOLINUX: isolinux\.cfg loaded'
	check hvm-cd-booted said cd '^XKVM-HVM-CD: booted from cdrom$'
	check hvm-cd-sr0 said cd "^XKVM-HVM-CD: kernel $KVER_RE cpus 2 mem [0-9]+ sr0 [^ ]"
	check hvm-cd-not-from-disk sh -c "! grep -q 'XKVM-HVM-GRUB' '$WORK/cd.out'"
	check hvm-cd-poweroff-exit-0 [ "$rc" = 0 ]
	check hvm-cd-no-oops no_oops cd || show_oops cd
	[ "$rc" = 0 ] || show cd
}

pvhvm_marker="^XKVM-HVM: kernel $KVER_RE cpus 2 mem [0-9]+ root /dev/xvda1\$"

# 5b. A TCP stream through the RTL8139: 16 MiB from the guest to a
# listener on the TAP's host side, all of it arriving (8139too once sat on
# a ring of ACKs no interrupt announced, and the stream never finished).
# The listener also says how many frames the TAP carried from the guest:
# one per segment of at most an MTU through a NIC without offloads, far
# fewer where the guest's segments go out whole (GSO, PVHVM's netfront:
# 4705 in one nested run; TCP sizes them by its pacing rate, at least two
# segments each).  16 MiB in segments of at most 1448 bytes is at least
# 11586 frames, so fewer proves segments larger than an MTU crossed.
plain_stream_frames=11586
count_stream='python3 -c "
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"10.0.2.2\", 5201))
s.listen(1)
c, _ = s.accept()
n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    n += len(b)
print(\"received\", n, flush=True)
print(\"frames\", open(\"/sys/class/net/'"$TAP"'/statistics/rx_packets\").read().strip(), flush=True)
"'

# stream_frames <name> <awk condition on f>: the TAP's frame count of the
# run's stream, as its listener reported it, meets the condition.
stream_frames() {
	awk '$1 == "frames" { f = $2; found = 1 } END { exit !(found && ('"$2"')) }' "$WORK/$1.peer"
}

case_stream() {
	disk_for stream tcp-stream
	HVM_PEER=$count_stream run_hvm stream "$disk" - c "$TAP"
	check stream-ping-host said stream '^XKVM-HVM: ping 10\.0\.2\.2 ok$'
	check stream-sent said stream '^XKVM-HVM: tcp stream sent$'
	check stream-all-arrived grep -qx 'received 16777216' "$WORK/stream.peer"
	check stream-frames-one-per-segment stream_frames stream "f >= $plain_stream_frames"
	check stream-exit-0 [ "$rc" = 0 ]
	if [ "$rc" != 0 ] || ! grep -qx 'received 16777216' "$WORK/stream.peer"; then
		show stream
		sed 's/^/SHOW peer: /' "$WORK/stream.peer"
	fi
}

# 6. PVHVM: the same disk with xl's default platform device.  The guest
# finds Xen, unplugs the emulated disk and NIC before its PCI scan, and
# runs on xen-blkfront (hda appears as xvda) and xen-netfront, which
# pings the host through the TAP the RTL8139 had and streams 16 MiB to
# it, in segments larger than an MTU (GSO: netback turned the TAP's
# offloads on).
case_pvhvm() {
	disk_for pvhvm tcp-stream
	HVM_PEER=$count_stream PVHVM=1 run_hvm pvhvm "$disk" - c "$TAP"
	check pvhvm-seabios said pvhvm 'SeaBIOS \(version '
	check pvhvm-xen-detected said pvhvm 'Hypervisor detected: Xen HVM'
	check pvhvm-upcall-vector said pvhvm 'Xen HVM callback vector for event delivery is enabled|percpu upcall vector'
	check pvhvm-unplug-disks said pvhvm 'unplug emulated disks'
	check pvhvm-unplug-nics said pvhvm 'unplug emulated NICs'
	check pvhvm-platform-pci-grants said pvhvm 'Grant table initialized'
	check pvhvm-no-sda sh -c "! grep -aq '\[sda\]' '$WORK/pvhvm.out'"
	check pvhvm-xvda-blkfront said pvhvm '^XKVM-HVM: disk xvda driver vbd hypervisor xen$'
	check pvhvm-marker said pvhvm "$pvhvm_marker"
	check pvhvm-netfront-eth0 said pvhvm "^XKVM-HVM: eth0 $MAC driver vif\$"
	check pvhvm-ping-host said pvhvm '^XKVM-HVM: ping 10\.0\.2\.2 ok$'
	check pvhvm-stream-all-arrived grep -qx 'received 16777216' "$WORK/pvhvm.peer"
	check pvhvm-stream-gso-frames stream_frames pvhvm "f < $plain_stream_frames"
	check pvhvm-root-unmounted said pvhvm '^XKVM-HVM: root unmounted$'
	check pvhvm-poweroff-exit-0 [ "$rc" = 0 ]
	check pvhvm-no-oops no_oops pvhvm || show_oops pvhvm
	if ! said pvhvm "$pvhvm_marker" || [ "$rc" != 0 ]; then show pvhvm; fi
}

# 7. A file written and synced through blkfront survives power-off; the
# file system is clean.
case_pvhvm_write() {
	disk_for pvhvm-write write
	PVHVM=1 run_hvm pvhvm-write "$disk" - c -
	partition_out "$disk" "$WORK/pvhvm-write-part.ext4"
	check pvhvm-write-exit-0 [ "$rc" = 0 ]
	check pvhvm-write-on-xvda said pvhvm-write "$pvhvm_marker"
	check pvhvm-write-guest-wrote said pvhvm-write '^XKVM-HVM: wrote /hvm-proof$'
	check pvhvm-write-e2fsck-clean sh -c "e2fsck -fn '$WORK/pvhvm-write-part.ext4' >'$WORK/pvhvm-write-e2fsck.log' 2>&1"
	check pvhvm-write-file-on-host sh -c \
		"debugfs -R 'cat /hvm-proof' '$WORK/pvhvm-write-part.ext4' 2>/dev/null | grep -qx 'written by the HVM guest'"
	[ "$rc" = 0 ] || show pvhvm-write
}

# grub_cmdline_add <disk> <words>: the disk's grub.cfg passes <words> to the
# kernel too (the test edits its own copy of the image offline).
grub_cmdline_add() {
	part=$WORK/grub-edit.ext4
	partition_out "$1" "$part"
	debugfs -R 'cat /boot/grub/grub.cfg' "$part" 2>/dev/null |
		sed "s|console=ttyS0,115200|& $2|" >"$WORK/grub.cfg"
	debugfs -w -R 'rm /boot/grub/grub.cfg' "$part" >/dev/null 2>&1
	debugfs -w -R "write $WORK/grub.cfg /boot/grub/grub.cfg" "$part" >/dev/null 2>&1
	partition_in "$part" "$1"
	rm -f "$part"
}

# 8. xen_emul_unplug=never: the guest keeps its emulated disk and NIC, so
# no PV backend appears and the disk is never served twice.
case_pvhvm_never() {
	disk_for pvhvm-never poweroff
	grub_cmdline_add "$disk" xen_emul_unplug=never
	PVHVM=1 run_hvm pvhvm-never "$disk" - c -
	check pvhvm-never-cmdline said pvhvm-never 'Kernel command line: .*xen_emul_unplug=never'
	check pvhvm-never-xen-detected said pvhvm-never 'Hypervisor detected: Xen HVM'
	check pvhvm-never-no-unplug sh -c "! grep -aq 'unplug emulated' '$WORK/pvhvm-never.out'"
	check pvhvm-never-on-sda said pvhvm-never "$marker"
	check pvhvm-never-no-blkfront sh -c "! grep -aq 'blkfront: xvda' '$WORK/pvhvm-never.out'"
	check pvhvm-never-exit-0 [ "$rc" = 0 ]
	[ "$rc" = 0 ] || show pvhvm-never
}

# 9. xen_no_vector_callback: the guest takes its events on the platform
# device's interrupt line (HVM_PARAM_CALLBACK_IRQ via its GSI, as
# Windows PV drivers do), and still runs on blkfront and netfront.
case_pvhvm_intx() {
	disk_for pvhvm-intx poweroff
	grub_cmdline_add "$disk" xen_no_vector_callback
	PVHVM=1 XKVM_FLAGS=-v run_hvm pvhvm-intx "$disk" - c "$TAP"
	check pvhvm-intx-cmdline said pvhvm-intx 'Kernel command line: .*xen_no_vector_callback'
	check pvhvm-intx-no-vector sh -c "! grep -aqE 'callback vector for event delivery is enabled|percpu upcall vector' '$WORK/pvhvm-intx.out'"
	check pvhvm-intx-callback-line said pvhvm-intx 'xen: event callback via (GSI [0-9]+|PCI 03\.0 INTA)'
	check pvhvm-intx-xvda-blkfront said pvhvm-intx '^XKVM-HVM: disk xvda driver vbd hypervisor xen$'
	check pvhvm-intx-marker said pvhvm-intx "$pvhvm_marker"
	check pvhvm-intx-netfront-eth0 said pvhvm-intx "^XKVM-HVM: eth0 $MAC driver vif\$"
	check pvhvm-intx-ping-host said pvhvm-intx '^XKVM-HVM: ping 10\.0\.2\.2 ok$'
	check pvhvm-intx-poweroff-exit-0 [ "$rc" = 0 ]
	check pvhvm-intx-no-oops no_oops pvhvm-intx || show_oops pvhvm-intx
	if ! said pvhvm-intx "$pvhvm_marker" || [ "$rc" != 0 ]; then show pvhvm-intx; fi
}

# 10. Hostile: the guest moves the platform device's BAR1, where its PV
# drivers mapped the grant table frames, 16 MiB down (clear of the frames)
# while they use them.  As on Xen the frames stay where the guest put them
# and the BAR decodes at its new place: blkfront's write reaches the disk,
# netfront still pings, the VMM takes the new BAR without complaint.
bar1_moved_down_16m() {
	line=$(grep -a -m1 'XKVM-HVM: bar1 0x' "$WORK/$1.out" | tr -d '\r')
	old=$(echo "$line" | sed -n 's/.*bar1 0x\([0-9a-f]*\) moved.*/\1/p')
	new=$(echo "$line" | sed -n 's/.* moved to 0x\([0-9a-f]*\)$/\1/p')
	[ -n "$old" ] && [ -n "$new" ] && [ $((0x$new)) = $((0x$old - 0x1000000)) ]
}

case_pvhvm_bar1() {
	disk_for pvhvm-bar1 bar1-move
	PVHVM=1 run_hvm pvhvm-bar1 "$disk" - c "$TAP"
	partition_out "$disk" "$WORK/pvhvm-bar1-part.ext4"
	check pvhvm-bar1-on-xvda said pvhvm-bar1 "$pvhvm_marker"
	check pvhvm-bar1-moved bar1_moved_down_16m pvhvm-bar1
	check pvhvm-bar1-mapped-there sh -c "! grep -aq 'xen-platform BAR1 .* refused' '$WORK/pvhvm-bar1.out'"
	check pvhvm-bar1-guest-wrote said pvhvm-bar1 '^XKVM-HVM: wrote /hvm-proof$'
	check pvhvm-bar1-ping-after said pvhvm-bar1 '^XKVM-HVM: ping 10\.0\.2\.2 again ok$'
	check pvhvm-bar1-exit-0 [ "$rc" = 0 ]
	check pvhvm-bar1-e2fsck-clean sh -c "e2fsck -fn '$WORK/pvhvm-bar1-part.ext4' >'$WORK/pvhvm-bar1-e2fsck.log' 2>&1"
	check pvhvm-bar1-file-on-host sh -c \
		"debugfs -R 'cat /hvm-proof' '$WORK/pvhvm-bar1-part.ext4' 2>/dev/null | grep -qx 'written by the HVM guest'"
	check pvhvm-bar1-no-oops no_oops pvhvm-bar1 || show_oops pvhvm-bar1
	[ "$rc" = 0 ] || show pvhvm-bar1
}

# HVM_CASES: the cases to run, in order (by default the group's: the
# emulated PC's, or with HVM_GROUP=pvhvm_test the PVHVM ones, xkvm only).
HVM_GROUP=${HVM_GROUP:-hvm_test}
hvm_cases="boot write reboot panic cd stream"
pvhvm_cases="pvhvm pvhvm-write pvhvm-never pvhvm-intx pvhvm-bar1"
all_cases=$hvm_cases
[ "$HVM_VMM" = qemu ] || all_cases="$all_cases $pvhvm_cases"
default_cases=$hvm_cases
[ "$HVM_GROUP" = pvhvm_test ] && default_cases=$pvhvm_cases
for c in ${HVM_CASES:-$default_cases}; do
	case $c in
	boot | write | reboot | panic | cd | stream) "case_$c" ;;
	pvhvm | pvhvm-write | pvhvm-never | pvhvm-intx | pvhvm-bar1) "case_$(echo "$c" | tr - _)" ;;
	*) fail "hvm-case-$c" "unknown case (expected one of: $all_cases)" ;;
	esac
done
host_kernel_quiet "$HVM_GROUP"
echo "DONE $HVM_GROUP"
