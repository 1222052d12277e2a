#!/bin/sh
# The KVM test host itself (run from outside it, only where it is used):
# the command's status comes back, the kernel's messages stay off the
# caller's terminal, and a test host that stops making progress is
# stopped and reported instead of hanging its caller.
. "$(dirname "$0")/lib.sh"

out=$WORK/status.out
"$XKVM" testhost run -- sh -c 'echo inside; exit 3' >"$out" 2>&1
rc=$?
check testhost-exit-status-passes-through [ "$rc" = 3 ]
check testhost-command-output grep -q '^inside' "$out"
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

echo "DONE testhost_test"
