#!/bin/sh
# Xen PVH guests: the project's own ABI test guest, then Debian's kernel on
# Xen PV drivers (hvc0, xen-blkfront, xen-netfront) with XenStore reached by
# Debian's xenstore-utils.  Runs where /dev/kvm runs stock guests (natively,
# or in the KVM test host: tests/run arranges that); needs root for the
# network namespace and TAP device.
. "$(dirname "$0")/lib.sh"

XENTEST=${XENTEST:-$(dirname "$XKVM")/tests/guests/xentest/xentest.elf}

# 1. The freestanding ABI test guest reports every check and powers off.
cat >"$WORK/xentest.cfg" <<CFG
name = "it-xentest"
type = "pvh"
memory = 64
vcpus = 2
kernel = "$XENTEST"
CFG
run_guest xentest "$WORK/xentest.cfg"
check xentest-poweroff-exit-0 [ "$rc" = 0 ]
check xentest-reports-checks grep -qE '^xentest: [0-9]+ passed, 0 failed' "$WORK/xentest.out"
check xentest-no-failed-check sh -c "! grep -q '^xentest: FAIL' '$WORK/xentest.out'"
grep '^xentest: FAIL' "$WORK/xentest.out"
grep -qE '^xentest: [0-9]+ passed, 0 failed' "$WORK/xentest.out" || show xentest

# The same guest linked as elf32-x86-64, as Xen's test framework builds its tests.
run_guest xentest32 "$WORK/xentest.cfg" "kernel=\"${XENTEST%.elf}32.elf\""
check xentest-elf32-x86-64-boots grep -qE '^xentest: [0-9]+ passed, 0 failed' "$WORK/xentest32.out"
grep -qE '^xentest: [0-9]+ passed, 0 failed' "$WORK/xentest32.out" || show xentest32

# SCHEDOP_shutdown reasons map to the on_* actions.
run_guest xentest-crash "$WORK/xentest.cfg" 'cmdline="xentest.crash"' 'on_crash="destroy"'
check xentest-schedop-crash-exit-3 [ "$rc" = 3 ]
run_guest xentest-reboot "$WORK/xentest.cfg" 'cmdline="xentest.reboot"' 'on_reboot="destroy"'
check xentest-schedop-reboot-exit-4 [ "$rc" = 4 ]

# 2. Debian's kernel as a Xen PVH guest with a disk and a NIC.
mkdir -p "$WORK/rootdir"
echo "made on the host" >"$WORK/rootdir/hello.txt"
rm -f "$WORK/disk.img"
mke2fs -q -t ext4 -d "$WORK/rootdir" "$WORK/disk.img" 64M
truncate -s 8M "$WORK/ro.img"

mkdir -p "$WORK/script"
cat >"$WORK/script/xkvm-script" <<'SCRIPT'
say() { echo "xkvm-guest: $*"; }
say "hypervisor: $(cat /sys/hypervisor/type 2>/dev/null)"
say "console: $(cat /sys/class/tty/console/active 2>/dev/null)"
dmesg | grep -q 'Booting kernel on Xen PVH\|Xen PVH' && say "dmesg: xen pvh"
for i in $(seq 60); do [ -b /dev/xvda ] && [ -b /dev/xvdb ] && break; sleep 1; done
mkdir -p /mnt
if mount -t ext4 /dev/xvda /mnt; then
	say "hello: $(cat /mnt/hello.txt)"
	echo "written by the guest" >/mnt/written.txt
	sync
	umount /mnt && say "disk: unmounted"
fi
say "xvdb-ro: $(cat /sys/block/xvdb/ro 2>/dev/null)"
# xvda asked for a 4-page ring (128 requests), xvdb kept the one-page default.
say "xvda-tags: $(cat /sys/block/xvda/mq/0/nr_tags 2>/dev/null)"
dmesg | grep -q 'blkfront: xvda:.*persistent grants: enabled' && say "xvda: persistent grants"
dd if=/dev/zero of=/dev/xvdb bs=512 count=1 2>/dev/null || say "xvdb: write refused"
for i in $(seq 60); do [ -d /sys/class/net/eth0 ] && break; sleep 1; done
say "eth0-mac: $(cat /sys/class/net/eth0/address 2>/dev/null)"
# Two vCPUs: netfront asks for a queue each (multi-queue-num-queues 2).
say "eth0-queues: $(ls -d /sys/class/net/eth0/queues/tx-* 2>/dev/null | wc -l)"
ip addr add 10.99.0.2/24 dev eth0
ip link set eth0 up
for i in $(seq 60); do
	if ping -c 1 -W 2 10.99.0.1 >/dev/null 2>&1; then say "ping: ok"; break; fi
done
SCRIPT
initrd_with_script "$WORK/linux-initrd.gz"

guest_cfg "$WORK/linux.cfg" 'memory = 512' 'vcpus = 2' 'xkvm_persistent_grants = 1' \
	"ramdisk = \"$WORK/linux-initrd.gz\"" \
	"disk = [ 'format=raw, vdev=xvda, access=rw, target=$WORK/disk.img', '$WORK/ro.img,raw,xvdb,r' ]" \
	"vif = [ 'mac=00:16:3e:00:00:42,vifname=xkvmit0' ]" \
	'cmdline = "console=hvc0 xkvm.action=script xkvm.modules=xen-blkfront,xen-netfront,ext4 xen_blkfront.max_ring_page_order=2"'
run_guest_on_tap linux "$WORK/linux.cfg" xkvmit0 10.99.0.1/24
check xen-linux-poweroff-exit-0 [ "$rc" = 0 ]
check xen-linux-hypervisor-is-xen [ "$(guest_value linux hypervisor)" = xen ]
check xen-linux-dmesg-xen-pvh grep -q '^xkvm-guest: dmesg: xen pvh' "$WORK/linux.out"
check xen-linux-console-hvc0 [ "$(guest_value linux console)" = hvc0 ]
check xen-linux-2-cpus [ "$(guest_value linux cpus)" = 2 ]
check xen-blkfront-reads-host-file [ "$(guest_value linux hello)" = "made on the host" ]
check xen-blkfront-unmounted-clean grep -q '^xkvm-guest: disk: unmounted' "$WORK/linux.out"
check xen-blk-written-file-on-host sh -c \
	"debugfs -R 'cat /written.txt' '$WORK/disk.img' 2>/dev/null | grep -qx 'written by the guest'"
check xen-blk-e2fsck-clean e2fsck -fn "$WORK/disk.img"
check xen-blk-readonly-disk [ "$(guest_value linux xvdb-ro)" = 1 ]
check xen-blk-multi-page-ring [ "$(guest_value linux xvda-tags)" = 128 ]
check xen-blk-persistent-grants grep -q '^xkvm-guest: xvda: persistent grants' "$WORK/linux.out"
check xen-netfront-mac [ "$(guest_value linux eth0-mac)" = 00:16:3e:00:00:42 ]
check xen-netfront-two-queues [ "$(guest_value linux eth0-queues)" = 2 ]
check xen-netfront-pings-host grep -q '^xkvm-guest: ping: ok' "$WORK/linux.out"
check xen-linux-no-oops sh -c "! grep -qE 'Oops|BUG:|Kernel panic' '$WORK/linux.out'"
grep -q '^xkvm-guest: ping: ok' "$WORK/linux.out" || show linux

# 3. Debian's xenstore-utils talk to a running guest's XenStore; writing
# control/shutdown powers it off cleanly.
# Sockets need a local file system: in the test host, /tmp is 9p.
XKVM_RUN_DIR=$(mktemp -d /dev/shm/xkvm-run.XXXXXX)
export XKVM_RUN_DIR
guest_cfg "$WORK/xs.cfg" 'memory = 256' 'cmdline = "console=hvc0 quiet xkvm.action=wait"'
timeout -k 10 600 "$XKVM" -v --accel="${XKVM_ACCEL_INNER:-native}" create -F "$WORK/xs.cfg" \
	</dev/null >"$WORK/xs.out" 2>&1 &
pid=$!
wait_for "$WORK/xs.out" 'waiting for a shutdown request' 1 300
sock="$XKVM_RUN_DIR/it-xs.xenstored"
XENSTORED_PATH=$sock xenstore-ls /local/domain/1 >"$WORK/xs.ls" 2>&1
check xenstore-ls-lists-guest grep -q '^name = "it-xs"' "$WORK/xs.ls"
check xenstore-ls-guest-feature grep -q 'feature-poweroff = "1"' "$WORK/xs.ls"
check xenstore-read-domid [ "$(XENSTORED_PATH=$sock xenstore-read /local/domain/1/domid)" = 1 ]
XENSTORED_PATH=$sock xenstore-write /local/domain/1/control/shutdown poweroff
wait "$pid"
rc=$?
check xenstore-shutdown-clean-poweroff [ "$rc" = 0 ]
check xenstore-shutdown-by-guest grep -qE 'guest (shut down|powered off)' "$WORK/xs.out"
[ "$rc" = 0 ] || { show xs; cat "$WORK/xs.ls"; }

# 4. SIGTERM from the host asks the guest to power off; it does so cleanly.
"$XKVM" -v --accel="${XKVM_ACCEL_INNER:-native}" create -F "$WORK/xs.cfg" \
	</dev/null >"$WORK/term.out" 2>&1 &
pid=$!
watchdog=$(bound "$pid")
wait_for "$WORK/term.out" 'waiting for a shutdown request' 1 300
# The boot runs in a confined child: seccomp, no capability, not root; this
# process, which holds nothing of the VM, passes the SIGTERM on.
vmm=$(cut -d' ' -f1 "/proc/$pid/task/$pid/children")
st=/proc/$vmm/status
check foreground-vmm-seccomp grep -q '^Seccomp:[[:space:]]*2$' "$st"
check foreground-vmm-no-caps sh -c "grep -q '^CapEff:[[:space:]]*0\{16\}$' '$st' && grep -q '^CapBnd:[[:space:]]*0\{16\}$' '$st'"
check foreground-vmm-not-root awk '/^Uid:|^Gid:/ { if ($2 == 0 || $3 == 0 || $4 == 0 || $5 == 0) bad = 1 } END { exit bad }' "$st"
kill -TERM "$pid"
wait "$pid"
rc=$?
kill "$watchdog" 2>/dev/null
check xen-sigterm-clean-poweroff-exit-0 [ "$rc" = 0 ]
check xen-sigterm-asked-guest grep -q 'asked the guest to power off' "$WORK/term.out"
rm -rf "$XKVM_RUN_DIR"
host_kernel_quiet xen_test
echo "DONE xen_test"
