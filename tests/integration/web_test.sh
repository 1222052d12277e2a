#!/bin/sh
# The web UI end to end, as a person would use it: xkvmd started the way a
# user starts it (on this machine that means inside the KVM test host,
# reached through a forwarded loopback port), a real Xen PVH guest with a
# shell on its console, and Debian's Chromium driven by playwright-core
# (tests/web/ui.test.mjs).  Screenshots are kept in $SCREENSHOTS.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
XKVMD=${XKVMD:-$(dirname "$XKVM")/xkvmd}
PORT=${XKVM_WEB_TEST_PORT:-18027}
SCREENSHOTS=${SCREENSHOTS:-$ROOT/tests/out/screenshots}
export XKVM_STATE_DIR="$WORK/state"
export XKVM_RUN_DIR="/dev/shm/xkvm-web-$$"
unset XKVM_API
mkdir -p "$XKVM_STATE_DIR" "$SCREENSHOTS"

stop_daemon() {
	"$XKVMD" --stop --state-dir "$XKVM_STATE_DIR" >/dev/null 2>&1
	rm -rf "$XKVM_RUN_DIR"
}
trap stop_daemon EXIT

timeout -k 10 300 "$XKVMD" --listen "127.0.0.1:$PORT" --web-dir "$ROOT/web/dist" \
	--allow-dir "$ASSETS" --allow-dir "$WORK" >"$WORK/xkvmd.out" 2>&1
check web-xkvmd-starts [ $? = 0 ]
check web-xkvmd-prints-url grep -q "http://127.0.0.1:$PORT/?token=" "$WORK/xkvmd.out"
check web-endpoint-file [ "$(cat "$XKVM_STATE_DIR/endpoint" 2>/dev/null)" = "http://127.0.0.1:$PORT" ]

guest_cfg "$WORK/ui-pvh.cfg" 'memory = 256' 'vcpus = 2' \
	'cmdline = "console=hvc0 xkvm.action=shell"'
sed -i 's/^name = .*/name = "ui-pvh"/' "$WORK/ui-pvh.cfg"
"$XKVM" create "$WORK/ui-pvh.cfg" >"$WORK/create.out" 2>&1
check web-create-through-forwarded-port [ $? = 0 ]
i=0
until "$XKVM" list 'name_label:ui-pvh power_state:Running pvDriversDetected?' 2>/dev/null |
	grep -q '^ui-pvh '; do
	i=$((i + 1))
	[ "$i" -lt 180 ] || break
	sleep 1
done
check web-guest-running [ "$i" -lt 180 ]

# A PVHVM guest (the HVM disk, xl's default platform device) paused at
# once, long before its kernel reaches the PV drivers: the browser watches
# its mode line change when it resumes.
cp --sparse=always "$ASSETS/hvm-disk.img" "$WORK/ui-pvhvm.img"
printf 'xkvm-hvm-action=shell\n' |
	dd of="$WORK/ui-pvhvm.img" bs=512 seek=2047 conv=notrunc,sync status=none
printf '%s\n' 'name = "ui-pvhvm"' 'type = "hvm"' 'memory = 256' 'vcpus = 1' 'boot = "c"' \
	"disk = [ 'format=raw, vdev=hda, access=rw, target=$WORK/ui-pvhvm.img' ]" >"$WORK/ui-pvhvm.cfg"
"$XKVM" create "$WORK/ui-pvhvm.cfg" >>"$WORK/create.out" 2>&1
i=0
until "$XKVM" pause ui-pvhvm >>"$WORK/create.out" 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || break
	sleep 0.2
done
check web-pvhvm-created-paused sh -c "'$XKVM' list 'name_label:ui-pvhvm power_state:Paused' | grep -q '^ui-pvhvm '"

TOKEN=$(cat "$XKVM_STATE_DIR/token")
if [ ! -d "$ROOT/tests/web/node_modules" ]; then
	(cd "$ROOT/tests/web" && npm ci --no-audit --no-fund --silent) >"$WORK/npm.out" 2>&1
fi
(cd "$ROOT/tests/web" && XKVM_UI_URL="http://127.0.0.1:$PORT/?token=$TOKEN" XKVM_UI_VM=ui-pvh \
	XKVM_UI_HVM_VM=ui-pvhvm \
	XKVM_SCREENSHOTS="$SCREENSHOTS" timeout -k 10 1500 node --test --test-reporter=tap ui.test.mjs) \
	>"$WORK/ui.tap" 2>&1
# One line per browser test, from the TAP report.
sed -n 's/^ *ok [0-9]* - \(.*\)/PASS web-ui: \1/p; s/^ *not ok [0-9]* - \(.*\)/FAIL web-ui: \1/p' "$WORK/ui.tap" |
	grep -v ': ui.test.mjs$'
grep -q '^# fail 0' "$WORK/ui.tap" || sed -n '1,80p' "$WORK/ui.tap"
check web-ui-tests-ran grep -q '^# pass [1-9]' "$WORK/ui.tap"
for shot in sign-in list list-filtered general advanced console stats halted general-pvhvm; do
	check "web-screenshot-$shot" [ -s "$SCREENSHOTS/$shot.png" ]
done
# --stop ends what xkvmd started: here the test host, so the port closes.
"$XKVMD" --stop --state-dir "$XKVM_STATE_DIR" >"$WORK/stop.out" 2>&1
check web-xkvmd-stop-exit-0 [ $? = 0 ]
check web-xkvmd-stop-closes-port sh -c "! curl -s -o /dev/null --max-time 5 http://127.0.0.1:$PORT/"
echo "DONE web_test"
