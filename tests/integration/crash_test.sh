#!/bin/sh
# xkvmd killed (-9) at random points while it creates, starts and stops VMs,
# then restarted: after each of $TRIALS trials every VM's state agrees with
# the VMMs that really run (no VMM the database does not know, no Running VM
# without one), no VM whose creation was answered 201 is lost, and no child
# of a dead xkvmd lingers.  Real VMMs running tiny PVH guests (tiny-pvh idle:
# hlt for ever), so trials are cheap.  Half the kills of a start land at a
# named point of it ($XKVMD_CRASH_AT, src/daemon/supervisor.c), where a
# random kill would rarely land; the others after a random delay.
. "$(dirname "$0")/lib.sh"

XKVMD=${XKVMD:-$(dirname "$XKVM")/xkvmd}
TRIALS=${XKVM_CRASH_TRIALS:-100}
export XKVM_STATE_DIR="$WORK/state"
export XKVM_RUN_DIR="/dev/shm/xkvm-crash-$$"
SOCK=$XKVM_RUN_DIR/xkvmd.sock
unset XKVM_API
mkdir -p "$XKVM_STATE_DIR"
"$TINY_PVH" idle "$WORK/idle.elf"

rand() { # <n>: a number in 0..n-1
	od -An -N2 -tu2 /dev/urandom | awk -v n="$1" '{ print $1 % n }'
}
api() { # <method> <path> [json body]: the body; the status goes to $WORK/status
	if [ $# -ge 3 ]; then
		curl -s --max-time 60 --unix-socket "$SOCK" -X "$1" -H 'Content-Type: application/json' \
			--data-binary "$3" -w '\n%{http_code}' "http://xkvmd$2"
	else
		curl -s --max-time 60 --unix-socket "$SOCK" -X "$1" -w '\n%{http_code}' "http://xkvmd$2"
	fi
}
ready() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket "$SOCK" \
		http://xkvmd/rest/v0/host)" = 200 ]
}
start_daemon() { # [crash point]
	if [ -n "$1" ]; then
		XKVMD_CRASH_AT=$1 "$XKVMD" --foreground >>"$WORK/xkvmd.log" 2>&1 &
	else
		"$XKVMD" --foreground >>"$WORK/xkvmd.log" 2>&1 &
	fi
	DAEMON=$!
	i=0
	until ready; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || return 1
		sleep 0.2
	done
}
# uuid and power_state of each VM in the database, one "uuid state" a line.
db_states() {
	curl -s --max-time 30 --unix-socket "$SOCK" \
		'http://xkvmd/rest/v0/vms?fields=uuid,power_state' | jq -r '.[] | "\(.uuid) \(.power_state)"'
}
# The uuid of each live VMM (xkvm create -F --managed <run>/vms/<uuid> cfg).
# pgrep reads every command line in one process: forks are slow in the test host.
live_vmms() {
	pgrep -a -f -- "--managed $XKVM_RUN_DIR/vms/" |
		sed -n "s|.* --managed $XKVM_RUN_DIR/vms/\([0-9a-f-]*\) .*|\1|p" | sort -u
}
# Processes still running the xkvmd binary (the daemon, or a child before it execs a VMM).
xkvmd_processes() {
	pgrep -c -f "^$XKVMD( |\$)"
}
# The database and the processes agree; otherwise why goes to $WORK/why.
consistent() {
	db_states >"$WORK/db" || return 1
	live_vmms >"$WORK/live"
	awk '$2 == "Running" || $2 == "Paused" { print $1 }' "$WORK/db" | sort >"$WORK/db-running"
	if ! cmp -s "$WORK/db-running" "$WORK/live"; then
		{
			echo "database Running/Paused vs live VMMs:"
			diff "$WORK/db-running" "$WORK/live"
		} >"$WORK/why"
		return 1
	fi
	if [ "$(xkvmd_processes)" != 1 ]; then
		echo "$(xkvmd_processes) xkvmd processes (a child of a killed xkvmd lingers?)" >"$WORK/why"
		return 1
	fi
}
settled() { # a few tries: a VMM killed or exiting around the kill is noticed within 2 s
	i=0
	until consistent; do
		i=$((i + 1))
		[ "$i" -lt 15 ] || return 1
		sleep 1
	done
}
vm_json() { # <name> <start: true|false>
	jq -n --argjson start "$2" --arg cfg "name = \"$1\"
type = \"pvh\"
memory = 32
kernel = \"$WORK/idle.elf\"
cmdline = \"\"" '{config: $cfg, path: "crash-test", start: $start}'
}
pick() { # <state>: the uuid of a random VM in that state, or nothing
	awk -v s="$1" '$2 == s { print $1 }' "$WORK/db" >"$WORK/pick"
	n=$(wc -l <"$WORK/pick")
	[ "$n" -gt 0 ] && sed -n "$(($(rand "$n") + 1))p" "$WORK/pick"
}

start_daemon || { fail crash-xkvmd-starts "see $WORK/xkvmd.log"; echo "DONE crash_test"; exit 0; }
: >"$WORK/created"
: >"$WORK/known"
bad_state=0 lost=0 failed_restart=0 at_points=0 random_kills=0 creates=0 starts=0 stops=0
t=0
while [ "$t" -lt "$TRIALS" ]; do
	t=$((t + 1))
	db_states >"$WORK/db"
	# Every VM the database held before a trial must hold it after (nothing deletes).
	cut -d' ' -f1 "$WORK/db" >>"$WORK/known"
	# The operation: create (up to 12 VMs), start a halted VM, or stop a running one.
	op=$(rand 3)
	uuid=
	case $op in
	1) uuid=$(pick Halted) ;;
	2) uuid=$(pick Running) ;;
	esac
	[ -n "$uuid" ] || op=0
	if [ "$op" = 0 ] && [ "$(wc -l <"$WORK/db")" -ge 12 ]; then
		op=2
		uuid=$(pick Running)
		[ -n "$uuid" ] || { op=1; uuid=$(pick Halted); }
	fi
	# Where the kill lands: a named point of the start, or after a random delay.
	point=
	if [ "$op" != 2 ] && [ "$(rand 2)" = 0 ]; then
		case $(rand 3) in
		0) point=recorded-starting ;;
		1) point=forked ;;
		2) point=pid-recorded ;;
		esac
		kill -9 "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
		start_daemon "$point" || { failed_restart=$((failed_restart + 1)); continue; }
	fi
	case $op in
	0)
		creates=$((creates + 1))
		# Half without starting: answered at once, so some 201s land before the kill.
		start=true
		[ "$(rand 2)" = 0 ] && start=false
		api POST /rest/v0/vms "$(vm_json "c$t" "$start")" >"$WORK/op.out" 2>&1 &
		;;
	1)
		starts=$((starts + 1))
		api POST "/rest/v0/vms/$uuid/actions/start" >"$WORK/op.out" 2>&1 &
		;;
	2)
		stops=$((stops + 1))
		api POST "/rest/v0/vms/$uuid/actions/hard_shutdown" >"$WORK/op.out" 2>&1 &
		;;
	esac
	OP=$!
	if [ -n "$point" ]; then
		at_points=$((at_points + 1))
		wait "$OP"
	else
		random_kills=$((random_kills + 1))
		sleep "$(rand 3000 | awk '{ printf "%.3f", $1 / 1000 }')"
	fi
	kill -9 "$DAEMON" 2>/dev/null
	wait "$DAEMON" 2>/dev/null
	wait "$OP" 2>/dev/null
	[ "$op" = 0 ] && [ "$(tail -n 1 "$WORK/op.out")" = 201 ] && echo "c$t" >>"$WORK/created"
	start_daemon || { failed_restart=$((failed_restart + 1)); continue; }
	if ! settled; then
		bad_state=$((bad_state + 1))
		echo "trial $t (op $op, point ${point:-random}): $(cat "$WORK/why")"
	fi
	names=$(curl -s --max-time 30 --unix-socket "$SOCK" 'http://xkvmd/rest/v0/vms?fields=name_label' |
		jq -r '.[].name_label')
	while read -r name; do
		if ! printf '%s\n' "$names" | grep -qx "$name"; then
			lost=$((lost + 1))
			echo "trial $t: VM $name was created (201) and is gone"
		fi
	done <"$WORK/created"
	uuids=$(curl -s --max-time 30 --unix-socket "$SOCK" 'http://xkvmd/rest/v0/vms?fields=uuid' |
		jq -r '.[].uuid')
	for u in $(sort -u "$WORK/known"); do
		if ! printf '%s\n' "$uuids" | grep -qx "$u"; then
			lost=$((lost + 1))
			echo "trial $t: VM $u was in the database and is gone"
		fi
	done
done
echo "# $TRIALS trials: $creates creates, $starts starts, $stops stops; $at_points kills armed at a named point of a start, $random_kills after a random delay; $(wc -l <"$WORK/created") VMs created"
check crash-daemon-restarts [ "$failed_restart" = 0 ]
check crash-state-matches-vmms [ "$bad_state" = 0 ]
check crash-nothing-lost [ "$lost" = 0 ]

# Clean up: every VM stopped, then the daemon; no VMM is left.
db_states >"$WORK/db"
awk '$2 != "Halted" { print $1 }' "$WORK/db" | while read -r u; do
	api POST "/rest/v0/vms/$u/actions/hard_shutdown?sync=true" >/dev/null 2>&1
done
kill "$DAEMON"
wait "$DAEMON" 2>/dev/null
check crash-no-vmm-left [ -z "$(live_vmms)" ]
for pid in $(pgrep -f -- "--managed $XKVM_RUN_DIR/vms/"); do kill -9 "$pid"; done
rm -rf "$XKVM_RUN_DIR"
host_kernel_quiet crash_test
echo "DONE crash_test"
