#!/bin/sh
# Bad configurations and files: each gets one clear message and exit
# status 2, before any VM (or test host) starts.
. "$(dirname "$0")/lib.sh"

# expect_error <name> <message fragment> <cfg> [key=value...]
expect_error() {
	name=$1
	want=$2
	shift 2
	"$XKVM" create -F "$@" </dev/null >"$WORK/$name.out" 2>&1
	rc=$?
	if [ "$rc" != 2 ]; then
		fail "$name" "exit status $rc, expected 2"
		show "$name"
	elif ! grep -qF -- "$want" "$WORK/$name.out"; then
		fail "$name" "no '$want' in the message"
		show "$name"
	else
		pass "$name"
	fi
}

guest_cfg "$WORK/good.cfg" 'memory = 256'
printf 'hello, I am not a kernel\n' >"$WORK/text.bin"
head -c 1048576 "$ASSETS/vmlinux" >"$WORK/truncated.elf"
truncate -s 100M "$WORK/big.initrd"
mkdir -p "$WORK/a-directory"

expect_error bad-missing-kernel "kernel '$WORK/nope': No such file or directory" \
	"$WORK/good.cfg" "kernel=\"$WORK/nope\""
expect_error bad-kernel-is-directory "not a regular file" "$WORK/good.cfg" "kernel=\"$WORK/a-directory\""
expect_error bad-kernel-not-elf "kernel '$WORK/text.bin': not an ELF file, a bzImage or a compressed ELF" \
	"$WORK/good.cfg" "kernel=\"$WORK/text.bin\""
expect_error bad-kernel-no-pvh-note "no PVH entry point" "$WORK/good.cfg" "kernel=\"$(readlink -f /bin/true)\""
# A bzImage cut short: its payload lies past the end of the file.
head -c 4000000 "$ASSETS/vmlinuz" >"$WORK/short-vmlinuz"
expect_error bad-kernel-bzimage-truncated "(bzImage): bzImage payload lies outside the file" \
	"$WORK/good.cfg" "kernel=\"$WORK/short-vmlinuz\""
expect_error bad-kernel-truncated "truncated ELF file" "$WORK/good.cfg" "kernel=\"$WORK/truncated.elf\""
# A PV guest's kernel (the shim's module 0) is unpacked and checked in the
# VMM as Xen's PV loader would, before the shim starts.
{
	echo 'name = "it-pv-bad"'
	echo 'type = "pv"'
	echo "kernel = \"$ASSETS/vmlinuz\""
	echo "pvshim_path = \"$ASSETS/xen-shim\""
	echo 'memory = 256'
} >"$WORK/pv.cfg"
true_elf=$(readlink -f /bin/true)
expect_error bad-pv-kernel-no-xen-notes \
	"$WORK/pv.cfg: kernel '$true_elf' (ELF): not a Xen PV kernel: it has no Xen ELF notes" \
	"$WORK/pv.cfg" "kernel=\"$true_elf\""
expect_error bad-pv-kernel-is-pvh-only "kernel '$ASSETS/xen-shim' (ELF): not a Xen PV kernel: its Xen ELF notes are a PVH kernel's" \
	"$WORK/pv.cfg" "kernel=\"$ASSETS/xen-shim\""
expect_error bad-pv-kernel-bzimage-truncated \
	"$WORK/pv.cfg: kernel '$WORK/short-vmlinuz' (bzImage): bzImage payload lies outside the file" \
	"$WORK/pv.cfg" "kernel=\"$WORK/short-vmlinuz\""
# A bzImage of the right length whose zstd payload has 64 KiB overwritten.
cp "$ASSETS/vmlinuz" "$WORK/corrupt-vmlinuz"
head -c 65536 /dev/zero | tr '\0' x | dd of="$WORK/corrupt-vmlinuz" bs=65536 seek=90 conv=notrunc 2>/dev/null
expect_error bad-pv-kernel-bzimage-corrupt \
	"kernel '$WORK/corrupt-vmlinuz' (bzImage (zstd)): the compressed kernel is corrupt or truncated" \
	"$WORK/pv.cfg" "kernel=\"$WORK/corrupt-vmlinuz\""
gzip -1 -c "$ASSETS/vmlinux" >"$WORK/corrupt-vmlinux.gz"
head -c 16 /dev/zero | tr '\0' '\377' | dd of="$WORK/corrupt-vmlinux.gz" bs=16 seek=65536 conv=notrunc 2>/dev/null
expect_error bad-pv-kernel-gzip-corrupt \
	"kernel '$WORK/corrupt-vmlinux.gz' (gzip-compressed ELF): the compressed kernel is corrupt or truncated" \
	"$WORK/pv.cfg" "kernel=\"$WORK/corrupt-vmlinux.gz\""
# 1 GiB of zeros in a few KiB: refused once it passes the guest's 256 MiB.
head -c 1G /dev/zero | zstd -q -c >"$WORK/bomb.zst"
expect_error bad-pv-kernel-zstd-bomb \
	"kernel '$WORK/bomb.zst' (zstd-compressed ELF): decompresses to more than 256 MiB" \
	"$WORK/pv.cfg" "kernel=\"$WORK/bomb.zst\""
expect_error bad-pv-missing-kernel "kernel '$WORK/nope': No such file or directory" \
	"$WORK/pv.cfg" "kernel=\"$WORK/nope\""
expect_error bad-pv-missing-shim \
	"$WORK/pv.cfg: pvshim_path '$WORK/no-shim': No such file or directory: a PV guest runs inside Xen's PV shim" \
	"$WORK/pv.cfg" "pvshim_path=\"$WORK/no-shim\""
# What must still pass: Debian's vmlinuz as it ships, its vmlinux, and PV GRUB.
for k in "$ASSETS/vmlinuz" "$ASSETS/vmlinux" /usr/lib/grub-xen/grub-x86_64-xen.bin; do
	[ -f "$k" ] || continue
	"$XKVM" create -n "$WORK/pv.cfg" "kernel=\"$k\"" >"$WORK/pv-good.out" 2>&1
	check "pv-kernel-accepted-$(basename "$k")" [ $? = 0 ] || show pv-good
done
expect_error bad-missing-ramdisk "ramdisk '$WORK/none': No such file or directory" \
	"$WORK/good.cfg" "ramdisk=\"$WORK/none\""
expect_error bad-ramdisk-does-not-fit "does not fit in guest RAM" "$WORK/good.cfg" \
	"ramdisk=\"$WORK/big.initrd\"" memory=128
expect_error bad-kernel-does-not-fit "memory = 32 MiB is too small" "$WORK/good.cfg" memory=32
expect_error bad-memory-too-small "memory = 8 is out of range" "$WORK/good.cfg" memory=8
expect_error bad-memory-too-large "memory = 99999999 is out of range" "$WORK/good.cfg" memory=99999999
expect_error bad-vcpus-zero "vcpus = 0 is out of range" "$WORK/good.cfg" vcpus=0
expect_error bad-vcpus-too-many "vcpus = 100000 is out of range" "$WORK/good.cfg" vcpus=100000
expect_error bad-cmdline-too-long "Linux accepts at most 2047" "$WORK/good.cfg" \
	"cmdline=\"$(head -c 3000 /dev/zero | tr '\0' x)\""
expect_error bad-missing-config "cannot open config file" "$WORK/none.cfg"
printf 'name = "x"\nmemory = = 3\n' >"$WORK/syntax.cfg"
expect_error bad-syntax "$WORK/syntax.cfg:2: config parsing error near" "$WORK/syntax.cfg"
printf 'name = "x"\ntype = "pvh"\nmemory = "lots"\n' >"$WORK/type.cfg"
expect_error bad-memory-not-number "$WORK/type.cfg:3: memory must be a number" "$WORK/type.cfg"
expect_error bad-override-not-key-value "is not key=value" "$WORK/good.cfg" banana

# Without -F the domain goes to xkvmd; with none running, say how to start it.
XKVM_RUN_DIR=$WORK/no-daemon-run XKVM_STATE_DIR=$WORK/no-daemon-state XKVM_API= \
	"$XKVM" create "$WORK/good.cfg" </dev/null >"$WORK/nofg.out" 2>&1
rc=$?
check create-without-daemon-exit-1 [ "$rc" = 1 ]
check create-without-daemon-explains grep -q "cannot reach xkvmd.*start it with: xkvmd" "$WORK/nofg.out"

# xkvmd --stop with nothing running: a clear error, and no signal sent anywhere.
"$(dirname "$XKVM")/xkvmd" --stop --state-dir "$WORK/no-daemon-state" --run-dir "$WORK/no-daemon-run" \
	>"$WORK/stop.out" 2>&1
check xkvmd-stop-none-exit-1 [ $? = 1 ]
check xkvmd-stop-none-explains grep -q "no xkvmd is running" "$WORK/stop.out"

# An unknown key is a warning that names file and line; the rest still works.
# An HVM-only key in a PVH config is a warning of its own.
guest_cfg "$WORK/unknown.cfg" 'memory = 256' 'frobnicate = 1' 'vnc = 1'
"$XKVM" create -n "$WORK/unknown.cfg" >"$WORK/unknown.out" 2>&1
check unknown-key-warned grep -q "unknown.cfg:6: warning: unknown key 'frobnicate' ignored" "$WORK/unknown.out"
check hvm-key-on-pvh-warned grep -q "unknown.cfg:7: warning: vnc applies to HVM guests only" "$WORK/unknown.out"
check dry-run-prints-config grep -q '^memory: *256 MiB' "$WORK/unknown.out"

"$XKVM" create --help >"$WORK/help.out" 2>&1
check create-help-documents-exit-codes grep -q 'the guest rebooted and on_reboot is destroy' "$WORK/help.out"
"$XKVM" frobnicate >"$WORK/verb.out" 2>&1
rc=$?
check unknown-verb-exit-2 [ "$rc" = 2 ]
echo "DONE bad_input_test"
