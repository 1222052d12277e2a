#!/bin/sh
# Parity of src/toolstack/complex_matcher.c with the npm package
# complex-matcher: run.sh <cm_parity binary> [corpus.json]
# Both sides print, per query of the corpus, the names of the matching VMs
# (and the filter as the package's toString() prints it) or the parse
# error; every query prints PASS or FAIL, then DONE. The status is 0 even
# when queries fail: the runner counts the FAIL lines.
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
BIN=${1:?usage: run.sh <cm_parity binary> [corpus.json]}
CORPUS=${2:-$DIR/corpus.json}
OUT=$(mktemp -d /tmp/xkvm-parity.XXXXXX)
trap 'rm -rf "$OUT"' EXIT INT TERM

finish() {
	echo "$1"
	echo "DONE parity_test"
	exit 0
}

if [ ! -d "$DIR/node_modules/complex-matcher" ]; then
	(cd "$DIR" && npm ci --silent >"$OUT/npm.log" 2>&1) ||
		finish "FAIL parity: npm ci failed: $(tail -n 1 "$OUT/npm.log")"
fi
node "$DIR/parity.mjs" "$CORPUS" >"$OUT/npm.json" 2>"$OUT/npm.err" ||
	finish "FAIL parity: parity.mjs failed: $(head -n 1 "$OUT/npm.err")"
"$BIN" "$CORPUS" >"$OUT/c.json" 2>"$OUT/c.err" ||
	finish "FAIL parity: $BIN failed: $(head -n 1 "$OUT/c.err")"

# One query a line: {"query":Q,"result":R}, with [ and ] on lines of their own.
# Q is a JSON string, in which every '"' is escaped: the first ',"result":'
# ends it.
sed -e '1d;$d' -e 's/,$//' "$OUT/npm.json" >"$OUT/npm.lines"
sed -e '1d;$d' -e 's/,$//' "$OUT/c.json" >"$OUT/c.lines"
if [ "$(wc -l <"$OUT/npm.lines")" != "$(wc -l <"$OUT/c.lines")" ]; then
	finish "FAIL parity: npm printed $(wc -l <"$OUT/npm.lines") queries, C $(wc -l <"$OUT/c.lines")"
fi
n=0
while IFS= read -r js <&3 && IFS= read -r c <&4; do
	n=$((n + 1))
	query=${js#\{\"query\":}
	query=${query%%,\"result\":*}
	if [ "$js" = "$c" ]; then
		echo "PASS parity:$n: $query"
	else
		npm_says=${js#*,\"result\":}
		c_says=${c#*,\"result\":}
		echo "FAIL parity:$n: $query: npm says ${npm_says%\}}, C says ${c_says%\}}"
	fi
done 3<"$OUT/npm.lines" 4<"$OUT/c.lines"
echo "DONE parity_test"
