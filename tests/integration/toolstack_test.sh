#!/bin/sh
# The toolstack with real guests: xkvmd, the xl-style CLI, the REST API and
# XO's search syntax, supervision across a daemon restart and a VMM crash,
# and bad input.  Runs where /dev/kvm runs stock guests (natively, or in the
# KVM test host: tests/run arranges that).
. "$(dirname "$0")/lib.sh"

XKVMD=${XKVMD:-$(dirname "$XKVM")/xkvmd}
PORT=${XKVM_TEST_PORT:-18017}
export XKVM_STATE_DIR="$WORK/state"
# Unix sockets cannot live on 9p: the run directory is a tmpfs.
export XKVM_RUN_DIR="/dev/shm/xkvm-ts-$$"
SOCK=$XKVM_RUN_DIR/xkvmd.sock
unset XKVM_API

api() { # <path> [curl args...]: the API on the unix socket; prints the body
	path=$1
	shift
	curl -s --max-time 30 --unix-socket "$SOCK" "$@" "http://xkvmd$path"
}
api_status() { # <path> [curl args...]: the HTTP status only
	path=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 30 --unix-socket "$SOCK" "$@" "http://xkvmd$path"
}
field() { # <vm> <jq filter>: a field of one VM's object
	api "/rest/v0/vms/$1" | jq -r "$2"
}
names() { # <filter>: sorted name_labels the API returns for a filter
	api "/rest/v0/vms?fields=name_label&filter=$(printf '%s' "$1" | jq -sRr @uri)" |
		jq -r '.[].name_label' | sort | tr '\n' ' '
}
cli_names() { # <filter>: sorted names `xkvm list FILTER` prints
	"$XKVM" list "$1" | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' '
}
wait_for() { # <seconds> <command...>: until the command succeeds
	limit=$1
	shift
	i=0
	while [ "$i" -lt "$limit" ]; do
		"$@" && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}
is_state() { [ "$(field "$1" .power_state)" = "$2" ]; }
# The guests' files: the assets and this test's directory, and nothing else.
start_daemon() {
	"$XKVMD" --foreground --listen "127.0.0.1:$PORT" --allow-dir "$ASSETS" --allow-dir "$WORK" \
		>>"$WORK/xkvmd.log" 2>&1 &
	DAEMON=$!
	wait_for 60 test -S "$SOCK" && wait_for 30 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --unix-socket '$SOCK' http://xkvmd/rest/v0/host)\" = 200 ]"
}

mkdir -p "$XKVM_STATE_DIR"
for vm in a b c; do
	guest_cfg "$WORK/ts-$vm.cfg" 'memory = 256' 'vcpus = 1' \
		'cmdline = "console=hvc0 xkvm.action=shell"'
	sed -i "s/^name = .*/name = \"ts-$vm\"/" "$WORK/ts-$vm.cfg"
done
echo 'on_crash = "restart"' >>"$WORK/ts-c.cfg"

# 1. The daemon starts and serves an empty list.
start_daemon
check xkvmd-starts [ -S "$SOCK" ]
check xkvmd-token-private [ "$(stat -c %a "$XKVM_STATE_DIR/token" 2>/dev/null)" = 600 ]
check xkvmd-empty-list [ "$(api '/rest/v0/vms')" = "[]" ]

# 2. Guests created through the CLI run under the daemon.
"$XKVM" create "$WORK/ts-a.cfg" >"$WORK/create-a.out" 2>&1
check cli-create-exit-0 [ $? = 0 ]
"$XKVM" create "$WORK/ts-b.cfg" 'vcpus = 2' >/dev/null 2>&1
check cli-create-override [ "$(field ts-b '.CPUs.number')" = 2 ]
check vm-running wait_for 120 is_state ts-a Running
check vm-mode-pvh [ "$(field ts-a .virtualizationMode)" = pvh ]
check vm-start-time [ "$(field ts-a .startTime)" -gt 0 ]
check vm-memory-bytes [ "$(field ts-a .memory.size)" = 268435456 ]
check vm-pv-drivers-detected wait_for 120 sh -c "[ \"\$(curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-a | jq -r .pvDriversDetected)\" = true ]"
"$XKVM" list >"$WORK/list.out" 2>&1
check cli-list-header grep -qE '^Name +ID +Mem +VCPUs.*State.*Time\(s\).*Mode' "$WORK/list.out"
check cli-list-row grep -qE '^ts-a +[0-9]+ +256 +1 +r-----.* pvh$' "$WORK/list.out"

# 3. One filter, the same VMs from the CLI and the API.
F='virtualizationMode:pvh power_state:Running'
check filter-cli-and-api-agree [ "$(cli_names "$F")" = "$(names "$F")" ]
check filter-finds-both [ "$(names "$F")" = "ts-a ts-b " ]
check filter-name [ "$(names 'name_label:ts-a')" = "ts-a " ]
check filter-negation [ "$(names '!name_label:ts-a')" = "ts-b " ]
check filter-number [ "$(names 'CPUs:number:>1')" = "ts-b " ]
check filter-hvm-none [ "$(names 'virtualizationMode:hvm')" = "" ]
check api-limit [ "$(api '/rest/v0/vms?limit=1' | jq length)" = 1 ]

# 4. Settable fields, searchable.
"$XKVM" vm-set ts-b 'description=the database' >/dev/null 2>&1
"$XKVM" vm-set ts-b 'tags=prod,db' >/dev/null 2>&1
check vm-set-description [ "$(field ts-b .name_description)" = "the database" ]
check vm-set-tags [ "$(field ts-b '.tags | join(",")')" = "prod,db" ]
check filter-tags [ "$(names 'tags:prod')" = "ts-b " ]

# 5. The console: a line typed reaches the guest's shell and its answer comes back.
(sleep 3; printf 'echo ts-$((6*7))\n'; sleep 10) | timeout 60 "$XKVM" console ts-a >"$WORK/console.out" 2>&1
check cli-console-reaches-shell grep -q 'ts-42' "$WORK/console.out"

# 6. Pause and unpause.
"$XKVM" pause ts-a
check pause-state is_state ts-a Paused
check pause-list-flag sh -c "'$XKVM' list | grep -qE '^ts-a .*--p---'"
"$XKVM" unpause ts-a
check unpause-state is_state ts-a Running

# 7. Bad input: each a clear error, nothing half-created.
"$XKVM" list '(' >"$WORK/bad-filter.out" 2>&1
check bad-filter-cli-exit-1 [ $? = 1 ]
check bad-filter-cli-message grep -q 'xkvm: error: parse error' "$WORK/bad-filter.out"
check bad-filter-api-400 [ "$(api_status '/rest/v0/vms?fields=name_label&filter=%28')" = 400 ]
check bad-filter-api-message sh -c "curl -s --unix-socket '$SOCK' 'http://xkvmd/rest/v0/vms?fields=*&filter=%28' | jq -r .error | grep -q 'parse error'"
"$XKVM" shutdown nosuch >"$WORK/unknown.out" 2>&1
check unknown-vm-exit-1 [ $? = 1 ]
check unknown-vm-message grep -q "nosuch" "$WORK/unknown.out"
check unknown-vm-api-404 [ "$(api_status /rest/v0/vms/nosuch)" = 404 ]
"$XKVM" create "$WORK/ts-a.cfg" >"$WORK/dup.out" 2>&1
check duplicate-name-exit-1 [ $? = 1 ]
check duplicate-name-message grep -q "already exists" "$WORK/dup.out"
"$XKVM" create "$WORK/does-not-exist.cfg" >"$WORK/missing.out" 2>&1
check missing-config-exit-1 [ $? -ne 0 ]
check missing-config-message grep -q "does-not-exist.cfg" "$WORK/missing.out"
printf 'name = "ts-bad"\nmemory = "lots"\n' >"$WORK/ts-bad.cfg"
"$XKVM" create "$WORK/ts-bad.cfg" >"$WORK/badcfg.out" 2>&1
check bad-config-exit-1 [ $? -ne 0 ]
check bad-config-file-line grep -q "ts-bad.cfg:2" "$WORK/badcfg.out"
printf 'name = "ts-rel"\nkernel = "vmlinux"\n' >"$WORK/ts-rel.cfg"
"$XKVM" create "$WORK/ts-rel.cfg" >"$WORK/relative.out" 2>&1
check relative-kernel-refused grep -q "kernel 'vmlinux' is a relative path" "$WORK/relative.out"
check nothing-half-created [ "$(api '/rest/v0/vms' | jq length)" = 2 ]
TOKEN=$(cat "$XKVM_STATE_DIR/token")
check api-wrong-token-401 [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "http://127.0.0.1:$PORT/rest/v0/vms")" = 401 ]
# Each VMM is confined: every thread under seccomp, no capability, not root.
pid_a=$(cut -d' ' -f1 "$XKVM_RUN_DIR/vms/$(field ts-a .uuid)/pid")
st=/proc/$pid_a/status
check vmm-seccomp-filter grep -q '^Seccomp:[[:space:]]*2$' "$st"
check vmm-no-new-privs grep -q '^NoNewPrivs:[[:space:]]*1$' "$st"
check vmm-cap-eff-none grep -q '^CapEff:[[:space:]]*0000000000000000$' "$st"
check vmm-cap-prm-none grep -q '^CapPrm:[[:space:]]*0000000000000000$' "$st"
check vmm-cap-bnd-none grep -q '^CapBnd:[[:space:]]*0000000000000000$' "$st"
check vmm-not-root awk '/^Uid:|^Gid:/ { if ($2 == 0 || $3 == 0 || $4 == 0 || $5 == 0) bad = 1 } END { exit bad }' "$st"
check vmm-every-thread-filtered sh -c "! grep -L '^Seccomp:[[:space:]]*2$' /proc/$pid_a/task/*/status | grep -q ."
check vmm-threads-several [ "$(ls /proc/"$pid_a"/task | wc -l)" -ge 4 ]

# The API opens no file outside the directories xkvmd allows: 403, nothing made.
create_json() { # <config file>: the body `xkvm create` sends
	jq -n --rawfile c "$1" --arg p "$1" '{config: $c, path: $p, start: true}'
}
sed 's/^name = .*/name = "ts-evil"/' "$WORK/ts-a.cfg" >"$WORK/ts-evil.cfg"
echo "disk = [ '/etc/shadow,raw,xvda,r' ]" >>"$WORK/ts-evil.cfg"
check api-disk-outside-403 [ "$(api_status /rest/v0/vms -X POST -H 'Content-Type: application/json' -d "$(create_json "$WORK/ts-evil.cfg")")" = 403 ]
check api-403-names-path sh -c "curl -s --unix-socket '$SOCK' -X POST -H 'Content-Type: application/json' --data-binary @- http://xkvmd/rest/v0/vms <<EOF | jq -r .error | grep -q /etc/shadow
$(create_json "$WORK/ts-evil.cfg")
EOF"
# A path that starts in an allowed directory and climbs out of it.
sed -e 's/^name = .*/name = "ts-evil"/' -e "s|^kernel = .*|kernel = \"$ASSETS/$(echo "$ASSETS" | sed 's|/[^/]*|../|g')etc/passwd\"|" \
	"$WORK/ts-a.cfg" >"$WORK/ts-evil2.cfg"
"$XKVM" create "$WORK/ts-evil2.cfg" >"$WORK/evil2.out" 2>&1
check cli-kernel-outside-refused sh -c "[ $? != 0 ] && grep -q 'not allowed' '$WORK/evil2.out'"
sed 's/^name = .*/name = "ts-evil"/' "$WORK/ts-a.cfg" >"$WORK/ts-evil3.cfg"
echo "vif = [ 'bridge=br-not-allowed' ]" >>"$WORK/ts-evil3.cfg"
check api-bridge-outside-403 [ "$(api_status /rest/v0/vms -X POST -H 'Content-Type: application/json' -d "$(create_json "$WORK/ts-evil3.cfg")")" = 403 ]
check api-refused-made-nothing [ "$(api_status /rest/v0/vms/ts-evil)" = 404 ]

check api-no-token-401 [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/rest/v0/vms")" = 401 ]
check api-token-200 [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/rest/v0/vms")" = 200 ]
check api-cookie-is-no-credential [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: authenticationToken=$TOKEN" "http://127.0.0.1:$PORT/rest/v0/vms")" = 401 ]
curl -s -D "$WORK/headers" -o /dev/null "http://127.0.0.1:$PORT/"
check api-csp-frame-ancestors grep -qi "^Content-Security-Policy: .*frame-ancestors 'none'" "$WORK/headers"
check api-referrer-policy grep -qi '^Referrer-Policy: no-referrer' "$WORK/headers"
check api-nosniff grep -qi '^X-Content-Type-Options: nosniff' "$WORK/headers"
# Loopback clients share one address: 64 idle connections must not lock the user out.
idle_then_request() {
	python3 - "$PORT" "$TOKEN" <<'EOF_PY'
import socket, sys
port, token = int(sys.argv[1]), sys.argv[2]
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(("GET /rest/v0/host HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
           "Connection: close\r\n\r\n" % (port, token)).encode())
print(s.recv(12).decode())
EOF_PY
}
check api-64-idle-connections-no-lockout [ "$(idle_then_request)" = "HTTP/1.1 200" ]
"$XKVMD" --foreground --listen "0.0.0.0:$PORT" >"$WORK/remote.out" 2>&1
check listen-non-loopback-refused [ $? = 2 ]
check listen-non-loopback-says-why grep -q 'allow-remote' "$WORK/remote.out"

# 8. Restarting xkvmd leaves the guests running, and it finds them again.
# dump_vm <vm>: its state, its VMM's log and the daemon's, for a failed check.
dump_vm() {
	{
		echo "---- $1: $(api "/rest/v0/vms/$1" | jq -c '{power_state, startTime}') ----"
		tail -n 20 "$XKVM_RUN_DIR/vms/$(field "$1" .uuid)/vmm.log" 2>/dev/null
		echo "---- last lines of xkvmd.log ----"
		tail -n 20 "$WORK/xkvmd.log"
		echo "----"
	} | sed 's/^/SHOW /'
}
check before-restart-both-running [ "$(names 'power_state:Running')" = "ts-a ts-b " ] || dump_vm ts-b
pid_a=$(cat "$XKVM_RUN_DIR/vms/$(field ts-a .uuid)/pid" | cut -d' ' -f1)
start_a=$(field ts-a .startTime)
kill -KILL "$DAEMON"
wait "$DAEMON" 2>/dev/null
check vmm-survives-daemon kill -0 "$pid_a"
start_daemon
check daemon-restarted [ -S "$SOCK" ]
check reattached-running is_state ts-a Running
check reattached-same-start [ "$(field ts-a .startTime)" = "$start_a" ]
check reattached-listed [ "$(names 'power_state:Running')" = "ts-a ts-b " ] || dump_vm ts-b
check reattached-console sh -c "(sleep 2; printf 'echo again-\$((6*7))\n'; sleep 8) | timeout 60 '$XKVM' console ts-a | grep -q again-42"

# 9. A VMM killed is a crash, handled per on_crash.
pid_b=$(cut -d' ' -f1 "$XKVM_RUN_DIR/vms/$(field ts-b .uuid)/pid")
kill -KILL "$pid_b"
check crash-destroy-halts wait_for 60 is_state ts-b Halted
check crash-recorded [ "$(field ts-b .last_exit.reason)" = crash ]
"$XKVM" create "$WORK/ts-c.cfg" >/dev/null 2>&1
wait_for 120 is_state ts-c Running
pid_c=$(cut -d' ' -f1 "$XKVM_RUN_DIR/vms/$(field ts-c .uuid)/pid")
kill -KILL "$pid_c"
check crash-restart-runs-again wait_for 120 sh -c "[ \"\$(cut -d' ' -f1 '$XKVM_RUN_DIR/vms/$(field ts-c .uuid)/pid' 2>/dev/null)\" != '$pid_c' ] && [ \"\$(curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-c | jq -r .power_state)\" = Running ]"

# A guest that panics: the VMM exits and xkvmd applies on_crash.
guest_cfg "$WORK/ts-p.cfg" 'memory = 256' 'cmdline = "console=hvc0 xkvm.action=panic"'
sed -i 's/^name = .*/name = "ts-p"/' "$WORK/ts-p.cfg"
"$XKVM" create "$WORK/ts-p.cfg" >/dev/null 2>&1
check guest-panic-halts wait_for 120 is_state ts-p Halted
check guest-panic-recorded [ "$(field ts-p .last_exit.reason)" = crash ]
check guest-panic-exit-code [ "$(field ts-p .last_exit.code)" = 3 ]
"$XKVM" vm-delete ts-p >/dev/null 2>&1
check vm-delete-halted [ "$(api_status /rest/v0/vms/ts-p)" = 404 ]

# 10. Clean shutdown through the guest's PV control, and a forced one.
"$XKVM" shutdown -w ts-a >"$WORK/shutdown.out" 2>&1
check shutdown-w-exit-0 [ $? = 0 ]
check shutdown-halted is_state ts-a Halted
check shutdown-poweroff-recorded [ "$(field ts-a .last_exit.reason)" = poweroff ]
"$XKVM" destroy ts-c >/dev/null 2>&1
check destroy-halts wait_for 60 is_state ts-c Halted
check halted-start-time-null [ "$(field ts-c .startTime)" = null ]
"$XKVM" start ts-a >/dev/null 2>&1
check start-again wait_for 120 is_state ts-a Running
# A confined VMM cannot build its VM again: xkvmd starts a new one on reboot.
# (The guest takes a reboot request once its PV drivers are up.)
wait_for 120 sh -c "[ \"\$(curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-a | jq -r .pvDriversDetected)\" = true ]"
pid_a=$(cut -d' ' -f1 "$XKVM_RUN_DIR/vms/$(field ts-a .uuid)/pid")
"$XKVM" reboot ts-a >"$WORK/reboot.out" 2>&1
check reboot-exit-0 [ $? = 0 ]
check reboot-new-vmm wait_for 120 sh -c "[ \"\$(cut -d' ' -f1 '$XKVM_RUN_DIR/vms/$(field ts-a .uuid)/pid' 2>/dev/null)\" != '$pid_a' ] && [ \"\$(curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-a | jq -r .power_state)\" = Running ]"
check reboot-recorded grep -q "the guest's reboot: restarting" "$WORK/xkvmd.log"
"$XKVM" destroy ts-a >/dev/null 2>&1
wait_for 60 is_state ts-a Halted

# 10b. A PVHVM guest (type = "hvm", xl's default platform device): Xen
# Orchestra's hvm while the firmware runs, pvhvm once its PV drivers connect,
# live; virtualizationMode stays hvm for the searches.
cp --sparse=always "$ASSETS/hvm-disk.img" "$WORK/ts-h.img"
printf 'xkvm-hvm-action=shell\n' | dd of="$WORK/ts-h.img" bs=512 seek=2047 conv=notrunc,sync status=none
printf '%s\n' 'name = "ts-h"' 'type = "hvm"' 'memory = 256' 'vcpus = 1' 'boot = "c"' \
	"disk = [ 'format=raw, vdev=hda, access=rw, target=$WORK/ts-h.img' ]" >"$WORK/ts-h.cfg"
"$XKVM" create "$WORK/ts-h.cfg" >/dev/null 2>&1
check pvhvm-running wait_for 120 is_state ts-h Running
"$XKVM" list 'name_label:ts-h' >"$WORK/list-h-early.out" 2>&1
check pvhvm-listed-hvm-at-start grep -qE '^ts-h +[0-9]+ +256 +1 .* hvm$' "$WORK/list-h-early.out"
api /rest/v0/vms/ts-h >"$WORK/ts-h-early.json"
check pvhvm-no-pv-drivers-at-start [ "$(jq -r .pvDriversDetected "$WORK/ts-h-early.json")" = false ]
check pvhvm-pv-drivers-detected wait_for 400 sh -c "[ \"\$(curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-h | jq -r .pvDriversDetected)\" = true ]"
"$XKVM" list 'name_label:ts-h' >"$WORK/list-h.out" 2>&1
check pvhvm-listed-pvhvm grep -qE '^ts-h +[0-9]+ +256 +1 .* pvhvm$' "$WORK/list-h.out"
check pvhvm-mode-stays-hvm [ "$(field ts-h .virtualizationMode)" = hvm ]
# Linux's product number (3, "linux" in Xen's registry) and its build number.
check pvhvm-driver-version sh -c "curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-h | jq -r .pvDriversVersion | grep -qE '^linux [0-9]+\$'"
check pvhvm-no-version-at-start [ "$(jq -r .pvDriversVersion "$WORK/ts-h-early.json")" = null ]
check pvhvm-filter-hvm [ "$(names 'virtualizationMode:hvm')" = "ts-h " ]
check pvhvm-filter-pv-drivers [ "$(names 'virtualizationMode:hvm pvDriversDetected?')" = "ts-h " ]
check pvhvm-filter-cli-agrees [ "$(cli_names 'virtualizationMode:hvm pvDriversDetected?')" = "ts-h " ]
pv_seen=$(field ts-h .pvDriversDetected)
# A reboot goes back through the BIOS (a new VMM): hvm again until the PV
# drivers of the next boot connect, then pvhvm.
pid_h=$(cut -d' ' -f1 "$XKVM_RUN_DIR/vms/$(field ts-h .uuid)/pid")
"$XKVM" reboot ts-h >"$WORK/reboot-h.out" 2>&1
check pvhvm-reboot-exit-0 [ $? = 0 ]
check pvhvm-reboot-new-vmm wait_for 120 sh -c "[ \"\$(cut -d' ' -f1 '$XKVM_RUN_DIR/vms/$(field ts-h .uuid)/pid' 2>/dev/null)\" != '$pid_h' ] && [ \"\$(curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-h | jq -r .power_state)\" = Running ]"
"$XKVM" list 'name_label:ts-h' >"$WORK/list-h-rebooted.out" 2>&1
check pvhvm-reboot-listed-hvm grep -qE '^ts-h +[0-9]+ +256 +1 .* hvm$' "$WORK/list-h-rebooted.out"
check pvhvm-reboot-no-pv-drivers [ "$(field ts-h .pvDriversDetected)" = false ]
check pvhvm-reboot-filter-drops-it [ "$(names 'virtualizationMode:hvm pvDriversDetected?')" = "" ]
check pvhvm-reboot-pv-drivers-again wait_for 400 sh -c "[ \"\$(curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-h | jq -r .pvDriversDetected)\" = true ]"
"$XKVM" list 'name_label:ts-h' >"$WORK/list-h-again.out" 2>&1
check pvhvm-reboot-listed-pvhvm-again grep -qE '^ts-h +[0-9]+ +256 +1 .* pvhvm$' "$WORK/list-h-again.out"
"$XKVM" destroy ts-h >/dev/null 2>&1
check pvhvm-destroy-halts wait_for 60 is_state ts-h Halted
if [ "$pv_seen" != true ] || ! grep -q 'pvhvm$' "$WORK/list-h-again.out"; then
	sed 's/^/SHOW /' "$WORK/list-h-early.out" "$WORK/list-h.out" "$WORK/list-h-rebooted.out" "$WORK/list-h-again.out"
	tail -40 "$WORK/xkvmd.log" | sed 's/^/SHOW /'
fi

# 10c. A PV guest (Debian's vmlinuz in Xen's PV shim, itself a PVH guest):
# Xen Orchestra's pv_in_pvh, the mode XCP-ng reports for a PV guest in a
# shim, in the API, the list and the searches.
printf '%s\n' 'name = "ts-v"' 'type = "pv"' 'memory = 512' 'vcpus = 1' \
	"kernel = \"$ASSETS/vmlinuz\"" "ramdisk = \"$ASSETS/guest-initrd.cpio.gz\"" \
	"pvshim_path = \"$ASSETS/xen-shim\"" 'cmdline = "console=hvc0 xkvm.action=shell"' >"$WORK/ts-v.cfg"
"$XKVM" create "$WORK/ts-v.cfg" >"$WORK/create-v.out" 2>&1
check pv-created [ $? = 0 ]
check pv-running wait_for 120 is_state ts-v Running
check pv-mode-pv-in-pvh [ "$(field ts-v .virtualizationMode)" = pv_in_pvh ]
"$XKVM" list 'name_label:ts-v' >"$WORK/list-v.out" 2>&1
check pv-listed-pv-in-pvh grep -qE '^ts-v +[0-9]+ +512 +1 .* pv_in_pvh$' "$WORK/list-v.out"
check pv-filter-mode [ "$(names 'virtualizationMode:pv_in_pvh')" = "ts-v " ]
check pv-filter-cli-agrees [ "$(cli_names 'virtualizationMode:pv_in_pvh')" = "ts-v " ]
check pv-drivers-detected wait_for 400 sh -c "[ \"\$(curl -s --unix-socket '$SOCK' http://xkvmd/rest/v0/vms/ts-v | jq -r .pvDriversDetected)\" = true ]"
"$XKVM" destroy ts-v >/dev/null 2>&1
check pv-destroy-halts wait_for 60 is_state ts-v Halted
grep -q 'pv_in_pvh$' "$WORK/list-v.out" || { sed 's/^/SHOW /' "$WORK/create-v.out" "$WORK/list-v.out"; tail -20 "$WORK/xkvmd.log" | sed 's/^/SHOW /'; }

# 11. A system call outside a thread's allow-list kills the VMM (here one the
# test hook makes a vCPU thread call); xkvmd records a crash naming the call.
kill -TERM "$DAEMON"
wait "$DAEMON" 2>/dev/null
export XKVM_TEST_SECCOMP_VIOLATION=vcpu
start_daemon
unset XKVM_TEST_SECCOMP_VIOLATION
sed 's/^name = .*/name = "ts-x"/' "$WORK/ts-a.cfg" >"$WORK/ts-x.cfg"
"$XKVM" create "$WORK/ts-x.cfg" >/dev/null 2>&1
check seccomp-kill-halts wait_for 120 is_state ts-x Halted
check seccomp-kill-is-crash [ "$(field ts-x .last_exit.reason)" = crash ]
check seccomp-kill-code-sigsys [ "$(field ts-x .last_exit.code)" = 159 ]
check seccomp-kill-names-call grep -q 'seccomp filter: system call sysinfo (99) from its vcpu thread' "$WORK/xkvmd.log"

kill -TERM "$DAEMON"
wait "$DAEMON" 2>/dev/null
grep -q 'ERROR\|AddressSanitizer' "$WORK/xkvmd.log" && sed -n '1,40p' "$WORK/xkvmd.log"
rm -rf "$XKVM_RUN_DIR"
host_kernel_quiet toolstack_test
echo "DONE toolstack_test"
