#!/bin/sh
# The KVM test host itself (run from outside it, only where it is used):
# the command's status comes back, the kernel's messages stay off the
# caller's terminal, and a test host that stops making progress is
# stopped and reported instead of hanging its caller.
. "$(dirname "$0")/lib.sh"

out=$WORK/status.out
"$XKVM" testhost run -- sh -c 'echo inside; grep -qw cx16 /proc/cpuinfo && echo has-cx16; exit 3' >"$out" 2>&1
rc=$?
check testhost-exit-status-passes-through [ "$rc" = 3 ]
check testhost-command-output grep -q '^inside' "$out"
# The emulator's CMPXCHG16B corrupts RFLAGS now and then (tools/testhost/cx16-flags.c).
check testhost-cpu-without-cx16 sh -c "! grep -q '^has-cx16' '$out'"
check testhost-kernel-quiet-on-terminal sh -c "! grep -q 'kvm_intel\|Linux version' '$out'"

# Stop the agent's heartbeat (PID 1 ignores SIGSTOP; its forked heartbeat
# child does not).  The bracket keeps pkill from matching this very shell.
out=$WORK/wedge.out
XKVM_TESTHOST_WEDGE_SECONDS=20 timeout -k 10 600 "$XKVM" testhost run -- \
	sh -c 'pkill -STOP -f "[t]esthost-agent"; sleep 500; echo not-reached' >"$out" 2>&1
rc=$?
check testhost-wedge-fails [ "$rc" = 1 ]
check testhost-wedge-reported grep -q 'test host stopped responding (no heartbeat for 20 s)' "$out"
check testhost-wedge-shows-kernel-log grep -q 'test host kernel.log:' "$out"
check testhost-wedge-command-stopped sh -c "! grep -q not-reached '$out'"
# Where it was stuck: the CPU sampled through QEMU's monitor, and the test
# host kernel's SysRq dumps (it still takes interrupts here) in kernel.log.
check testhost-wedge-cpu-sampled grep -q 'test host CPU sample 9: RIP=[0-9a-f]* CPL=[0-3] HLT=[01]' "$out"
check testhost-wedge-sysrq-backtrace grep -q 'test host kernel.log:.*sysrq: Show backtrace of all active CPUs' "$out"
check testhost-wedge-sysrq-blocked-tasks grep -q 'test host kernel.log:.*sysrq: Show Blocked State' "$out"
kept=$(sed -n 's/.*its job directory (kernel.log whole) is kept in \(\/tmp\/xkvm-testhost\.[A-Za-z0-9]*\).*/\1/p' "$out" | tr -d '\r')
check testhost-wedge-job-kept test -s "$kept/kernel.log"
[ -n "$kept" ] && rm -rf "$kept"

# A late heartbeat gets a key press through QEMU's monitor (the lost timer
# wake-up of docs/testhost-wedge.md): silent for 45 s, the test host is
# nudged, its keyboard interrupt count rises, and the command completes.
out=$WORK/nudge.out
"$XKVM" testhost run -- sh -c '
	kbd() { awk "/i8042/ { print \$2; exit }" /proc/interrupts; }
	before=$(kbd)
	pkill -STOP -f "[t]esthost-agent"; sleep 45; pkill -CONT -f "[t]esthost-agent"
	echo "keyboard interrupts: ${before:-none} then $(kbd)"
	[ "$(kbd)" -gt "${before:-0}" ]' >"$out" 2>&1
rc=$?
check testhost-nudge-completes [ "$rc" = 0 ]
check testhost-nudge-reported grep -q 'no heartbeat for [0-9]* s, sent a key press (1 so far' "$out"
check testhost-nudge-reaches-kernel grep -q '^keyboard interrupts: [0-9]* then [0-9]*' "$out"
check testhost-nudge-not-wedged sh -c "! grep -q 'stopped responding' '$out'"

echo "DONE testhost_test"
