#!/bin/sh
# Replays every classroom demo headless and compares its snapshots with demos/*.snap
# (bertscope replay --check); then checks that a corrupt or newer session file is
# refused with one clear line and exit status 2.
BIN="${BUILD:-build}/bertscope"
status=0
for f in demos/*.session; do
    if ! "$BIN" replay "$f" --check; then
        echo "FAIL: $f (update deliberately with: $BIN replay $f --update)"
        status=1
    fi
done
# The same file twice gives the same bytes.
a=$("$BIN" replay demos/padding.session --headless | cksum)
b=$("$BIN" replay demos/padding.session --headless | cksum)
[ "$a" = "$b" ] || { echo "FAIL: headless replay is not deterministic"; status=1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'bertscope-session 1\nkey Enter\nfrobnicate 3\n' > "$tmp/bad.session"
printf 'bertscope-session 9\nkey Enter\n' > "$tmp/new.session"
printf '\000\001\002garbage' > "$tmp/bin.session"
for f in bad new bin; do
    "$BIN" replay "$tmp/$f.session" --headless > "$tmp/out" 2> "$tmp/err"
    rc=$?
    lines=$(grep -c 'bertscope: error:' "$tmp/err")
    if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ]; then
        echo "FAIL: $f.session: exit $rc, $lines error lines:"; cat "$tmp/err"; status=1
    fi
done
"$BIN" replay "$tmp/bad.session" --headless 2>&1 | grep -q "bad.session:3: unknown command 'frobnicate'" ||
    { echo "FAIL: the error does not name the file, line and command"; status=1; }
"$BIN" replay "$tmp/new.session" --headless 2>&1 | grep -q "version 9 is newer" ||
    { echo "FAIL: a newer version is not refused clearly"; status=1; }
# --check with a stale snapshot (key Home changes nothing at position 0): the stale report
# comes only once the .snap file is read, and the summary says stale, not "match"
printf '%s\n' 'bertscope-session 1' 'model brown-pos' 'sentences "One." "Two."' 'focus tokens' \
    'select 1 0' 'snapshot a' 'key Home' 'snapshot b' > "$tmp/stale.session"
"$BIN" replay "$tmp/stale.session" --check > "$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 2 ] || grep -q 'shows the same screen' "$tmp/out"; then
    echo "FAIL: --check without a .snap file: exit $rc, or a stale report:"; cat "$tmp/out"; status=1
fi
"$BIN" replay "$tmp/stale.session" --update > /dev/null 2>&1
"$BIN" replay "$tmp/stale.session" --check > "$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "stale.session:8: snapshot 'b' shows the same screen" "$tmp/out" ||
   ! tail -n 1 "$tmp/out" | grep -q 'stale' || grep -q 'snapshots match$' "$tmp/out"; then
    echo "FAIL: --check with a stale snapshot: exit $rc:"; cat "$tmp/out"; status=1
fi
[ $status -eq 0 ] && echo "demos: all snapshots match"
exit $status
