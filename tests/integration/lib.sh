# Shared helpers for xkvm's integration tests (sourced, POSIX sh).
#
# Each check prints one line, "PASS <name>" or "FAIL <name>: <why>"; the
# runner (tests/run) counts them.  Nothing here asserts on elapsed time:
# waits are bounded only so a broken build cannot hang CI.

: "${XKVM:?XKVM must point at the xkvm binary}"
: "${ASSETS:?ASSETS must point at the guest assets directory}"
TINY_PVH=${TINY_PVH:-$(dirname "$XKVM")/tiny-pvh}
WORK=${WORK:-$(mktemp -d /tmp/xkvm-it.XXXXXX)}
mkdir -p "$WORK"

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# check <name> <condition...>: PASS when the command succeeds; returns
# non-zero on FAIL, so that `check ... || show ...` can explain a failure.
check() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "$*"; return 1; fi
}

# in_range <value> <low> <high>: low <= value <= high, for integers.
in_range() {
	[ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

# guest_cfg <file> [key = value lines...]: a PVH config for the Debian kernel
# and the project's busybox initramfs.
guest_cfg() {
	file=$1
	shift
	{
		echo "name = \"it-$(basename "$file" .cfg)\""
		echo 'type = "pvh"'
		echo "kernel = \"$ASSETS/vmlinux\""
		echo "ramdisk = \"$ASSETS/guest-initrd.cpio.gz\""
		for line in "$@"; do echo "$line"; done
	} >"$file"
}

# run_guest <name> <cfg> [key=value...]: boot it with no console input; the
# console output goes to $WORK/<name>.out and the exit code to $rc.
run_guest() {
	once_more_on_emulator_fault "$1" run_guest_once "$@"
}

run_guest_once() {
	name=$1
	cfg=$2
	shift 2
	# Bounded, so that a guest that hangs fails its checks instead of stalling CI.
	timeout -k 10 "${GUEST_TIMEOUT:-600}" \
		"$XKVM" --accel="${XKVM_ACCEL_INNER:-native}" create -F "$cfg" "$@" \
		</dev/null >"$WORK/$name.out" 2>&1
	rc=$?
}

# initrd_with_script <output>: the guest initramfs plus $WORK/script/xkvm-script,
# which the guest's init runs for xkvm.action=script.
initrd_with_script() {
	(cd "$WORK/script" && echo xkvm-script | cpio -o -H newc 2>/dev/null | gzip) >"$WORK/script.cpio.gz"
	cat "$ASSETS/guest-initrd.cpio.gz" "$WORK/script.cpio.gz" >"$1"
}

# run_guest_on_tap <name> <cfg> <tap> <host-address/prefix>: boot the guest
# in a network namespace of its own, give the host side of its TAP (made by
# xkvm) the address, wait for it to end; output and exit code as run_guest.
run_guest_on_tap() {
	once_more_on_emulator_fault "$1" run_guest_on_tap_once "$@"
}

run_guest_on_tap_once() {
	ns=xkvm-it-$1-$$
	ip netns add "$ns"
	timeout -k 10 "${GUEST_TIMEOUT:-600}" ip netns exec "$ns" \
		"$XKVM" --accel="${XKVM_ACCEL_INNER:-native}" create -F "$2" \
		</dev/null >"$WORK/$1.out" 2>&1 &
	tap_pid=$!
	for i in $(seq 120); do ip netns exec "$ns" ip link show "$3" >/dev/null 2>&1 && break; sleep 1; done
	ip netns exec "$ns" ip addr add "$4" dev "$3"
	ip netns exec "$ns" ip link set "$3" up
	wait "$tap_pid"
	rc=$?
	ip netns del "$ns"
}

# bound <pid> [seconds]: kill pid if it still runs after the limit (so a hung
# guest fails its checks instead of stalling CI); prints the watchdog's pid.
bound() {
	(sleep "${2:-600}" && kill -KILL "$1" 2>/dev/null) >/dev/null 2>&1 &
	echo $!
}

# guest_value <name> <key>: a "xkvm-guest: key: value" line of a run's output
# (carriage returns dropped: Xen's console may put one at a line's start).
guest_value() {
	tr -d '\r' <"$WORK/$1.out" | sed -n "s/^xkvm-guest: $2: //p" | head -n1
}

# guest_said <name> <text>: the run's output has the line "xkvm-guest: <text>".
guest_said() {
	tr -d '\r' <"$WORK/$1.out" | grep -qx "xkvm-guest: $2"
}

# wait_for <file> <pattern> [count] [limit-seconds]: until the pattern has
# appeared count times (default 1) or the limit passes.
wait_for() {
	limit=${4:-300}
	while [ "$(grep -c -- "$2" "$1" 2>/dev/null || true)" -lt "${3:-1}" ]; do
		limit=$((limit - 1))
		[ "$limit" -gt 0 ] || return 1
		sleep 1
	done
}

# show <name>: the tail of a run's output, for a failure's context.
show() {
	echo "SHOW ---- last lines of $1 ----"
	tail -n 15 "$WORK/$1.out" 2>/dev/null | sed 's/^/SHOW /'
	echo "SHOW ----"
	impossible_rflags "$1"
}

# host_kernel_quiet <group>: the kernel KVM ran in logged no warning (the
# trace of a WARN or a BUG() starts with "cut here") while the group's guests ran:
# nothing a guest or its VMM does may make the host's kernel warn, since a
# host booted with panic_on_warn would stop.  Checked only in a KVM test
# host booted for this group alone (tests/run sets OWN_HOST_KERNEL=1): a
# real host's log holds other people's warnings.
host_kernel_quiet() {
	[ "${OWN_HOST_KERNEL:-}" = 1 ] || return 0
	dmesg >"$WORK/host-kernel.txt" 2>&1
	check "$1-host-kernel-logged-no-warning" sh -c "! grep -q 'cut here' '$WORK/host-kernel.txt'" ||
		grep -A 14 'cut here' "$WORK/host-kernel.txt" | head -n 30 | sed 's/^/SHOW /'
}

# A guest's oops whose RFLAGS has reserved bits set (3, 5, 15, 22-31) or
# bit 1 clear shows a CPU state no processor can hold: the emulated CPU of
# the test host lost it (docs/testhost-wedge.md), not the guest or xkvm,
# which sets RFLAGS only at boot.  Said next to a failure; a guest run
# through run_guest dies of it at most once (once_more_on_emulator_fault).
impossible_rflags() {
	v=$(impossible_rflags_value "$1")
	[ -z "$v" ] ||
		echo "SHOW note: RFLAGS $v has reserved bits set: no CPU holds that state (see docs/testhost-wedge.md)"
}

# impossible_rflags_value <name>: the first such RFLAGS in the run's output.
impossible_rflags_value() {
	for v in $(sed -n 's/.*EFLAGS: \([0-9a-f]\{8\}\).*/\1/p' "$WORK/$1.out" 2>/dev/null); do
		if [ $((0x$v & 0xffc08028)) != 0 ] || [ $((0x$v & 2)) = 0 ]; then
			echo "$v"
			return
		fi
	done
}

# once_more_on_emulator_fault <name> <run function> <args...>: run it; if
# the guest died in a CPU state no processor can hold (the test host's
# emulator lost it, docs/testhost-wedge.md), say so on a RERUN line, which
# tests/run counts in its summary, and run it once more.  A second such
# death, or any other failure, stays a failure.
once_more_on_emulator_fault() {
	fault_name=$1
	run_fn=$2
	shift 2
	"$run_fn" "$@"
	fault=$(impossible_rflags_value "$fault_name")
	[ -n "$fault" ] || return 0
	cp "$WORK/$fault_name.out" "$WORK/$fault_name.emulator-fault.out"
	echo "RERUN $fault_name: the guest died with RFLAGS $fault, which no CPU can hold (the test host's emulator lost it); run once more"
	"$run_fn" "$@"
}
