#!/bin/sh
# Tests of bench/chart (meson test bench-chart, suite unit): a fixed modes
# table must come out as well-formed XML with exactly the rectangles drawn
# for it, "not measured" for each -, the best values in bold and its text
# escaped; malformed tables must exit 1 with nothing on stdout and the line
# number on stderr.  Finds bench/chart beside itself, whatever the cwd.
set -u

CHART=$(cd "$(dirname "$0")" && pwd)/chart
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xkvm-chart-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The number of times the fixed string $1 occurs in file $2.
count() {
	awk -v s="$1" '{
		line = $0
		while ((i = index(line, s)) > 0) {
			n++
			line = substr(line, i + length(s))
		}
	}
	END { print n + 0 }' "$2"
}

expect_count() {
	n=$(count "$1" "$2")
	[ "$n" -eq "$3" ] || fail "$2: $n times $1, expected $3"
}

# Whether file $1 is well-formed XML, as far as bench/chart's output goes:
# every element closed in order, one root, quoted attributes, no stray < or
# >, and & only in an entity.  Always available, unlike xmllint.
xml_balanced() {
	awk '
	function bad(msg) {
		print FILENAME ": not well-formed: " msg
		err = 1
		exit 1
	}
	function entities_ok(t,   i) {
		while ((i = index(t, "&")) > 0) {
			if (substr(t, i) !~ /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/)
				return 0
			t = substr(t, i + 1)
		}
		return 1
	}
	{ doc = doc $0 "\n" }
	END {
		if (err)
			exit 1
		depth = 0; roots = 0
		while (match(doc, /<[^>]*>/)) {
			text = substr(doc, 1, RSTART - 1)
			tag = substr(doc, RSTART, RLENGTH)
			doc = substr(doc, RSTART + RLENGTH)
			if (index(text, ">") || !entities_ok(text))
				bad("text \"" text "\"")
			if (depth == 0 && text !~ /^[ \t\n]*$/)
				bad("text outside the root element")
			if (index(substr(tag, 2), "<") || !entities_ok(tag))
				bad("tag " tag)
			if (gsub(/"/, "\"", tag) % 2)
				bad("unbalanced quotes in " tag)
			if (tag ~ /^<\?/) {
				if (tag !~ /\?>$/ || roots > 0 || depth > 0)
					bad("processing instruction " tag)
				continue
			}
			if (tag ~ /^<!--/)
				continue
			name = tag
			sub(/^<\/?/, "", name)
			sub(/[ \t\n\/>].*$/, "", name)
			if (name !~ /^[A-Za-z_][A-Za-z0-9_.:-]*$/)
				bad("tag name in " tag)
			if (tag ~ /^<\//) {
				if (depth == 0 || stack[depth] != name)
					bad("</" name "> closes <" stack[depth] ">")
				depth--
				continue
			}
			if (depth == 0 && ++roots > 1)
				bad("a second root element <" name ">")
			if (tag !~ /\/>$/)
				stack[++depth] = name
		}
		if (depth > 0)
			bad("<" stack[depth] "> not closed")
		if (roots != 1)
			bad("no root element")
		if (index(doc, "<") || doc !~ /^[ \t\n]*$/)
			bad("text after the root element")
	}' "$1"
}

# The checker itself must catch what it looks for.
printf '<svg><text>a</svg></text>\n' >"$TMP/bad.xml"
xml_balanced "$TMP/bad.xml" >/dev/null && fail "xml_balanced passes misnested tags"
printf '<svg><text>a & b</text></svg>\n' >"$TMP/bad.xml"
xml_balanced "$TMP/bad.xml" >/dev/null && fail "xml_balanced passes a bare &"

tab=$(printf '\t')
# 3 VMM columns, 3 metrics, 2 values not measured: 7 bars.  The third
# label tests escaping.
cat >"$TMP/table.tsv" <<EOF
metric${tab}unit${tab}better${tab}xkvm PVH${tab}A&B <x>${tab}QEMU pc
boot to userspace${tab}s${tab}lower${tab}7.8${tab}25.0${tab}8.3
disk seq read${tab}MB/s${tab}higher${tab}80${tab}-${tab}30
page fault${tab}ns${tab}lower${tab}25865${tab}13574${tab}-
EOF
svg=$TMP/chart.svg
if ! sh "$CHART" "Modes <test> & title" <"$TMP/table.tsv" >"$svg" 2>"$TMP/err"; then
	fail "bench/chart failed on a good table: $(cat "$TMP/err")"
fi
[ -s "$TMP/err" ] && fail "bench/chart wrote to stderr on a good table: $(cat "$TMP/err")"

xml_balanced "$svg" || fail "output not well-formed (awk check)"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$svg" || fail "output not well-formed (xmllint)"
else
	echo "xmllint not found (Debian: libxml2-utils): only the awk check of well-formedness"
fi
grep -q '<svg [^>]*width="[0-9]*" height="[0-9]*" viewBox="0 0 [0-9]* [0-9]*"' "$svg" ||
	fail "no width, height and viewBox on <svg>"
grep -Eq "<script|href=|@import|<style" "$svg" && fail "output refers to or embeds more than SVG"

# What bench/chart draws: a background, a legend swatch per VMM, a bar per
# measured value, and no other rectangle.
expect_count '<rect' "$svg" 11
expect_count '<rect class="background"' "$svg" 1
expect_count '<rect class="swatch"' "$svg" 3
expect_count '<rect class="bar"' "$svg" 7
expect_count '>not measured</text>' "$svg" 2
# Each colour: its swatch and its column's bars.
expect_count 'fill="#4e79a7"' "$svg" 4
expect_count 'fill="#f28e2b"' "$svg" 3
expect_count 'fill="#59a14f"' "$svg" 3
for title in 'boot to userspace (s, lower is better)' 'disk seq read (MB/s, higher is better)' \
	'page fault (ns, lower is better)'; do
	expect_count ">$title</text>" "$svg" 1
done
# The best of each panel, in bold, and only those.
expect_count 'class="best"' "$svg" 3
for best in 7.8 80 13574; do
	grep -q "font-weight=\"bold\" class=\"best\">$best</text>" "$svg" || fail "$best not marked best"
done
# The largest value of a panel has the longest bar; the others in proportion.
boot_widths=$(grep '<rect class="bar"' "$svg" | head -n 3 | sed 's/.*width="\([0-9.]*\)".*/\1/' | tr '\n' ' ')
echo "$boot_widths" | awk '{ if (!($2 > 0 && $1 / $2 > 0.311 && $1 / $2 < 0.313 && $3 / $2 > 0.331 && $3 / $2 < 0.333)) exit 1 }' ||
	fail "bar widths $boot_widths not in proportion 7.8 : 25.0 : 8.3"

# Escaping: the label and title only as entities.
expect_count 'A&amp;B &lt;x&gt;' "$svg" 4
expect_count 'A&B' "$svg" 0
expect_count '<x>' "$svg" 0
expect_count 'Modes &lt;test&gt; &amp; title' "$svg" 2

# CR LF line ends change nothing.
sed "s/\$/$(printf '\r')/" "$TMP/table.tsv" | sh "$CHART" "Modes <test> & title" >"$TMP/crlf.svg" 2>/dev/null
cmp -s "$svg" "$TMP/crlf.svg" || fail "CR LF input draws another chart"

# Malformed input: exit 1, empty stdout, the line number on stderr.
expect_reject() { # <what> <line number> <table, printf format>
	# shellcheck disable=SC2059 # the table is the format, for its \t and \n
	printf "$3" | sh "$CHART" "title" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" -eq 1 ] || fail "$1: exit status $rc, expected 1"
	[ -s "$TMP/out" ] && fail "$1: wrote to stdout"
	grep -q "line $2:" "$TMP/err" || fail "$1: no \"line $2:\" on stderr: $(cat "$TMP/err")"
}
header='metric\tunit\tbetter\ta\tb\n'
expect_reject "a missing column" 3 "${header}x\ts\tlower\t1\t2\ny\ts\tlower\t1\n"
expect_reject "an extra column" 2 "${header}x\ts\tlower\t1\t2\t3\n"
expect_reject "a value that is no number" 4 "${header}x\ts\tlower\t1\t2\ny\ts\tlower\t1\t2\nz\ts\tlower\t1\t1.2.3\n"
expect_reject "an empty value" 2 "${header}x\ts\tlower\t1\t\n"
expect_reject "a negative value" 2 "${header}x\ts\tlower\t-1\t2\n"
expect_reject "better neither lower nor higher" 2 "${header}x\ts\tbest\t1\t2\n"
expect_reject "no metric lines" 1 "${header}"
expect_reject "no header" 1 'x\ts\tlower\t1\t2\n'
expect_reject "empty input" 1 ''
expect_reject "no VMM labels" 1 'metric\tunit\tbetter\n'
expect_reject "more VMMs than colours" 1 'metric\tunit\tbetter\t1\t2\t3\t4\t5\t6\t7\n'

if [ "$failures" -ne 0 ]; then
	echo "bench/chart: $failures failures"
	exit 1
fi
echo "bench/chart: all tests passed"
