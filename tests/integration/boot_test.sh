#!/bin/sh
# Boot Debian's kernel in PVH mode and check, from inside the guest, what
# the VMM gave it.  Runs where /dev/kvm runs stock guests (natively, or in
# the KVM test host: tests/run arranges that).
. "$(dirname "$0")/lib.sh"

# 2 vCPUs, 512 MiB: CPU count, memory, command line and initrd arrive.
# Not quiet: the kernel's own messages about our devices are checked too.
guest_cfg "$WORK/smp.cfg" 'memory = 512' 'vcpus = 2' \
	'cmdline = "console=ttyS0 xkvm.action=poweroff it.marker=smp-42"'
run_guest smp "$WORK/smp.cfg"
check pvh-smp-poweroff-exit-0 [ "$rc" = 0 ]
check pvh-smp-initrd-ran grep -q '^xkvm-guest: userspace up' "$WORK/smp.out"
check pvh-smp-kernel-version [ "$(guest_value smp kernel)" = "$(basename "$(readlink -f "$ASSETS")")" ]
check pvh-smp-2-cpus [ "$(guest_value smp cpus)" = 2 ]
mem=$(guest_value smp mem_total_kib)
# MemTotal is RAM less what the kernel keeps for itself: between 80% and 100%.
check pvh-smp-memory-512m in_range "$mem" $((512 * 1024 * 8 / 10)) $((512 * 1024))
check pvh-smp-cmdline [ "$(guest_value smp cmdline)" = 'console=ttyS0 xkvm.action=poweroff it.marker=smp-42' ]
check pvh-smp-serial-is-16550a grep -q 'ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A' "$WORK/smp.out"
check pvh-smp-acpi-tables grep -q 'ACPI: FACP .* XKVM' "$WORK/smp.out"
check pvh-smp-no-oops-or-bug sh -c "! grep -qE 'Oops|BUG:|Kernel panic' '$WORK/smp.out'"
# The CMOS clock carries the host's date (today, or yesterday across midnight).
check pvh-rtc-host-date grep -qE "rtc_cmos .*setting system clock to ($(date -u +%Y-%m-%d)|$(date -u -d yesterday +%Y-%m-%d))" "$WORK/smp.out"
grep -q '^xkvm-guest: cpus: 2' "$WORK/smp.out" || show smp

# A kernel that triple-faults: reported, and treated as a crash (exit 3).
"$TINY_PVH" triple-fault "$WORK/triple.elf"
guest_cfg "$WORK/triple.cfg" 'memory = 64' "kernel = \"$WORK/triple.elf\""
sed -i '/^ramdisk/d' "$WORK/triple.cfg"
run_guest triple "$WORK/triple.cfg"
check triple-fault-exit-3 [ "$rc" = 3 ]
check triple-fault-reported grep -q 'vCPU 0: triple fault' "$WORK/triple.out"
[ "$rc" = 3 ] || show triple

# A bare kernel that writes S5 to the PM1a control port powers off (exit 0).
"$TINY_PVH" poweroff "$WORK/bare-off.elf"
guest_cfg "$WORK/bare-off.cfg" 'memory = 64' "kernel = \"$WORK/bare-off.elf\""
sed -i '/^ramdisk/d' "$WORK/bare-off.cfg"
run_guest bare-off "$WORK/bare-off.cfg"
check bare-acpi-s5-exit-0 [ "$rc" = 0 ]
[ "$rc" = 0 ] || show bare-off

# One vCPU and RAM above 4 GiB: the e820 map's high block reaches the guest.
guest_cfg "$WORK/high.cfg" 'memory = 4608' 'vcpus = 1' \
	'cmdline = "console=ttyS0 quiet xkvm.action=poweroff"'
run_guest high "$WORK/high.cfg"
mem=$(guest_value high mem_total_kib)
check pvh-highmem-poweroff-exit-0 [ "$rc" = 0 ]
check pvh-highmem-1-cpu [ "$(guest_value high cpus)" = 1 ]
check pvh-highmem-above-4g in_range "$mem" $((4096 * 1024)) $((4608 * 1024))
[ "$rc" = 0 ] || show high

# Debian's vmlinuz as it ships (a bzImage with a zstd payload), not an
# extracted ELF: the file a user's xl config names boots too.
guest_cfg "$WORK/bzimage.cfg" 'memory = 256' 'cmdline = "console=ttyS0 quiet xkvm.action=poweroff"'
sed -i "s|^kernel = .*|kernel = \"$ASSETS/vmlinuz\"|" "$WORK/bzimage.cfg"
run_guest bzimage "$WORK/bzimage.cfg"
check pvh-bzimage-poweroff-exit-0 [ "$rc" = 0 ]
check pvh-bzimage-userspace-up grep -q '^xkvm-guest: userspace up' "$WORK/bzimage.out"
[ "$rc" = 0 ] || show bzimage

# A reboot with on_reboot = "destroy" ends with its own exit code (4).
guest_cfg "$WORK/reboot.cfg" 'memory = 256' 'on_reboot = "destroy"' \
	'cmdline = "console=ttyS0 quiet xkvm.action=reboot"'
run_guest reboot "$WORK/reboot.cfg"
check pvh-reboot-destroy-exit-4 [ "$rc" = 4 ]
[ "$rc" = 4 ] || show reboot

# A guest panic reaches the VMM through pvpanic: on_crash = "destroy" exits 3.
guest_cfg "$WORK/panic.cfg" 'memory = 256' 'on_crash = "destroy"' \
	'cmdline = "console=ttyS0 quiet xkvm.action=panic"'
run_guest panic "$WORK/panic.cfg"
check pvh-panic-destroy-exit-3 [ "$rc" = 3 ]
check pvh-panic-reported grep -q 'guest kernel panic (pvpanic)' "$WORK/panic.out"
[ "$rc" = 3 ] || show panic

# on_reboot = "restart" boots the guest again.  A first SIGTERM asks the
# guest to power off; a second signal at once stops it now with exit code 5.
guest_cfg "$WORK/restart.cfg" 'memory = 256' 'on_reboot = "restart"' \
	'cmdline = "console=ttyS0 quiet xkvm.action=reboot"'
"$XKVM" --accel="${XKVM_ACCEL_INNER:-native}" create -F "$WORK/restart.cfg" \
	</dev/null >"$WORK/restart.out" 2>&1 &
pid=$!
if wait_for "$WORK/restart.out" 'xkvm-guest: userspace up' 2; then
	pass pvh-reboot-restart-boots-again
else
	fail pvh-reboot-restart-boots-again "the guest did not come up a second time"
	show restart
fi
# Two different signals: two SIGTERMs sent at once may merge into one pending signal.
kill -TERM "$pid"
kill -INT "$pid"
wait "$pid"
check pvh-sigterm-exit-5 [ "$?" = 5 ]

# Console input: what the host types reaches a shell in the guest.
guest_cfg "$WORK/shell.cfg" 'memory = 256' 'cmdline = "console=ttyS0 quiet xkvm.action=shell"'
# The FIFO lives on a local tmpfs: 9p (the test host's /tmp) has no FIFOs.
fifo_dir=$(mktemp -d /dev/shm/xkvm-it.XXXXXX 2>/dev/null || mktemp -d)
mkfifo "$fifo_dir/shell.in"
"$XKVM" --accel="${XKVM_ACCEL_INNER:-native}" create -F "$WORK/shell.cfg" \
	<"$fifo_dir/shell.in" >"$WORK/shell.out" 2>&1 &
pid=$!
exec 3>"$fifo_dir/shell.in"
if wait_for "$WORK/shell.out" '^xkvm-guest: cmdline' 1; then
	sleep 2 # let the shell start reading; input sent earlier is flushed with the UART FIFO
	echo 'echo "typed $((6 * 7))"; poweroff -f' >&3
fi
wait_for "$WORK/shell.out" 'typed 42' 1 120
exec 3>&-
wait "$pid"
rc=$?
rm -rf "$fifo_dir"
check pvh-console-input-reaches-guest grep -q 'typed 42' "$WORK/shell.out"
check pvh-shell-poweroff-exit-0 [ "$rc" = 0 ]
grep -q 'typed 42' "$WORK/shell.out" || show shell
host_kernel_quiet boot_test
echo "DONE boot_test"
